//! The router: which handler answers which route, the layers every request
//! goes through (log, token, body cap), `/health` and the JSON fallbacks.

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};

use crate::api::{Health, OPEN_PATH};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::{auth, execute, request_log, session_routes, stream};

/// The whole API over `state`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(OPEN_PATH, get(health))
        .route("/execute", post(execute::execute))
        .route("/execute/stream", post(stream::execute))
        .route("/sessions", post(session_routes::create))
        .route("/sessions/{id}", delete(session_routes::delete))
        .route("/sessions/{id}/exec", post(session_routes::exec))
        .route("/sessions/{id}/exec/stream", post(stream::session_exec))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Layers run bottom-up: the log wraps everything, the token check
        // comes before any body is read.
        .layer(DefaultBodyLimit::max(state.config.max_body))
        .layer(middleware::from_fn_with_state(state.clone(), auth::require_token))
        .layer(middleware::from_fn(request_log::log_request))
        .with_state(state)
}

/// `GET /health`: 200 `ok`, or 503 `draining` once shutdown has begun. Open
/// without a token, so it tells nothing about the load.
async fn health(State(state): State<AppState>) -> Response {
    let draining = state.is_draining();
    let body = Health {
        status: if draining { "draining" } else { "ok" },
        version: env!("CARGO_PKG_VERSION"),
        languages: goru::language_names(),
        max_timeout_ms: u64::try_from(state.defaults.max_timeout.as_millis()).unwrap_or(u64::MAX),
    };
    let status = if draining {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    (status, axum::Json(body)).into_response()
}

async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such route (see docs/server.md)")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        "this route does not take that method",
    )
}
