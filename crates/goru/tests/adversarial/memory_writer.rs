//! Guests that write their own linear memory cannot outrun their timeout.
//!
//! The guest owns every byte of its memory; before, goru's stop flag was the
//! byte at address 0 and such a guest cleared it in a loop and ran forever.
//! The flag now lives in host memory (see goru-core's `interrupt.rs`).

use std::time::Instant;

use goru::{Error, Python, RunOptions};

use crate::child::contained;
use crate::guest::{OWN_MEMORY, SOFT_GRACE, STOP_BOUND, TIMEOUT, executor, python_session};
use crate::test_name;

/// Clears what used to be the stop flag, and scribbles over the low
/// addresses, as fast as it can; in a session it also swallows the soft
/// interrupt, so only the hard stop ends it.
fn attack() -> String {
    format!(
        "{OWN_MEMORY}\nwhile True:\n    try:\n        n = 0\n        while True:\n            MEM[0] = 0\n            MEM[1:64] = bytes(63)\n    except BaseException:\n        pass\n"
    )
}

#[test]
fn a_run_that_clears_address_zero_still_times_out() {
    contained(
        &test_name!(a_run_that_clears_address_zero_still_times_out),
        || {
            let exec = executor();
            let started = Instant::now();
            let err = exec
                .run_blocking(&Python, &attack(), RunOptions::new().timeout(TIMEOUT))
                .unwrap_err();
            let took = started.elapsed();
            let Error::Timeout { output, .. } = &err else {
                panic!("{err:?}");
            };
            assert_eq!(
                String::from_utf8_lossy(&output.stdout),
                "memory: owned\n",
                "{err:?}"
            );
            assert!(took < TIMEOUT + STOP_BOUND, "the run took {took:?}");
        },
    );
}

#[test]
fn a_session_run_that_clears_address_zero_still_times_out() {
    contained(
        &test_name!(a_session_run_that_clears_address_zero_still_times_out),
        || {
            let session = python_session(TIMEOUT);
            let started = Instant::now();
            let err = session.run_blocking(&attack()).unwrap_err();
            let took = started.elapsed();
            assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
            assert!(took < TIMEOUT + SOFT_GRACE + STOP_BOUND, "the run took {took:?}");
            assert!(!session.is_open());
        },
    );
}
