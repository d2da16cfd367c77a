//! Stopping a run from outside: the deadline, cancellation, and the guest's stop flag.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::interrupt::StopFlag;

/// How long a stopped guest has to end before its caller is answered
/// anyway: a guest in a loop traps at the next iteration, one in a host-side
/// wait leaves it within a sleep slice (20 ms).
pub(crate) const STOP_GRACE: Duration = Duration::from_millis(200);

/// Why the host stopped a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopReason {
    Timeout,
    Cancelled,
}

impl StopReason {
    /// The error a run stopped for this reason ends with.
    pub(crate) fn error(self, timeout: Duration, output: Box<crate::Output>) -> crate::Error {
        match self {
            StopReason::Timeout => crate::Error::Timeout {
                limit: timeout,
                output,
            },
            StopReason::Cancelled => crate::Error::Cancelled { output },
        }
    }
}

/// Shared between the thread running the guest and whoever may stop it.
pub(crate) struct RunControl {
    /// The deadline, in nanoseconds after `base`; a session re-arms it per run.
    base: Instant,
    deadline_nanos: AtomicU64,
    reason: AtomicU8,
    /// The running instance's stop flag; `None` before it exists and after the run.
    flag: Mutex<Option<StopFlag>>,
    stop_requested: Notify,
}

const RUNNING: u8 = 0;
const TIMEOUT: u8 = 1;
const CANCELLED: u8 = 2;
const FINISHED: u8 = 3;

impl RunControl {
    pub(crate) fn new(timeout: Duration) -> Self {
        let control = Self {
            base: Instant::now(),
            deadline_nanos: AtomicU64::new(u64::MAX),
            reason: AtomicU8::new(RUNNING),
            flag: Mutex::new(None),
            stop_requested: Notify::new(),
        };
        control.arm(timeout);
        control
    }

    /// Sets the deadline to `timeout` from now.
    pub(crate) fn arm(&self, timeout: Duration) {
        let from_base = self.base.elapsed().saturating_add(timeout);
        let nanos = u64::try_from(from_base.as_nanos()).unwrap_or(u64::MAX);
        self.deadline_nanos.store(nanos, Ordering::Release);
    }

    /// No deadline (a session between runs).
    pub(crate) fn disarm(&self) {
        self.deadline_nanos.store(u64::MAX, Ordering::Release);
    }

    pub(crate) fn deadline(&self) -> Instant {
        let nanos = self.deadline_nanos.load(Ordering::Acquire);
        self.base
            .checked_add(Duration::from_nanos(nanos))
            .unwrap_or(self.base + Duration::from_secs(86_400 * 365))
    }

    /// Time left before the deadline (zero once it has passed).
    pub(crate) fn remaining(&self) -> Duration {
        self.deadline().saturating_duration_since(Instant::now())
    }

    /// Why the run was stopped, if it was.
    pub(crate) fn stop_reason(&self) -> Option<StopReason> {
        match self.reason.load(Ordering::Acquire) {
            TIMEOUT => Some(StopReason::Timeout),
            CANCELLED => Some(StopReason::Cancelled),
            FINISHED => None,
            _ => {
                if Instant::now() >= self.deadline() {
                    Some(StopReason::Timeout)
                } else {
                    None
                }
            }
        }
    }

    /// Why the run was stopped, if someone called [`RunControl::stop`] (a
    /// deadline that passed unnoticed does not count).
    pub(crate) fn requested_stop(&self) -> Option<StopReason> {
        match self.reason.load(Ordering::Acquire) {
            TIMEOUT => Some(StopReason::Timeout),
            CANCELLED => Some(StopReason::Cancelled),
            _ => None,
        }
    }

    /// Records the reason (the first one wins) and interrupts the guest.
    pub(crate) fn stop(&self, reason: StopReason) {
        let code = match reason {
            StopReason::Timeout => TIMEOUT,
            StopReason::Cancelled => CANCELLED,
        };
        if self
            .reason
            .compare_exchange(RUNNING, code, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.stop_requested.notify_waiters();
            self.interrupt();
        }
    }

