//! Run slots: at most `--max-concurrent` runs (and session start-ups) at
//! once, so the process never commits more CPU and guest memory than it was
//! sized for. A request waits for a slot in a bounded queue (first come,
//! first served), then is refused with 503 `saturated` and `Retry-After`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{ApiError, ErrorCode};
use crate::metrics::Metrics;

/// Seconds a refused client is told to wait: a run slot frees up as soon as
/// any run ends, so a short hint suits.
const RETRY_AFTER_SECONDS: u64 = 1;

/// The run slots and the queue in front of them.
#[derive(Debug)]
pub struct Admission {
    slots: Arc<Semaphore>,
    total: usize,
    queue_wait: Duration,
    max_queue: usize,
    waiting: AtomicUsize,
    metrics: Metrics,
}

/// A taken run slot, given back when dropped.
#[derive(Debug)]
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

impl Admission {
    /// `slots` run slots; a request waits at most `queue_wait` with at most
    /// `max_queue` others; the waits are recorded in `metrics`.
    pub fn new(slots: usize, queue_wait: Duration, max_queue: usize, metrics: Metrics) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(slots)),
            total: slots,
            queue_wait,
            max_queue,
            waiting: AtomicUsize::new(0),
            metrics,
        }
    }

    /// A run slot, at once or after waiting in the queue.
    pub async fn admit(&self) -> Result<Slot, ApiError> {
        let started = Instant::now();
        let admitted = self.wait_for_slot().await;
        self.metrics.queue_wait(started.elapsed());
        admitted
    }

    async fn wait_for_slot(&self) -> Result<Slot, ApiError> {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Ok(Slot { _permit: permit });
        }
        let _in_queue = QueuePlace::take(&self.waiting, self.max_queue).ok_or_else(|| {
            saturated(format!(
                "all {} run slots are busy and {} requests are already waiting",
                self.total, self.max_queue
            ))
        })?;
        match tokio::time::timeout(self.queue_wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Slot { _permit: permit }),
            // The semaphore is never closed; treat it as saturated all the same.
            Ok(Err(_)) | Err(_) => Err(saturated(format!(
                "all {} run slots stayed busy for {:?}",
                self.total, self.queue_wait
            ))),
        }
    }

    /// Run slots in all.
    pub fn slots(&self) -> usize {
        self.total
    }

    /// Runs going now.
    pub fn running(&self) -> usize {
        self.total.saturating_sub(self.slots.available_permits())
    }
}

fn saturated(message: String) -> ApiError {
    ApiError::new(ErrorCode::Saturated, message).retry_after(RETRY_AFTER_SECONDS)
}

/// A place in the queue, counted while held.
struct QueuePlace<'a>(&'a AtomicUsize);

impl<'a> QueuePlace<'a> {
    fn take(waiting: &'a AtomicUsize, max: usize) -> Option<Self> {
        waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| QueuePlace(waiting))
    }
}

impl Drop for QueuePlace<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waits_then_refuses() {
        let admission = Admission::new(1, Duration::from_millis(50), 8, Metrics::new());
        let first = admission.admit().await.expect("a free slot");
        assert_eq!(admission.running(), 1);
        let refused = admission.admit().await.expect_err("no slot within the wait");
        assert_eq!(refused.code, ErrorCode::Saturated);
        assert_eq!(refused.retry_after, Some(RETRY_AFTER_SECONDS));
        drop(first);
        admission.admit().await.expect("the slot is free again");
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once() {
        let admission = Arc::new(Admission::new(1, Duration::from_secs(60), 1, Metrics::new()));
        let _held = admission.admit().await.expect("a free slot");
        let waiter = tokio::spawn({
            let admission = admission.clone();
            async move { admission.admit().await.map(drop) }
        });
        while admission.waiting.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        let refused = admission.admit().await.expect_err("the queue is full");
        assert_eq!(refused.code, ErrorCode::Saturated);
        waiter.abort();
    }
}
