//! The guest protocol: every path, name and field a guest shim and the host must agree on.
//!
//! A language's shim (the code its interpreter runs around the user's) talks
//! to the host through files of its private filesystem only:
//!
//! - **Host calls** go over the device file [`HOST_CHANNEL_PATH`], opened
//!   read-write. A request is a frame, a little-endian `u32` length and that
//!   many bytes of JSON, `{"calls": [{"fn": NAME, "args": ARGS}, ...]}`; the
//!   reply, read back from the same file, is a frame
//!   `{"results": [{"ok": VALUE} | {"error": {"kind": KIND, "message": TEXT}}, ...]}`
//!   in request order, or `{"error": {...}}` when the frame as a whole was
//!   refused. The field names are in [`frame`], the error kinds goru itself
//!   produces in [`kinds`].
//! - **An uncaught exception** is reported by writing JSON
//!   `{"type", "message", "traceback"}` (the fields of [`exception`]) to
//!   [`EXCEPTION_REPORT_PATH`] before exiting; it becomes the run's
//!   [`GuestException`](crate::GuestException).
//! - **A session** loops on the host call [`SESSION_NEXT_FUNCTION`], whose
//!   argument and reply fields are in [`session`] (see
//!   [`Language::session_program`](crate::Language::session_program)).
//!
//! The standard capabilities' functions ([`CAPABILITY_FUNCTIONS`]) are known
//! here by name for one reason: a call of one that no provider serves means
//! the run was not granted its capability, and the guest is told so (kind
//! [`kinds::NOT_GRANTED`]) rather than that no such function exists.
//!
//! goru's own shims are checked against these constants by tests in their
//! crates; a third-party language's shim should use the same values.

/// Where the guest finds the host-call channel.
pub const HOST_CHANNEL_PATH: &str = "/.goru/channel";

/// Where a language's shim reports an uncaught exception, as JSON with the
/// fields of [`exception`], before exiting.
pub const EXCEPTION_REPORT_PATH: &str = "/.goru/exception.json";

/// The host function a session's guest calls for its next piece of code
/// (see [`Language::session_program`](crate::Language::session_program)).
pub const SESSION_NEXT_FUNCTION: &str = "goru_session_next";

/// The field names of request and reply frames on the channel.
pub mod frame {
    /// Request: the list of calls.
    pub const CALLS: &str = "calls";
    /// Request, per call: the function's name.
    pub const FN: &str = "fn";
    /// Request, per call: its arguments (any JSON; `null` when absent).
    pub const ARGS: &str = "args";
    /// Reply: one entry per call, in request order.
    pub const RESULTS: &str = "results";
    /// Reply entry: the call's value.
    pub const OK: &str = "ok";
    /// Reply entry, or the whole reply: the error, an object with
    /// [`KIND`] and [`MESSAGE`].
    pub const ERROR: &str = "error";
    /// Error: the short stable code (see [`super::kinds`]).
    pub const KIND: &str = "kind";
    /// Error: the text shown to the guest.
    pub const MESSAGE: &str = "message";
}

/// The fields of a session's [`SESSION_NEXT_FUNCTION`] call and its reply.
pub mod session {
    /// Argument: the result of the last request (`null` the first time), an
    /// object with [`EXIT_CODE`] and [`EXCEPTION`], or [`COMPLETE`] for a
    /// [`CHECK`].
    pub const DONE: &str = "done";
    /// Result: the exit status of the code (`0` unless it exited).
    pub const EXIT_CODE: &str = "exit_code";
    /// Result: an uncaught exception (fields of [`super::exception`]), or `null`.
    pub const EXCEPTION: &str = "exception";
    /// Result of a [`CHECK`]: whether the code is a complete statement.
    pub const COMPLETE: &str = "complete";
    /// Reply: the next piece of code.
    pub const CODE: &str = "code";
    /// Reply: how to treat [`CODE`]: [`EXEC`], [`REPL`] or [`CHECK`].
    pub const MODE: &str = "mode";
    /// Mode: run the code as a script.
    pub const EXEC: &str = "exec";
    /// Mode: run the code as REPL input, showing the value of a final expression.
    pub const REPL: &str = "repl";
    /// Mode: only tell whether the code is complete.
    pub const CHECK: &str = "check";
    /// Reply: `true` when the session is over; the guest exits.
    pub const CLOSE: &str = "close";
}

