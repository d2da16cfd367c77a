//! The guest's stdout/stderr sinks: bounded while written, never blocking.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use virtual_fs::VirtualFile;

use super::device::Device;

/// Bytes a guest stream produced, kept up to a cap.
#[derive(Debug, Clone)]
pub(crate) struct Capture(Arc<Mutex<Captured>>);

#[derive(Debug, Default)]
struct Captured {
    bytes: Vec<u8>,
    cap: usize,
    truncated: bool,
}

impl Capture {
    pub(crate) fn new(cap: usize) -> Self {
        Self(Arc::new(Mutex::new(Captured {
            cap,
            ..Captured::default()
        })))
    }

    /// The sink the guest writes into.
    pub(crate) fn file(&self) -> Box<dyn VirtualFile + Send + Sync> {
        Box::new(Device(CaptureFile(self.clone())))
    }

    /// Takes what was captured so far and whether anything was dropped,
    /// leaving the sink empty with its full cap again.
    pub(crate) fn take(&self) -> (Vec<u8>, bool) {
        let mut c = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        (std::mem::take(&mut c.bytes), std::mem::take(&mut c.truncated))
    }

    /// Takes both streams' captures as a run's [`crate::Output`].
    pub(crate) fn take_output(stdout: &Capture, stderr: &Capture) -> crate::Output {
        let (stdout, stdout_truncated) = stdout.take();
        let (stderr, stderr_truncated) = stderr.take();
        crate::Output {
            stdout,
            stderr,
            stdout_truncated,
            stderr_truncated,
        }
    }

    fn append(&self, buf: &[u8]) {
        let mut c = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let room = c.cap.saturating_sub(c.bytes.len());
        if buf.len() > room {
            c.truncated = true;
        }
        let kept = buf.len().min(room);
        c.bytes.extend_from_slice(&buf[..kept]);
    }
}

/// A write-only file: every write "succeeds" so the guest is never stalled
/// or pushed into error paths by the cap; what is over the cap is dropped.
#[derive(Debug)]
struct CaptureFile(Capture);

impl AsyncWrite for CaptureFile {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.0.append(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let mut total = 0;
        for buf in bufs {
            self.0.append(buf);
            total += buf.len();
        }
        Poll::Ready(Ok(total))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for CaptureFile {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        _buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_bytes_up_to_the_cap_and_flags_the_rest() {
        let capture = Capture::new(5);
        capture.append(b"abc");
        capture.append(b"\0ef");
        capture.append(b"gh");
        assert_eq!(capture.take(), (b"abc\0e".to_vec(), true));
    }

    #[test]
    fn exactly_the_cap_is_not_truncated() {
        let capture = Capture::new(3);
        capture.append(b"abc");
        assert_eq!(capture.take(), (b"abc".to_vec(), false));
    }
}
