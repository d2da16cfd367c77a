//! Helper for the lang crates' build scripts: ensure one runtime and tell cargo about it.

use std::path::{Path, PathBuf};

use crate::{FetchError, PYTHON_ENV, PinFile, RUNTIMES_DIR_ENV};

/// Environment variable naming the directory where [`emit_rustc_env`] keeps verified
/// interpreter files (an absolute path). Unset, each build keeps its own copy in its
/// `OUT_DIR`. The goru repository sets it to its `runtimes/` directory (in
/// `.cargo/config.toml`), so every profile and `cargo xtask fetch-runtimes` share one copy;
/// an embedder can point it at a cache directory to fetch each interpreter only once.
pub const CACHE_DIR_ENV: &str = "GORU_RUNTIMES_CACHE";

/// Ensures runtime `name` from the pin file at `pin_file` (the calling crate's own pin)
/// into the cache directory (see [`CACHE_DIR_ENV`]), then prints the cargo directives a
/// build script needs:
///
/// - `cargo:rustc-env=<env_var>=<absolute path of the verified file>`
/// - `cargo:rustc-env=<env_var>_SHA256=<pinned hex digest>`
/// - `rerun-if-changed` on the pin file and the runtime file, and `rerun-if-env-changed`
///   on [`RUNTIMES_DIR_ENV`], [`PYTHON_ENV`] and [`CACHE_DIR_ENV`].
///
/// Returns the verified file's path. Call it only from a build script.
///
/// ```no_run
/// // build.rs of a crate that embeds the interpreter pinned in its `interpreter.toml`
/// let pin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("interpreter.toml");
/// goru_interpreters::build_script::emit_rustc_env(&pin, "python", "GORU_PYTHON_WASM")
///     .unwrap_or_else(|e| panic!("cannot get the python interpreter: {e}"));
/// ```
pub fn emit_rustc_env(pin_file: &Path, name: &str, env_var: &str) -> Result<PathBuf, FetchError> {
    println!("cargo:rerun-if-env-changed={RUNTIMES_DIR_ENV}");
    println!("cargo:rerun-if-env-changed={PYTHON_ENV}");
    println!("cargo:rerun-if-env-changed={CACHE_DIR_ENV}");
    let pin_file = std::fs::canonicalize(pin_file).map_err(|e| FetchError::Io {
        context: format!("cannot find pin file {}", pin_file.display()),
        error: e,
    })?;
    println!("cargo:rerun-if-changed={}", pin_file.display());

    let pins = PinFile::load(&pin_file)?;
    let pin = pins.get(name)?;
    let path = crate::ensure(pin, &cache_dir()?)?;

    println!("cargo:rerun-if-changed={}", path.display());
    println!("cargo:rustc-env={env_var}={}", path.display());
    println!("cargo:rustc-env={env_var}_SHA256={}", pin.sha256);
    Ok(path)
}

/// `$GORU_RUNTIMES_CACHE` when set, else the build script's `OUT_DIR`.
fn cache_dir() -> Result<PathBuf, FetchError> {
    if let Some(dir) = std::env::var_os(CACHE_DIR_ENV).filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        // A relative path would resolve against each crate's own directory.
        if dir.is_relative() {
            return Err(FetchError::NotConfigured(format!(
                "{CACHE_DIR_ENV} must be an absolute path, not `{}`",
                dir.display()
            )));
        }
        return Ok(dir);
    }
    std::env::var_os("OUT_DIR").map(PathBuf::from).ok_or_else(|| {
        FetchError::NotConfigured(format!(
            "neither {CACHE_DIR_ENV} nor OUT_DIR is set (call this from a build script)"
        ))
    })
}
