//! `GET /metrics`: the server's counters in Prometheus text format. Each
//! [`Server`](crate::Server) has a registry of its own (no process-wide
//! state), so several servers in one process count apart. Every label value
//! comes from a fixed set (languages, outcomes, error codes, host function
//! names the server serves), never from what a client or guest sends.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use goru::{HostFunctions, HostFuture};
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};
use serde_json::Value;

use crate::api::RunResponse;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// The route.
pub const METRICS_PATH: &str = "/metrics";

/// Run durations from a JS one-liner (a few ms) to a long Python run.
const RUN_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];
/// Queue waits: most requests get a slot at once; `--queue-wait` is 5 s.
const WAIT_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The server's collectors and the registry that renders them.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    runs: IntCounterVec,
    run_seconds: HistogramVec,
    queue_wait: Histogram,
    slots_busy: IntGauge,
    slots: IntGauge,
    sessions_open: IntGauge,
    host_calls: IntCounterVec,
    output_bytes: IntCounterVec,
    rejected: IntCounterVec,
}

impl Metrics {
    /// Fresh collectors, all at zero.
    pub fn new() -> Self {
        let registry = Registry::new();
        let runs = IntCounterVec::new(
            Opts::new(
                "goru_runs_total",
                "Runs and session execs by language and outcome (ok, exception, exit_nonzero, timeout, memory_limit, trap, cancelled).",
            ),
            &["lang", "outcome"],
        );
        let run_seconds = HistogramVec::new(
            HistogramOpts::new(
                "goru_run_duration_seconds",
                "Wall-clock time of runs and session execs.",
            )
            .buckets(RUN_BUCKETS.to_vec()),
            &["lang"],
        );
        let queue_wait = Histogram::with_opts(
            HistogramOpts::new(
                "goru_queue_wait_seconds",
                "Time a request waited for a run slot (refused requests included).",
            )
            .buckets(WAIT_BUCKETS.to_vec()),
        );
        let slots_busy = IntGauge::new("goru_run_slots_busy", "Run slots taken now.");
        let slots = IntGauge::new("goru_run_slots", "Run slots in all (--max-concurrent).");
        let sessions_open = IntGauge::new("goru_sessions_open", "Sessions in the registry now.");
        let host_calls = IntCounterVec::new(
            Opts::new(
                "goru_host_calls_total",
                "Calls of granted host functions (kv_*, http_request, fs_*) by function.",
            ),
            &["function"],
        );
        let output_bytes = IntCounterVec::new(
            Opts::new(
                "goru_output_bytes_total",
                "Bytes of guest output answered, by stream.",
            ),
            &["stream"],
        );
        let rejected = IntCounterVec::new(
            Opts::new(
                "goru_rejected_requests_total",
                "Requests answered with an error, by error code.",
            ),
            &["code"],
        );
        let metrics = (|| {
            let metrics = Metrics {
                registry,
                runs: runs?,
                run_seconds: run_seconds?,
                queue_wait: queue_wait?,
                slots_busy: slots_busy?,
                slots: slots?,
                sessions_open: sessions_open?,
                host_calls: host_calls?,
                output_bytes: output_bytes?,
                rejected: rejected?,
            };
            let collectors: [Box<dyn prometheus::core::Collector>; 9] = [
                Box::new(metrics.runs.clone()),
                Box::new(metrics.run_seconds.clone()),
                Box::new(metrics.queue_wait.clone()),
                Box::new(metrics.slots_busy.clone()),
                Box::new(metrics.slots.clone()),
                Box::new(metrics.sessions_open.clone()),
                Box::new(metrics.host_calls.clone()),
                Box::new(metrics.output_bytes.clone()),
                Box::new(metrics.rejected.clone()),
            ];
            for collector in collectors {
                metrics.registry.register(collector)?;
            }
            Ok::<_, prometheus::Error>(metrics)
        })();
        // The names and options above are constants checked by the unit test.
        metrics.expect("the metric definitions are valid")
    }

    /// Counts a run of `lang` that ended as `outcome` after `duration`,
    /// answered with `response`.
    pub fn run(&self, lang: &str, outcome: &str, duration: Duration, response: &RunResponse) {
        self.runs.with_label_values(&[lang, outcome]).inc();
        self.run_seconds
            .with_label_values(&[lang])
            .observe(duration.as_secs_f64());
        self.output_bytes
            .with_label_values(&["stdout"])
            .inc_by(response.stdout.len() as u64);
        self.output_bytes
            .with_label_values(&["stderr"])
            .inc_by(response.stderr.len() as u64);
    }

    /// Records how long a request waited for a run slot.
    pub fn queue_wait(&self, waited: Duration) {
        self.queue_wait.observe(waited.as_secs_f64());
    }

    /// `functions`, with every call it serves counted.
    pub fn count_calls(&self, functions: Arc<dyn HostFunctions>) -> Arc<dyn HostFunctions> {
        Arc::new(CountedCalls {
            inner: functions,
            calls: self.host_calls.clone(),
        })
    }

    /// The text format, with the gauges read now.
    fn render(&self, state: &AppState) -> Result<String, prometheus::Error> {
        self.slots_busy.set(gauge(state.admission.running()));
        self.slots.set(gauge(state.admission.slots()));
        self.sessions_open.set(gauge(state.sessions.len()));
        let mut text = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut text)?;
        String::from_utf8(text).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn gauge(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Host functions that count the calls they serve. Only names the inner
/// set serves are counted, so a guest cannot mint label values.
#[derive(Debug)]
struct CountedCalls {
    inner: Arc<dyn HostFunctions>,
    calls: IntCounterVec,
}

impl HostFunctions for CountedCalls {
    fn call(&self, name: &str, args: Value) -> Option<HostFuture> {
        let future = self.inner.call(name, args)?;
        self.calls.with_label_values(&[name]).inc();
        Some(future)
    }
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>) -> Response {
    match state.metrics.render(&state) {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            )],
            text,
        )
            .into_response(),
        Err(error) => ApiError::internal(&error).into_response(),
    }
}

/// Middleware: counts the requests answered with an error, by code.
pub async fn count_rejections(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if let Some(code) = response.extensions().get::<ErrorCode>() {
        state.metrics.rejected.with_label_values(&[code.as_str()]).inc();
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_register_and_count() {
        let metrics = Metrics::new();
        let response = RunResponse {
            stdout: b"hi\n".to_vec(),
            stderr: Vec::new(),
            output: b"hi\n".to_vec(),
            exit_code: Some(0),
            duration_ms: 120,
            truncated: false,
            error: None,
            error_code: None,
            exception: None,
        };
        metrics.run("python", "ok", Duration::from_millis(120), &response);
        metrics.queue_wait(Duration::from_millis(3));
        let mut text = Vec::new();
        TextEncoder::new()
            .encode(&metrics.registry.gather(), &mut text)
            .unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.contains(r#"goru_runs_total{lang="python",outcome="ok"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"goru_output_bytes_total{stream="stdout"} 3"#),
            "{text}"
        );
        assert!(text.contains("goru_queue_wait_seconds_count 1"), "{text}");
    }
}
