//! How a run ended, judged: a result, or the error of a stopped, trapped or out-of-memory run.

use std::time::Instant;

use wasmer::RuntimeError;
use wasmer_types::TrapCode;

use super::control::{RunControl, StopReason};
use super::memory::MemoryBudget;
use crate::{Error, GuestException, Limits, Output, RunResult, TrapKind};

/// How `_start` ended, before it is judged.
pub(super) enum Ended {
    Exited(i32),
    Trapped(RuntimeError),
}

/// The run's result or error, from how it ended and what the host saw:
/// a stop by the host wins over everything the guest did after it, a
/// memory cap that was hit over the failure it caused.
pub(super) fn classify(
    outcome: Result<Ended, Error>,
    output: Output,
    exception: Option<GuestException>,
    control: &RunControl,
    budget: &MemoryBudget,
    limits: &Limits,
    started: Instant,
) -> Result<RunResult, Error> {
    let output = Box::new(output);
    let ended = outcome?;
    let stopped = |reason: StopReason, output| reason.error(limits.timeout, output);
    let trap = match ended {
        Ended::Exited(code) => {
            // A guest stopped while it waited on the host gets an error from
            // that wait and may exit on its own before reaching a loop check.
            if let Some(reason) = control.requested_stop() {
                return Err(stopped(reason, output));
            }
            // A guest that ran into the cap and then failed is a memory
            // error, whether it died in malloc or managed to report its own
            // out-of-memory exception first (that depends on where the last
            // allocation failed); the output keeps what it printed.
            if code != 0 && budget.was_hit() {
                return Err(Error::MemoryLimit {
                    limit_bytes: limits.memory_bytes,
                    output,
                });
            }
            return Ok(RunResult::finished(*output, code, exception, started));
        }
        Ended::Trapped(trap) => trap,
    };
    if let Some(reason) = control.stop_reason() {
        return Err(stopped(reason, output));
    }
    if budget.was_hit() {
        return Err(Error::MemoryLimit {
            limit_bytes: limits.memory_bytes,
            output,
        });
    }
    let message = trap.message();
    Err(Error::Trap {
        kind: trap_kind(trap.to_trap()),
        message,
        output,
    })
}

/// What a trap code means to the embedder.
fn trap_kind(code: Option<TrapCode>) -> TrapKind {
    match code {
        Some(TrapCode::StackOverflow) => TrapKind::StackOverflow,
        Some(TrapCode::HeapAccessOutOfBounds | TrapCode::TableAccessOutOfBounds) => TrapKind::OutOfBounds,
        Some(TrapCode::UnreachableCodeReached) => TrapKind::Unreachable,
        Some(
            TrapCode::IntegerOverflow | TrapCode::IntegerDivisionByZero | TrapCode::BadConversionToInteger,
        ) => TrapKind::Arithmetic,
        _ => TrapKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// The pieces of a run to classify; `memory_hit` says whether the guest
    /// ran into its memory cap.
    struct Run {
        control: RunControl,
        budget: std::sync::Arc<MemoryBudget>,
        limits: Limits,
    }

    impl Run {
        fn new() -> Self {
            let limits = Limits::default();
            Self {
                control: RunControl::new(Duration::from_secs(60)),
                budget: MemoryBudget::new(limits.memory_pages()),
                limits,
            }
        }

        fn classify(&self, ended: Ended) -> Result<RunResult, Error> {
            let output = Output {
                stdout: b"partial".to_vec(),
                ..Output::default()
            };
            classify(
                Ok(ended),
                output,
                None,
                &self.control,
                &self.budget,
                &self.limits,
                Instant::now(),
            )
        }
    }

    fn trap(code: TrapCode) -> Ended {
        Ended::Trapped(wasmer_vm::Trap::lib(code).into())
    }

    #[test]
    fn an_exit_is_a_result_whatever_its_status() {
        let run = Run::new();
        let result = run.classify(Ended::Exited(3)).unwrap();
        assert_eq!(result.exit_code, 3);
        assert_eq!(result.stdout(), b"partial");
    }

    #[test]
    fn traps_are_typed_by_their_code() {
        let run = Run::new();
        for (code, kind) in [
            (TrapCode::StackOverflow, TrapKind::StackOverflow),
            (TrapCode::HeapAccessOutOfBounds, TrapKind::OutOfBounds),
            (TrapCode::TableAccessOutOfBounds, TrapKind::OutOfBounds),
            (TrapCode::UnreachableCodeReached, TrapKind::Unreachable),
            (TrapCode::IntegerDivisionByZero, TrapKind::Arithmetic),
            (TrapCode::IntegerOverflow, TrapKind::Arithmetic),
            (TrapCode::BadConversionToInteger, TrapKind::Arithmetic),
            (TrapCode::IndirectCallToNull, TrapKind::Other),
        ] {
            match run.classify(trap(code)) {
                Err(Error::Trap {
                    kind: got, output, ..
                }) => {
                    assert_eq!(got, kind, "{code:?}");
                    assert_eq!(output.stdout, b"partial");
                }
                other => panic!("{code:?}: {other:?}"),
            }
        }
        let other = run.classify(Ended::Trapped(RuntimeError::new("host function failed")));
        assert!(
            matches!(&other, Err(Error::Trap { kind: TrapKind::Other, message, .. }) if message == "host function failed"),
            "{other:?}"
        );
    }

    #[test]
    fn a_stopped_run_is_its_stop_whatever_the_guest_did_next() {
        for ended in [
            || Ended::Exited(0),
            || Ended::Exited(1),
            || trap(TrapCode::UnreachableCodeReached),
        ] {
            let run = Run::new();
            run.control.stop(StopReason::Cancelled);
            assert!(matches!(run.classify(ended()), Err(Error::Cancelled { .. })));
            let run = Run::new();
            run.control.stop(StopReason::Timeout);
            assert!(matches!(
                run.classify(ended()),
                Err(Error::Timeout { limit, .. }) if limit == run.limits.timeout
            ));
        }
    }

    #[test]
    fn a_passed_deadline_judges_a_trap_but_not_an_exit() {
        let run = Run::new();
        run.control.arm(Duration::ZERO);
        assert!(matches!(
            run.classify(trap(TrapCode::UnreachableCodeReached)),
            Err(Error::Timeout { .. })
        ));
        // The guest finished before anyone stopped it.
        assert_eq!(run.classify(Ended::Exited(0)).unwrap().exit_code, 0);
    }

    #[test]
    fn a_failure_after_the_memory_cap_was_hit_is_a_memory_error() {
        let run = Run::new();
        run.budget.mark_hit();
        for ended in [Ended::Exited(1), trap(TrapCode::UnreachableCodeReached)] {
            assert!(matches!(
                run.classify(ended),
                Err(Error::MemoryLimit { limit_bytes, .. }) if limit_bytes == run.limits.memory_bytes
            ));
        }
        // A guest that caught its MemoryError and exited cleanly succeeded.
        assert_eq!(run.classify(Ended::Exited(0)).unwrap().exit_code, 0);
    }

    #[test]
    fn a_setup_error_is_passed_on() {
        let run = Run::new();
        let error = classify(
            Err(Error::Setup("no memory export".into())),
            Output::default(),
            None,
            &run.control,
            &run.budget,
            &run.limits,
            Instant::now(),
        );
        assert!(matches!(error, Err(Error::Setup(m)) if m == "no memory export"));
    }
}
