//! The host side of the session protocol: the reserved host function the
//! guest calls to hand in a result and wait for its next piece of code.

use std::sync::{Arc, Mutex, PoisonError};

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use crate::host::{HostError, HostFunctions, HostFuture};
use crate::{GuestException, SESSION_NEXT_FUNCTION};

/// What a run asks of the guest.
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) code: String,
    pub(crate) mode: Mode,
    pub(crate) reply: oneshot::Sender<Done>,
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
            Mode::Exec => "exec",
            Mode::Repl => "repl",
            Mode::Check => "check",
        }
    }
}

/// What the guest reported at the end of a request.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Done {
    #[serde(default)]
    pub(crate) exit_code: i32,
    #[serde(default)]
    pub(crate) exception: Option<GuestException>,
    #[serde(default)]
    pub(crate) complete: Option<bool>,
}

/// Shared by the session handle and the guest's host function.
#[derive(Debug)]
pub(crate) struct Link {
    requests: tokio::sync::Mutex<mpsc::UnboundedReceiver<Request>>,
    /// The reply slot of the request the guest is working on.
    current: Mutex<Option<oneshot::Sender<Done>>>,
    /// Told once, when the guest first asks for work: the interpreter is up.
    ready: Mutex<Option<oneshot::Sender<()>>>,
}

impl Link {
    /// The link, the sender of requests and the readiness signal.
    pub(crate) fn new() -> (Arc<Self>, mpsc::UnboundedSender<Request>, oneshot::Receiver<()>) {
        let (requests_tx, requests_rx) = mpsc::unbounded_channel();
        let (ready_tx, ready_rx) = oneshot::channel();
        let link = Arc::new(Self {
            requests: tokio::sync::Mutex::new(requests_rx),
            current: Mutex::new(None),
            ready: Mutex::new(Some(ready_tx)),
        });
        (link, requests_tx, ready_rx)
    }
}

/// The guest's view of the link: one reserved host function.
#[derive(Debug)]
pub(crate) struct LinkFunctions(pub(crate) Arc<Link>);

impl HostFunctions for LinkFunctions {
    fn call(&self, name: &str, args: Value) -> Option<HostFuture> {
        if name != SESSION_NEXT_FUNCTION {
            return None;
        }
        let link = self.0.clone();
        Some(Box::pin(async move {
            if let Some(ready) = link.ready.lock().unwrap_or_else(PoisonError::into_inner).take() {
                let _ = ready.send(());
            }
            let finished = link.current.lock().unwrap_or_else(PoisonError::into_inner).take();
            if let Some(reply) = finished {
                let done = match args.get("done") {
                    Some(done) if !done.is_null() => Done::deserialize(done)
                        .map_err(|e| HostError::invalid_argument(format!("malformed session result: {e}")))?,
                    _ => Done::default(),
                };
                let _ = reply.send(done);
            }
            let next = link.requests.lock().await.recv().await;
            Ok(match next {
                Some(request) => {
                    *link.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(request.reply);
                    json!({ "code": request.code, "mode": request.mode.as_str() })
                }
                None => json!({ "close": true }),
            })
        }))
    }
}
