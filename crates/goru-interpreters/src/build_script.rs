//! Helper for the lang crates' build scripts: ensure one runtime and tell cargo about it.

use std::path::{Path, PathBuf};

use crate::{FetchError, PYTHON_ENV, PinFile, RUNTIMES_DIR_ENV};

/// Ensures runtime `name` from the pin file at `pin_file` into that file's directory,
/// then prints the cargo directives a build script needs:
///
/// - `cargo:rustc-env=<env_var>=<absolute path of the verified file>`
/// - `cargo:rustc-env=<env_var>_SHA256=<pinned hex digest>`
/// - `rerun-if-changed` on the pin file and the runtime file, and `rerun-if-env-changed`
///   on [`RUNTIMES_DIR_ENV`] and [`PYTHON_ENV`].
///
/// Returns the verified file's path. Call it only from a build script.
pub fn emit_rustc_env(pin_file: &Path, name: &str, env_var: &str) -> Result<PathBuf, FetchError> {
    println!("cargo:rerun-if-env-changed={RUNTIMES_DIR_ENV}");
    println!("cargo:rerun-if-env-changed={PYTHON_ENV}");
    let pin_file = std::fs::canonicalize(pin_file).map_err(|e| FetchError::Io {
        context: format!("cannot find pin file {}", pin_file.display()),
        error: e,
    })?;
    println!("cargo:rerun-if-changed={}", pin_file.display());

    let dir = pin_file.parent().unwrap_or(Path::new("."));
    let pins = PinFile::load(&pin_file)?;
    let pin = pins.get(name)?;
    let path = crate::ensure(pin, dir)?;

    println!("cargo:rerun-if-changed={}", path.display());
    println!("cargo:rustc-env={env_var}={}", path.display());
    println!("cargo:rustc-env={env_var}_SHA256={}", pin.sha256);
    Ok(path)
}
