//! Writes a candidate beside its destination, verifies it, then renames it into place.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::progress::Progress;
use crate::{FetchError, Pin, verify};

/// Prefix of temporary files in the runtimes directory (git-ignored as `.partial-*`).
pub(crate) const PARTIAL_PREFIX: &str = ".partial-";

/// Streams `reader` (the bytes from source `what`) into a temporary file in `dir`,
/// hashing as it goes, and renames it to the pin's file name only if size and SHA-256
/// match. Reads at most one byte more than pinned, so a wrong source cannot fill the disk.
///
/// The rename is atomic, so concurrent callers each install a complete, verified copy
/// and readers never see a partial file.
pub(crate) fn install(
    reader: &mut dyn Read,
    pin: &Pin,
    dir: &Path,
    what: &str,
    mut progress: Option<Progress>,
) -> Result<PathBuf, FetchError> {
    let dest = pin.path_in(dir);
    let mut tmp = tempfile::Builder::new()
        .prefix(PARTIAL_PREFIX)
        .suffix(&format!("-{}", pin.file))
        .tempfile_in(dir)
        .map_err(|e| io_err(format!("cannot create a temporary file in {}", dir.display()), e))?;

    let mut limited = reader.take(pin.size + 1);
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match limited.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_err(format!("cannot read {what}"), e)),
        };
        hasher.update(&buf[..n]);
        tmp.write_all(&buf[..n])
            .map_err(|e| io_err(format!("cannot write {}", tmp.path().display()), e))?;
        size += n as u64;
        if let Some(p) = progress.as_mut() {
            p.advance(n as u64);
        }
    }
    verify::compare(what, pin, size, &hasher.finalize())?;

    tmp.as_file()
        .sync_all()
        .map_err(|e| io_err(format!("cannot sync {}", tmp.path().display()), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let perms = std::fs::Permissions::from_mode(0o644);
        std::fs::set_permissions(tmp.path(), perms)
            .map_err(|e| io_err(format!("cannot chmod {}", tmp.path().display()), e))?;
    }
    tmp.persist(&dest)
        .map_err(|e| io_err(format!("cannot rename into {}", dest.display()), e.error))?;
    Ok(dest)
}

fn io_err(context: String, error: io::Error) -> FetchError {
    FetchError::Io { context, error }
}
