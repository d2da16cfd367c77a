//! The host-call channel: a device file (`/.goru/channel`) in the guest's
//! private filesystem through which the shim sends framed requests and reads
//! the replies — apart from the user's stdin, stdout and stderr.
//!
//! A write that completes a frame starts its calls at once on the executor's
//! runtime; the next read waits for the reply, or fails as soon as the run is
//! stopped (the guest then traps at its next loop check).

mod dispatch;
mod frame;

use std::collections::VecDeque;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::task::AbortHandle;

use super::control::RunControl;
use super::device::Device;
use super::scratch::ScratchFs;
use crate::host::{HostError, HostFunctions, kinds};
use crate::session::{Link, next_call_args};
use dispatch::Started;
use frame::{FrameReader, Incoming};

/// Where the guest finds the channel.
pub const HOST_CHANNEL_PATH: &str = "/.goru/channel";

/// What the channel of one run is allowed and bound to.
#[derive(Debug, Clone)]
pub(crate) struct ChannelConfig {
    pub(crate) providers: Vec<Arc<dyn HostFunctions>>,
    pub(crate) frame_bytes: usize,
    /// Host calls left; shared so a session can refill it for each run.
    pub(crate) calls_left: Arc<AtomicUsize>,
    pub(crate) handle: tokio::runtime::Handle,
    /// The session this run serves, if it is one.
    pub(crate) session: Option<Arc<Link>>,
}

/// Puts the channel into `fs` at [`HOST_CHANNEL_PATH`].
pub(crate) fn install(fs: &ScratchFs, config: ChannelConfig, control: Arc<RunControl>) -> io::Result<()> {
    let file = ChannelFile(Mutex::new(Channel {
        reader: FrameReader::new(config.frame_bytes),
        replies: VecDeque::new(),
        out: Vec::new(),
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
    replies: VecDeque<Reply>,
    /// The reply frame being read, and how far.
    out: Vec<u8>,
    out_pos: usize,
    config: ChannelConfig,
    control: Arc<RunControl>,
}

enum Reply {
    Ready(Vec<u8>),
    /// A session's request for its next piece of code (with the result of
    /// the last), answered only once the guest's read reaches it.
    SessionNext(Arc<Link>, serde_json::Value),
    /// `None` once the run was stopped while the calls ran.
    Running {
        reply: BoxFuture<'static, Option<Vec<u8>>>,
        abort: AbortHandle,
    },
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel")
            .field("calls_left", &self.config.calls_left)
            .field("replies", &self.replies.len())
            .finish_non_exhaustive()
    }
}

impl Channel {
    fn write(&mut self, buf: &[u8]) {
        let mut incoming = Vec::new();
        self.reader.feed(buf, &mut incoming);
        for item in incoming {
            let reply = match item {
                Incoming::Frame(payload) => self.start(&payload),
                Incoming::Oversized(len) => {
                    Reply::Ready(frame::encode(&dispatch::error_reply(&HostError::new(
                        kinds::LIMIT,
                        format!(
                            "host-call frame of {len} bytes is over the {}-byte limit",
                            self.config.frame_bytes
                        ),
                    ))))
                }
            };
            self.replies.push_back(reply);
        }
    }

    fn start(&mut self, payload: &[u8]) -> Reply {
        if let Some(link) = &self.config.session
            && let Some(args) = next_call_args(payload)
        {
            return Reply::SessionNext(link.clone(), args);
        }
        match dispatch::start(payload, &self.config.providers, &self.config.calls_left) {
            Started::Refused(reply) => Reply::Ready(frame::encode(&reply)),
            Started::Running(calls) => {
                let task = self.config.handle.spawn(calls);
                let abort = task.abort_handle();
                let control = self.control.clone();
                let reply = Box::pin(async move {
                    tokio::select! {
                        joined = task => Some(frame::encode(&joined.unwrap_or_else(|_| {
                            dispatch::error_reply(&HostError::failed("the host calls were abandoned"))
                        }))),
                        () = control.stop_requested() => None,
                    }
                });
                Reply::Running { reply, abort }
            }
        }
    }

    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        loop {
            if self.out_pos < self.out.len() {
                let n = buf.remaining().min(self.out.len() - self.out_pos);
                buf.put_slice(&self.out[self.out_pos..self.out_pos + n]);
                self.out_pos += n;
                return Poll::Ready(Ok(()));
            }
            let next = match self.replies.front_mut() {
                // Nothing was asked: end of file rather than a wait forever.
                None => return Poll::Ready(Ok(())),
                Some(Reply::Ready(bytes)) => std::mem::take(bytes),
                Some(Reply::SessionNext(link, args)) => match link.park(args, &self.control) {
                    Some(result) => frame::encode(&json!({ "results": [dispatch::result_entry(result)] })),
                    None => return Poll::Ready(Err(stopped())),
                },
                Some(Reply::Running { reply, .. }) => match reply.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Some(bytes)) => bytes,
                    Poll::Ready(None) => return Poll::Ready(Err(stopped())),
                },
            };
            self.replies.pop_front();
            self.out = next;
            self.out_pos = 0;
        }
    }
}

/// The read error of a guest whose run was stopped.
fn stopped() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the run was stopped")
}

impl Drop for Channel {
    fn drop(&mut self) {
        // The run is over: calls still going have no one to answer.
        for reply in &self.replies {
            if let Reply::Running { abort, .. } = reply {
                abort.abort();
            }
        }
    }
}

impl AsyncWrite for ChannelFile {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.channel().write(buf);
        Poll::Ready(Ok(buf.len()))
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
