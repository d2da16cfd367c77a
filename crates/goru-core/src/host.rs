//! Host functions: what the guest's shim may call over the host-call channel.
//!
//! goru-core serves no function itself. An embedder (or the capability crate)
//! implements [`HostFunctions`]; the executor asks each provider in turn whether
//! it serves a name, and runs the calls of one guest batch concurrently. A
//! call nobody serves fails with `unknown_function`, or with `not_granted`
//! when it names a standard capability's function
//! ([`crate::protocol::CAPABILITY_FUNCTIONS`]).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use serde_json::Value;

use crate::HostDir;
use crate::protocol::kinds;

/// The future a host function returns: a JSON value for the guest, or an error
/// it receives as an exception.
pub type HostFuture = Pin<Box<dyn Future<Output = Result<Value, HostError>> + Send + 'static>>;

/// A set of functions the guest may call.
///
/// ```
/// use goru_core::{HostError, HostFunctions, HostFuture};
/// use serde_json::{json, Value};
///
/// /// `add(a, b)`: the sum of two numbers.
/// #[derive(Debug)]
/// struct Adder;
///
/// impl HostFunctions for Adder {
///     fn call(&self, name: &str, args: Value) -> Option<HostFuture> {
///         (name == "add").then(|| {
///             let future: HostFuture = Box::pin(async move {
///                 let arg = |k: &str| {
///                     args.get(k)
///                         .and_then(Value::as_f64)
///                         .ok_or_else(|| HostError::invalid_argument(format!("`{k}` must be a number")))
///                 };
///                 Ok(json!(arg("a")? + arg("b")?))
///             });
///             future
///         })
///     }
/// }
/// ```
pub trait HostFunctions: Send + Sync + fmt::Debug {
    /// Starts the call `name(args)`, or returns `None` when this set has no
    /// function of that name (the next provider is asked).
    ///
    /// `args` is whatever JSON the guest sent, usually an object; check it as
    /// untrusted input. The future is polled first on the guest's own thread
    /// (inside the executor's tokio runtime): if the whole batch is then
    /// done, the guest has its reply without any thread hand-off. Otherwise
    /// it runs on to the end on the runtime, next to the other calls of the
    /// same batch. So a future must never block a thread: blocking work
    /// belongs in `tokio::task::spawn_blocking`, and should end by
    /// [`host_call_deadline`]. It is dropped if the run is stopped.
    ///
    /// This is called only when the call is about to start: calls of a batch
    /// beyond [`crate::Limits::host_calls_in_flight`] wait until others end.
    fn call(&self, name: &str, args: Value) -> Option<HostFuture>;

    /// Host directories that runs given these functions also see through
    /// their own file APIs (the fs capability's mounts); none by default.
    /// Asked once per run, when it starts.
    fn host_dirs(&self) -> Vec<HostDir> {
        Vec::new()
    }
}

tokio::task_local! {
    static CALL_DEADLINE: Instant;
}

/// The deadline of the run a host call belongs to, when asked from the call
/// (from [`HostFunctions::call`] or while its future is polled); `None`
/// elsewhere.
///
/// By then the run is over and nobody waits for the result. A future is
/// simply dropped, but work on a thread of its own cannot be: blocking work
/// should give up by this deadline (read it before leaving the task), so a
/// stopped run does not keep host threads busy.
pub fn host_call_deadline() -> Option<Instant> {
    CALL_DEADLINE.try_with(|deadline| *deadline).ok()
}

/// Runs `calls` with [`host_call_deadline`] answering `deadline`.
pub(crate) fn with_call_deadline<F: Future>(deadline: Instant, calls: F) -> impl Future<Output = F::Output> {
    CALL_DEADLINE.scope(deadline, calls)
}

/// Why a host call failed; the guest receives it as an exception carrying the
/// same kind and message.
///
/// The message is shown to the guest: never put host paths, secrets or
/// internal details in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostError {
    kind: String,
    message: String,
}

impl HostError {
    /// An error of `kind`, a short stable code the guest can branch on, such
    /// as `"not_found"`. The shims map these kinds to exception classes:
    /// see `docs/sandbox-api.md`.
    pub fn new(kind: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            message: message.into(),
        }
    }

    /// The guest sent arguments the function cannot use (`invalid_argument`).
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(kinds::INVALID_ARGUMENT, message)
    }

    /// The function exists but the run was not granted it (`not_granted`).
    pub fn not_granted(message: impl Into<String>) -> Self {
        Self::new(kinds::NOT_GRANTED, message)
    }

    /// Any other failure of the function (`failed`).
    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(kinds::FAILED, message)
    }

    /// The short stable code, e.g. `"not_granted"`.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The text shown to the guest.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for HostError {}
