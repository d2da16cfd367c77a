//! What every handler shares: the executor, the run defaults, the session
//! registry, the run slots, and whether the server is shutting down.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once};
use std::time::Duration;

use goru::Executor;

use crate::admission::Admission;
use crate::error::{ApiError, ErrorCode};
use crate::metrics::Metrics;
use crate::options::RunDefaults;
use crate::session_routes::ExecLimits;
use crate::sessions::{self, Sessions};
use crate::shutdown::RunTracker;

/// The handlers' state.
pub type AppState = Arc<Shared>;

/// Settings read by the HTTP layer.
#[derive(Debug)]
pub struct Config {
    /// The bearer token, if one is required.
    pub token: Option<String>,
    /// The largest request body, in bytes.
    pub max_body: usize,
    /// How long running work may go on once shutdown has begun.
    pub grace: Duration,
    /// Whether `/metrics` is open without the token.
    pub metrics_open: bool,
    /// The `--node-id`, the prefix of session ids, if any.
    pub node_id: Option<String>,
}

/// Shared by all requests.
#[derive(Debug)]
pub struct Shared {
    /// Runs the code; one engine and module cache for the whole server.
    pub executor: Executor,
    /// The HTTP layer's settings.
    pub config: Config,
    /// Limits and capabilities of every run and session.
    pub defaults: RunDefaults,
    /// The open sessions.
    pub sessions: Arc<Sessions<ExecLimits>>,
    /// The run slots.
    pub admission: Admission,
    /// The stateless runs in flight.
    pub runs: RunTracker,
    /// What `/metrics` reports.
    pub metrics: Metrics,
    draining: AtomicBool,
    reaper: Once,
}

impl Shared {
    /// The state of a server that is not shutting down.
    pub fn new(
        executor: Executor,
        config: Config,
        defaults: RunDefaults,
        sessions: Arc<Sessions<ExecLimits>>,
        admission: Admission,
        metrics: Metrics,
    ) -> Self {
        Self {
            executor,
            config,
            defaults,
            sessions,
            admission,
            runs: RunTracker::default(),
            metrics,
            draining: AtomicBool::new(false),
            reaper: Once::new(),
        }
    }

    /// Starts the task that closes idle sessions, once; it ends when the
    /// sessions are dropped with the server. Called as the first session
    /// starts, inside the runtime that serves it (a server only mounted in
    /// someone's router has no other moment to start it).
    pub fn start_reaper(&self) {
        self.reaper.call_once(|| {
            tokio::spawn(sessions::reap_forever(Arc::downgrade(&self.sessions)));
        });
    }

    /// Refuses new work once shutdown has begun.
    pub fn accepting(&self) -> Result<(), ApiError> {
        if self.is_draining() {
            return Err(ApiError::new(
                ErrorCode::ShuttingDown,
                "the server is shutting down",
            ));
        }
        Ok(())
    }

    /// From now on, new work is refused and /health says `draining`.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Release);
    }

    /// Whether shutdown has begun.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }
}
