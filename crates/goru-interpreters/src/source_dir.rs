//! Source 1: a local directory holding the pinned files (offline and air-gapped builds).

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use crate::install::install;
use crate::{FetchError, Pin};

/// Copies `pin.file` from directory `from` into `dir`, verified.
pub(crate) fn fetch(from: &Path, pin: &Pin, dir: &Path) -> Result<PathBuf, FetchError> {
    let src = pin.path_in(from);
    let mut file = File::open(&src).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => FetchError::Missing { path: src.clone() },
        _ => FetchError::Io {
            context: format!("cannot open {}", src.display()),
            error: e,
        },
    })?;
    install(&mut file, pin, dir, &src.display().to_string(), None)
}
