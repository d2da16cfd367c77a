//! The host-call channel: a device file ([`HOST_CHANNEL_PATH`]) in the guest's
//! private filesystem through which the shim sends framed requests and reads
//! the replies — apart from the user's stdin, stdout and stderr.
//!
//! Strictly one request at a time: a write that completes a frame starts its
//! calls at once (on the guest's thread if they finish without waiting, else
//! on the executor's runtime), and no byte of another frame is
//! taken (the write fails with `EAGAIN`) until that reply was read to its
//! end. So a run holds at most one batch and one reply, whatever it writes.
//! The read waits for the reply, or fails as soon as the run is stopped (the
//! guest then traps at its next loop check); a stop also ends the batch, so
//! calls still queued never start.

mod dispatch;
mod frame;
mod request;

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::task::JoinHandle;

use super::control::RunControl;
use super::device::Device;
use super::scratch::ScratchFs;
use crate::host::{self, HostError, HostFunctions};
use crate::protocol::{HOST_CHANNEL_PATH, SESSION_NEXT_FUNCTION, kinds};
use crate::session::Link;
use dispatch::{Bounds, Chunks};
use frame::{FrameReader, Incoming};

/// What the channel of one run is allowed and bound to.
#[derive(Debug, Clone)]
pub(crate) struct ChannelConfig {
    pub(crate) providers: Vec<Arc<dyn HostFunctions>>,
    /// The cap on a request frame, and on the results in a reply.
    pub(crate) frame_bytes: usize,
    /// Host calls of one batch running at once.
    pub(crate) calls_in_flight: usize,
    /// Host calls left; shared so a session can refill it for each run.
    pub(crate) calls_left: Arc<AtomicUsize>,
    pub(crate) handle: tokio::runtime::Handle,
    /// The session this run serves, if it is one.
    pub(crate) session: Option<Arc<Link>>,
}

/// How many times the frame cap the parsed arguments of one request may take.
const PARSE_BYTES_PER_FRAME_BYTE: usize = 2;

/// Puts the channel into `fs` at [`HOST_CHANNEL_PATH`].
pub(crate) fn install(fs: &ScratchFs, config: ChannelConfig, control: Arc<RunControl>) -> io::Result<()> {
    let file = ChannelFile(Mutex::new(Channel {
        reader: FrameReader::new(config.frame_bytes),
        running: None,
        next_request: None,
        out: VecDeque::new(),
        out_pos: 0,
        config,
        control,
    }));
    fs.insert_device_file(Path::new(HOST_CHANNEL_PATH), Box::new(Device(file)))
        .map_err(io::Error::other)
}

/// The device file. The mutex only makes it `Sync`: the guest is one thread.
#[derive(Debug)]
struct ChannelFile(Mutex<Channel>);

impl ChannelFile {
    fn channel(&self) -> std::sync::MutexGuard<'_, Channel> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

struct Channel {
    reader: FrameReader,
    /// The calls of the last request, while they run; `None` from the task
    /// once the run was stopped.
    running: Option<JoinHandle<Option<Chunks>>>,
    /// A session's request for its next piece of code (with the result of
    /// the last): answered only once the guest reads, on its own thread.
    next_request: Option<(Arc<Link>, Value)>,
    /// The reply being read, and how far into its first chunk.
    out: VecDeque<Vec<u8>>,
    out_pos: usize,
    config: ChannelConfig,
    control: Arc<RunControl>,
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel")
            .field("calls_left", &self.config.calls_left)
            .field("running", &self.running.is_some())
            .field("unread_chunks", &self.out.len())
            .finish_non_exhaustive()
    }
}

