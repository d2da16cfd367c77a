//! A panic in the host under a run or a session becomes a typed error; nothing of the run is touched afterwards.
//!
//! A host function that panics while the guest writes its frame (not inside
//! the future it returns, which fails only its own call) unwinds through
//! wasmer-wasix and the guest's stack. Before, such a panic killed the guest
//! thread without a result: the session's runs never answered, run slots
//! leaked, and closing the session wrote the stop flag into freed memory.

use std::sync::Arc;
use std::time::Duration;

use goru::{Error, HostFunctions, HostFuture, Python, RunOptions};
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
fn a_panic_under_a_run_is_a_typed_error() {
    contained(&test_name!(a_panic_under_a_run_is_a_typed_error), || {
        let exec = executor();
        let err = exec
            .run_blocking(&Python, "print('before'); call('boom')", options())
            .unwrap_err();
        assert!(
            matches!(&err, Error::HostPanic(message) if message.contains("on purpose")),
            "{err:?}"
        );
        // The executor goes on as before.
        let next = exec.run_blocking(&Python, "print(6 * 7)", options()).unwrap();
        assert_eq!(next.stdout_lossy(), "42\n");
    });
}

#[test]
fn a_panic_under_a_session_ends_it_and_closing_is_safe() {
    contained(
        &test_name!(a_panic_under_a_session_ends_it_and_closing_is_safe),
        || {
            let exec = executor();
            let session = exec.session_blocking(&Python, options()).unwrap();
            session.run_blocking("x = 1").unwrap();
            let err = session.run_blocking("call('boom')").unwrap_err();
            assert!(matches!(err, Error::HostPanic(_)), "{err:?}");
            assert!(matches!(
                session.run_blocking("x").unwrap_err(),
                Error::SessionEnded { .. }
            ));
            session.close();
            drop(session);
            // Other sessions and runs are unaffected.
            let other = exec.session_blocking(&Python, options()).unwrap();
            assert_eq!(other.run_blocking("print(2)").unwrap().stdout_lossy(), "2\n");
            other.close();
        },
    );
}
