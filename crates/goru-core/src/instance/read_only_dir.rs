//! A host directory mounted into the guest's filesystem that the guest can
//! read but never change, confined beneath it by cap-std.
//!
//! Every access goes through a `cap_std::fs::Dir`, so no path, `..` or
//! symlink resolves to anything outside the directory; symlinks inside it are
//! shown already followed, and ones that lead out are left out of listings.
//! Anything that would write, create, rename or delete is refused with
//! `PermissionDenied` (the guest sees `EPERM`: Python raises `PermissionError`).
//!
//! Only directories and regular files are shown. A FIFO, socket or device
//! in the directory is not listed, cannot be opened and has no metadata
//! (`NotFound`): wasmer-wasix panics on a file type it does not know, and
//! opening a device may act on the host.

use std::io::{self, Read, Seek};
use std::path::{Component, Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::UNIX_EPOCH;

use cap_std::fs::{Dir, OpenOptionsExt};
use futures::future::BoxFuture;
use tokio::io::{AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use virtual_fs::{
    DirEntry, FileOpener, FileSystem, FileType, FsError, Metadata, OpenOptions, OpenOptionsConfig, ReadDir,
    VirtualFile,
};

use super::scratch::{self, ScratchFs};
use crate::Error;

/// Checks the read-only directories of a run, `(guest path, host
/// directory)`: see [`crate::RunOptions::read_only_dir`] for the rules.
pub(crate) fn check(dirs: &[(String, PathBuf)]) -> Result<(), Error> {
    let invalid =
        |guest: &str, why: &str| Err(Error::InvalidOption(format!("read-only dir {guest:?}: {why}")));
    for (i, (guest, host)) in dirs.iter().enumerate() {
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
        if let Some(reserved) = scratch::DIRS.iter().find(|dir| within(guest, dir)) {
            return invalid(guest, &format!("{reserved} is goru's own directory"));
        }
        if let Some((other, _)) = dirs[..i]
            .iter()
            .find(|(other, _)| within(guest, other) || within(other, guest))
        {
            let why = if other == guest {
                "given twice".to_owned()
            } else {
                format!("overlaps the read-only dir {other:?}")
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

/// Shows the host directory `host` at `guest` in `fs`, read-only.
pub(super) fn mount(fs: &ScratchFs, guest: &str, host: &Path) -> Result<(), Error> {
    let dir = Dir::open_ambient_dir(host, cap_std::ambient_authority())
        .map_err(|e| Error::Setup(format!("opening {}: {e}", host.display())))?;
    let read_only: Arc<dyn FileSystem + Send + Sync> = Arc::new(ReadOnlyDir { dir });
    fs.mount(Path::new(guest), read_only)
        .map_err(|e| Error::Setup(format!("mounting {guest}: {e}")))
}

#[derive(Debug)]
struct ReadOnlyDir {
    dir: Dir,
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

impl ReadOnlyDir {
    /// The metadata of the entry at `rel`, symlinks followed; special files
    /// are not there.
    fn shown(&self, rel: &Path) -> virtual_fs::Result<Metadata> {
        metadata(&self.dir.metadata(rel)?).ok_or(FsError::EntryNotFound)
    }
}

impl FileSystem for ReadOnlyDir {
    fn readlink(&self, _path: &Path) -> virtual_fs::Result<PathBuf> {
        // Symlinks are shown followed: nothing here is a link.
        Err(FsError::InvalidInput)
    }

    fn read_dir(&self, path: &Path) -> virtual_fs::Result<ReadDir> {
        let rel = relative(path)?;
        let guest_dir = Path::new("/").join(&rel);
        let mut entries: Vec<DirEntry> = self
            .dir
            .read_dir(&rel)?
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

    fn create_dir(&self, _path: &Path) -> virtual_fs::Result<()> {
        Err(FsError::PermissionDenied)
    }

    fn create_symlink(&self, _source: &Path, _target: &Path) -> virtual_fs::Result<()> {
        Err(FsError::PermissionDenied)
    }

    fn hard_link(&self, _source: &Path, _target: &Path) -> virtual_fs::Result<()> {
        Err(FsError::PermissionDenied)
    }

    fn remove_dir(&self, _path: &Path) -> virtual_fs::Result<()> {
        Err(FsError::PermissionDenied)
    }

    fn rename<'a>(&'a self, _from: &'a Path, _to: &'a Path) -> BoxFuture<'a, virtual_fs::Result<()>> {
        Box::pin(async { Err(FsError::PermissionDenied) })
    }

    fn metadata(&self, path: &Path) -> virtual_fs::Result<Metadata> {
        self.shown(&relative(path)?)
    }

    fn symlink_metadata(&self, path: &Path) -> virtual_fs::Result<Metadata> {
        self.metadata(path)
    }

    fn remove_file(&self, _path: &Path) -> virtual_fs::Result<()> {
        Err(FsError::PermissionDenied)
    }

    fn new_open_options(&self) -> OpenOptions<'_> {
        OpenOptions::new(self)
    }
}

impl FileOpener for ReadOnlyDir {
    fn open(
        &self,
        path: &Path,
        conf: &OpenOptionsConfig,
    ) -> virtual_fs::Result<Box<dyn VirtualFile + Send + Sync + 'static>> {
        if conf.write || conf.append || conf.truncate || conf.create || conf.create_new {
            return Err(FsError::PermissionDenied);
        }
        let rel = relative(path)?;
        // Only regular files are opened at all: a special file is not there.
        if self.shown(&rel)?.is_dir() {
            return Err(FsError::NotAFile);
        }
        let mut options = cap_std::fs::OpenOptions::new();
        // Non-blocking, so a FIFO swapped in since the check above cannot
        // hang the open; what was opened is checked again below.
        options.read(true).custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
        let file = self.dir.open_with(rel, &options)?;
        let meta = file.metadata()?;
        if meta.is_dir() {
            return Err(FsError::NotAFile);
        }
        let meta = metadata(&meta).ok_or(FsError::EntryNotFound)?;
        Ok(Box::new(ReadOnlyFile {
            meta,
            file: file.into_std(),
            seek: None,
        }))
    }
}

/// A regular file opened for reading. Reads go straight to the host file:
/// local disk reads are short, and WASI calls them from the guest's thread.
#[derive(Debug)]
struct ReadOnlyFile {
    file: std::fs::File,
    meta: Metadata,
    seek: Option<io::Result<u64>>,
}

fn denied() -> io::Error {
    io::Error::from(io::ErrorKind::PermissionDenied)
}

impl AsyncRead for ReadOnlyFile {
    fn poll_read(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        Poll::Ready(this.file.read(buf.initialize_unfilled()).map(|n| buf.advance(n)))
    }
}

impl AsyncWrite for ReadOnlyFile {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, _buf: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(Err(denied()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl AsyncSeek for ReadOnlyFile {
    fn start_seek(self: Pin<&mut Self>, position: io::SeekFrom) -> io::Result<()> {
        let this = self.get_mut();
        this.seek = Some(this.file.seek(position));
        Ok(())
    }

    fn poll_complete(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let this = self.get_mut();
        Poll::Ready(this.seek.take().unwrap_or_else(|| this.file.stream_position()))
    }
}

impl VirtualFile for ReadOnlyFile {
    fn last_accessed(&self) -> u64 {
        self.meta.accessed
    }

    fn last_modified(&self) -> u64 {
        self.meta.modified
    }

    fn created_time(&self) -> u64 {
        self.meta.created
    }

    fn set_times(&mut self, _atime: Option<u64>, _mtime: Option<u64>) -> virtual_fs::Result<()> {
        Err(FsError::PermissionDenied)
    }

    fn size(&self) -> u64 {
        self.meta.len
    }

    fn set_len(&mut self, _new_size: u64) -> virtual_fs::Result<()> {
        Err(FsError::PermissionDenied)
    }

    fn unlink(&mut self) -> virtual_fs::Result<()> {
        Err(FsError::PermissionDenied)
    }

    fn poll_read_ready(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let position = this.file.stream_position()?;
        let left = this.meta.len.saturating_sub(position);
        Poll::Ready(Ok(usize::try_from(left).unwrap_or(usize::MAX)))
    }

    fn poll_write_ready(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        Poll::Ready(Err(denied()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(dirs: &[(&str, &Path)]) -> Result<(), String> {
        let dirs: Vec<(String, PathBuf)> = dirs
            .iter()
            .map(|(g, h)| ((*g).to_owned(), h.to_path_buf()))
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
                "overlaps the read-only dir \"/data\"",
            ),
            (&[("/data/inner", host), ("/data", host)], "overlaps"),
            (&[("/data", &host.join("missing"))], "is not a directory"),
        ] {
            let message = checked(dirs).expect_err(why);
            assert!(
                message.starts_with("invalid option: read-only dir ") && message.contains(why),
                "{message}"
            );
        }
    }
}
