//! `POST /sessions`, `POST /sessions/{id}/exec`, `DELETE /sessions/{id}`:
//! live interpreters whose globals persist from one exec to the next.

use std::time::{Duration, Instant};

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use goru::{CancelHandle, RunResult};

use crate::api::{RunResponse, SessionCreated, SessionExecRequest, SessionRequest};
use crate::body::{JsonBody, OptionalJsonBody};
use crate::error::ApiError;
use crate::outcome::respond;
use crate::request_log::{record_language, record_outcome, record_session};
use crate::sessions::Checkout;
use crate::state::AppState;
use crate::wire::Reply;

/// How a session's execs are bounded beyond the interpreter's own limits:
/// what the registry keeps about each session.
#[derive(Debug, Clone)]
pub struct ExecLimits {
    /// Stops the session's current exec (the session's own options carry it).
    pub cancel: CancelHandle,
    /// The timeout of an exec that names none.
    pub timeout: Duration,
}

/// Starts a session with a grant of its own (one key-value store for its
/// whole life); its id. The start-up has the server's whole `--timeout`;
/// the request's `timeout` bounds each exec.
pub async fn create(
    State(state): State<AppState>,
    OptionalJsonBody(request): OptionalJsonBody<SessionRequest>,
) -> Result<Reply<SessionCreated>, ApiError> {
    state.accepting()?;
    let language = state.defaults.language(request.lang.as_deref())?;
    record_language(language.name());
    let exec_timeout = state.defaults.timeout(request.timeout.as_ref())?;
    let cancel = CancelHandle::new();
    let options = state
        .defaults
        .options(language, state.defaults.max_timeout, request.stdin)?
        .cancel_handle(cancel.clone());
    let reservation = state.sessions.reserve().map_err(ApiError::from_sessions)?;
    state.start_reaper();

    // Starting an interpreter costs about what a run does: it takes a slot.
    let slot = state.admission.admit().await?;
    let session = state
        .executor
        .session(language, options)
        .await
        .map_err(|error| ApiError::from_goru(&error))?;
    drop(slot);
    let limits = ExecLimits {
        cancel,
        timeout: exec_timeout,
    };
    let session_id = reservation
        .fill(session, limits)
        .map_err(ApiError::from_sessions)?;
    record_session(&session_id);
    Ok(Reply(
        StatusCode::CREATED,
        SessionCreated {
            session_id,
            lang: language.name().to_owned(),
        },
    ))
}

/// Runs code in session `id`. A run the host stops (timeout, memory cap,
/// trap) is answered like a stateless one, and ends the session (a Python
/// timeout that unwinds in time does not). The run
/// finishes even if the client goes away (the session keeps its state).
pub async fn exec(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    JsonBody(request): JsonBody<SessionExecRequest>,
) -> Result<Reply<RunResponse>, ApiError> {
    state.accepting()?;
    ApiError::check_code(&request.code)?;
    let id = session_id(id)?;
    let requested = match &request.timeout {
        Some(timeout) => Some(state.defaults.timeout(Some(timeout))?),
        None => None,
    };
    let checkout = checkout(&state, &id)?;
    let timeout = requested.unwrap_or(checkout.about.timeout);
    record_session(&id);
    let language = checkout.session.language().to_owned();
    record_language(&language);

    let slot = state.admission.admit().await?;
    // The interpreter stops itself at the server's --timeout; a shorter one
    // is the server's to enforce, by cancelling the exec.
    let timer = (timeout < state.defaults.max_timeout).then_some(timeout);
    // The run goes on in a task of its own: dropping a session run's future
    // would end the session, and a client that goes away mid-exec should
    // not cost the session its state.
    let run = tokio::spawn(async move {
        let _slot = slot;
        let started = Instant::now();
        let outcome = run_within(&checkout, &request, timer).await;
        (outcome, started.elapsed())
    });
    let (outcome, elapsed) = run.await.map_err(|e| ApiError::internal(&e))?;
    let (response, logged) = respond(outcome, elapsed)?;
    record_outcome(logged);
    state.metrics.run(&language, logged, elapsed, &response);
    Ok(Reply::ok(response))
}

/// Runs the exec; past `timer` it is cancelled and reported as the timeout
/// it is (with its output so far). Like any stop, that ends the session.
async fn run_within(
    checkout: &Checkout<ExecLimits>,
    request: &SessionExecRequest,
    timer: Option<Duration>,
) -> Result<RunResult, goru::Error> {
    let session = &checkout.session;
    let run = async {
        if request.repl {
            session.run_repl(&request.code).await
        } else {
            session.run(&request.code).await
        }
    };
    let Some(limit) = timer else {
        return run.await;
    };
    tokio::pin!(run);
    tokio::select! {
        outcome = &mut run => outcome,
        () = tokio::time::sleep(limit) => {
            checkout.about.cancel.cancel();
            match run.await {
                Err(goru::Error::Cancelled { output }) => Err(goru::Error::Timeout { limit, output }),
                other => other,
            }
        }
    }
}

/// Closes session `id` (a run in progress is cancelled): 204, or 404.
pub async fn delete(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let id = session_id(id)?;
    if !state.sessions.close(&id) {
        return Err(ApiError::unknown_session());
    }
    record_session(&id);
    Ok(StatusCode::NO_CONTENT)
}

/// Session `id` checked out for one exec. An HTTP exec is never cancelled
/// by its caller (it goes on if the client goes away), so no checkout
/// finds a cancelled one.
pub(crate) fn checkout(state: &AppState, id: &str) -> Result<Checkout<ExecLimits>, ApiError> {
    state
        .sessions
        .checkout(id, || false)
        .map_err(ApiError::from_sessions)
}

/// The `{id}` of the path; a path that does not decode names no session.
pub(crate) fn session_id(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(id)| id).map_err(|_| ApiError::unknown_session())
}
