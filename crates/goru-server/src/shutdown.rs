//! Graceful shutdown: the signals that start it, and the stateless runs in
//! flight, tracked so those still going when the grace period ends can be
//! cancelled (sessions are closed through their registry).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use goru::CancelHandle;

/// The stateless runs going now, each with the handle that cancels it.
#[derive(Debug, Default)]
pub struct RunTracker {
    next: AtomicU64,
    runs: Mutex<HashMap<u64, CancelHandle>>,
}

/// A tracked run; untracked when dropped.
#[derive(Debug)]
pub struct Tracked<'a> {
    tracker: &'a RunTracker,
    key: u64,
}

impl RunTracker {
    /// Tracks a run about to start: the handle to give its options.
    pub fn track(&self) -> (CancelHandle, Tracked<'_>) {
        let key = self.next.fetch_add(1, Ordering::Relaxed);
        let handle = CancelHandle::new();
        self.lock().insert(key, handle.clone());
        (handle, Tracked { tracker: self, key })
    }

    /// Cancels every tracked run; how many there were.
    pub fn cancel_all(&self) -> usize {
        let runs = self.lock();
        for handle in runs.values() {
            handle.cancel();
        }
        runs.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, CancelHandle>> {
        self.runs.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Tracked<'_> {
    fn drop(&mut self) {
        self.tracker.lock().remove(&self.key);
    }
}

/// Waits for SIGINT or SIGTERM (Ctrl-C only, off Unix); the signal's name.
/// If the handlers cannot be installed it never returns: the process then
/// stops the hard way, as it would have without them.
pub async fn signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut interrupt), Ok(mut terminate)) =
            (signal(SignalKind::interrupt()), signal(SignalKind::terminate()))
        else {
            tracing::warn!("cannot listen for SIGINT/SIGTERM; no graceful shutdown");
            return std::future::pending().await;
        };
        tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        }
    }
    #[cfg(not(unix))]
    {
        match tokio::signal::ctrl_c().await {
            Ok(()) => "Ctrl-C",
            Err(_) => std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracked_runs_are_cancelled_until_they_end() {
        let tracker = RunTracker::default();
        let (first, tracked) = tracker.track();
        let (second, _still_running) = tracker.track();
        drop(tracked);
        assert_eq!(tracker.cancel_all(), 1);
        assert!(!first.is_cancelled());
        assert!(second.is_cancelled());
    }
}
