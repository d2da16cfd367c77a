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
    /// The guest needed more memory than its cap allows and could not go on.
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
    /// The options given are not usable.
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// A host-side I/O error (cache directory, ...).
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
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
