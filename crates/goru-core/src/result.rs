//! What a run gives back: output, exit code, and the guest's uncaught exception.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use serde::Deserialize;

/// What the guest wrote to stdout and stderr, byte for byte, each cut at the
/// output limit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// The guest's stdout, untouched (any bytes, NUL included).
    pub stdout: Vec<u8>,
    /// The guest's stderr, untouched.
    pub stderr: Vec<u8>,
    /// Whether stdout went over the limit and was cut.
    pub stdout_truncated: bool,
    /// Whether stderr went over the limit and was cut.
    pub stderr_truncated: bool,
}

impl Output {
    /// Whether stdout or stderr (or both) went over the limit and was cut.
    ///
    /// ```
    /// let output = goru_core::Output {
    ///     stderr_truncated: true,
    ///     ..Default::default()
    /// };
    /// assert!(output.truncated());
    /// ```
    pub fn truncated(&self) -> bool {
        self.stdout_truncated || self.stderr_truncated
    }
}

/// An exception the guest did not catch: Python's `BaseException` (but not
/// `SystemExit`) or a JavaScript throw.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GuestException {
    /// The exception's type, e.g. `ZeroDivisionError` or `TypeError`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The exception's message.
    pub message: String,
    /// The traceback (Python) or stack (JavaScript) as the guest formatted it.
    #[serde(default)]
    pub traceback: String,
}

/// The result of a run that ran to its end: it exited (with any status) or
/// raised an uncaught exception.
///
/// Runs stopped by the host (timeout, memory cap, trap, cancel) come back as
/// [`crate::Error`] instead, still carrying their partial [`Output`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunResult {
    /// What the guest wrote.
    pub output: Output,
    /// The guest's exit status, 0 to 255: 0 on success, 1 after an uncaught
    /// exception, and after `sys.exit(n)` / `std.exit(n)` the low 8 bits of
    /// `n`, as a POSIX shell sees a process's status (`sys.exit(300)` gives
    /// 44, `sys.exit(-1)` 255, as python3 does).
    pub exit_code: i32,
    /// The uncaught exception, if that is how the guest ended.
    pub exception: Option<GuestException>,
    /// Wall-clock time of the run, instantiation included.
    pub duration: Duration,
    /// Whether a session run ended by asking to exit (Python's `sys.exit()`,
    /// `exit()`, `quit()`): the session goes on, and a REPL takes it as
    /// the user leaving. Always false for a stateless run.
    pub exited: bool,
}

impl RunResult {
    /// The result of a run started at `started` whose guest ended with the
    /// raw status `raw_exit` (reported as [`exit_status`] gives it): the one
    /// place runs and session runs alike are assembled.
    pub(crate) fn finished(
        output: Output,
        raw_exit: i32,
        exception: Option<GuestException>,
        started: Instant,
    ) -> Self {
        Self {
            output,
            exit_code: exit_status(raw_exit),
            exception,
            duration: started.elapsed(),
            exited: false,
        }
    }

    /// True when the guest exited with status 0.
    pub fn success(&self) -> bool {
        self.exit_code == 0 && self.exception.is_none()
    }

    /// The guest's stdout bytes.
    pub fn stdout(&self) -> &[u8] {
        &self.output.stdout
    }

    /// The guest's stderr bytes.
    pub fn stderr(&self) -> &[u8] {
        &self.output.stderr
    }

    /// stdout as text, invalid UTF-8 replaced.
    pub fn stdout_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.output.stdout)
    }

    /// stderr as text, invalid UTF-8 replaced.
    pub fn stderr_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.output.stderr)
    }
}

/// The status goru reports for a guest's raw exit status `raw`: its low 8
/// bits, the rule of POSIX `exit` (`raw & 0xFF`). WASI carries any 32-bit
/// status, and the runtime passes on a wider one than a process can have;
/// every run and session result goes through here, so the library, the
/// HTTP API and the CLI report the same number. It is idempotent, so a
/// status already reported may go through again.
pub(crate) fn exit_status(raw: i32) -> i32 {
    raw & 0xFF
}

#[cfg(test)]
mod tests {
    use super::exit_status;

    #[test]
    fn exit_statuses_are_the_low_eight_bits() {
        for (raw, status) in [
            (0, 0),
            (3, 3),
            (255, 255),
            (256, 0),
            (300, 44),
            (-1, 255),
            (65_535, 255),
        ] {
            assert_eq!(exit_status(raw), status, "{raw}");
            assert_eq!(exit_status(status), status, "{raw}");
        }
    }
}
