//! The bearer token: with `--token` (or `GORU_TOKEN`) every route but
//! `/health` (and `/metrics`, if made open) wants `Authorization: Bearer
//! TOKEN`, compared in constant time.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::OPEN_PATH;
use crate::error::{ApiError, ErrorCode};
use crate::metrics::METRICS_PATH;
use crate::state::AppState;

/// Middleware: refuses a request without the right token with 401.
pub async fn require_token(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(expected) = state.config.token.as_deref() else {
        return next.run(request).await;
    };
    let path = request.uri().path();
    if path == OPEN_PATH || (path == METRICS_PATH && state.config.metrics_open) {
        return next.run(request).await;
    }
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(bearer_token);
    match presented {
        Some(token) if same_secret(expected.as_bytes(), token.as_bytes()) => next.run(request).await,
        Some(_) => ApiError::new(ErrorCode::Unauthorized, "wrong token").into_response(),
        None => ApiError::new(
            ErrorCode::Unauthorized,
            "this server wants an `Authorization: Bearer TOKEN` header",
        )
        .into_response(),
    }
}

/// The token of an `Authorization: Bearer TOKEN` value (scheme in any case).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Whether `presented` equals `expected`, in time that depends on the
/// length of `expected` only, so timing does not tell how much of a guess
/// was right.
fn same_secret(expected: &[u8], presented: &[u8]) -> bool {
    let mut difference = expected.len() ^ presented.len();
    for (i, byte) in expected.iter().enumerate() {
        let other = presented.get(i).copied().unwrap_or(!byte);
        difference |= usize::from(byte ^ other);
    }
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_whole_secrets() {
        assert!(same_secret(b"s3cret", b"s3cret"));
        assert!(!same_secret(b"s3cret", b"s3cre"));
        assert!(!same_secret(b"s3cret", b"s3cret!"));
        assert!(!same_secret(b"s3cret", b"S3cret"));
        assert!(!same_secret(b"s3cret", b""));
        assert!(!same_secret(b"a", b"\x9e"));
    }

    #[test]
    fn parses_the_bearer_scheme() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer"), None);
    }
}