impl Channel {
    /// Takes the guest's bytes up to the end of one frame, if no reply is
    /// pending; a write that completes a frame starts its calls.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.running.is_some() || self.next_request.is_some() || !self.out.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "the reply to the last host-call request has not been read",
            ));
        }
        let (taken, incoming) = self.reader.feed(buf);
        match incoming {
            None => {}
            Some(Incoming::Frame(payload)) => self.start(&payload),
            Some(Incoming::Oversized(len)) => self.out.push_back(dispatch::error_reply(HostError::new(
                kinds::LIMIT,
                format!(
                    "host-call frame of {len} bytes is over the {}-byte limit",
                    self.config.frame_bytes
                ),
            ))),
        }
        Ok(taken)
    }

    fn start(&mut self, payload: &[u8]) {
        let config = &self.config;
        let bounds = Bounds {
            parse_bytes: config.frame_bytes.saturating_mul(PARSE_BYTES_PER_FRAME_BYTE),
            in_flight: config.calls_in_flight,
            reply_bytes: config.frame_bytes.min(MAX_REPLY_BYTES),
        };
        let mut calls = match dispatch::decode(payload, &config.calls_left, bounds) {
            Ok(calls) => calls,
            Err(refusal) => return self.out.push_back(refusal),
        };
        if let Some(link) = &config.session
            && let [call] = calls.as_mut_slice()
            && call.name == SESSION_NEXT_FUNCTION
        {
            self.next_request = Some((link.clone(), std::mem::take(&mut call.args)));
            return;
        }
        let calls = dispatch::start(calls, &config.providers, bounds);
        let control = self.control.clone();
        let mut calls = Box::pin(host::with_call_deadline(control.deadline(), calls));
        // Calls that finish without waiting (an async function that never
        // awaits, kv) are answered here, on the guest's own thread: no task,
        // no thread hand-off, the reply ready before the guest reads. The
        // rest go on to the runtime, which polls them again with a real waker.
        if control.requested_stop().is_none()
            && let Poll::Ready(reply) = calls
                .as_mut()
                .poll(&mut Context::from_waker(std::task::Waker::noop()))
        {
            return self
                .out
                .extend(reply.into_iter().filter(|chunk| !chunk.is_empty()));
        }
        self.running = Some(config.handle.spawn(async move {
            tokio::select! {
                // Checked first, so no call starts once the run is stopped:
                // dropping the calls cancels those running and never starts
                // those queued.
                biased;
                () = control.stop_requested() => None,
                reply = calls => Some(reply),
            }
        }));
    }

    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if self.out.is_empty()
            && let Some((link, args)) = self.next_request.take()
        {
            // The guest is blocked in this read: only now is its report final.
            match link.park(&args, &self.control) {
                Some(result) => self.out.push_back(dispatch::single_result(&result)),
                None => return Poll::Ready(Err(stopped())),
            }
        }
        if self.out.is_empty() {
            // Nothing was asked: end of file rather than a wait forever.
            let Some(running) = &mut self.running else {
                return Poll::Ready(Ok(()));
            };
            let reply = match Pin::new(running).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(Some(reply))) => reply,
                Poll::Ready(Ok(None)) => {
                    self.running = None;
                    return Poll::Ready(Err(stopped()));
                }
                Poll::Ready(Err(_)) => vec![dispatch::error_reply(HostError::failed(
                    "the host calls were abandoned",
                ))],
            };
            self.running = None;
            self.out
                .extend(reply.into_iter().filter(|chunk| !chunk.is_empty()));
        }
        while buf.remaining() > 0 {
            let Some(chunk) = self.out.front() else { break };
            let n = buf.remaining().min(chunk.len() - self.out_pos);
            buf.put_slice(&chunk[self.out_pos..self.out_pos + n]);
            self.out_pos += n;
            if self.out_pos == chunk.len() {
                self.out.pop_front();
                self.out_pos = 0;
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// The read error of a guest whose run was stopped.
fn stopped() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the run was stopped")
}

/// Replies are framed with a `u32` length; results past this are refused
/// whatever the frame cap.
const MAX_REPLY_BYTES: usize = (u32::MAX / 2) as usize;

impl Drop for Channel {
    fn drop(&mut self) {
        // The run is over: calls still going have no one to answer.
        if let Some(running) = &self.running {
            running.abort();
        }
    }
}

impl AsyncWrite for ChannelFile {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(self.channel().write(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for ChannelFile {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        self.channel().poll_read(cx, buf)
    }
}
