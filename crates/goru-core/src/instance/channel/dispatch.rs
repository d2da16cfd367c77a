//! Turns one request frame into the host calls it asks for and their reply.
//!
//! Request: `{"calls": [{"fn": NAME, "args": ARGS}, ...]}` — a sync call is a
//! batch of one. Reply: `{"results": [{"ok": VALUE} | {"error": {"kind", "message"}}, ...]}`
//! in request order, or `{"error": {...}}` when the frame as a whole is refused.
//!
//! What a batch may cost the host is bounded three ways: its parsed request
//! by a memory budget (see [`super::request`]), the calls running at once by
//! [`Bounds::in_flight`] (the others wait, unstarted), and the reply by
//! [`Bounds::reply_bytes`]: each result is written out as it arrives, counted
//! while written; the first that does not fit in what is left, and every one
//! after it, is replaced by a `limit` error.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use serde::Serialize;
use serde_json::{Value, json};
use tracing::Instrument;

use super::frame::{self, write_json};
use super::request::{self, Call, Refusal};
use crate::host::{HostError, HostFunctions, kinds};

/// The bytes of a reply frame, in order (written as produced, never joined).
pub(crate) type Chunks = Vec<Vec<u8>>;

/// What one batch may take.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    /// Bytes the parsed request may take.
    pub(crate) parse_bytes: usize,
    /// Calls running at once.
    pub(crate) in_flight: usize,
    /// Bytes of results in the reply.
    pub(crate) reply_bytes: usize,
}

/// Decodes `payload` into its calls, charging them to `calls_left`, or the
/// reply refusing the frame.
pub(crate) fn decode(payload: &[u8], calls_left: &AtomicUsize, bounds: Bounds) -> Result<Vec<Call>, Value> {
    let calls = request::decode(payload, calls_left.load(Ordering::Acquire), bounds.parse_bytes)
        .map_err(|refusal| error_reply(&refused(refusal, calls_left, bounds)))?;
    let wanted = calls.len();
    calls_left
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
            left.checked_sub(wanted)
        })
        .map_err(|_| error_reply(&refused(Refusal::TooManyCalls, calls_left, bounds)))?;
    Ok(calls)
}

/// Starts `calls`; the future yields the reply frame.
pub(crate) fn start(
    calls: Vec<Call>,
    providers: &[Arc<dyn HostFunctions>],
    bounds: Bounds,
) -> BoxFuture<'static, Chunks> {
    // The names are collected only if the span is enabled.
    let span = tracing::debug_span!(
        "host_calls",
        calls = ?calls.iter().map(|c| c.name.as_str()).collect::<Vec<_>>()
    );
    let providers = providers.to_vec();
    Box::pin(
        async move {
            let room = AtomicUsize::new(bounds.reply_bytes);
            let mut entries = vec![Vec::new(); calls.len()];
            let mut done = futures::stream::iter(calls.into_iter().enumerate())
                .map(|(index, call)| {
                    let (providers, room) = (&providers, &room);
                    async move {
                        let result = run(call, providers).await;
                        (index, entry(index, &result, room, bounds.reply_bytes))
                    }
                })
                // Later calls are not started (nor their provider asked)
                // before a running one ends.
                .buffer_unordered(bounds.in_flight.max(1));
            while let Some((index, bytes)) = done.next().await {
                entries[index] = bytes;
            }
            assemble(entries)
        }
        .instrument(span),
    )
}

fn refused(refusal: Refusal, calls_left: &AtomicUsize, bounds: Bounds) -> HostError {
    match refusal {
        Refusal::Malformed(e) => HostError::new(kinds::PROTOCOL, format!("malformed host-call frame: {e}")),
        Refusal::TooManyCalls => {
            calls_left.store(0, Ordering::Release);
            HostError::new(kinds::LIMIT, "this run has used up its host calls")
        }
        Refusal::OverBudget => HostError::new(
            kinds::LIMIT,
            format!(
                "the host-call arguments would take more than {} bytes of host memory once parsed",
                bounds.parse_bytes
            ),
        ),
    }
}

