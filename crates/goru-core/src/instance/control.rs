//! Stopping a run from outside: the deadline, cancellation, the guest's stop
//! flag, and soft interrupts (see [`crate::SoftInterrupt`]).

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::interrupt::{GuestMemory, StopFlag};
use crate::{InterruptKind, SoftInterrupt};

/// How long a stopped guest has to end before its caller is answered
/// anyway: a guest in a loop traps at the next iteration, one in a host-side
/// wait leaves it within a sleep slice (20 ms).
pub(crate) const STOP_GRACE: Duration = Duration::from_millis(200);

/// How long a softly interrupted session run has to be back for its next
/// request before it is stopped hard.
pub(crate) const SOFT_GRACE: Duration = Duration::from_millis(250);

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
    /// The language's soft interrupts: for [`InterruptKind::Interrupt`],
    /// then [`InterruptKind::Timeout`].
    soft: [Option<SoftInterrupt>; 2],
    /// The running instance's memory, while soft interrupts can reach it.
    memory: Mutex<Option<GuestMemory>>,
    /// A soft interrupt not yet seen by a host-side wait (which then returns
    /// `EINTR`, as a signal would).
    interrupt_pending: AtomicBool,
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
            soft: [None, None],
            memory: Mutex::new(None),
            interrupt_pending: AtomicBool::new(false),
        };
        control.arm(timeout);
        control
    }

    /// Gives the run soft interrupts (`language`'s, for each kind).
    pub(crate) fn with_soft_interrupts(mut self, language: &dyn crate::Language) -> Self {
        self.soft =
            [InterruptKind::Interrupt, InterruptKind::Timeout].map(|kind| language.soft_interrupt(kind));
        self
    }

    /// Registers the instance's memory for soft interrupts (`None` if it
    /// cannot be reached safely).
    pub(crate) fn set_memory(&self, memory: Option<GuestMemory>) {
        *self.memory.lock().unwrap_or_else(PoisonError::into_inner) = memory;
    }

    /// Interrupts the guest softly for `kind`; false if the language has no
    /// soft interrupt, the memory is not reachable, or the run is stopped.
    pub(crate) fn interrupt_softly(&self, kind: InterruptKind) -> bool {
        let Some(interrupt) = &self.soft[kind as usize] else {
            return false;
        };
        let memory = self.memory.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(memory) = memory.as_ref() else {
            return false;
        };
        if self.requested_stop().is_some() {
            return false;
        }
        for &(address, value) in interrupt.stores() {
            if !memory.store(address, value) {
                return false;
            }
        }
        self.interrupt_pending.store(true, Ordering::Release);
        true
    }

    /// Whether a soft interrupt came since the last call (a host-side wait
    /// then returns `EINTR`).
    pub(crate) fn take_pending_interrupt(&self) -> bool {
        self.interrupt_pending.swap(false, Ordering::AcqRel)
    }

    /// Whether a host-side wait must end the guest now: a stop was
    /// requested, or the deadline passed in a run without soft timeouts (with
    /// them, the session interrupts first and stops it only if it must).
    pub(crate) fn must_end_wait(&self) -> bool {
        self.requested_stop().is_some() || (self.stop_reason().is_some() && self.soft[1].is_none())
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
        self.clear_flag();
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

    /// Withdraws the stop flag and the memory before the instance goes away.
    pub(crate) fn clear_flag(&self) {
        *self.memory.lock().unwrap_or_else(PoisonError::into_inner) = None;
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
