//! One log line per request, in a span that carries its id, route, language
//! and outcome; the id goes back in `X-Request-Id`. User code, stdin and
//! output are never logged.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::api::OPEN_PATH;
use crate::ids::{random_hex, short};

/// The header that carries a request's id, both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// Middleware: gives the request an id (the client's, if it sent a sane
/// one) and logs how it went.
pub async fn log_request(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| is_sane(id))
        .map_or_else(new_id, str::to_owned);
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %request.method(),
        route = %route,
        lang = tracing::field::Empty,
        session = tracing::field::Empty,
        outcome = tracing::field::Empty,
    );
    if let Ok(value) = HeaderValue::from_str(&id) {
        request.headers_mut().insert(REQUEST_ID, value.clone());
    }
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let duration_ms = started.elapsed().as_millis();
    span.in_scope(|| {
        if response.status().is_server_error() {
            tracing::warn!(status, duration_ms, "request answered");
        } else if route == OPEN_PATH {
            // Probes come every few seconds; they would drown the real work.
            tracing::debug!(status, duration_ms, "request answered");
        } else {
            tracing::info!(status, duration_ms, "request answered");
        }
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// Records the language of the request being handled, for its log line.
pub fn record_language(name: &str) {
    tracing::Span::current().record("lang", tracing::field::display(name));
}

/// Records the session of the request being handled (its [`short`] id).
pub fn record_session(id: &str) {
    tracing::Span::current().record("session", tracing::field::display(short(id)));
}

/// Records how the request went: a run's outcome (`ok`, `exception`,
/// `timeout`, ...) or an error answer's code.
pub fn record_outcome(outcome: &str) {
    tracing::Span::current().record("outcome", tracing::field::display(outcome));
}

/// An id a client sent is kept if it cannot garble a log line.
fn is_sane(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

fn new_id() -> String {
    static FALLBACK: AtomicU64 = AtomicU64::new(0);
    random_hex(8).unwrap_or_else(|| format!("n{}", FALLBACK.fetch_add(1, Ordering::Relaxed)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_kept_only_when_sane() {
        assert!(is_sane("abc-123_x.y:z"));
        assert!(!is_sane(""));
        assert!(!is_sane("has space"));
        assert!(!is_sane("line\nbreak"));
        assert!(!is_sane(&"x".repeat(65)));
        assert_eq!(new_id().len(), 16);
    }
}
