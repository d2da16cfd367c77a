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
    /// The run ended by asking to exit.
    #[serde(default)]
    pub(crate) exited: bool,
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::thread::JoinHandle;
    use std::time::Duration;

    use super::*;
    use crate::protocol::{exception, session};

    type Parked = JoinHandle<Option<Result<Value, HostError>>>;

    /// The guest side: parks in a thread of its own, as the guest's read does.
    fn park(link: &Arc<Link>, control: &Arc<RunControl>, args: Value) -> Parked {
        let (link, control) = (link.clone(), control.clone());
        std::thread::spawn(move || link.park(&args, &control))
    }

    fn request(code: &str, mode: Mode) -> (Request, oneshot::Receiver<Result<Done, String>>) {
        let (reply, done) = oneshot::channel();
        let request = Request {
            code: code.into(),
            mode,
            reply,
        };
        (request, done)
    }

    fn setup() -> (
        Arc<Link>,
        mpsc::UnboundedSender<Request>,
        oneshot::Receiver<()>,
        Arc<RunControl>,
    ) {
        let (link, requests, ready) = Link::new();
        let control = Arc::new(RunControl::new(Duration::from_secs(3600)));
        (Arc::new(link), requests, ready, control)
    }

    #[test]
    fn the_first_park_says_ready_and_gets_the_first_request() {
        let (link, requests, ready, control) = setup();
        let guest = park(&link, &control, json!({ session::DONE: null }));
        futures::executor::block_on(ready).unwrap();
        let (run, _done) = request("x = 1", Mode::Repl);
        requests.send(run).unwrap();
        let next = guest.join().unwrap().unwrap().unwrap();
        assert_eq!(
            next,
            json!({ session::CODE: "x = 1", session::MODE: session::REPL })
        );
    }

    #[test]
    fn a_result_answers_the_run_and_a_dropped_sender_closes_the_session() {
        let (link, requests, _ready, control) = setup();
        let (run, done) = request("1/0", Mode::Exec);
        requests.send(run).unwrap();
        let first = park(&link, &control, Value::Null)
            .join()
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(first[session::MODE], session::EXEC);
        drop(requests);
        let result = json!({ session::DONE: {
            session::EXIT_CODE: 1,
            session::EXCEPTION: {
                exception::TYPE: "ZeroDivisionError",
                exception::MESSAGE: "division by zero",
                exception::TRACEBACK: "Traceback ...",
            },
        }});
        let next = park(&link, &control, result).join().unwrap().unwrap().unwrap();
        assert_eq!(next, json!({ session::CLOSE: true }));
        let done = futures::executor::block_on(done).unwrap().unwrap();
        assert_eq!(done.exit_code, 1);
        let exception = done.exception.unwrap();
        assert_eq!(
            (
                exception.kind.as_str(),
                exception.message.as_str(),
                exception.traceback.as_str()
            ),
            ("ZeroDivisionError", "division by zero", "Traceback ...")
        );
    }

    #[test]
    fn a_check_result_says_whether_the_code_is_complete() {
        let (link, requests, _ready, control) = setup();
        let (run, done) = request("def f():", Mode::Check);
        requests.send(run).unwrap();
        let first = park(&link, &control, Value::Null)
            .join()
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(first[session::MODE], session::CHECK);
        drop(requests);
        let result = json!({ session::DONE: { session::COMPLETE: false } });
        park(&link, &control, result).join().unwrap();
        let done = futures::executor::block_on(done).unwrap().unwrap();
        assert_eq!(done.complete, Some(false));
    }

    #[test]
    fn a_malformed_result_fails_the_run_and_the_guest_call() {
        let (link, requests, _ready, control) = setup();
        let (run, done) = request("x", Mode::Exec);
        requests.send(run).unwrap();
        park(&link, &control, Value::Null).join().unwrap();
        let malformed = json!({ session::DONE: { session::EXIT_CODE: "one" } });
        let answer = park(&link, &control, malformed).join().unwrap().unwrap();
        let error = answer.unwrap_err();
        assert_eq!(error.kind(), crate::protocol::kinds::INVALID_ARGUMENT);
        let message = futures::executor::block_on(done).unwrap().unwrap_err();
        assert!(message.starts_with("malformed session result: "), "{message}");
        assert_eq!(error.message(), message);
    }

    #[test]
    fn a_stop_releases_a_parked_guest() {
        let (link, _requests, ready, control) = setup();
        let guest = park(&link, &control, Value::Null);
        futures::executor::block_on(ready).unwrap();
        control.stop(crate::instance::control::StopReason::Cancelled);
        assert!(guest.join().unwrap().is_none());
        // Parking again after the stop returns at once.
        assert!(park(&link, &control, Value::Null).join().unwrap().is_none());
    }
}
