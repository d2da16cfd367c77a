//! Size and SHA-256 verification of files and byte streams.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::{FetchError, Pin};

/// Verifies the file at `path` against `pin`: present, right size, right digest.
pub(crate) fn check_file(path: &Path, pin: &Pin) -> Result<(), FetchError> {
    let what = path.display().to_string();
    let io_err = |e: io::Error| FetchError::Io {
        context: format!("cannot read {what}"),
        error: e,
    };
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(FetchError::Missing {
                path: path.to_owned(),
            });
        }
        Err(e) => return Err(io_err(e)),
    };
    let size = file.metadata().map_err(io_err)?.len();
    if size != pin.size {
        return Err(size_mismatch(&what, pin, size));
    }
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(io_err)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    compare(&what, pin, size, &hasher.finalize())
}

/// Checks a measured `size` and `digest` against `pin`; `what` names the bytes.
pub(crate) fn compare(what: &str, pin: &Pin, size: u64, digest: &[u8]) -> Result<(), FetchError> {
    if size != pin.size {
        return Err(size_mismatch(what, pin, size));
    }
    let actual = hex::encode(digest);
    if actual != pin.sha256 {
        return Err(FetchError::HashMismatch {
            what: what.to_owned(),
            expected: pin.sha256.clone(),
            actual,
        });
    }
    Ok(())
}

fn size_mismatch(what: &str, pin: &Pin, actual: u64) -> FetchError {
    FetchError::SizeMismatch {
        what: what.to_owned(),
        expected: pin.size,
        actual,
    }
}
