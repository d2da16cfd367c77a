//! The guest's stdin: bytes given up front, or a stream read as the guest
//! reads it (never held whole), bounded by the stdin limit and released
//! when the run is stopped.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use virtual_fs::VirtualFile;

use super::control::RunControl;
use super::device::Device;

/// A reader of the guest's stdin, as the embedder gave it.
pub(crate) type Reader = Box<dyn AsyncRead + Send + Unpin>;

/// Where a run's stdin comes from. A reader is shared by the clones of the
/// options that carry it and is taken by the first run that starts.
#[derive(Clone, Default)]
pub(crate) enum Stdin {
    /// End of file at once.
    #[default]
    Empty,
    Bytes(Arc<[u8]>),
    Reader(Arc<Mutex<Option<Reader>>>),
}

impl std::fmt::Debug for Stdin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stdin::Empty => f.write_str("Empty"),
            Stdin::Bytes(bytes) => write!(f, "Bytes({} bytes)", bytes.len()),
            Stdin::Reader(_) => f.write_str("Reader"),
        }
    }
}

impl Stdin {
    /// The file the guest reads: at most `limit` bytes, then an error;
    /// a wait on the reader ends (with an error) when `control`'s run is stopped.
    pub(crate) fn file(&self, limit: u64, control: &Arc<RunControl>) -> Box<dyn VirtualFile + Send + Sync> {
        let source = match self {
            Stdin::Empty => Source::Bytes(Arc::from(&[][..]), 0),
            Stdin::Bytes(bytes) => Source::Bytes(bytes.clone(), 0),
            Stdin::Reader(reader) => match reader.lock().unwrap_or_else(PoisonError::into_inner).take() {
                Some(reader) => Source::Reader(Mutex::new(reader)),
                None => Source::Bytes(Arc::from(&[][..]), 0),
            },
        };
        let control = control.clone();
        Box::new(Device(StdinFile {
            source,
            left: limit,
            stop: Box::pin(async move { control.stop_requested().await }),
            stopped: false,
            scratch: None,
        }))
    }
}

enum Source {
    /// The bytes and how many the guest read.
    Bytes(Arc<[u8]>, usize),
    /// In a mutex only to make the file `Sync`, as wasmer-wasix wants; the
    /// file is always read through `&mut`, so it is never locked.
    Reader(Mutex<Reader>),
}

struct StdinFile {
    source: Source,
    /// Bytes the guest may still read.
    left: u64,
    stop: Pin<Box<dyn Future<Output = ()> + Send + Sync>>,
    stopped: bool,
    /// The buffer a reader reads into, made at the first read.
    scratch: Option<Box<[u8]>>,
}

/// The most one read of a reader asks it for.
const READ_CHUNK: usize = 64 * 1024;

impl std::fmt::Debug for StdinFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StdinFile")
            .field("left", &self.left)
            .finish_non_exhaustive()
    }
}

