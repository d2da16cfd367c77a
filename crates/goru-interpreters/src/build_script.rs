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
    let (pin, path) = ensure_pinned(pin_file, name)?;
    emit_file(env_var, &path, &pin.sha256);
    Ok(path)
}

/// As [`emit_rustc_env`], but for the snapshot-ready module derived from the
/// pinned file (see [`crate::snapshot_module`]): the derived module is written
/// into the cache directory and accepted only if its SHA-256 is the pin's
/// `snapshot_sha256`, so the derivation is reproducible or the build fails.
/// `<env_var>_ORIGINAL` names the pinned file itself.
///
/// ```no_run
/// let pin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("interpreter.toml");
/// goru_interpreters::build_script::emit_snapshot_module_rustc_env(&pin, "python", "GORU_PYTHON_WASM")
///     .unwrap_or_else(|e| panic!("cannot get the python interpreter: {e}"));
/// ```
#[cfg(feature = "snapshot-module")]
pub fn emit_snapshot_module_rustc_env(
    pin_file: &Path,
    name: &str,
    env_var: &str,
) -> Result<PathBuf, FetchError> {
    use sha2::{Digest, Sha256};

    let (pin, original) = ensure_pinned(pin_file, name)?;
    let expected = pin
        .snapshot_sha256
        .clone()
        .ok_or_else(|| FetchError::InvalidPin {
            name: pin.name.clone(),
            reason: "no `snapshot_sha256` for the derived module".into(),
        })?;
    let io = |context: String| move |error| FetchError::Io { context, error };
    let wasm = std::fs::read(&original).map_err(io(format!("cannot read {}", original.display())))?;
    let derived = crate::snapshot_module::derive(&wasm).map_err(|e| FetchError::InvalidPin {
        name: pin.name.clone(),
        reason: format!("cannot derive the snapshot-ready module: {e}"),
    })?;
    let actual = hex::encode(Sha256::digest(&derived));
    if actual != expected {
        return Err(FetchError::HashMismatch {
            what: format!("the snapshot-ready module derived from {}", pin.file),
            expected,
            actual,
        });
    }
    let path = cache_dir()?.join(format!(
        "{}.snapshot-{}.wasm",
        pin.file.trim_end_matches(".wasm"),
        &actual[..16]
    ));
    if std::fs::read(&path).ok().as_deref() != Some(&derived[..]) {
        // Written under a temporary name and renamed: concurrent builds never see half a file.
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut file = tempfile::NamedTempFile::new_in(dir)
            .map_err(io(format!("cannot create a file in {}", dir.display())))?;
        std::io::Write::write_all(&mut file, &derived)
            .map_err(io(format!("cannot write {}", path.display())))?;
        file.persist(&path).map_err(|e| FetchError::Io {
            context: format!("cannot write {}", path.display()),
            error: e.error,
        })?;
    }
    emit_file(env_var, &path, &actual);
    // The original keeps its debug information, which tests may read.
    println!("cargo:rustc-env={env_var}_ORIGINAL={}", original.display());
    Ok(path)
}

/// The verified file of runtime `name` from `pin_file`, with cargo told to
/// rerun the build script when either changes.
fn ensure_pinned(pin_file: &Path, name: &str) -> Result<(crate::Pin, PathBuf), FetchError> {
    println!("cargo:rerun-if-env-changed={RUNTIMES_DIR_ENV}");
    println!("cargo:rerun-if-env-changed={PYTHON_ENV}");
    println!("cargo:rerun-if-env-changed={CACHE_DIR_ENV}");
    let pin_file = std::fs::canonicalize(pin_file).map_err(|e| FetchError::Io {
        context: format!("cannot find pin file {}", pin_file.display()),
        error: e,
    })?;
    println!("cargo:rerun-if-changed={}", pin_file.display());

    let pins = PinFile::load(&pin_file)?;
    let pin = pins.get(name)?.clone();
    let path = crate::ensure(&pin, &cache_dir()?)?;
    println!("cargo:rerun-if-changed={}", path.display());
    Ok((pin, path))
}

fn emit_file(env_var: &str, path: &Path, sha256: &str) {
    println!("cargo:rustc-env={env_var}={}", path.display());
    println!("cargo:rustc-env={env_var}_SHA256={sha256}");
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
