//! The router: which handler answers which route, the layers every request
//! goes through (log, wire format, refusal metrics, token, body cap),
//! `/health` and the error fallbacks.

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};

use crate::api::{Health, OPEN_PATH};
use crate::error::{ApiError, ErrorCode};
use crate::metrics::METRICS_PATH;
use crate::openapi::OPENAPI_PATH;
use crate::state::AppState;
use crate::wire::Reply;
use crate::{auth, execute, metrics, openapi, request_log, session_routes, stream, wire};

/// The whole API over `state`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(OPEN_PATH, get(health))
        .route(METRICS_PATH, get(metrics::metrics))
        .route(OPENAPI_PATH, get(openapi::openapi))
        .route("/execute", post(execute::execute))
        .route("/execute/stream", post(stream::execute))
        .route("/sessions", post(session_routes::create))
        .route("/sessions/{id}", delete(session_routes::delete))
        .route("/sessions/{id}/exec", post(session_routes::exec))
        .route("/sessions/{id}/exec/stream", post(stream::session_exec))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Layers run bottom-up: the log wraps everything, the answer format
        // is chosen before any answer is made, refusals are counted, and the
        // token check comes before any body is read.
        .layer(DefaultBodyLimit::max(state.config.max_body))
        .layer(middleware::from_fn_with_state(state.clone(), auth::require_token))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::count_rejections,
        ))
        .layer(middleware::from_fn(wire::negotiate))
        .layer(middleware::from_fn(request_log::log_request))
        .with_state(state)
}

/// `GET /health`: 200 `ok`, or 503 `draining` once shutdown has begun. Open
/// without a token, so it tells nothing about the load. goru's plain-text
/// form (the word alone) with `?format=text` or `Accept: text/plain`.
async fn health(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let draining = state.is_draining();
    let status_word = if draining { "draining" } else { "ok" };
    let status = if draining {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    if wants_text(&uri, &headers) {
        return (status, status_word).into_response();
    }
    let body = Health {
        status: status_word,
        version: env!("CARGO_PKG_VERSION"),
        languages: goru::language_names(),
        max_timeout_ms: u64::try_from(state.defaults.max_timeout.as_millis()).unwrap_or(u64::MAX),
        node_id: state.config.node_id.clone(),
    };
    Reply(status, body).into_response()
}

/// `?format=text`, or an `Accept` that names `text/plain` and no JSON.
fn wants_text(uri: &Uri, headers: &HeaderMap) -> bool {
    let asked = uri
        .query()
        .is_some_and(|query| query.split('&').any(|pair| pair == "format=text"));
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    asked || (accept.contains("text/plain") && !accept.contains("json"))
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
