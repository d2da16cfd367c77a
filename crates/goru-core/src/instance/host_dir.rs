//! Host directories mounted into the guest's filesystem, confined beneath
//! them by cap-std, with the access their [`MountMode`] grants.
//!
//! Every access goes through a `cap_std::fs::Dir`, so no path, `..` or
//! symlink resolves to anything outside the directory; symlinks inside it are
//! shown already followed, and ones that lead out are left out of listings.
//! What the mode does not allow is refused with `PermissionDenied` (the guest
//! sees `EPERM`: Python raises `PermissionError`). Links are never made:
//! one could name a file outside the directory.
//!
//! Only directories and regular files are shown. A FIFO, socket or device
//! in the directory is not listed, cannot be opened and has no metadata
//! (`NotFound`): wasmer-wasix panics on a file type it does not know, and
//! opening a device may act on the host. A file with other hard links is
//! never opened for writing: another of its names may lie outside.
//!
//! Bounds: each file or directory created takes one of the run's host calls,
//! and each file is at most the write limit, so a run can add at most
//! `host_calls × max_write_bytes` bytes to the host (the same as through the
//! `fs.*` host functions).

mod file;

use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::UNIX_EPOCH;

use cap_std::fs::{Dir, MetadataExt, OpenOptionsExt};
use futures::future::BoxFuture;
use virtual_fs::{
    DirEntry, FileOpener, FileSystem, FileType, FsError, Metadata, OpenOptions, OpenOptionsConfig, ReadDir,
    VirtualFile,
};

use super::scratch::{self, Quota, ScratchFs};
use crate::{Error, HostDir, MountMode};
use file::HostFile;

/// Checks the host directories of a run: see [`crate::RunOptions::host_dir`]
/// for the rules.
pub(crate) fn check(dirs: &[HostDir]) -> Result<(), Error> {
    let invalid = |guest: &str, why: &str| Err(Error::InvalidOption(format!("mounted dir {guest:?}: {why}")));
    for (i, dir) in dirs.iter().enumerate() {
        let (guest, host) = (dir.guest_path(), dir.host_path());
        let normal = guest.strip_prefix('/').is_some_and(|rest| {
            rest.split('/')
                .all(|c| !matches!(c, "" | "." | "..") && !c.contains('\0'))
        });
        if !normal {
            return invalid(
                guest,
                "the guest path must be absolute and normalised, and not /, e.g. /data",
            );
        }
        if let Some(reserved) = scratch::DIRS.iter().find(|reserved| within(guest, reserved)) {
            return invalid(guest, &format!("{reserved} is goru's own directory"));
        }
        if let Some(other) = dirs[..i]
            .iter()
            .map(HostDir::guest_path)
            .find(|other| within(guest, other) || within(other, guest))
        {
            let why = if other == guest {
                "given twice".to_owned()
            } else {
                format!("overlaps the mounted dir {other:?}")
            };
            return invalid(guest, &why);
        }
        if !host.is_dir() {
            return invalid(
                guest,
                &format!("the host directory {} is not a directory", host.display()),
            );
        }
    }
    Ok(())
}