impl AsyncRead for StdinFile {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // At the limit, one more byte is read to tell the end of the input
        // (fine) from more of it (an error).
        let at_limit = this.left == 0;
        let room = usize::try_from(this.left)
            .unwrap_or(usize::MAX)
            .min(buf.remaining())
            .max(usize::from(at_limit));
        let mut chunk = [0u8; 1];
        let got = match &mut this.source {
            Source::Bytes(bytes, at) => {
                let n = room.min(bytes.len() - *at);
                let got = &bytes[*at..*at + n];
                *at += n;
                got
            }
            Source::Reader(reader) => {
                if !this.stopped && this.stop.as_mut().poll(cx).is_ready() {
                    this.stopped = true;
                }
                if this.stopped {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::BrokenPipe,
                        "the run was stopped",
                    )));
                }
                // Through a buffer of our own, so the limit holds whatever the
                // reader does with the space it is given.
                let scratch = if at_limit {
                    &mut chunk[..]
                } else {
                    let scratch = this
                        .scratch
                        .get_or_insert_with(|| vec![0; READ_CHUNK].into_boxed_slice());
                    &mut scratch[..room.min(READ_CHUNK)]
                };
                let mut limited = ReadBuf::new(scratch);
                let reader = reader.get_mut().unwrap_or_else(PoisonError::into_inner);
                match Pin::new(reader).poll_read(cx, &mut limited) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Ready(Ok(())) => {}
                }
                let n = limited.filled().len();
                &scratch[..n]
            }
        };
        if at_limit && !got.is_empty() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                "the stdin limit was reached",
            )));
        }
        buf.put_slice(got);
        this.left -= got.len() as u64;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for StdinFile {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, _buf: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(Err(io::Error::from(io::ErrorKind::PermissionDenied)))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures::task::noop_waker_ref;

    use super::*;
    use crate::instance::control::StopReason;

    fn read(file: &mut StdinFile, size: usize) -> Poll<io::Result<Vec<u8>>> {
        let mut storage = vec![0; size];
        let mut buf = ReadBuf::new(&mut storage);
        let mut cx = Context::from_waker(noop_waker_ref());
        Pin::new(file)
            .poll_read(&mut cx, &mut buf)
            .map_ok(|()| buf.filled().to_vec())
    }

    fn open(stdin: Stdin, limit: u64, control: &Arc<RunControl>) -> StdinFile {
        let control = control.clone();
        let source = match stdin {
            Stdin::Bytes(bytes) => Source::Bytes(bytes, 0),
            Stdin::Reader(reader) => Source::Reader(Mutex::new(reader.lock().unwrap().take().unwrap())),
            Stdin::Empty => Source::Bytes(Arc::from(&[][..]), 0),
        };
        StdinFile {
            source,
            left: limit,
            stop: Box::pin(async move { control.stop_requested().await }),
            stopped: false,
            scratch: None,
        }
    }

    #[test]
    fn bytes_then_end_of_file_and_the_limit_is_an_error() {
        let control = Arc::new(RunControl::new(Duration::from_secs(3600)));
        let mut file = open(Stdin::Bytes(Arc::from(&b"hello"[..])), 100, &control);
        assert_eq!(
            read(&mut file, 3).map(Result::unwrap),
            Poll::Ready(b"hel".to_vec())
        );
        assert_eq!(
            read(&mut file, 9).map(Result::unwrap),
            Poll::Ready(b"lo".to_vec())
        );
        assert_eq!(read(&mut file, 9).map(Result::unwrap), Poll::Ready(Vec::new()));

        let mut file = open(Stdin::Bytes(Arc::from(&b"hello"[..])), 4, &control);
        assert_eq!(
            read(&mut file, 9).map(Result::unwrap),
            Poll::Ready(b"hell".to_vec())
        );
        assert!(matches!(read(&mut file, 9), Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::FileTooLarge));
    }

    #[test]
    fn a_reader_is_read_as_the_guest_reads_and_a_wait_ends_with_the_run() {
        let control = Arc::new(RunControl::new(Duration::from_secs(3600)));
        let (mut writer, reader) = tokio::io::duplex(64);
        let stdin = Stdin::Reader(Arc::new(Mutex::new(Some(Box::new(reader)))));
        let mut file = open(stdin, 3, &control);
        assert!(read(&mut file, 9).is_pending(), "nothing written yet");
        futures::executor::block_on(tokio::io::AsyncWriteExt::write_all(&mut writer, b"abcdef")).unwrap();
        assert_eq!(
            read(&mut file, 9).map(Result::unwrap),
            Poll::Ready(b"abc".to_vec())
        );
        assert!(matches!(read(&mut file, 9), Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::FileTooLarge));

        let (_writer, reader) = tokio::io::duplex(64);
        let stdin = Stdin::Reader(Arc::new(Mutex::new(Some(Box::new(reader)))));
        let mut file = open(stdin, 100, &control);
        assert!(read(&mut file, 9).is_pending());
        control.stop(StopReason::Cancelled);
        assert!(matches!(read(&mut file, 9), Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::BrokenPipe));
    }
}
