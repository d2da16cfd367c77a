//! `POST /execute/stream` and `POST /sessions/{id}/exec/stream`: the same
//! runs, answered as NDJSON — an event per chunk of output as the guest
//! writes it, then the run result (or an error) as the last line.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use goru::{OutputChunk, OutputReceiver, OutputStream, RunResult, SessionRun, output_channel};
use serde::Serialize;
use tokio::sync::mpsc;
use tracing::Instrument;

use crate::api::{ErrorDetail, ExecuteRequest, RunResponse, SessionExecRequest};
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::outcome::respond;
use crate::request_log::{record_language, record_outcome, record_session};
use crate::session_routes::session_id;
use crate::state::AppState;

/// The media type of the answers.
pub const NDJSON: &str = "application/x-ndjson";

/// Lines waiting for a slow client before the run's output waits too.
const LINES_BUFFERED: usize = 16;

/// One line of a streamed answer.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event<'a> {
    /// Output the guest wrote to stdout.
    Stdout { data: &'a str },
    /// Output the guest wrote to stderr.
    Stderr { data: &'a str },
    /// The run's result, as `/execute` answers it: always the last line.
    Result(&'a RunResponse),
    /// The run could not be done (the answer had already begun): the last line.
    Error { error: &'a ErrorDetail },
}

/// `POST /execute/stream`: [`crate::execute`] with its output streamed.
pub async fn execute(
    State(state): State<AppState>,
    JsonBody(request): JsonBody<ExecuteRequest>,
) -> Result<Response, ApiError> {
    state.accepting()?;
    ApiError::check_code(&request.code)?;
    let language = state.defaults.language(request.lang.as_deref())?;
    record_language(language.name());
    let timeout = state.defaults.timeout(request.timeout.as_ref())?;
    let options = state.defaults.options(language, timeout, request.stdin)?;
    let slot = state.admission.admit().await?;
    let (sender, receiver) = output_channel();
    let (lines, body) = lines();
    let run = async move {
        let _slot = slot;
        let (cancel, _tracked) = state.runs.track();
        let options = options.output(sender).cancel_handle(cancel);
        let started = Instant::now();
        // Dropped (and so the run stopped) if the client goes away.
        let run = state.executor.run(language, &request.code, options);
        forward(run, receiver, &lines, started).await;
    };
    tokio::spawn(run.instrument(tracing::Span::current()));
    Ok(ndjson(body))
}

/// `POST /sessions/{id}/exec/stream`: [`crate::session_routes::exec`] with
/// its output streamed. The run goes on if the client goes away (the
/// session keeps its state); only its output is no longer sent.
pub async fn session_exec(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    JsonBody(request): JsonBody<SessionExecRequest>,
) -> Result<Response, ApiError> {
    state.accepting()?;
    ApiError::check_code(&request.code)?;
    let id = session_id(id)?;
    let checkout = crate::session_routes::checkout(&state, &id)?;
    record_session(&id);
    record_language(checkout.session.language());
    let slot = state.admission.admit().await?;
    let (sender, receiver) = output_channel();
    let (lines, body) = lines();
    let run = async move {
        let _slot = slot;
        let started = Instant::now();
        let session_run = SessionRun::new().repl(request.repl).output(sender);
        // In a task of its own: it finishes even if the client goes away.
        let session = checkout.session.clone();
        let run = tokio::spawn(async move {
            let _checkout = checkout;
            session.run_with(&request.code, session_run).await
        });
        let run = async move {
            run.await
                .unwrap_or_else(|e| Err(goru::Error::HostPanic(format!("the session run failed: {e}"))))
        };
        forward(run, receiver, &lines, started).await;
    };
    tokio::spawn(run.instrument(tracing::Span::current()));
    Ok(ndjson(body))
}

/// Sends each chunk of `receiver` as a line while `run` goes, then the
/// result line. Returns early (dropping `run`) once the client is gone.
async fn forward(
    run: impl std::future::Future<Output = Result<RunResult, goru::Error>>,
    mut receiver: OutputReceiver,
    lines: &mpsc::Sender<Bytes>,
    started: Instant,
) {
    tokio::pin!(run);
    let mut text = Utf8Streams::default();
    let outcome = loop {
        tokio::select! {
            outcome = &mut run => break outcome,
            Some(chunk) = receiver.recv() => {
                if lines.send(text.event(&chunk)).await.is_err() {
                    return;
                }
            }
        }
    };
    while let Some(chunk) = receiver.recv().await {
        if lines.send(text.event(&chunk)).await.is_err() {
            return;
        }
    }
    let _ = lines.send(last_line(outcome, started.elapsed())).await;
}

/// The result line of `outcome` (or its error line), logged as
/// `/execute` logs it.
fn last_line(outcome: Result<RunResult, goru::Error>, elapsed: Duration) -> Bytes {
    match respond(outcome, elapsed) {
        Ok((response, logged)) => {
            record_outcome(logged);
            line(&Event::Result(&response))
        }
        Err(error) => {
            record_outcome(error.code.as_str());
            let detail = ErrorDetail {
                code: error.code.as_str(),
                message: error.message,
            };
            line(&Event::Error { error: &detail })
        }
    }
}

fn line(event: &Event<'_>) -> Bytes {
    let mut bytes = serde_json::to_vec(event).unwrap_or_else(|_| b"{\"type\":\"error\"}".to_vec());
    bytes.push(b'\n');
    Bytes::from(bytes)
}

/// The channel of lines and the body that sends them as they come.
fn lines() -> (mpsc::Sender<Bytes>, Body) {
    let (sender, receiver) = mpsc::channel(LINES_BUFFERED);
    let stream = futures::stream::unfold(receiver, |mut receiver| async move {
        let line = receiver.recv().await?;
        Some((Ok::<_, Infallible>(line), receiver))
    });
    (sender, Body::from_stream(stream))
}

fn ndjson(body: Body) -> Response {
    ([(header::CONTENT_TYPE, NDJSON)], body).into_response()
}

/// Turns each stream's bytes into text chunk by chunk: a UTF-8 sequence cut
/// between two writes is sent whole with the second; invalid bytes become
/// U+FFFD, as in the run result.
#[derive(Debug, Default)]
struct Utf8Streams {
    /// The unfinished sequence at the end of the last chunk, per stream.
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Utf8Streams {
    fn event(&mut self, chunk: &OutputChunk) -> Bytes {
        let (pending, stream) = match chunk.stream {
            OutputStream::Stdout => (&mut self.stdout, OutputStream::Stdout),
            OutputStream::Stderr => (&mut self.stderr, OutputStream::Stderr),
        };
        pending.extend_from_slice(&chunk.bytes);
        let complete = match std::str::from_utf8(pending) {
            Ok(_) => pending.len(),
            // An incomplete sequence at the very end waits for the next chunk.
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => pending.len(),
        };
        let rest = pending.split_off(complete);
        let text = String::from_utf8_lossy(pending).into_owned();
        *pending = rest;
        let data = text.as_str();
        line(&match stream {
            OutputStream::Stdout => Event::Stdout { data },
            OutputStream::Stderr => Event::Stderr { data },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(stream: OutputStream, bytes: &[u8]) -> OutputChunk {
        OutputChunk {
            stream,
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn a_sequence_cut_between_writes_is_sent_whole() {
        let mut streams = Utf8Streams::default();
        let euro = "€".as_bytes();
        let first = streams.event(&chunk(OutputStream::Stdout, &[b'a', euro[0]]));
        assert_eq!(first, "{\"type\":\"stdout\",\"data\":\"a\"}\n");
        // The other stream keeps its own pending bytes.
        let other = streams.event(&chunk(OutputStream::Stderr, b"e"));
        assert_eq!(other, "{\"type\":\"stderr\",\"data\":\"e\"}\n");
        let second = streams.event(&chunk(OutputStream::Stdout, &euro[1..]));
        assert_eq!(second, "{\"type\":\"stdout\",\"data\":\"€\"}\n");
        let invalid = streams.event(&chunk(OutputStream::Stdout, b"\xffz"));
        assert_eq!(invalid, "{\"type\":\"stdout\",\"data\":\"\u{fffd}z\"}\n");
    }
}
