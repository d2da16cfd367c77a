//! The API's errors: one stable code per kind, its HTTP status, and the
//! answer `{"error": {"code", "message"}}` (in the request's wire format).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use goru::ErrorKind;

use crate::api::{ErrorBody, ErrorDetail};
use crate::request_log::record_outcome;
use crate::sessions::SessionError;
use crate::units::{error_message, format_size};
use crate::wire::Reply;

/// What went wrong, as clients match on it. The strings are part of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// Malformed JSON, a missing or unknown field, an unknown language, a
    /// bad timeout.
    BadRequest,
    /// No token, or the wrong one.
    Unauthorized,
    /// No such route.
    NotFound,
    /// The route exists, not with this method.
    MethodNotAllowed,
    /// No such session: never made, deleted, or reaped after idling.
    UnknownSession,
    /// The session is running other code.
    Busy,
    /// The session's interpreter is gone (a run timed out, trapped, hit the
    /// memory cap or exited); delete it and start another.
    SessionEnded,
    /// The body is over `--max-body`.
    PayloadTooLarge,
    /// `--max-sessions` are open.
    TooManySessions,
    /// Every run slot stayed taken for `--queue-wait`; retry later.
    Saturated,
    /// The server is shutting down.
    ShuttingDown,
    /// A failure of the server itself; details are in its log.
    Internal,
    /// In a run's answer: the host stopped the run (a [stop](ErrorKind::is_stop):
    /// timeout, memory cap, trap, cancelled by a session's deletion or the
    /// shutdown), coded as goru's [`ErrorKind`].
    Stopped(ErrorKind),
}

impl ErrorCode {
    /// The code of a run the host stopped with an error of this kind; `None`
    /// for kinds that are not stops.
    pub fn stopped(kind: ErrorKind) -> Option<Self> {
        kind.is_stop().then_some(ErrorCode::Stopped(kind))
    }

    /// The code as it appears in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::UnknownSession => "unknown_session",
            ErrorCode::Busy => "busy",
            ErrorCode::SessionEnded => "session_ended",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::TooManySessions => "too_many_sessions",
            ErrorCode::Saturated => "saturated",
            ErrorCode::ShuttingDown => "shutting_down",
            ErrorCode::Internal => "internal",
            ErrorCode::Stopped(kind) => kind.as_str(),
        }
    }

    /// The HTTP status of an answer that is this error. A stopped run
    /// (`timeout`, ...) normally comes inside a 200 run result; it gets 500
    /// only when a session could not even start.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::NotFound | ErrorCode::UnknownSession => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::Busy => StatusCode::CONFLICT,
            ErrorCode::SessionEnded => StatusCode::GONE,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::TooManySessions => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Saturated | ErrorCode::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal | ErrorCode::Stopped(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    /// Its code (and so its status).
    pub code: ErrorCode,
    /// For people.
    pub message: String,
    /// Seconds for a `Retry-After` header.
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with this code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// A malformed or unusable request.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    /// Refuses a request's `code` that no interpreter may be given (a NUL
    /// character), before any slot or session is touched.
    pub fn check_code(code: &str) -> Result<(), Self> {
        goru::check_code(code).map_err(|e| Self::bad_request(e.to_string()))
    }

    /// A request over the body cap.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            ErrorCode::PayloadTooLarge,
            format!(
                "the request body is over the limit of {}",
                format_size(limit as u64)
            ),
        )
    }

    /// Why the session registry refused, in the words of this API.
    pub fn from_sessions(error: SessionError) -> Self {
        match error {
            SessionError::TooMany(max) => Self::new(
                ErrorCode::TooManySessions,
                format!("{max} sessions are open, the most this server allows; delete one or retry later"),
            ),
            SessionError::Unknown => Self::unknown_session(),
            SessionError::Busy => Self::new(ErrorCode::Busy, "the session is running other code"),
            SessionError::Cancelled => Self::new(ErrorCode::SessionEnded, error.to_string()),
            SessionError::NoId => Self::internal(&error),
        }
    }

    /// No session called `id`.
    pub fn unknown_session() -> Self {
        Self::new(
            ErrorCode::UnknownSession,
            "no such session (never created, deleted, or closed after idling)",
        )
    }

    /// A failure of the server itself: the detail goes to the log, not to
    /// the client (it may name host paths).
    pub fn internal(detail: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(ErrorCode::Internal, "internal error; see the server log")
    }

    /// How a goru error that is not a run's outcome is answered: a session
    /// that is busy or gone, or a failure to start.
    pub fn from_goru(error: &goru::Error) -> Self {
        match error.kind() {
            ErrorKind::SessionBusy => Self::new(ErrorCode::Busy, error.to_string()),
            ErrorKind::SessionClosed | ErrorKind::SessionEnded => {
                Self::new(ErrorCode::SessionEnded, error.to_string())
            }
            ErrorKind::InvalidOption | ErrorKind::InvalidCode => Self::bad_request(invalid(error)),
            kind => match ErrorCode::stopped(kind) {
                Some(code) => Self::new(code, error_message(error)),
                None => Self::internal(error),
            },
        }
    }

    /// Adds a `Retry-After` of `seconds`.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        record_outcome(self.code.as_str());
        let status = self.code.status();
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.as_str(),
                message: self.message,
            },
        };
        let mut response = Reply(status, body).into_response();
        // For the metrics of refused requests.
        response.extensions_mut().insert(self.code);
        let headers = response.headers_mut();
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.code == ErrorCode::Unauthorized {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// The message of an unusable option (its own words, without the `invalid
/// option:` its `Display` adds) or unusable code (as displayed).
fn invalid(error: &goru::Error) -> String {
    match error {
        goru::Error::InvalidOption(message) => message.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopped_runs_keep_their_wire_codes() {
        for (kind, code) in [
            (ErrorKind::Timeout, "timeout"),
            (ErrorKind::MemoryLimit, "memory_limit"),
            (ErrorKind::Trap, "trap"),
            (ErrorKind::Cancelled, "cancelled"),
        ] {
            let stopped = ErrorCode::stopped(kind).expect("a stop");
            assert_eq!(stopped.as_str(), code);
            assert_eq!(stopped.status(), StatusCode::INTERNAL_SERVER_ERROR);
        }
        assert_eq!(ErrorCode::stopped(ErrorKind::SessionBusy), None);
    }

    #[test]
    fn goru_errors_map_to_api_codes() {
        let code = |error: goru::Error| ApiError::from_goru(&error).code;
        assert_eq!(code(goru::Error::SessionBusy), ErrorCode::Busy);
        assert_eq!(code(goru::Error::SessionClosed), ErrorCode::SessionEnded);
        assert_eq!(
            code(goru::Error::InvalidOption("x".into())),
            ErrorCode::BadRequest
        );
        assert_eq!(code(goru::Error::InvalidCode("x".into())), ErrorCode::BadRequest);
        assert_eq!(code(goru::Error::Setup("x".into())), ErrorCode::Internal);
        let cancelled = goru::Error::Cancelled {
            output: Box::default(),
        };
        assert_eq!(code(cancelled), ErrorCode::Stopped(ErrorKind::Cancelled));
    }
}
