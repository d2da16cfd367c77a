//! The guest's stdout/stderr sinks: bounded while written, and streamed to
//! the run's output channel (if it has one) as they are written.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::sync::PollSender;
use virtual_fs::VirtualFile;

use super::control::RunControl;
use super::device::Device;
use crate::output::{OutputChunk, OutputSender, OutputStream};

/// Bytes a guest stream produced, kept up to a cap.
#[derive(Debug, Clone)]
pub(crate) struct Capture(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    stream: OutputStream,
    captured: Mutex<Captured>,
    /// Where the kept bytes are streamed as well, if anywhere.
    sink: Mutex<Option<PollSender<OutputChunk>>>,
}

#[derive(Debug, Default)]
struct Captured {
    bytes: Vec<u8>,
    cap: usize,
    truncated: bool,
}

impl Capture {
    pub(crate) fn new(stream: OutputStream, cap: usize) -> Self {
        Self(Arc::new(Shared {
            stream,
            captured: Mutex::new(Captured {
                cap,
                ..Captured::default()
            }),
            sink: Mutex::new(None),
        }))
    }

    /// The sink the guest writes into; its writes stop waiting for a full
    /// output channel once `control`'s run is stopped.
    pub(crate) fn file(&self, control: &Arc<RunControl>) -> Box<dyn VirtualFile + Send + Sync> {
        let control = control.clone();
        Box::new(Device(CaptureFile {
            capture: self.clone(),
            stop: Box::pin(async move { control.stop_requested().await }),
            stopped: false,
        }))
    }

    /// Streams what is kept from now on to `sender` (none: stops streaming).
    pub(crate) fn stream_to(&self, sender: Option<&OutputSender>) {
        *self.0.sink.lock().unwrap_or_else(PoisonError::into_inner) =
            sender.map(|sender| PollSender::new(sender.0.clone()));
    }

    /// Takes what was captured so far and whether anything was dropped,
    /// leaving the sink empty with its full cap again.
    pub(crate) fn take(&self) -> (Vec<u8>, bool) {
        let mut c = self.captured();
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

    fn captured(&self) -> std::sync::MutexGuard<'_, Captured> {
        self.0.captured.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the cap leaves room for another byte.
    fn has_room(&self) -> bool {
        let c = self.captured();
        c.bytes.len() < c.cap
    }

    /// Keeps what fits of `buf`; returns the bytes kept.
    fn append<'b>(&self, buf: &'b [u8]) -> &'b [u8] {
        let mut c = self.captured();
        let room = c.cap.saturating_sub(c.bytes.len());
        if buf.len() > room {
            c.truncated = true;
        }
        let kept = &buf[..buf.len().min(room)];
        c.bytes.extend_from_slice(kept);
        kept
    }
}

/// A write-only file: every write "succeeds" so the guest is never pushed
/// into error paths by the cap; what is over the cap is dropped. With an
/// output channel, a write waits for room in it (until the run is stopped).
struct CaptureFile {
    capture: Capture,
    stop: Pin<Box<dyn Future<Output = ()> + Send + Sync>>,
    stopped: bool,
}

impl std::fmt::Debug for CaptureFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureFile")
            .field("capture", &self.capture)
            .field("stopped", &self.stopped)
            .finish_non_exhaustive()
    }
}

impl CaptureFile {
    fn write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let shared = self.capture.0.clone();
        let mut sink = shared.sink.lock().unwrap_or_else(PoisonError::into_inner);
        // Room in the channel first, so a write that has to wait keeps nothing
        // yet: the guest writes the same bytes again when woken.
        let mut reserved = false;
        if let Some(sender) = sink.as_mut()
            && !buf.is_empty()
            && self.capture.has_room()
        {
            if !self.stopped && self.stop.as_mut().poll(cx).is_ready() {
                self.stopped = true;
            }
            if !self.stopped {
                match sender.poll_reserve(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(())) => reserved = true,
                    // The receiver is gone: collecting goes on, streaming stops.
                    Poll::Ready(Err(_)) => *sink = None,
                }
            }
        }
        let kept = self.capture.append(buf);
        if let Some(sender) = sink.as_mut()
            && !kept.is_empty()
        {
            let chunk = OutputChunk {
                stream: shared.stream,
                bytes: kept.to_vec(),
            };
            if reserved {
                let _ = sender.send_item(chunk);
            } else if let Some(sender) = sender.get_ref() {
                // Stopped: no waiting; what does not fit is in the result only.
                let _ = sender.try_send(chunk);
            }
        }
        Poll::Ready(Ok(buf.len()))
    }
}

