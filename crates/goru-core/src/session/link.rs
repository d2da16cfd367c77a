//! The host side of the session protocol: the guest hands in a result and waits for its next piece of code.
//!
//! The guest asks with an ordinary host call,
//! [`SESSION_NEXT_FUNCTION`](crate::SESSION_NEXT_FUNCTION), alone in its frame. The channel does not dispatch that call: it keeps the frame's
//! place in the reply queue and, only when the guest's read reaches it, calls
//! [`Link::park`] on the guest's own thread. So the result is taken as final
//! only while the guest is provably parked in that read — a guest that writes
//! such a frame and goes on running has reported nothing, and stays under its
//! deadline. The read returns when the next request comes, or fails when the
//! run is stopped.

use std::sync::{Mutex, PoisonError};

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use crate::GuestException;
use crate::host::HostError;
use crate::instance::control::RunControl;
use crate::protocol::session::{CHECK, CLOSE, CODE, DONE, EXEC, MODE, REPL};

/// What a run asks of the guest.
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) code: String,
    pub(crate) mode: Mode,
    pub(crate) reply: oneshot::Sender<Result<Done, String>>,
}

/// How the guest treats a request's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Run it as a script.
    Exec,
    /// Run it as REPL input: the value of a final expression is shown.
    Repl,
    /// Only tell whether it is a complete statement.
    Check,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Exec => EXEC,
            Mode::Repl => REPL,
            Mode::Check => CHECK,
        }
    }
}

/// What the guest reported at the end of a request (the field names are
/// [`crate::protocol::session`]'s; a test ties them).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Done {
    #[serde(default)]
    pub(crate) exit_code: i32,
    #[serde(default)]
    pub(crate) exception: Option<GuestException>,
    #[serde(default)]
    pub(crate) complete: Option<bool>,
}

/// Shared by the session handle and the guest's channel.
#[derive(Debug)]
pub(crate) struct Link {
    requests: Mutex<mpsc::UnboundedReceiver<Request>>,
    /// The reply slot of the request the guest is working on.
    current: Mutex<Option<oneshot::Sender<Result<Done, String>>>>,
    /// Told once, when the guest first parks: the interpreter is up.
    ready: Mutex<Option<oneshot::Sender<()>>>,
}

impl Link {
    /// The link, the sender of requests and the readiness signal.
    pub(crate) fn new() -> (Self, mpsc::UnboundedSender<Request>, oneshot::Receiver<()>) {
        let (requests_tx, requests_rx) = mpsc::unbounded_channel();
        let (ready_tx, ready_rx) = oneshot::channel();
        let link = Self {
            requests: Mutex::new(requests_rx),
            current: Mutex::new(None),
            ready: Mutex::new(Some(ready_tx)),
        };
        (link, requests_tx, ready_rx)
    }

    /// The guest is parked in its read of the reply to a
    /// [`SESSION_NEXT_FUNCTION`](crate::SESSION_NEXT_FUNCTION) call with `args`: hands its result to the
    /// waiting run and blocks this (the guest's) thread until the next
    /// request. `None` if the run is stopped meanwhile.
    pub(crate) fn park(&self, args: &Value, control: &RunControl) -> Option<Result<Value, HostError>> {
        if let Some(ready) = lock(&self.ready).take() {
            let _ = ready.send(());
        }
        if let Some(reply) = lock(&self.current).take() {
            let done = match args.get(DONE) {
                Some(done) if !done.is_null() => {
                    Done::deserialize(done).map_err(|e| format!("malformed session result: {e}"))
                }
                _ => Ok(Done::default()),
            };
            let malformed = done.as_ref().err().cloned();
            let _ = reply.send(done);
            if let Some(message) = malformed {
                // The run is answered with the error and the session ends.
                return Some(Err(HostError::invalid_argument(message)));
            }
        }
        let mut requests = lock(&self.requests);
        let next = futures::executor::block_on(async {
            tokio::select! {
                next = requests.recv() => Some(next),
                () = control.stop_requested() => None,
            }
        })?;
        Some(Ok(match next {
            Some(request) => {
                *lock(&self.current) = Some(request.reply);
                json!({ CODE: request.code, MODE: request.mode.as_str() })
            }
            None => json!({ CLOSE: true }),
        }))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
