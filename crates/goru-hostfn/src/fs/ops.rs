//! The operations a guest may perform on its mounts, each checked against the mount's mode.
//!
//! Every host access goes through the mount's `cap_std::fs::Dir` with a relative path, so
//! symlinks and `..` are resolved by cap-std, which refuses anything leading out of the mount.

use std::io::{self, Read, Write};
use std::time::UNIX_EPOCH;

use cap_std::fs::{Metadata, MetadataExt, OpenOptions};
use serde::Serialize;

use super::error::FsError;
use super::filesystem::Filesystem;

/// One entry of a directory listing.
///
/// Symlinks that resolve inside the mount are described by their target; others (broken, or
/// leading out of the mount) are listed as files of size 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirEntry {
    /// The entry's name; a name that is not UTF-8 is shown with U+FFFD replacements.
    pub name: String,
    /// Whether the entry is a directory.
    pub is_dir: bool,
    /// The size in bytes, as the host reports it.
    pub size: u64,
}

/// What [`Filesystem::stat`] reports about a file or directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stat {
    /// The last component of the virtual path.
    pub name: String,
    /// The size in bytes, as the host reports it.
    pub size: u64,
    /// Whether it is a directory.
    pub is_dir: bool,
    /// The last modification time, in seconds since the Unix epoch (0 if the host has none).
    pub mod_time: i64,
}

fn denied(path: &str, reason: &'static str) -> FsError {
    FsError::PermissionDenied {
        path: path.to_owned(),
        reason,
    }
}