/// Runs one call; a panicking host function fails its own call, not the
/// batch or the host.
async fn run(call: Call, providers: &[Arc<dyn HostFunctions>]) -> Result<Value, HostError> {
    let Call { name, args } = call;
    let started = AssertUnwindSafe(async {
        match provide(&name, args, providers) {
            Some(future) => future.await,
            None => Err(HostError::new(
                kinds::UNKNOWN_FUNCTION,
                format!("no host function named {name:?}"),
            )),
        }
    });
    started
        .catch_unwind()
        .await
        .unwrap_or_else(|_| Err(HostError::failed(format!("host function {name:?} panicked"))))
}

/// The first provider's future for `name`; the last one asked gets `args`
/// itself rather than a copy.
fn provide(name: &str, args: Value, providers: &[Arc<dyn HostFunctions>]) -> Option<crate::host::HostFuture> {
    let (last, others) = providers.split_last()?;
    others
        .iter()
        .find_map(|p| p.call(name, args.clone()))
        .or_else(|| last.call(name, args))
}

/// One result as reply bytes (after a comma unless it is the first), taking
/// its size from `room`; a result that does not fit becomes a `limit` error
/// and leaves no room for later ones.
fn entry(index: usize, result: &Result<Value, HostError>, room: &AtomicUsize, reply_bytes: usize) -> Vec<u8> {
    #[derive(Serialize)]
    enum Entry<'a> {
        #[serde(rename = "ok")]
        Ok(&'a Value),
        #[serde(rename = "error")]
        Error(ErrorBody<'a>),
    }
    let separator: &[u8] = if index == 0 { b"" } else { b"," };
    let entry = match result {
        Ok(value) => Entry::Ok(value),
        Err(error) => Entry::Error(ErrorBody::of(error)),
    };
    // The calls of a batch are polled by one task, so nothing else takes
    // from `room` between this load and the store.
    let left = room.load(Ordering::Acquire);
    let mut bytes = separator.to_vec();
    let fits = write_json(&entry, &mut bytes, left.saturating_add(separator.len())).is_ok();
    // The first result that does not fit closes the reply, so no more than
    // one result is ever written out in vain.
    room.store(
        if fits {
            left - (bytes.len() - separator.len())
        } else {
            0
        },
        Ordering::Release,
    );
    if fits {
        return bytes;
    }
    // A fresh vector: the refused one may have grown to `left` bytes.
    let mut bytes = separator.to_vec();
    let over = HostError::new(
        kinds::LIMIT,
        format!("the results of this batch passed the {reply_bytes}-byte limit on a host-call reply"),
    );
    write_json(&Entry::Error(ErrorBody::of(&over)), &mut bytes, usize::MAX)
        .expect("a Vec takes any amount of JSON");
    bytes
}

/// The reply frame around `entries`.
fn assemble(entries: Vec<Vec<u8>>) -> Chunks {
    const OPEN: &[u8] = br#"{"results":["#;
    const CLOSE: &[u8] = b"]}";
    let len = OPEN.len() + CLOSE.len() + entries.iter().map(Vec::len).sum::<usize>();
    let mut head = frame::header(len).to_vec();
    head.extend_from_slice(OPEN);
    let mut chunks = Vec::with_capacity(entries.len() + 2);
    chunks.push(head);
    chunks.extend(entries);
    chunks.push(CLOSE.to_vec());
    chunks
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    kind: &'a str,
    message: &'a str,
}

impl<'a> ErrorBody<'a> {
    fn of(error: &'a HostError) -> Self {
        Self {
            kind: error.kind(),
            message: error.message(),
        }
    }
}

/// A reply refusing the whole frame.
pub(crate) fn error_reply(error: &HostError) -> Value {
    json!({ "error": { "kind": error.kind(), "message": error.message() } })
}
