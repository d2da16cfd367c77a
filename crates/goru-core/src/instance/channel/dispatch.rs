//! Turns one request frame into the host calls it asks for and their replies.
//!
//! Request: `{"calls": [{"fn": NAME, "args": ARGS}, ...]}` — a sync call is a
//! batch of one. Reply: `{"results": [{"ok": VALUE} | {"error": {"kind", "message"}}, ...]}`
//! in request order, or `{"error": {...}}` when the frame as a whole is refused.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::FutureExt;
use serde::Deserialize;
use serde_json::{Value, json};
use tracing::Instrument;

use crate::host::{HostError, HostFunctions, HostFuture, kinds};

#[derive(Deserialize)]
struct Request {
    calls: Vec<Call>,
}

#[derive(Deserialize)]
struct Call {
    #[serde(rename = "fn")]
    name: String,
    #[serde(default)]
    args: Value,
}

/// What a request frame led to.
pub(crate) enum Started {
    /// The reply is known at once (the frame was refused).
    Refused(Value),
    /// The calls are running; the future yields the reply.
    Running(futures::future::BoxFuture<'static, Value>),
}

/// Decodes `payload` and starts its calls, charging them to `calls_left`.
pub(crate) fn start(
    payload: &[u8],
    providers: &[Arc<dyn HostFunctions>],
    calls_left: &AtomicUsize,
) -> Started {
    let request: Request = match serde_json::from_slice(payload) {
        Ok(request) => request,
        Err(e) => {
            return Started::Refused(error_reply(&HostError::new(
                kinds::PROTOCOL,
                format!("malformed host-call frame: {e}"),
            )));
        }
    };
    let wanted = request.calls.len();
    let charged = calls_left.fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
        left.checked_sub(wanted)
    });
    if charged.is_err() {
        calls_left.store(0, Ordering::Release);
        return Started::Refused(error_reply(&HostError::new(
            kinds::LIMIT,
            "this run has used up its host calls",
        )));
    }
    // The names are collected only if the span is enabled.
    let span = tracing::debug_span!(
        "host_calls",
        calls = ?request.calls.iter().map(|c| c.name.as_str()).collect::<Vec<_>>()
    );
    let calls: Vec<HostFuture> = request
        .calls
        .into_iter()
        .map(|call| start_call(call, providers))
        .collect();
    Started::Running(Box::pin(
        async move {
            let results = futures::future::join_all(calls).await;
            json!({ "results": results.into_iter().map(result_entry).collect::<Vec<_>>() })
        }
        .instrument(span),
    ))
}

fn start_call(call: Call, providers: &[Arc<dyn HostFunctions>]) -> HostFuture {
    let Some(future) = providers
        .iter()
        .find_map(|p| p.call(&call.name, call.args.clone()))
    else {
        let error = HostError::new(
            kinds::UNKNOWN_FUNCTION,
            format!("no host function named {:?}", call.name),
        );
        return Box::pin(async move { Err(error) });
    };
    Box::pin(async move {
        // A panicking host function fails its own call, not the batch or the host.
        AssertUnwindSafe(future).catch_unwind().await.unwrap_or_else(|_| {
            Err(HostError::failed(format!(
                "host function {:?} panicked",
                call.name
            )))
        })
    })
}

pub(crate) fn result_entry(result: Result<Value, HostError>) -> Value {
    match result {
        Ok(value) => json!({ "ok": value }),
        Err(error) => json!({ "error": error_value(&error) }),
    }
}

/// A reply refusing the whole frame.
pub(crate) fn error_reply(error: &HostError) -> Value {
    json!({ "error": error_value(error) })
}

fn error_value(error: &HostError) -> Value {
    json!({ "kind": error.kind(), "message": error.message() })
}
