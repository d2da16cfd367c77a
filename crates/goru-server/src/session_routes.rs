//! `POST /sessions`, `POST /sessions/{id}/exec`, `DELETE /sessions/{id}`:
//! live interpreters whose globals persist from one exec to the next.

use std::time::Instant;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::api::{RunResponse, SessionCreated, SessionExecRequest, SessionRequest};
use crate::body::{JsonBody, OptionalJsonBody};
use crate::error::ApiError;
use crate::outcome::respond;
use crate::request_log::{record_language, record_outcome, record_session};
use crate::state::AppState;

/// Starts a session with a grant of its own (one key-value store for its
/// whole life); its id.
pub async fn create(
    State(state): State<AppState>,
    OptionalJsonBody(request): OptionalJsonBody<SessionRequest>,
) -> Result<(StatusCode, Json<SessionCreated>), ApiError> {
    state.accepting()?;
    let language = state.defaults.language(request.lang.as_deref())?;
    record_language(language.name());
    let timeout = state.defaults.timeout(request.timeout.as_ref())?;
    let options = state.defaults.options(language, timeout, request.stdin)?;
    let reservation = state.sessions.reserve()?;
    state.start_reaper();

    // Starting an interpreter costs about what a run does: it takes a slot.
    let slot = state.admission.admit().await?;
    let session = state
        .executor
        .session(language, options)
        .await
        .map_err(|error| ApiError::from_goru(&error))?;
    drop(slot);
    let session_id = reservation.fill(session)?;
    record_session(&session_id);
    Ok((
        StatusCode::CREATED,
        Json(SessionCreated {
            session_id,
            lang: language.name().to_owned(),
        }),
    ))
}

/// Runs code in session `id`. A run the host stops (timeout, memory cap,
/// trap) is answered like a stateless one, and ends the session. The run
/// finishes even if the client goes away (the session keeps its state).
pub async fn exec(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    JsonBody(request): JsonBody<SessionExecRequest>,
) -> Result<Json<RunResponse>, ApiError> {
    state.accepting()?;
    ApiError::check_code(&request.code)?;
    let id = session_id(id)?;
    let checkout = state.sessions.checkout(&id)?;
    record_session(&id);
    record_language(checkout.session.language());

    let slot = state.admission.admit().await?;
    // The run goes on in a task of its own: dropping a session run's future
    // would end the session, and a client that goes away mid-exec should
    // not cost the session its state.
    let run = tokio::spawn(async move {
        let _slot = slot;
        let started = Instant::now();
        let outcome = if request.repl {
            checkout.session.run_repl(&request.code).await
        } else {
            checkout.session.run(&request.code).await
        };
        (outcome, started.elapsed())
    });
    let (outcome, elapsed) = run.await.map_err(|e| ApiError::internal(&e))?;
    let (response, logged) = respond(outcome, elapsed)?;
    record_outcome(logged);
    Ok(Json(response))
}

/// Closes session `id` (a run in progress is cancelled): 204, or 404.
pub async fn delete(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let id = session_id(id)?;
    if !state.sessions.delete(&id) {
        return Err(ApiError::unknown_session());
    }
    record_session(&id);
    Ok(StatusCode::NO_CONTENT)
}

/// The `{id}` of the path; a path that does not decode names no session.
pub(crate) fn session_id(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(id)| id).map_err(|_| ApiError::unknown_session())
}