    /// Marks the run over: later stops are no-ops.
    pub(crate) fn finish(&self) {
        let _ = self
            .reason
            .compare_exchange(RUNNING, FINISHED, Ordering::AcqRel, Ordering::Acquire);
        *self.flag.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Waits until someone calls [`RunControl::stop`] (returns at once if
    /// that already happened). Any number of tasks may wait.
    pub(crate) async fn stop_requested(&self) {
        let notified = self.stop_requested.notified();
        tokio::pin!(notified);
        // Registered before the check, so a stop in between is not missed.
        notified.as_mut().enable();
        if self.requested_stop().is_some() {
            return;
        }
        notified.await;
    }

    /// Registers the instance's stop flag (done by the guest thread once the
    /// instance exists); raises it at once if a stop came first.
    pub(crate) fn set_flag(&self, flag: StopFlag) {
        let mut slot = self.flag.lock().unwrap_or_else(PoisonError::into_inner);
        if self.stop_reason().is_some() {
            flag.raise();
        }
        *slot = Some(flag);
    }

    /// Withdraws the stop flag before the instance's memory goes away.
    pub(crate) fn clear_flag(&self) {
        *self.flag.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Raises the stop flag, if the instance is running.
    pub(crate) fn interrupt(&self) {
        if let Some(flag) = &*self.flag.lock().unwrap_or_else(PoisonError::into_inner) {
            flag.raise();
        }
    }
}

/// Withdraws the run's stop flag when dropped, on every path out of a run.
pub(crate) struct WithdrawFlag<'a>(pub(crate) &'a RunControl);

impl Drop for WithdrawFlag<'_> {
    fn drop(&mut self) {
        self.0.clear_flag();
    }
}

impl std::fmt::Debug for RunControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunControl")
            .field("deadline", &self.deadline())
            .field("stop_reason", &self.stop_reason())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    const LONG: Duration = Duration::from_secs(3600);

    #[test]
    fn a_fresh_run_is_not_stopped() {
        let control = RunControl::new(LONG);
        assert_eq!(control.stop_reason(), None);
        assert_eq!(control.requested_stop(), None);
        assert!(control.remaining() > LONG - Duration::from_secs(60));
    }

    #[test]
    fn the_first_stop_wins() {
        let control = RunControl::new(LONG);
        control.stop(StopReason::Cancelled);
        control.stop(StopReason::Timeout);
        assert_eq!(control.stop_reason(), Some(StopReason::Cancelled));
        assert_eq!(control.requested_stop(), Some(StopReason::Cancelled));
    }

    #[test]
    fn a_passed_deadline_is_a_timeout_nobody_requested() {
        let control = RunControl::new(Duration::ZERO);
        assert_eq!(control.stop_reason(), Some(StopReason::Timeout));
        assert_eq!(control.requested_stop(), None);
        assert_eq!(control.remaining(), Duration::ZERO);
    }

    #[test]
    fn a_session_rearms_and_disarms_its_deadline() {
        let control = RunControl::new(Duration::ZERO);
        control.disarm();
        assert_eq!(control.stop_reason(), None);
        assert!(control.deadline() > Instant::now() + LONG);
        control.arm(LONG);
        assert_eq!(control.stop_reason(), None);
        control.arm(Duration::ZERO);
        assert_eq!(control.stop_reason(), Some(StopReason::Timeout));
    }

    #[test]
    fn once_finished_later_stops_are_no_ops() {
        let control = RunControl::new(LONG);
        control.finish();
        control.stop(StopReason::Timeout);
        assert_eq!(control.stop_reason(), None);
        assert_eq!(control.requested_stop(), None);
        // A stopped run stays stopped when it finishes.
        let control = RunControl::new(LONG);
        control.stop(StopReason::Timeout);
        control.finish();
        assert_eq!(control.requested_stop(), Some(StopReason::Timeout));
    }

    #[test]
    fn stop_requested_wakes_every_waiter_and_returns_at_once_after_a_stop() {
        let control = Arc::new(RunControl::new(LONG));
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let control = control.clone();
                std::thread::spawn(move || futures::executor::block_on(control.stop_requested()))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(20));
        control.stop(StopReason::Cancelled);
        for waiter in waiters {
            waiter.join().unwrap();
        }
        futures::executor::block_on(control.stop_requested());
    }

    #[test]
    fn a_stop_reason_is_the_error_of_its_run() {
        let output = || Box::new(crate::Output::default());
        assert!(matches!(
            StopReason::Timeout.error(Duration::from_secs(2), output()),
            crate::Error::Timeout { limit, .. } if limit == Duration::from_secs(2)
        ));
        assert!(matches!(
            StopReason::Cancelled.error(Duration::from_secs(2), output()),
            crate::Error::Cancelled { .. }
        ));
    }
}