impl AsyncWrite for CaptureFile {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.get_mut().write(cx, buf)
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
    use std::time::Duration;

    use futures::task::noop_waker_ref;

    use super::*;
    use crate::instance::control::StopReason;
    use crate::output::output_channel;

    fn capture(cap: usize) -> Capture {
        Capture::new(OutputStream::Stdout, cap)
    }

    #[test]
    fn keeps_bytes_up_to_the_cap_and_flags_the_rest() {
        let capture = capture(5);
        capture.append(b"abc");
        capture.append(b"\0ef");
        capture.append(b"gh");
        assert_eq!(capture.take(), (b"abc\0e".to_vec(), true));
    }

    #[test]
    fn exactly_the_cap_is_not_truncated() {
        let capture = capture(3);
        capture.append(b"abc");
        assert_eq!(capture.take(), (b"abc".to_vec(), false));
    }

    fn write(file: &mut CaptureFile, bytes: &[u8]) -> Poll<io::Result<usize>> {
        file.write(&mut Context::from_waker(noop_waker_ref()), bytes)
    }

    fn file(capture: &Capture, control: &Arc<RunControl>) -> CaptureFile {
        CaptureFile {
            capture: capture.clone(),
            stop: Box::pin({
                let control = control.clone();
                async move { control.stop_requested().await }
            }),
            stopped: false,
        }
    }

    #[test]
    fn streams_what_the_cap_keeps_and_waits_for_a_full_channel_until_stopped() {
        let control = Arc::new(RunControl::new(Duration::from_secs(3600)));
        let capture = capture(1 << 20);
        let (sender, mut receiver) = output_channel();
        capture.stream_to(Some(&sender));
        let mut file = file(&capture, &control);
        for _ in 0..64 {
            assert!(matches!(write(&mut file, b"x"), Poll::Ready(Ok(1))));
        }
        // The channel is full: the guest's write waits, keeping nothing.
        assert!(write(&mut file, b"y").is_pending());
        assert_eq!(capture.take().0.len(), 64);
        assert_eq!(receiver.blocking_recv().map(|c| c.bytes), Some(b"x".to_vec()));
        assert!(matches!(write(&mut file, b"y"), Poll::Ready(Ok(1))));
        // Full again; once the run is stopped a write no longer waits.
        assert!(write(&mut file, b"z").is_pending());
        control.stop(StopReason::Timeout);
        assert!(matches!(write(&mut file, b"z"), Poll::Ready(Ok(1))));
        assert_eq!(capture.take().0, b"yz");
    }

    #[test]
    fn the_cap_bounds_the_stream_and_a_dropped_receiver_is_no_error() {
        let control = Arc::new(RunControl::new(Duration::from_secs(3600)));
        let capture = capture(4);
        let (sender, mut receiver) = output_channel();
        capture.stream_to(Some(&sender));
        drop(sender);
        let mut file = file(&capture, &control);
        assert!(matches!(write(&mut file, b"abcdef"), Poll::Ready(Ok(6))));
        assert!(matches!(write(&mut file, b"gh"), Poll::Ready(Ok(2))));
        capture.stream_to(None);
        assert_eq!(receiver.blocking_recv().map(|c| c.bytes), Some(b"abcd".to_vec()));
        assert_eq!(receiver.blocking_recv(), None, "nothing past the cap");
        assert_eq!(capture.take(), (b"abcd".to_vec(), true));

        let (sender, receiver) = output_channel();
        capture.stream_to(Some(&sender));
        drop((sender, receiver));
        assert!(matches!(write(&mut file, b"ij"), Poll::Ready(Ok(2))));
        assert_eq!(capture.take().0, b"ij");
    }
}
