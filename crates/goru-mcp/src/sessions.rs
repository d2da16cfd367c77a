//! The open sessions of a server, in goru-server's registry (shared by every
//! connection and HTTP request, so a session id works wherever the client
//! calls from), and the agent's words for why one could not be had.

pub use goru_server::sessions::{SessionError, Sessions, reap_forever};

/// What the agent is told when the registry refuses: what happened and
/// which tool to call next.
pub fn refusal(error: SessionError) -> String {
    match error {
        SessionError::TooMany(max) => {
            format!("{max} sessions are open, the most this server allows: close one with session_close")
        }
        SessionError::Unknown => "no open session has this id (it was closed, or idled past the server's limit): start one with session_create".into(),
        SessionError::Busy => "the session is running other code; sessions run one piece of code at a time".into(),
        SessionError::Cancelled => "the session's last run was cancelled, which ended the session: start a new one with session_create".into(),
        SessionError::NoId => error.to_string(),
    }
}