/// Whether the normalised guest path `path` is `dir` or lies beneath it.
fn within(path: &str, dir: &str) -> bool {
    path.strip_prefix(dir)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Shows `dir` in `fs`; each creation takes one of `calls_left`.
pub(super) fn mount(fs: &ScratchFs, dir: &HostDir, calls_left: Arc<AtomicUsize>) -> Result<(), Error> {
    let host = dir.host_path();
    let opened = Dir::open_ambient_dir(host, cap_std::ambient_authority())
        .map_err(|e| Error::Setup(format!("opening {}: {e}", host.display())))?;
    let mounted: Arc<dyn FileSystem + Send + Sync> = Arc::new(MountedDir {
        dir: Arc::new(opened),
        spec: dir.clone(),
        calls_left,
        quota: fs.quota(),
    });
    let guest = dir.guest_path();
    fs.mount(Path::new(guest), mounted)
        .map_err(|e| Error::Setup(format!("mounting {guest}: {e}")))
}

#[derive(Debug)]
struct MountedDir {
    dir: Arc<Dir>,
    spec: HostDir,
    calls_left: Arc<AtomicUsize>,
    /// The scratch filesystem's, to tell the `fd_write` wrapper that a write
    /// was refused for its size (the guest sees `ENOSPC`).
    quota: Arc<Quota>,
}

/// The guest's path inside the mount (`/a/b`, always absolute) as a path
/// relative to the directory; `..` cannot climb above the mount's root.
fn relative(path: &Path) -> Result<PathBuf, FsError> {
    let mut rel = PathBuf::new();
    for component in path.components() {
        match component {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(name) => rel.push(name),
            Component::ParentDir => {
                rel.pop();
            }
            Component::Prefix(_) => return Err(FsError::InvalidInput),
        }
    }
    if rel.as_os_str().is_empty() {
        rel.push(".");
    }
    Ok(rel)
}

/// The guest's error for a host one: virtual-fs maps too few kinds (a
/// directory that is not empty would otherwise be `EIO`).
pub(super) fn fs_error(error: io::Error) -> FsError {
    match error.kind() {
        io::ErrorKind::DirectoryNotEmpty => FsError::DirectoryNotEmpty,
        io::ErrorKind::NotADirectory => FsError::BaseNotDirectory,
        io::ErrorKind::IsADirectory => FsError::NotAFile,
        // What wasmer-wasix reports as `ENOSPC`.
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => FsError::WriteZero,
        _ => error.into(),
    }
}

fn nanos(time: io::Result<cap_std::time::SystemTime>) -> u64 {
    time.ok()
        .and_then(|t| t.into_std().duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// The guest's view of a host entry: `None` for anything but a directory or
/// a regular file.
fn metadata(meta: &cap_std::fs::Metadata) -> Option<Metadata> {
    if !meta.is_dir() && !meta.is_file() {
        return None;
    }
    Some(Metadata {
        ft: FileType {
            dir: meta.is_dir(),
            file: meta.is_file(),
            ..FileType::default()
        },
        accessed: nanos(meta.accessed()),
        created: nanos(meta.created()),
        modified: nanos(meta.modified()),
        len: meta.len(),
    })
}

impl MountedDir {
    /// `path` relative to the directory, if the guest path is within the
    /// length limit.
    fn relative(&self, path: &Path) -> Result<PathBuf, FsError> {
        let rel = relative(path)?;
        let guest_len =
            self.spec.guest_path().chars().count() + path.as_os_str().to_string_lossy().chars().count();
        if guest_len > self.spec.path_length_limit() {
            return Err(FsError::InvalidInput);
        }
        Ok(rel)
    }

    /// The metadata of the entry at `rel`, symlinks followed; special files
    /// are not there.
    fn shown(&self, rel: &Path) -> virtual_fs::Result<Metadata> {
        metadata(&self.dir.metadata(rel).map_err(fs_error)?).ok_or(FsError::EntryNotFound)
    }

    fn require(&self, allowed: fn(MountMode) -> bool) -> virtual_fs::Result<()> {
        if allowed(self.spec.mode()) {
            Ok(())
        } else {
            Err(FsError::PermissionDenied)
        }
    }

    /// Takes one of the run's host calls for a new entry; `ENOSPC` once none
    /// are left.
    fn take_creation(&self) -> virtual_fs::Result<()> {
        self.calls_left
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .map(drop)
            .map_err(|_| FsError::WriteZero)
    }

    fn open_for_reading(&self, rel: &Path) -> virtual_fs::Result<cap_std::fs::File> {
        // Only regular files are opened at all: a special file is not there.
        if self.shown(rel)?.is_dir() {
            return Err(FsError::NotAFile);
        }
        let mut options = cap_std::fs::OpenOptions::new();
        // Non-blocking, so a FIFO swapped in since the check above cannot
        // hang the open; what was opened is checked again by the caller.
        options.read(true).custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
        self.dir.open_with(rel, &options).map_err(fs_error)
    }

    fn open_for_writing(
        &self,
        rel: &Path,
        conf: &OpenOptionsConfig,
    ) -> virtual_fs::Result<cap_std::fs::File> {
        self.require(MountMode::allows_write)?;
        let existing = match self.dir.metadata(rel) {
            Ok(meta) => Some(meta),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(fs_error(e)),
        };
        let mut options = cap_std::fs::OpenOptions::new();
        options
            .read(conf.read)
            .write(true)
            .append(conf.append)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
        match existing {
            Some(meta) if meta.is_dir() => Err(FsError::NotAFile),
            Some(meta) if !meta.is_file() => Err(FsError::EntryNotFound),
            Some(_) if conf.create_new => Err(FsError::AlreadyExists),
            // Not truncated on open: what was opened is checked first.
            Some(_) => self.dir.open_with(rel, &options).map_err(fs_error),
            None if !(conf.create || conf.create_new) => Err(FsError::EntryNotFound),
            None => {
                self.require(MountMode::allows_create)?;
                self.take_creation()?;
                // Exclusive, so an entry that appeared since the look above
                // (or a dangling symlink) is never followed into.
                options.create_new(true);
                self.dir.open_with(rel, &options).map_err(fs_error)
            }
        }
    }
}

impl FileSystem for MountedDir {
    fn readlink(&self, _path: &Path) -> virtual_fs::Result<PathBuf> {
        // Symlinks are shown followed: nothing here is a link.
        Err(FsError::InvalidInput)
    }

    fn read_dir(&self, path: &Path) -> virtual_fs::Result<ReadDir> {
        let rel = self.relative(path)?;
        let guest_dir = Path::new("/").join(&rel);
        let mut entries: Vec<DirEntry> = self
            .dir
            .read_dir(&rel)
            .map_err(fs_error)?
            .filter_map(|entry| {
                let name = entry.ok()?.file_name();
                // Following the entry beneath the directory: a link that
                // leads out (or nowhere), or to a special file, is not listed.
                let meta = self.shown(&rel.join(&name)).ok()?;
                Some(DirEntry {
                    path: guest_dir.join(name),
                    metadata: Ok(meta),
                })
            })
            .collect();
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(ReadDir::new(entries))
    }

    fn create_dir(&self, path: &Path) -> virtual_fs::Result<()> {
        let rel = self.relative(path)?;
        self.require(MountMode::allows_create)?;
        self.take_creation()?;
        self.dir.create_dir(rel).map_err(fs_error)
    }

    fn create_symlink(&self, _source: &Path, _target: &Path) -> virtual_fs::Result<()> {
        Err(FsError::PermissionDenied)
    }

    fn hard_link(&self, _source: &Path, _target: &Path) -> virtual_fs::Result<()> {
        Err(FsError::PermissionDenied)
    }

    fn remove_dir(&self, path: &Path) -> virtual_fs::Result<()> {
        let rel = self.relative(path)?;
        self.require(MountMode::allows_write)?;
        if rel == Path::new(".") {
            return Err(FsError::PermissionDenied);
        }
        self.dir.remove_dir(rel).map_err(fs_error)
    }

    fn rename<'a>(&'a self, from: &'a Path, to: &'a Path) -> BoxFuture<'a, virtual_fs::Result<()>> {
        Box::pin(async move {
            let (from, to) = (self.relative(from)?, self.relative(to)?);
            // A rename makes a name: only where names may be made.
            self.require(MountMode::allows_create)?;
            if from == Path::new(".") || to == Path::new(".") {
                return Err(FsError::PermissionDenied);
            }
            // Special files, and links leading out, are not there to move.
            self.shown(&from)?;
            self.dir.rename(from, &self.dir, to).map_err(fs_error)
        })
    }

    fn metadata(&self, path: &Path) -> virtual_fs::Result<Metadata> {
        self.shown(&self.relative(path)?)
    }

    fn symlink_metadata(&self, path: &Path) -> virtual_fs::Result<Metadata> {
        self.metadata(path)
    }

    fn remove_file(&self, path: &Path) -> virtual_fs::Result<()> {
        let rel = self.relative(path)?;
        self.require(MountMode::allows_write)?;
        // A link is removed, not followed; a special file is not there.
        let kind = self.dir.symlink_metadata(&rel).map_err(fs_error)?.file_type();
        if !(kind.is_file() || kind.is_symlink()) {
            return Err(FsError::EntryNotFound);
        }
        self.dir.remove_file(rel).map_err(fs_error)
    }

    fn new_open_options(&self) -> OpenOptions<'_> {
        OpenOptions::new(self)
    }
}

