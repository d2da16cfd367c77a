//! The bodies of the HTTP API, as they go over the wire in JSON or
//! MessagePack (docs/server.md).

use serde::{Deserialize, Serialize};

use crate::wire::{Bytes, text_or_bytes};

/// The one route a load balancer or orchestrator probes without a token.
pub const OPEN_PATH: &str = "/health";

/// `POST /execute`: run code in a fresh interpreter.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecuteRequest {
    /// The source to run.
    pub code: String,
    /// `python` (`py`) or `js` (`javascript`); default: the server's
    /// `--lang`, else python.
    #[serde(default)]
    pub lang: Option<String>,
    /// Seconds (a number) or a duration text (`"500ms"`, `"1m30s"`); at
    /// most the server's `--timeout`, which is also the default.
    #[serde(default)]
    pub timeout: Option<serde_json::Value>,
    /// What the guest reads on its stdin (empty by default): text in JSON,
    /// text or raw bytes in MessagePack.
    #[serde(default)]
    pub stdin: Option<Bytes>,
}

/// `POST /sessions`: start a live interpreter. An empty body means all defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    /// As for `/execute`.
    #[serde(default)]
    pub lang: Option<String>,
    /// As for `/execute`: the timeout of each exec that names none.
    #[serde(default)]
    pub timeout: Option<serde_json::Value>,
    /// What the guest reads on stdin over the session's life.
    #[serde(default)]
    pub stdin: Option<Bytes>,
}

/// `POST /sessions/{id}/exec`: run code in a session.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionExecRequest {
    /// The source to run; globals persist from one exec to the next.
    pub code: String,
    /// Run as REPL input: the value of a final expression is printed.
    #[serde(default)]
    pub repl: bool,
    /// This exec's timeout, as for `/execute`; default: the session's.
    #[serde(default)]
    pub timeout: Option<serde_json::Value>,
}

/// The answer of `POST /sessions`.
#[derive(Debug, Serialize)]
pub struct SessionCreated {
    /// Names the session in later calls; unguessable (128 random bits).
    pub session_id: String,
    /// The session's language, canonical name.
    pub lang: String,
}

/// What a run gave: the answer of `/execute` and `/sessions/{id}/exec`.
#[derive(Debug, Serialize)]
pub struct RunResponse {
    /// The guest's stdout: in JSON as UTF-8 (invalid bytes replaced by
    /// U+FFFD), in MessagePack as raw bytes.
    #[serde(serialize_with = "text_or_bytes")]
    pub stdout: Vec<u8>,
    /// The guest's stderr, likewise.
    #[serde(serialize_with = "text_or_bytes")]
    pub stderr: Vec<u8>,
    /// goru's field: stdout then stderr, as goru joins them, likewise.
    #[serde(serialize_with = "text_or_bytes")]
    pub output: Vec<u8>,
    /// The guest's exit status; `null` when the host stopped the run.
    pub exit_code: Option<i32>,
    /// Wall-clock time of the run, in milliseconds (queueing not included).
    pub duration_ms: u64,
    /// Whether stdout or stderr went over the output limit and was cut.
    pub truncated: bool,
    /// goru's field: what went wrong, for people — the host's reason for
    /// stopping the run, the guest's exception (`Type: message`), or a
    /// non-zero exit status; absent when the run succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Why the host stopped the run (`timeout`, `memory_limit`, `trap`,
    /// `cancelled`); absent when the guest ran to its end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<&'static str>,
    /// The guest's uncaught exception, if that is how it ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<Exception>,
}

/// An uncaught guest exception.
#[derive(Debug, Serialize)]
pub struct Exception {
    /// Its type, e.g. `ZeroDivisionError`, `TypeError`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its message.
    pub message: String,
    /// The traceback (Python) or stack (JavaScript) as the guest formatted it.
    pub traceback: String,
}

/// A stable error code and a message for people.
#[derive(Debug, Serialize)]
pub struct ErrorDetail {
    /// One of the codes listed in docs/server.md; never changes meaning.
    pub code: &'static str,
    /// What happened; wording may change.
    pub message: String,
}

/// The body of every error answer: `{"error": {"code", "message"}}`.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The answer of `GET /health`.
#[derive(Debug, Serialize)]
pub struct Health {
    /// `ok`, or `draining` while shutting down (with status 503).
    pub status: &'static str,
    /// goru's version.
    pub version: &'static str,
    /// The languages this server runs.
    pub languages: &'static [&'static str],
    /// The most a request's `timeout` may be, in milliseconds.
    pub max_timeout_ms: u64,
    /// The server's `--node-id`, the prefix of its session ids, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_id: Option<String>,
}
