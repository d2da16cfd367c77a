//! What goru requires of user code before an interpreter is started on it.

use crate::Error;

/// Checks that `code` can be handed to an interpreter: it must not contain a
/// NUL character (U+0000), as python3 refuses it ("source code cannot contain
/// null bytes") and as a run passes the code to the interpreter in its
/// command line, where NUL ends a string.
///
/// [`crate::Executor::run`] applies it to every run, so front ends that take
/// code from people (a CLI, an HTTP service) can refuse bad code early with
/// the same rule and message. The error never quotes the code.
///
/// ```
/// assert!(goru_core::check_code("print(1)").is_ok());
/// let error = goru_core::check_code("print(1)\0").unwrap_err();
/// assert_eq!(error.to_string(), "invalid code: source code cannot contain null bytes (the first is at byte 8)");
/// ```
pub fn check_code(code: &str) -> Result<(), Error> {
    match code.find('\0') {
        None => Ok(()),
        Some(at) => Err(Error::InvalidCode(format!(
            "source code cannot contain null bytes (the first is at byte {at})"
        ))),
    }
}
