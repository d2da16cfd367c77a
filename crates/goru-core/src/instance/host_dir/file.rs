//! A regular host file the guest opened in a mounted directory, read and
//! written within the directory's limits.

use std::fs::{File, FileTimes};
use std::io::{self, Read, Seek, Write};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, UNIX_EPOCH};

use cap_std::fs::Dir;
use tokio::io::{AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use virtual_fs::{FsError, Metadata, VirtualFile};

use super::Quota;
use crate::HostDir;

/// Reads and writes go straight to the host file: local disk I/O is short,
/// and WASI calls it from the guest's thread.
#[derive(Debug)]
pub(super) struct HostFile {
    file: File,
    meta: Metadata,
    writable: bool,
    append: bool,
    read_limit: u64,
    write_limit: u64,
    quota: Arc<Quota>,
    /// Where the file is, when the mount lets the guest remove it.
    unlink: Option<(Arc<Dir>, PathBuf)>,
    seek: Option<io::Result<u64>>,
}

fn denied() -> io::Error {
    io::Error::from(io::ErrorKind::PermissionDenied)
}

impl HostFile {
    pub(super) fn new(
        file: File,
        meta: Metadata,
        (writable, append): (bool, bool),
        spec: &HostDir,
        quota: Arc<Quota>,
        unlink: Option<(Arc<Dir>, PathBuf)>,
    ) -> Self {
        Self {
            file,
            meta,
            writable,
            append,
            read_limit: spec.read_limit(),
            write_limit: spec.write_limit(),
            quota,
            unlink,
            seek: None,
        }
    }

    fn len(&self) -> u64 {
        self.file.metadata().map_or(self.meta.len, |m| m.len())
    }

    fn read(&mut self, buf: &mut ReadBuf<'_>) -> io::Result<()> {
        let position = self.file.stream_position()?;
        let left = self.read_limit.saturating_sub(position);
        if left == 0 {
            // At the limit: only the end of the file may be read here.
            let mut probe = [0u8; 1];
            return match self.file.read(&mut probe)? {
                0 => Ok(()),
                _ => Err(io::Error::new(
                    io::ErrorKind::FileTooLarge,
                    "the file is larger than the read limit",
                )),
            };
        }
        let room = buf.remaining().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.file.read(buf.initialize_unfilled_to(room))?;
        buf.advance(n);
        Ok(())
    }

    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if !self.writable {
            return Err(denied());
        }
        // An append-mode handle writes at the end whatever its position.
        let at = if self.append {
            self.len()
        } else {
            self.file.stream_position()?
        };
        let end = at.saturating_add(u64::try_from(data.len()).unwrap_or(u64::MAX));
        if end > self.write_limit {
            self.quota.note_refused_write();
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                "the file would pass the write limit",
            ));
        }
        self.file.write(data)
    }
}

impl AsyncRead for HostFile {
    fn poll_read(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.get_mut().read(buf))
    }
}

impl AsyncWrite for HostFile {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(self.get_mut().write(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl AsyncSeek for HostFile {
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

fn system_time(nanos: u64) -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_nanos(nanos)
}

impl VirtualFile for HostFile {
    fn last_accessed(&self) -> u64 {
        self.meta.accessed
    }

    fn last_modified(&self) -> u64 {
        self.meta.modified
    }

    fn created_time(&self) -> u64 {
        self.meta.created
    }

    fn set_times(&mut self, atime: Option<u64>, mtime: Option<u64>) -> virtual_fs::Result<()> {
        if !self.writable {
            return Err(FsError::PermissionDenied);
        }
        let mut times = FileTimes::new();
        if let Some(atime) = atime {
            times = times.set_accessed(system_time(atime));
            self.meta.accessed = atime;
        }
        if let Some(mtime) = mtime {
            times = times.set_modified(system_time(mtime));
            self.meta.modified = mtime;
        }
        Ok(self.file.set_times(times)?)
    }

    fn size(&self) -> u64 {
        self.len()
    }

    fn set_len(&mut self, new_size: u64) -> virtual_fs::Result<()> {
        if !self.writable {
            return Err(FsError::PermissionDenied);
        }
        if new_size > self.write_limit {
            // What wasmer-wasix reports as `ENOSPC`.
            return Err(FsError::WriteZero);
        }
        Ok(self.file.set_len(new_size)?)
    }

    fn unlink(&mut self) -> virtual_fs::Result<()> {
        match &self.unlink {
            Some((dir, path)) => Ok(dir.remove_file(path)?),
            None => Err(FsError::PermissionDenied),
        }
    }

    fn poll_read_ready(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let position = this.file.stream_position()?;
        let left = this.len().min(this.read_limit).saturating_sub(position);
        Poll::Ready(Ok(usize::try_from(left).unwrap_or(usize::MAX)))
    }

    fn poll_write_ready(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.writable {
            Poll::Ready(Ok(8192))
        } else {
            Poll::Ready(Err(denied()))
        }
    }
}
