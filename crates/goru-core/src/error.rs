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

    /// The kind of the stopped run that ended the session (a
    /// [stop](ErrorKind::is_stop)); `None` when the guest exited or the
    /// session failed otherwise.
    ///
    /// ```
    /// use goru_core::{ErrorKind, SessionEnd};
    ///
    /// assert_eq!(SessionEnd::Timeout.kind(), Some(ErrorKind::Timeout));
    /// assert_eq!(SessionEnd::Exited(0).kind(), None);
    /// ```
    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            SessionEnd::Timeout => Some(ErrorKind::Timeout),
            SessionEnd::MemoryLimit => Some(ErrorKind::MemoryLimit),
            SessionEnd::Trap(_) => Some(ErrorKind::Trap),
            SessionEnd::Cancelled => Some(ErrorKind::Cancelled),
            SessionEnd::Exited(_) | SessionEnd::Failed(_) => None,
        }
    }
}

/// The kind of an [`Error`]: what front ends match on and report. Each has a
/// short code ([`ErrorKind::as_str`]) that never changes meaning; the HTTP
/// server sends the codes of stopped runs as they are.
///
/// ```
/// use goru_core::ErrorKind;
///
/// assert_eq!(ErrorKind::MemoryLimit.as_str(), "memory_limit");
/// assert_eq!(ErrorKind::MemoryLimit.to_string(), "memory_limit");
/// assert!(ErrorKind::MemoryLimit.is_stop());
/// assert!(!ErrorKind::InvalidCode.is_stop());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// [`Error::Timeout`]: `timeout`.
    Timeout,
    /// [`Error::MemoryLimit`]: `memory_limit`.
    MemoryLimit,
    /// [`Error::Trap`]: `trap`.
    Trap,
    /// [`Error::Cancelled`]: `cancelled`.
    Cancelled,
    /// [`Error::Compile`]: `compile`.
    Compile,
    /// [`Error::Setup`]: `setup`.
    Setup,
    /// [`Error::HostPanic`]: `host_panic`.
    HostPanic,
    /// [`Error::InvalidOption`]: `invalid_option`.
    InvalidOption,
    /// [`Error::InvalidCode`]: `invalid_code`.
    InvalidCode,
    /// [`Error::Io`]: `io`.
    Io,
    /// [`Error::SessionBusy`]: `session_busy`.
    SessionBusy,
    /// [`Error::SessionClosed`]: `session_closed`.
    SessionClosed,
    /// [`Error::SessionEnded`]: `session_ended`.
    SessionEnded,
}

impl ErrorKind {
    /// The kind's code: lowercase words joined by `_`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Timeout => "timeout",
            ErrorKind::MemoryLimit => "memory_limit",
            ErrorKind::Trap => "trap",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Compile => "compile",
            ErrorKind::Setup => "setup",
            ErrorKind::HostPanic => "host_panic",
            ErrorKind::InvalidOption => "invalid_option",
            ErrorKind::InvalidCode => "invalid_code",
            ErrorKind::Io => "io",
            ErrorKind::SessionBusy => "session_busy",
            ErrorKind::SessionClosed => "session_closed",
            ErrorKind::SessionEnded => "session_ended",
        }
    }

    /// Whether the host stopped a run that had started (timeout, memory
    /// cap, trap, cancel): the error then carries the run's output
    /// ([`Error::output`]), and a session it happens in ends.
    pub const fn is_stop(self) -> bool {
        matches!(
            self,
            ErrorKind::Timeout | ErrorKind::MemoryLimit | ErrorKind::Trap | ErrorKind::Cancelled
        )
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    /// What kind of error this is, as a short stable code (see
    /// [`ErrorKind::as_str`]): one spelling for every front end, so the
    /// CLI's exit statuses and the HTTP API's error codes follow from it.
    ///
    /// ```
    /// use goru_core::{Error, ErrorKind};
    ///
    /// let error = Error::SessionBusy;
    /// assert_eq!(error.kind(), ErrorKind::SessionBusy);
    /// assert_eq!(error.kind().as_str(), "session_busy");
    /// ```
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::MemoryLimit { .. } => ErrorKind::MemoryLimit,
            Error::Trap { .. } => ErrorKind::Trap,
            Error::Cancelled { .. } => ErrorKind::Cancelled,
            Error::Compile { .. } => ErrorKind::Compile,
            Error::Setup(_) => ErrorKind::Setup,
            Error::HostPanic(_) => ErrorKind::HostPanic,
            Error::InvalidOption(_) => ErrorKind::InvalidOption,
            Error::InvalidCode(_) => ErrorKind::InvalidCode,
            Error::Io(_) => ErrorKind::Io,
            Error::SessionBusy => ErrorKind::SessionBusy,
            Error::SessionClosed => ErrorKind::SessionClosed,
            Error::SessionEnded { .. } => ErrorKind::SessionEnded,
        }
    }

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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// One error of every variant, with the code each must keep.
    fn every_error() -> Vec<(Error, &'static str)> {
        let output = || Box::new(Output::default());
        vec![
            (
                Error::Timeout {
                    limit: Duration::from_secs(1),
                    output: output(),
                },
                "timeout",
            ),
            (
                Error::MemoryLimit {
                    limit_bytes: 1 << 20,
                    output: output(),
                },
                "memory_limit",
            ),
            (
                Error::Trap {
                    kind: TrapKind::StackOverflow,
                    message: "deep".into(),
                    output: output(),
                },
                "trap",
            ),
            (Error::Cancelled { output: output() }, "cancelled"),
            (
                Error::Compile {
                    language: "python".into(),
                    message: "bad".into(),
                },
                "compile",
            ),
            (Error::Setup("x".into()), "setup"),
            (Error::HostPanic("x".into()), "host_panic"),
            (Error::InvalidOption("x".into()), "invalid_option"),
            (Error::InvalidCode("x".into()), "invalid_code"),
            (Error::Io(std::io::Error::other("x")), "io"),
            (Error::SessionBusy, "session_busy"),
            (Error::SessionClosed, "session_closed"),
            (
                Error::SessionEnded {
                    reason: SessionEnd::Timeout,
                },
                "session_ended",
            ),
        ]
    }

    #[test]
    fn every_variant_has_its_own_stable_code() {
        let errors = every_error();
        let mut codes: Vec<&str> = errors.iter().map(|(e, _)| e.kind().as_str()).collect();
        for (error, code) in &errors {
            assert_eq!(error.kind().as_str(), *code, "{error:?}");
            assert_eq!(error.kind().to_string(), *code);
            assert!(
                code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{code}"
            );
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), errors.len(), "codes are distinct");
    }

    #[test]
    fn stops_are_the_errors_with_output() {
        for (error, _) in every_error() {
            assert_eq!(error.kind().is_stop(), error.output().is_some(), "{error:?}");
        }
    }

    #[test]
    fn a_stop_ends_a_session_with_its_kind() {
        for (error, _) in every_error() {
            let end = SessionEnd::from_error(&error);
            if error.kind().is_stop() {
                assert_eq!(end.kind(), Some(error.kind()), "{error:?}");
            } else if !matches!(error, Error::SessionEnded { .. }) {
                assert_eq!(end.kind(), None, "{error:?}");
            }
        }
        let ended = Error::SessionEnded {
            reason: SessionEnd::MemoryLimit,
        };
        assert_eq!(SessionEnd::from_error(&ended), SessionEnd::MemoryLimit);
        assert_eq!(SessionEnd::Exited(3).kind(), None);
    }
}
