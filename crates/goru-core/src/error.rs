//! goru-core's error type: what went wrong, typed so callers can match on it.

use std::time::Duration;

use crate::Output;

/// Everything that can keep a run from producing a [`crate::RunResult`].
///
/// Variants for runs the host stopped carry what the guest wrote up to then.
///
/// ```
/// # fn check(err: goru_core::Error) {
/// match err {
///     goru_core::Error::Timeout { limit, .. } => eprintln!("gave up after {limit:?}"),
///     goru_core::Error::MemoryLimit { .. } => eprintln!("out of memory"),
///     other => eprintln!("{other}"),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The run went past its wall-clock limit and was stopped.
    #[error("timed out after {limit:?}")]
    Timeout {
        /// The limit that was hit.
        limit: Duration,
        /// Output written before the guest was stopped.
        output: Box<Output>,
    },
    /// The guest needed more memory than its cap allows and could not go on:
    /// it reached the cap and then failed (its own out-of-memory report, if
    /// it printed one, is in `output`).
    #[error("memory limit of {limit_bytes} bytes exceeded")]
    MemoryLimit {
        /// The cap, in bytes.
        limit_bytes: u64,
        /// Output written before the guest stopped.
        output: Box<Output>,
    },
    /// The guest trapped (stack overflow, unreachable, bad memory access, ...).
    #[error("guest trapped: {kind}: {message}")]
    Trap {
        /// What kind of trap.
        kind: TrapKind,
        /// The engine's description.
        message: String,
        /// Output written before the trap.
        output: Box<Output>,
    },
    /// The run was cancelled through a [`crate::CancelHandle`].
    #[error("run cancelled")]
    Cancelled {
        /// Output written before the guest was stopped.
        output: Box<Output>,
    },
    /// An interpreter module did not compile.
    #[error("compiling the {language} module failed: {message}")]
    Compile {
        /// The language whose module failed.
        language: String,
        /// The compiler's message.
        message: String,
    },
    /// The sandbox could not be set up (bad arguments, instantiation failure).
    #[error("setting up the sandbox failed: {0}")]
    Setup(String),
    /// goru itself failed while running the guest (a panic in the engine, the
    /// WASI layer or a host function). The run is over and its resources are
    /// released; nothing of it is used afterwards. Always a goru bug: please
    /// report it with the message.
    #[error("internal error in the sandbox host: {0}")]
    HostPanic(String),
    /// The options given are not usable.
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// The code cannot be handed to the interpreter (see
    /// [`crate::check_code`]); the message never quotes the code.
    #[error("invalid code: {0}")]
    InvalidCode(String),
    /// A host-side I/O error (cache directory, ...).
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The session is running another piece of code; sessions run one at a time.
    #[error("the session is busy running other code")]
    SessionBusy,
    /// The session was closed by its owner.
    #[error("the session is closed")]
    SessionClosed,
    /// The session's interpreter is gone: an earlier run timed out, trapped,
    /// hit the memory cap, was cancelled or exited.
    #[error("session ended: {reason}")]
    SessionEnded {
        /// Why it ended.
        reason: SessionEnd,
    },
}

/// Why a session's interpreter is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEnd {
    /// A run went past its wall-clock limit.
    Timeout,
    /// A run hit the memory cap.
    MemoryLimit,
    /// The guest trapped.
    Trap(TrapKind),
    /// A run was cancelled.
    Cancelled,
    /// The guest exited on its own (`sys.exit` in Python, `std.exit` in JS)
    /// with this status.
    Exited(i32),
    /// The session could not go on for another reason.
    Failed(String),
}

impl std::fmt::Display for SessionEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SessionEnd::Timeout => f.write_str("timeout"),
            SessionEnd::MemoryLimit => f.write_str("memory limit"),
            SessionEnd::Trap(kind) => write!(f, "trap ({kind})"),
            SessionEnd::Cancelled => f.write_str("cancelled"),
            SessionEnd::Exited(code) => write!(f, "the guest exited with status {code}"),
            SessionEnd::Failed(message) => f.write_str(message),
        }
    }
}

impl SessionEnd {
    /// How a session that ended with `error` is described afterwards.
    pub(crate) fn from_error(error: &Error) -> Self {
        match error {
            Error::Timeout { .. } => SessionEnd::Timeout,
            Error::MemoryLimit { .. } => SessionEnd::MemoryLimit,
            Error::Trap { kind, .. } => SessionEnd::Trap(*kind),
            Error::Cancelled { .. } => SessionEnd::Cancelled,
            Error::SessionEnded { reason } => reason.clone(),
            other => SessionEnd::Failed(other.to_string()),
        }
    }
}

impl Error {
    /// The guest's output up to the point it was stopped, when there is one.
    pub fn output(&self) -> Option<&Output> {
        match self {
            Error::Timeout { output, .. }
            | Error::MemoryLimit { output, .. }
            | Error::Trap { output, .. }
            | Error::Cancelled { output } => Some(output),
            _ => None,
        }
    }
}

/// What kind of trap stopped the guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrapKind {
    /// The wasm call stack overflowed (e.g. runaway recursion in the interpreter).
    StackOverflow,
    /// Out-of-bounds memory or table access.
    OutOfBounds,
    /// An `unreachable` instruction: the interpreter aborted.
    Unreachable,
    /// Integer overflow or division by zero in wasm code.
    Arithmetic,
    /// Anything else.
    Other,
}

impl std::fmt::Display for TrapKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TrapKind::StackOverflow => "stack overflow",
            TrapKind::OutOfBounds => "out-of-bounds access",
            TrapKind::Unreachable => "unreachable (the interpreter aborted)",
            TrapKind::Arithmetic => "arithmetic trap",
            TrapKind::Other => "trap",
        })
    }
}