/// The fields of an exception report (at [`EXCEPTION_REPORT_PATH`], or a
/// session result's [`session::EXCEPTION`]).
pub mod exception {
    /// The exception's type name, e.g. `ZeroDivisionError`.
    pub const TYPE: &str = "type";
    /// Its message.
    pub const MESSAGE: &str = "message";
    /// The traceback or stack as the guest formatted it (may be absent).
    pub const TRACEBACK: &str = "traceback";
}

/// The error kinds goru itself produces (host functions may add their own).
pub mod kinds {
    /// The arguments were not what the function takes.
    pub const INVALID_ARGUMENT: &str = "invalid_argument";
    /// The capability behind the function was not granted to this run.
    pub const NOT_GRANTED: &str = "not_granted";
    /// No provider serves the name.
    pub const UNKNOWN_FUNCTION: &str = "unknown_function";
    /// A limit was reached: frame size, number of calls, or a capability's own.
    pub const LIMIT: &str = "limit";
    /// The guest broke the channel's framing.
    pub const PROTOCOL: &str = "protocol";
    /// What was asked for cannot work in the sandbox (e.g. a package that is
    /// not pure Python).
    pub const UNSUPPORTED: &str = "unsupported";
    /// The host function failed.
    pub const FAILED: &str = "failed";
}

/// The host functions of the standard capabilities, each with the name of
/// its capability as the guest is told it was not granted.
pub const CAPABILITY_FUNCTIONS: &[(&str, &str)] = &[
    ("kv_get", "kv"),
    ("kv_set", "kv"),
    ("kv_delete", "kv"),
    ("kv_keys", "kv"),
    ("http_request", "http"),
    ("fs_read", "fs"),
    ("fs_write", "fs"),
    ("fs_list", "fs"),
    ("fs_exists", "fs"),
    ("fs_stat", "fs"),
    ("fs_mkdir", "fs"),
    ("fs_remove", "fs"),
    ("install_pkg", "package install"),
];

/// The capability whose host function `function` is, if it is one of
/// [`CAPABILITY_FUNCTIONS`].
///
/// ```
/// use goru_core::protocol::capability_of;
///
/// assert_eq!(capability_of("kv_get"), Some("kv"));
/// assert_eq!(capability_of("greet"), None);
/// ```
pub fn capability_of(function: &str) -> Option<&'static str> {
    CAPABILITY_FUNCTIONS
        .iter()
        .find(|(name, _)| *name == function)
        .map(|(_, capability)| *capability)
}

/// The message of a call to a function of `capability` that no provider
/// serves: the run was not granted it.
pub(crate) fn not_granted_message(capability: &str) -> String {
    format!("the {capability} capability was not granted to this run")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_functions_are_named_once() {
        let mut names: Vec<&str> = CAPABILITY_FUNCTIONS.iter().map(|(name, _)| *name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CAPABILITY_FUNCTIONS.len());
        assert!(!names.contains(&SESSION_NEXT_FUNCTION));
    }

    #[test]
    fn every_capability_function_has_its_capability() {
        assert_eq!(capability_of("http_request"), Some("http"));
        assert_eq!(capability_of("fs_remove"), Some("fs"));
        assert_eq!(capability_of("install_pkg"), Some("package install"));
        assert_eq!(capability_of(SESSION_NEXT_FUNCTION), None);
        assert_eq!(
            not_granted_message("kv"),
            "the kv capability was not granted to this run"
        );
    }
}
