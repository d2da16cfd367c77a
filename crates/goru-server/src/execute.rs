//! `POST /execute`: run code once, in a fresh interpreter with a fresh grant.

use std::time::Instant;

use axum::extract::State;

use crate::api::{ExecuteRequest, RunResponse};
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::outcome::respond;
use crate::request_log::{record_language, record_outcome};
use crate::state::AppState;
use crate::wire::Reply;

/// Runs the request's code and answers with its output, exit code and, if
/// the host stopped it, why (still 200: the request itself went fine).
pub async fn execute(
    State(state): State<AppState>,
    JsonBody(request): JsonBody<ExecuteRequest>,
) -> Result<Reply<RunResponse>, ApiError> {
    state.accepting()?;
    ApiError::check_code(&request.code)?;
    let language = state.defaults.language(request.lang.as_deref())?;
    record_language(language.name());
    let timeout = state.defaults.timeout(request.timeout.as_ref())?;
    let (cancel, _tracked) = state.runs.track();
    let options = state
        .defaults
        .options(language, timeout, request.stdin)?
        .cancel_handle(cancel);

    let _slot = state.admission.admit().await?;
    let started = Instant::now();
    let outcome = state.executor.run(language, &request.code, options).await;
    let elapsed = started.elapsed();
    let (response, logged) = respond(outcome, elapsed)?;
    record_outcome(logged);
    state.metrics.run(language.name(), logged, elapsed, &response);
    Ok(Reply::ok(response))
}
