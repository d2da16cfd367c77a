//! JavaScript's node-like surfaces under abuse: timer and interval storms,
//! huge console output, deep inspection, module import loops. Each ends in
//! a typed error or a clean exit within its bounds, and the host's memory
//! and CPU stay bounded (see `child.rs`).

use std::time::{Duration, Instant};

use goru::{Error, JavaScript, JavaScriptFile, RunOptions};

use crate::child::contained;
use crate::guest::{SOFT_GRACE, STOP_BOUND, TIMEOUT, executor};
use crate::test_name;

/// Runs `code` (as `language`) to its timeout; the answer comes within the stop bound.
fn times_out(language: &dyn goru::Language, code: &str) {
    let exec = executor();
    exec.prepare(language).unwrap();
    let started = Instant::now();
    let err = exec
        .run_blocking(language, code, RunOptions::new().timeout(TIMEOUT))
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(
        started.elapsed() < TIMEOUT + STOP_BOUND + Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // The executor goes on.
    let next = exec
        .run_blocking(&JavaScript, "console.log(1)", RunOptions::new())
        .unwrap();
    assert_eq!(next.stdout_lossy(), "1\n");
}

#[test]
fn an_interval_storm_is_stopped_at_the_deadline() {
    contained(&test_name!(an_interval_storm_is_stopped_at_the_deadline), || {
        // Ten thousand intervals of 0 ms, each adding more, and os timers of 0 ms that re-arm.
        times_out(
            &JavaScript,
            "for (let i = 0; i < 10000; i++) setInterval(() => { if (Math.random() < 0.01) setInterval(() => {}, 0) }, 0);\n\
             (function again() { os.setTimeout(again, 0) })(); os.setInterval(() => {}, 0);",
        );
    });
}

#[test]
fn a_promise_and_microtask_storm_is_stopped_at_the_deadline() {
    contained(
        &test_name!(a_promise_and_microtask_storm_is_stopped_at_the_deadline),
        || {
            times_out(
                &JavaScript,
                "(function spin() { queueMicrotask(spin) })(); (async () => { for (;;) await null })();",
            );
        },
    );
}

#[test]
fn huge_console_output_is_cut_at_the_output_cap() {
    contained(&test_name!(huge_console_output_is_cut_at_the_output_cap), || {
        let exec = executor();
        let options = || {
            RunOptions::new()
                .timeout(Duration::from_secs(60))
                .output_bytes(64 << 10)
        };
        let table = "const rows = []; for (let i = 0; i < 20000; i++) rows.push({i, s: 'x'.repeat(50)}); console.table(rows); console.log('end')";
        let result = exec.run_blocking(&JavaScript, table, options()).unwrap();
        assert!(result.output.stdout_truncated);
        assert_eq!(result.output.stdout.len(), 64 << 10);
        // Inspecting something too deep to format either throws (the stack
        // limit) or prints; the run ends either way.
        let deep = "let a = []; for (let i = 0; i < 100000; i++) a = [a]; console.dir(a, {depth: null})";
        match exec.run_blocking(&JavaScript, deep, options()) {
            Ok(result) => assert!(result.exception.is_some() || result.success(), "{result:?}"),
            Err(Error::Trap { .. } | Error::MemoryLimit { .. }) => {}
            Err(other) => panic!("{other:?}"),
        }
    });
}

#[test]
fn a_module_that_imports_itself_forever_ends() {
    contained(&test_name!(a_module_that_imports_itself_forever_ends), || {
        let exec = executor();
        let main = JavaScriptFile::module("loop.mjs");
        // Every name is a new module to load, none exists: each import fails.
        let result = exec
            .run_blocking(
                &main,
                "let failed = 0; for (let i = 0; i < 2000; i++) { try { await import('/tmp/m' + i + '.mjs') } catch { failed++ } }\n\
                 console.log(failed)",
                RunOptions::new().timeout(Duration::from_secs(60)),
            )
            .unwrap();
        assert_eq!(result.stdout_lossy(), "2000\n");
        // A chain of modules the guest writes as it goes, each importing the
        // next: it ends at the scratch filesystem's entry cap, the memory
        // cap or the deadline, whichever comes first.
        let chain = "import * as std from 'std';\n\
                     const source = \"import * as std from 'std'; const n = Number(import.meta.url.match(/(\\\\d+)\\\\.mjs$/)[1]) + 1; const f = std.open('/tmp/c' + n + '.mjs', 'w'); f.puts(SRC); f.close(); await import('/tmp/c' + n + '.mjs');\";\n\
                     globalThis.SRC = source.replace('SRC', JSON.stringify(source));\n\
                     const f = std.open('/tmp/c0.mjs', 'w'); f.puts(SRC); f.close(); await import('/tmp/c0.mjs');";
        match exec.run_blocking(&main, chain, RunOptions::new().timeout(TIMEOUT)) {
            Ok(result) => assert_eq!(result.exit_code, 1, "{result:?}"),
            Err(Error::Timeout { .. } | Error::MemoryLimit { .. }) => {}
            Err(other) => panic!("{other:?}"),
        }
    });
}

/// A session run at its deadline is interrupted softly, which JavaScript
/// sees only in code that `std.evalScript` runs: a guest that spins in a
/// promise job or a microtask (after its code returned), or in a timer a
/// previous run left, gives no way. Each is stopped hard within the grace
/// and the stop bound, and the session ends.
#[test]
fn a_session_run_that_spins_where_the_interrupt_cannot_reach_is_stopped_hard() {
    contained(
        &test_name!(a_session_run_that_spins_where_the_interrupt_cannot_reach_is_stopped_hard),
        || {
            let exec = executor();
            for (before, spin) in [
                ("", "Promise.resolve().then(() => { for (;;) {} })"),
                ("", "queueMicrotask(() => { for (;;) {} })"),
                (
                    "",
                    "(async () => { for (;;) { await null; for (let i = 0; i < 1e5; i++) {} } })()",
                ),
                ("setTimeout(() => { for (;;) {} }, 5)", "console.log('next')"),
            ] {
                let session = exec
                    .session_blocking(&JavaScript, RunOptions::new().timeout(TIMEOUT))
                    .unwrap();
                session.run_blocking(before).unwrap();
                // A timer left behind is due by the next run.
                std::thread::sleep(Duration::from_millis(100));
                let started = Instant::now();
                let err = session.run_blocking(spin).unwrap_err();
                let took = started.elapsed();
                assert!(matches!(err, Error::Timeout { .. }), "{spin}: {err:?}");
                assert!(
                    took < TIMEOUT + SOFT_GRACE + STOP_BOUND,
                    "{spin}: the run took {took:?}"
                );
                assert!(!session.is_open(), "{spin}");
            }
        },
    );
}
