//! Ensures the python interpreter pinned in `interpreter.toml` is fetched and verified
//! (where: see `goru_interpreters::build_script::CACHE_DIR_ENV`), derives its
//! snapshot-ready module (checked against the pinned `snapshot_sha256`) and exposes that
//! to the crate as `GORU_PYTHON_WASM` (absolute path) and `GORU_PYTHON_WASM_SHA256`.

use std::path::Path;

fn main() {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let pin_file = Path::new(&manifest_dir).join("interpreter.toml");
    if let Err(e) = goru_interpreters::build_script::emit_snapshot_module_rustc_env(
        &pin_file,
        "python",
        "GORU_PYTHON_WASM",
    ) {
        panic!("cannot get the python interpreter: {e}");
    }
}
