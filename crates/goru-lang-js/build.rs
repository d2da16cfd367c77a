//! Ensures the quickjs interpreter pinned in `interpreter.toml` is fetched and verified
//! (where: see `goru_interpreters::build_script::CACHE_DIR_ENV`), applies goru's patches
//! to it (`build/stack.rs`, `build/timers.rs`) and exposes the result to the crate as
//! `GORU_QUICKJS_PATCHED_WASM` (absolute path) and `GORU_QUICKJS_PATCHED_WASM_SHA256` (hex
//! digest of the patched bytes).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

#[path = "build/patch.rs"]
mod patch;
#[path = "build/stack.rs"]
mod stack;
#[path = "build/timers.rs"]
mod timers;

fn main() {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out_dir = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    let pin_file = Path::new(&manifest_dir).join("interpreter.toml");
    let pinned = goru_interpreters::build_script::emit_rustc_env(&pin_file, "quickjs", "GORU_QUICKJS_WASM")
        .unwrap_or_else(|e| panic!("cannot get the quickjs interpreter: {e}"));
    for file in ["build/patch.rs", "build/stack.rs", "build/timers.rs"] {
        println!("cargo:rerun-if-changed={file}");
    }

    let bytes = std::fs::read(&pinned).unwrap_or_else(|e| panic!("cannot read {}: {e}", pinned.display()));
    let patched = stack::patch(bytes)
        .and_then(timers::patch)
        .unwrap_or_else(|e| panic!("cannot patch {}: {e}", pinned.display()));
    let path = PathBuf::from(out_dir).join("qjs-goru.wasm");
    // A new file rather than a rewrite in place: a target directory copied
    // with hard links must not see another build's bytes.
    let _ = std::fs::remove_file(&path);
    std::fs::write(&path, &patched).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    println!("cargo:rustc-env=GORU_QUICKJS_PATCHED_WASM={}", path.display());
    println!(
        "cargo:rustc-env=GORU_QUICKJS_PATCHED_WASM_SHA256={}",
        hex::encode(Sha256::digest(&patched))
    );
}