impl Filesystem {
    /// Reads a whole file. Needs any mode.
    ///
    /// Fails with a `limit` error if the file is larger than
    /// [`FsConfig::max_read_bytes`](super::FsConfig::max_read_bytes).
    pub fn read(&self, path: &str) -> Result<Vec<u8>, FsError> {
        let resolved = self.resolve(path)?;
        let dir = &resolved.mount.dir;
        let limit = self.config.read_limit();
        let io_err = |err: io::Error| FsError::from_io(&err, path);
        // Looking before opening keeps a FIFO or device in the host directory from blocking
        // or acting on open.
        check_readable(&dir.metadata(&resolved.relative).map_err(io_err)?, path, limit)?;
        let file = dir.open(&resolved.relative).map_err(io_err)?;
        // What was opened may not be what was looked at, and a file may grow while being read.
        let metadata = file.metadata().map_err(io_err)?;
        check_readable(&metadata, path, limit)?;
        let mut data = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
        file.take(limit.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(io_err)?;
        if u64::try_from(data.len()).map_or(true, |len| len > limit) {
            return Err(FsError::ReadTooLarge {
                path: path.to_owned(),
                limit,
            });
        }
        Ok(data)
    }

    /// Reads a whole file as UTF-8 text. Needs any mode.
    pub fn read_text(&self, path: &str) -> Result<String, FsError> {
        String::from_utf8(self.read(path)?).map_err(|_| FsError::InvalidUtf8 {
            path: path.to_owned(),
        })
    }

    /// Replaces a file's content with `data`.
    ///
    /// Overwriting an existing file needs `rw`; creating one needs `rwc`. Nothing is touched
    /// when the mode forbids the write, `data` exceeds
    /// [`FsConfig::max_write_bytes`](super::FsConfig::max_write_bytes), or the file has more
    /// than one hard link (another name for it may lie outside the mount).
    pub fn write(&self, path: &str, data: &[u8]) -> Result<(), FsError> {
        let resolved = self.resolve(path)?;
        let mode = resolved.mount.mode;
        if !mode.allows_write() {
            return Err(denied(path, "the mount is read-only"));
        }
        let limit = self.config.write_limit();
        let len = u64::try_from(data.len()).unwrap_or(u64::MAX);
        if len > limit {
            return Err(FsError::WriteTooLarge {
                path: path.to_owned(),
                len,
                limit,
            });
        }
        let dir = &resolved.mount.dir;
        let io_err = |err: io::Error| FsError::from_io(&err, path);
        let exists = match dir.metadata(&resolved.relative) {
            Ok(metadata) if metadata.is_dir() => {
                return Err(FsError::IsADirectory {
                    path: path.to_owned(),
                });
            }
            // Opening a FIFO for writing would block until a reader comes.
            Ok(metadata) if !metadata.is_file() => return Err(denied(path, "not a regular file")),
            Ok(_) => true,
            Err(err) if err.kind() == io::ErrorKind::NotFound => false,
            Err(err) => return Err(io_err(err)),
        };
        let no_create = || denied(path, "the mount does not allow creating files");
        if !exists && !mode.allows_create() {
            return Err(no_create());
        }
        let mut options = OpenOptions::new();
        // Without create, a file removed since the look above is not recreated on an rw mount.
        // Not truncated on open: what was opened is checked first.
        options.write(true).create(mode.allows_create());
        let mut file = dir.open_with(&resolved.relative, &options).map_err(|err| {
            if err.kind() == io::ErrorKind::NotFound && !mode.allows_create() {
                no_create()
            } else {
                io_err(err)
            }
        })?;
        let metadata = file.metadata().map_err(io_err)?;
        if !metadata.is_file() {
            return Err(denied(path, "not a regular file"));
        }
        // A hard link is the same file under another name, which may lie outside every mount:
        // writing through it would change that file too. (The guest cannot make links; this
        // is about ones already in the host directory.)
        if metadata.nlink() > 1 {
            return Err(denied(path, "the file has other hard links"));
        }
        file.set_len(0).map_err(io_err)?;
        file.write_all(data).map_err(io_err)
    }

    /// Lists a directory, sorted by name. Needs any mode.
    pub fn list_dir(&self, path: &str) -> Result<Vec<DirEntry>, FsError> {
        let resolved = self.resolve(path)?;
        let io_err = |err: io::Error| FsError::from_io(&err, path);
        let dir = resolved.mount.dir.open_dir(&resolved.relative).map_err(io_err)?;
        let mut entries = Vec::new();
        for entry in dir.entries().map_err(io_err)? {
            let entry = entry.map_err(io_err)?;
            let file_name = entry.file_name();
            // Through `dir`, so a symlink is followed only while it stays inside the mount.
            let (is_dir, size) = match dir.metadata(&file_name) {
                Ok(metadata) => (metadata.is_dir(), metadata.len()),
                Err(_) => match entry.metadata() {
                    // A symlink's own size is its target's length: nothing the guest should learn.
                    Ok(metadata) if metadata.is_symlink() => (false, 0),
                    Ok(metadata) => (metadata.is_dir(), metadata.len()),
                    // Removed since the directory was read.
                    Err(_) => continue,
                },
            };
            entries.push(DirEntry {
                name: file_name.to_string_lossy().into_owned(),
                is_dir,
                size,
            });
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    /// Whether the path names something reachable. Needs any mode.
    ///
    /// Errs only for an invalid path; a path under no mount, a broken symlink, or one leading
    /// out of the mount, does not exist as far as the guest can tell (as in goru).
    pub fn exists(&self, path: &str) -> Result<bool, FsError> {
        match self.resolve(path) {
            Ok(resolved) => Ok(resolved.mount.dir.metadata(&resolved.relative).is_ok()),
            Err(FsError::NoMount { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Describes a file or directory, following symlinks inside the mount. Needs any mode.
    pub fn stat(&self, path: &str) -> Result<Stat, FsError> {
        let resolved = self.resolve(path)?;
        let metadata = resolved
            .mount
            .dir
            .metadata(&resolved.relative)
            .map_err(|err| FsError::from_io(&err, path))?;
        Ok(Stat {
            name: resolved.name,
            size: metadata.len(),
            is_dir: metadata.is_dir(),
            mod_time: unix_seconds(&metadata),
        })
    }

    /// Creates a directory and any missing parents; succeeds if it already is a directory.
    /// Needs `rwc`.
    pub fn mkdir(&self, path: &str) -> Result<(), FsError> {
        let resolved = self.resolve(path)?;
        if !resolved.mount.mode.allows_create() {
            return Err(denied(path, "the mount does not allow creating directories"));
        }
        if resolved.is_mount_root() {
            return Ok(());
        }
        resolved
            .mount
            .dir
            .create_dir_all(&resolved.relative)
            .map_err(|err| FsError::from_io(&err, path))
    }

    /// Removes a file, a symlink (not its target) or an empty directory. Needs `rw`.
    pub fn remove(&self, path: &str) -> Result<(), FsError> {
        let resolved = self.resolve(path)?;
        if !resolved.mount.mode.allows_write() {
            return Err(denied(path, "the mount is read-only"));
        }
        if resolved.is_mount_root() {
            return Err(denied(path, "a mount point cannot be removed"));
        }
        let dir = &resolved.mount.dir;
        let io_err = |err: io::Error| FsError::from_io(&err, path);
        // symlink_metadata, so that a symlink to a directory is unlinked rather than rmdir'ed.
        if dir.symlink_metadata(&resolved.relative).map_err(io_err)?.is_dir() {
            dir.remove_dir(&resolved.relative).map_err(io_err)
        } else {
            dir.remove_file(&resolved.relative).map_err(io_err)
        }
    }
}

/// Refuses what `read` must not return: directories, special files, files over the limit.
fn check_readable(metadata: &Metadata, path: &str, limit: u64) -> Result<(), FsError> {
    if metadata.is_dir() {
        Err(FsError::IsADirectory {
            path: path.to_owned(),
        })
    } else if !metadata.is_file() {
        Err(denied(path, "not a regular file"))
    } else if metadata.len() > limit {
        Err(FsError::ReadTooLarge {
            path: path.to_owned(),
            limit,
        })
    } else {
        Ok(())
    }
}

fn unix_seconds(metadata: &Metadata) -> i64 {
    let Ok(modified) = metadata.modified() else {
        return 0;
    };
    match modified.into_std().duration_since(UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |secs| -secs),
    }
}
