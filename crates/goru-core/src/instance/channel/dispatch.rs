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
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;
use tracing::Instrument;

use super::frame::{self, write_json};
use super::request::{self, Call, Refusal};
use crate::host::{HostError, HostFunctions};
use crate::protocol::frame::{ERROR, KIND, MESSAGE, OK, RESULTS};
use crate::protocol::{self, kinds};

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
/// reply frame refusing it.
pub(crate) fn decode(payload: &[u8], calls_left: &AtomicUsize, bounds: Bounds) -> Result<Vec<Call>, Vec<u8>> {
    let calls = request::decode(payload, calls_left.load(Ordering::Acquire), bounds.parse_bytes)
        .map_err(|refusal| error_reply(refused(refusal, calls_left, bounds)))?;
    let wanted = calls.len();
    calls_left
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
            left.checked_sub(wanted)
        })
        .map_err(|_| error_reply(refused(Refusal::TooManyCalls, calls_left, bounds)))?;
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
            None => Err(unserved(&name)),
        }
    });
    started
        .catch_unwind()
        .await
        .unwrap_or_else(|_| Err(HostError::failed(format!("host function {name:?} panicked"))))
}

/// The error of a call no provider serves: a standard capability's function
/// means the run was not granted that capability, any other name is unknown.
fn unserved(name: &str) -> HostError {
    match protocol::capability_of(name) {
        Some(capability) => HostError::not_granted(protocol::not_granted_message(capability)),
        None => HostError::new(
            kinds::UNKNOWN_FUNCTION,
            format!("no host function named {name:?}"),
        ),
    }
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
    let separator: &[u8] = if index == 0 { b"" } else { b"," };
    // The calls of a batch are polled by one task, so nothing else takes
    // from `room` between this load and the store.
    let left = room.load(Ordering::Acquire);
    let mut bytes = separator.to_vec();
    let fits = write_json(&Entry(result), &mut bytes, left.saturating_add(separator.len())).is_ok();
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
    write_all_json(&Entry(&Err(over)), &mut bytes);
    bytes
}

/// The reply frame around `entries`.
fn assemble(entries: Vec<Vec<u8>>) -> Chunks {
    let open = format!("{{\"{RESULTS}\":[");
    const CLOSE: &[u8] = b"]}";
    let len = open.len() + CLOSE.len() + entries.iter().map(Vec::len).sum::<usize>();
    let mut head = frame::header(len).to_vec();
    head.extend_from_slice(open.as_bytes());
    let mut chunks = Vec::with_capacity(entries.len() + 2);
    chunks.push(head);
    chunks.extend(entries);
    chunks.push(CLOSE.to_vec());
    chunks
}

/// A reply frame with the one result of a call the channel answered itself.
pub(crate) fn single_result(result: &Result<Value, HostError>) -> Vec<u8> {
    let mut entry = Vec::new();
    write_all_json(&Entry(result), &mut entry);
    assemble(vec![entry]).concat()
}

/// A reply frame refusing the whole request: `{"error": {...}}`.
pub(crate) fn error_reply(error: HostError) -> Vec<u8> {
    frame::encode(&Entry(&Err(error)))
}

fn write_all_json(value: &impl Serialize, bytes: &mut Vec<u8>) {
    write_json(value, bytes, usize::MAX).expect("a Vec takes any amount of JSON");
}

/// A reply entry, `{"ok": VALUE}` or `{"error": {"kind": KIND, "message": TEXT}}`;
/// the latter is also the whole reply refusing a request.
struct Entry<'a>(&'a Result<Value, HostError>);

impl Serialize for Entry<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        match self.0 {
            Ok(value) => map.serialize_entry(OK, value)?,
            Err(error) => map.serialize_entry(ERROR, &ErrorBody(error))?,
        }
        map.end()
    }
}

struct ErrorBody<'a>(&'a HostError);

