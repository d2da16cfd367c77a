//! `CancelHandle`: stop a run from another thread or task.

use std::sync::{Arc, Mutex, PoisonError, Weak};

use crate::instance::control::{RunControl, StopReason};

/// Stops the run it is attached to (with [`crate::RunOptions::cancel_handle`]).
/// Cloneable; cancelling before the run starts stops it as soon as it does.
///
/// ```
/// use goru_core::{CancelHandle, RunOptions};
///
/// let cancel = CancelHandle::new();
/// let options = RunOptions::new().cancel_handle(cancel.clone());
/// // ... start the run with `options`, then from anywhere:
/// cancel.cancel();
/// assert!(cancel.is_cancelled());
/// ```
#[derive(Debug, Clone, Default)]
pub struct CancelHandle {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    cancelled: bool,
    run: Weak<RunControl>,
}

impl CancelHandle {
    /// A handle attached to no run yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stops the run; it ends with [`crate::Error::Cancelled`].
    pub fn cancel(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.cancelled = true;
        if let Some(run) = state.run.upgrade() {
            run.stop(StopReason::Cancelled);
        }
    }

    /// Whether [`CancelHandle::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .cancelled
    }

    pub(crate) fn bind(&self, run: &Arc<RunControl>) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.run = Arc::downgrade(run);
        if state.cancelled {
            run.stop(StopReason::Cancelled);
        }
    }
}
