//! Device files of the scratch filesystem (the host-call channel,
//! `/dev/null`, ...): every open handle shares the one device.

use std::io;
use std::pin::Pin;
use std::sync::{MutexGuard, PoisonError};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use virtual_fs::VirtualFile;

use super::Link;
use super::tree::Device;

/// An open device: what every call does goes to the shared device, as it
/// would to a character device.
#[derive(Debug)]
pub(super) struct OpenDevice {
    device: Device,
    link: Link,
}

impl OpenDevice {
    pub(super) fn new(device: Device, link: Link) -> Self {
        Self { device, link }
    }

    fn device(&self) -> MutexGuard<'_, Box<dyn VirtualFile + Send + Sync>> {
        self.device.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl AsyncRead for OpenDevice {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.device().as_mut()).poll_read(cx, buf)
    }
}

impl AsyncWrite for OpenDevice {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(self.device().as_mut()).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.device().as_mut()).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.device().as_mut()).poll_shutdown(cx)
    }
}

impl AsyncSeek for OpenDevice {
    fn start_seek(self: Pin<&mut Self>, position: io::SeekFrom) -> io::Result<()> {
        Pin::new(self.device().as_mut()).start_seek(position)
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        Pin::new(self.device().as_mut()).poll_complete(cx)
    }
}

impl VirtualFile for OpenDevice {
    fn last_accessed(&self) -> u64 {
        self.device().last_accessed()
    }

    fn last_modified(&self) -> u64 {
        self.device().last_modified()
    }

    fn created_time(&self) -> u64 {
        self.device().created_time()
    }

    fn set_times(&mut self, atime: Option<u64>, mtime: Option<u64>) -> virtual_fs::Result<()> {
        self.device().set_times(atime, mtime)
    }

    fn size(&self) -> u64 {
        self.device().size()
    }

    fn set_len(&mut self, new_size: u64) -> virtual_fs::Result<()> {
        self.device().set_len(new_size)
    }

    fn unlink(&mut self) -> virtual_fs::Result<()> {
        self.link.unlink()
    }

    fn get_special_fd(&self) -> Option<u32> {
        self.device().get_special_fd()
    }

    fn poll_read_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        Pin::new(self.device().as_mut()).poll_read_ready(cx)
    }

    fn poll_write_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        Pin::new(self.device().as_mut()).poll_write_ready(cx)
    }
}