impl FileOpener for MountedDir {
    fn open(
        &self,
        path: &Path,
        conf: &OpenOptionsConfig,
    ) -> virtual_fs::Result<Box<dyn VirtualFile + Send + Sync + 'static>> {
        let rel = self.relative(path)?;
        let writes = conf.write || conf.append || conf.truncate || conf.create || conf.create_new;
        if conf.truncate && !conf.write {
            return Err(FsError::PermissionDenied);
        }
        let file = if writes {
            self.open_for_writing(&rel, conf)?
        } else {
            self.open_for_reading(&rel)?
        };
        let meta = file.metadata().map_err(fs_error)?;
        if meta.is_dir() {
            return Err(FsError::NotAFile);
        }
        let shown = metadata(&meta).ok_or(FsError::EntryNotFound)?;
        if writes && meta.nlink() > 1 {
            return Err(FsError::PermissionDenied);
        }
        if conf.truncate {
            file.set_len(0).map_err(fs_error)?;
        }
        let unlink = self.spec.mode().allows_write().then(|| (self.dir.clone(), rel));
        Ok(Box::new(HostFile::new(
            file.into_std(),
            shown,
            (writes, conf.append),
            &self.spec,
            self.quota.clone(),
            unlink,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(dirs: &[(&str, &Path)]) -> Result<(), String> {
        let dirs: Vec<HostDir> = dirs
            .iter()
            .map(|(g, h)| HostDir::new(*g, *h, MountMode::ReadOnly))
            .collect();
        check(&dirs).map_err(|e| e.to_string())
    }

    #[test]
    fn guest_paths_are_absolute_normalised_apart_and_not_gorus() {
        let host = tempfile::tempdir().expect("tempdir");
        let host = host.path();
        assert_eq!(
            checked(&[("/data", host), ("/srv/models", host), ("/datas", host)]),
            Ok(())
        );
        for (dirs, why) in [
            (&[("data", host)][..], "absolute and normalised"),
            (&[("/", host)], "absolute and normalised"),
            (&[("/data/", host)], "absolute and normalised"),
            (&[("/a//b", host)], "absolute and normalised"),
            (&[("/a/./b", host)], "absolute and normalised"),
            (&[("/a/../tmp", host)], "absolute and normalised"),
            (&[("/tmp", host)], "/tmp is goru's own directory"),
            (&[("/.goru/x", host)], "/.goru is goru's own directory"),
            (&[("/dev/sda", host)], "/dev is goru's own directory"),
            (&[("/data", host), ("/data", host)], "given twice"),
            (
                &[("/data", host), ("/data/inner", host)],
                "overlaps the mounted dir \"/data\"",
            ),
            (&[("/data/inner", host), ("/data", host)], "overlaps"),
            (&[("/data", &host.join("missing"))], "is not a directory"),
        ] {
            let message = checked(dirs).expect_err(why);
            assert!(
                message.starts_with("invalid option: mounted dir ") && message.contains(why),
                "{message}"
            );
        }
    }
}
