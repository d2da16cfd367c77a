//! A panicking host function fails its own call; runs and sessions go on, and closing is safe.
//!
//! Host functions are asked for their futures on the runtime, under
//! `catch_unwind`, so a panic there never unwinds through the guest. A panic
//! that does reach a guest thread (in wasmer-wasix, say) is turned into
//! `Error::HostPanic` by goru-core (tested there): before, it killed the guest
//! thread without a result, the session's runs never answered, run slots
//! leaked, and closing the session wrote the stop flag into freed memory.

use std::sync::Arc;
use std::time::Duration;

use goru::{HostFunctions, HostFuture, Python, RunOptions};
use serde_json::Value;

use crate::child::contained;
use crate::guest::executor;
use crate::test_name;

#[derive(Debug)]
struct PanicsWhenAsked;

impl HostFunctions for PanicsWhenAsked {
    fn call(&self, name: &str, _args: Value) -> Option<HostFuture> {
        (name == "boom").then(|| panic!("a host bug, on purpose"))
    }
}

fn options() -> RunOptions {
    RunOptions::new()
        .timeout(Duration::from_secs(30))
        .host_functions(Arc::new(PanicsWhenAsked))
}

#[test]
fn a_panicking_host_function_fails_only_its_own_call() {
    contained(
        &test_name!(a_panicking_host_function_fails_only_its_own_call),
        || {
            let exec = executor();
            let code = "try:\n    call('boom')\nexcept HostError as e:\n    print(e.kind)\nprint('went on')";
            let result = exec.run_blocking(&Python, code, options()).unwrap();
            assert_eq!(result.stdout_lossy(), "failed\nwent on\n");
            // The executor goes on as before.
            let next = exec.run_blocking(&Python, "print(6 * 7)", options()).unwrap();
            assert_eq!(next.stdout_lossy(), "42\n");
        },
    );
}

#[test]
fn a_session_outlives_a_panicking_host_function_and_closes_safely() {
    contained(
        &test_name!(a_session_outlives_a_panicking_host_function_and_closes_safely),
        || {
            let exec = executor();
            let session = exec.session_blocking(&Python, options()).unwrap();
            session.run_blocking("x = 1").unwrap();
            let failed = session.run_blocking("call('boom')").unwrap();
            let exception = failed.exception.expect("the failed call raised");
            assert!(exception.kind.ends_with("Error"), "{exception:?}");
            assert_eq!(session.run_blocking("print(x)").unwrap().stdout_lossy(), "1\n");
            session.close();
            drop(session);
            let other = exec.session_blocking(&Python, options()).unwrap();
            assert_eq!(other.run_blocking("print(2)").unwrap().stdout_lossy(), "2\n");
            other.close();
        },
    );
}
