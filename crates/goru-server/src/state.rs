//! What every handler shares: the executor, the run defaults, the session
//! registry, the run slots, and whether the server is shutting down.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use goru::Executor;

use super::admission::Admission;
use super::error::{ApiError, ErrorCode};
use super::options::RunDefaults;
use super::sessions::Sessions;
use super::shutdown::RunTracker;

/// The handlers' state.
pub type AppState = Arc<Shared>;

/// Settings read by the HTTP layer.
#[derive(Debug)]
pub struct Config {
    /// The bearer token, if one is required.
    pub token: Option<String>,
    /// The largest request body, in bytes.
    pub max_body: usize,
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
    pub sessions: Arc<Sessions>,
    /// The run slots.
    pub admission: Admission,
    /// The stateless runs in flight.
    pub runs: RunTracker,
    draining: AtomicBool,
}

impl Shared {
    /// The state of a server that is not shutting down.
    pub fn new(
        executor: Executor,
        config: Config,
        defaults: RunDefaults,
        sessions: Sessions,
        admission: Admission,
    ) -> Self {
        Self {
            executor,
            config,
            defaults,
            sessions: Arc::new(sessions),
            admission,
            runs: RunTracker::default(),
            draining: AtomicBool::new(false),
        }
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