impl Serialize for ErrorBody<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry(KIND, self.0.kind())?;
        map.serialize_entry(MESSAGE, self.0.message())?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use serde_json::json;

    use super::*;
    use crate::host::HostFuture;

    /// Serves `name` with `value`; `"boom"` panics; `"count"` yields a few
    /// times, recording how many of its calls ran at once.
    #[derive(Debug, Default)]
    struct Provider {
        name: &'static str,
        value: Value,
        running: Arc<AtomicUsize>,
        most: Arc<AtomicUsize>,
    }

    impl Provider {
        fn serving(name: &'static str, value: Value) -> Arc<Self> {
            Arc::new(Self {
                name,
                value,
                ..Self::default()
            })
        }
    }

    impl HostFunctions for Provider {
        fn call(&self, name: &str, _args: Value) -> Option<HostFuture> {
            let future: HostFuture = match name {
                "boom" if self.name == "boom" => Box::pin(async { panic!("on purpose") }),
                "count" if self.name == "count" => {
                    let (running, most) = (self.running.clone(), self.most.clone());
                    Box::pin(async move {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        for _ in 0..5 {
                            tokio::task::yield_now().await;
                        }
                        running.fetch_sub(1, Ordering::SeqCst);
                        Ok(Value::Null)
                    })
                }
                name if name == self.name => {
                    let value = self.value.clone();
                    Box::pin(async move { Ok(value) })
                }
                _ => return None,
            };
            Some(future)
        }
    }

    const BOUNDS: Bounds = Bounds {
        parse_bytes: 1 << 20,
        in_flight: 16,
        reply_bytes: 1 << 20,
    };

    fn calls(names: &[&str]) -> Vec<Call> {
        names
            .iter()
            .map(|name| Call {
                name: (*name).into(),
                args: Value::Null,
            })
            .collect()
    }

    /// The reply frame's JSON, checked to be one well-framed frame.
    fn reply(chunks: Chunks) -> Value {
        let frame = chunks.concat();
        let len = u32::from_le_bytes(frame[..4].try_into().unwrap()) as usize;
        assert_eq!(len, frame.len() - 4, "the header counts the payload");
        serde_json::from_slice(&frame[4..]).unwrap()
    }

    fn run(names: &[&str], providers: &[Arc<dyn HostFunctions>], bounds: Bounds) -> Value {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        reply(runtime.block_on(start(calls(names), providers, bounds)))
    }

    fn error(kind: &str, message: &str) -> Value {
        json!({ "error": { "kind": kind, "message": message } })
    }

    #[test]
    fn a_name_nobody_serves_is_unknown_and_a_capability_function_not_granted() {
        let reply = run(&["nope", "kv_get", "http_request"], &[], BOUNDS);
        assert_eq!(
            reply,
            json!({ "results": [
                error("unknown_function", "no host function named \"nope\""),
                error("not_granted", "the kv capability was not granted to this run"),
                error("not_granted", "the http capability was not granted to this run"),
            ]})
        );
    }

    #[test]
    fn providers_are_asked_in_order_and_the_first_that_serves_answers() {
        let providers: Vec<Arc<dyn HostFunctions>> = vec![
            Provider::serving("other", json!(0)),
            Provider::serving("kv_get", json!("first")),
            Provider::serving("kv_get", json!("second")),
        ];
        assert_eq!(
            run(&["kv_get", "other"], &providers, BOUNDS),
            json!({ "results": [{ "ok": "first" }, { "ok": 0 }] })
        );
    }

    #[test]
    fn a_panicking_function_fails_only_its_call() {
        let providers: Vec<Arc<dyn HostFunctions>> = vec![
            Provider::serving("boom", Value::Null),
            Provider::serving("a", json!(1)),
        ];
        assert_eq!(
            run(&["boom", "a"], &providers, BOUNDS),
            json!({ "results": [error("failed", "host function \"boom\" panicked"), { "ok": 1 }] })
        );
    }

    #[test]
    fn no_more_calls_run_at_once_than_the_cap() {
        let counter = Provider::serving("count", Value::Null);
        let providers: Vec<Arc<dyn HostFunctions>> = vec![counter.clone()];
        let bounds = Bounds {
            in_flight: 3,
            ..BOUNDS
        };
        let reply = run(&["count"; 10], &providers, bounds);
        assert_eq!(reply["results"].as_array().unwrap().len(), 10);
        assert_eq!(counter.most.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn results_past_the_reply_cap_become_limit_errors() {
        let providers: Vec<Arc<dyn HostFunctions>> = vec![
            Provider::serving("small", json!("x")),
            Provider::serving("big", json!("y".repeat(100))),
        ];
        // Calls end in order with one at a time: `{"ok":"x"}` takes 10 bytes.
        let bounds = Bounds {
            in_flight: 1,
            reply_bytes: 50,
            ..BOUNDS
        };
        let over = error(
            "limit",
            "the results of this batch passed the 50-byte limit on a host-call reply",
        );
        assert_eq!(
            run(&["small", "big", "small"], &providers, bounds),
            json!({ "results": [{ "ok": "x" }, over.clone(), over] })
        );
    }

    #[test]
    fn calls_are_charged_to_the_runs_allowance() {
        let payload = br#"{"calls":[{"fn":"a"},{"fn":"b"}]}"#;
        let left = AtomicUsize::new(3);
        assert_eq!(decode(payload, &left, BOUNDS).unwrap().len(), 2);
        assert_eq!(left.load(Ordering::SeqCst), 1);
        // Over the allowance: refused whole, and the run has none left.
        let refusal = decode(payload, &left, BOUNDS).unwrap_err();
        assert_eq!(
            reply(vec![refusal]),
            error("limit", "this run has used up its host calls")
        );
        assert_eq!(left.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_malformed_or_oversized_request_is_refused_whole() {
        let left = AtomicUsize::new(10);
        let refusal = decode(b"{\"calls\": 1}", &left, BOUNDS).unwrap_err();
        assert_eq!(reply(vec![refusal])["error"]["kind"], "protocol");
        let bounds = Bounds {
            parse_bytes: 10,
            ..BOUNDS
        };
        let refusal = decode(br#"{"calls":[{"fn":"a","args":"0123456789"}]}"#, &left, bounds).unwrap_err();
        assert_eq!(
            reply(vec![refusal]),
            error(
                "limit",
                "the host-call arguments would take more than 10 bytes of host memory once parsed"
            )
        );
        assert_eq!(left.load(Ordering::SeqCst), 10, "refused calls are not charged");
    }

    #[test]
    fn a_single_result_is_a_whole_reply_frame() {
        assert_eq!(
            reply(vec![single_result(&Ok(json!({"code": "é"})))]),
            json!({ "results": [{ "ok": { "code": "é" } }] })
        );
        assert!(single_result(&Ok(json!("é"))).is_ascii());
    }
}
