//! Sessions: one interpreter kept alive across runs, in both languages.

use std::sync::Arc;
use std::time::Duration;

use goru::{Error, JavaScript, Language, Python, RunOptions, Session, SessionEnd};

use crate::common::{executor, opts, succeeded};

fn session(language: &dyn Language) -> Session {
    executor()
        .session_blocking(language, opts())
        .expect("starting a session")
}

fn out(session: &Session, code: &str) -> String {
    succeeded(code, session.run_blocking(code))
}

#[test]
fn python_state_persists_across_runs() {
    let s = session(&Python);
    assert_eq!(
        out(&s, "x = 41\nimport math\ndef double(n):\n    return n * 2"),
        ""
    );
    assert_eq!(
        out(&s, "x += 1\nprint(x, double(x), math.floor(2.5))"),
        "42 84 2\n"
    );
    assert_eq!(out(&s, "print(x)"), "42\n");
}

#[test]
fn javascript_state_persists_across_runs() {
    let s = session(&JavaScript);
    assert_eq!(out(&s, "var x = 41; function double(n) { return n * 2; }"), "");
    assert_eq!(out(&s, "x += 1; console.log(x, double(x))"), "42 84\n");
    assert_eq!(
        out(&s, "Promise.resolve(x).then(v => console.log('later', v))"),
        "later 42\n"
    );
}

#[test]
fn each_run_returns_only_its_own_output() {
    let s = session(&Python);
    let first = s
        .run_blocking("import sys\nprint('one'); print('err one', file=sys.stderr)")
        .unwrap();
    let second = s.run_blocking("print('two')").unwrap();
    assert_eq!(
        (first.stdout_lossy(), first.stderr_lossy()),
        ("one\n".into(), "err one\n".into())
    );
    assert_eq!(
        (second.stdout_lossy(), second.stderr_lossy()),
        ("two\n".into(), "".into())
    );
}

#[test]
fn an_exception_is_reported_and_the_session_goes_on() {
    for (language, bad, good) in [
        (&Python as &dyn Language, "1 / 0", "print('still here')"),
        (&JavaScript, "null.x", "console.log('still here')"),
    ] {
        let s = session(language);
        let result = s.run_blocking(bad).unwrap();
        assert_eq!(result.exit_code, 1);
        let exception = result.exception.expect("an exception");
        assert!(
            ["ZeroDivisionError", "TypeError"].contains(&exception.kind.as_str()),
            "{exception:?}"
        );
        assert!(!result.output.stderr.is_empty());
        assert_eq!(out(&s, good), "still here\n");
    }
}

#[test]
fn repl_mode_shows_the_final_expression() {
    let s = session(&Python);
    assert_eq!(out(&s, "1 + 1"), "", "a script does not print its last value");
    assert_eq!(
        s.run_repl_blocking("x = 5\nx * 2").unwrap().stdout_lossy(),
        "10\n"
    );
    assert_eq!(s.run_repl_blocking("_ + 1").unwrap().stdout_lossy(), "11\n");
    assert_eq!(s.run_repl_blocking("None").unwrap().stdout_lossy(), "");
    let js = session(&JavaScript);
    assert_eq!(
        js.run_repl_blocking("let y = 3; y * 2").unwrap().stdout_lossy(),
        "6\n"
    );
    // Values are shown as node's REPL shows them (util.inspect).
    assert_eq!(js.run_repl_blocking("'s'").unwrap().stdout_lossy(), "'s'\n");
    assert_eq!(
        js.run_repl_blocking("({a: [1], m: new Map([[1, 'x']])})")
            .unwrap()
            .stdout_lossy(),
        "{ a: [ 1 ], m: Map(1) { 1 => 'x' } }\n"
    );
    assert_eq!(js.run_repl_blocking("undefined").unwrap().stdout_lossy(), "");
}

#[test]
fn check_complete_tells_open_blocks_from_finished_statements() {
    let py = session(&Python);
    for (code, complete) in [
        ("x = 1", true),
        ("if x:", false),
        ("def f():\n    return 1", false),
        ("def f():\n    return 1\n", true),
        ("(1,\n 2", false),
        ("1 +* 2", true),
    ] {
        assert_eq!(
            py.check_complete_blocking(code).unwrap(),
            complete,
            "python {code:?}"
        );
    }
    let js = session(&JavaScript);
    for (code, complete) in [
        ("let a = 1", true),
        ("function f() {", false),
        ("[1, 2,", false),
        ("`abc", false),
        ("1 +* 2", true),
    ] {
        assert_eq!(js.check_complete_blocking(code).unwrap(), complete, "js {code:?}");
    }
}

#[test]
fn sessions_are_isolated_from_each_other_and_from_stateless_runs() {
    let a = session(&Python);
    let b = session(&Python);
    out(&a, "v = 'a'");
    out(&b, "v = 'b'");
    assert_eq!(out(&a, "print(v)"), "a\n");
    assert_eq!(out(&b, "print(v)"), "b\n");
    let stateless = executor().run_blocking(&Python, "print(v)", opts()).unwrap();
    assert_eq!(stateless.exception.map(|e| e.kind), Some("NameError".into()));
}

#[test]
fn a_concurrent_run_is_busy() {
    let s = session(&Python);
    let busy = {
        let s = s.clone();
        // Retried until it gets the session: the probes below may hold it briefly.
        std::thread::spawn(move || {
            loop {
                match s.run_blocking("import time; time.sleep(1)") {
                    Err(Error::SessionBusy) => std::thread::sleep(Duration::from_millis(1)),
                    other => return other,
                }
            }
        })
    };
    let mut second = s.run_blocking("print(1)");
    for _ in 0..300 {
        if matches!(second, Err(Error::SessionBusy)) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
        second = s.run_blocking("print(1)");
    }
    assert!(matches!(second, Err(Error::SessionBusy)), "{second:?}");
    assert!(busy.join().unwrap().unwrap().success());
    assert_eq!(out(&s, "print(2)"), "2\n");
}

#[test]
fn a_closed_session_refuses_runs() {
    let s = session(&JavaScript);
    let clone = s.clone();
    s.close();
    assert!(!clone.is_open());
    assert!(matches!(clone.run_blocking("1"), Err(Error::SessionClosed)));
}

/// With a guest that ignores the soft interrupt, or that spins where the
/// interpreter does not see it (a JavaScript promise job, run after the code
/// returned), a timeout ends the session (see soft_interrupts.rs).
#[test]
fn a_timeout_ends_the_session() {
    for (language, spin) in [
        (
            &Python as &dyn Language,
            "while True:\n    try:\n        n = 0\n        while True: n += 1\n    except BaseException: pass",
        ),
        (&JavaScript, "Promise.resolve().then(() => { for (;;) {} })"),
    ] {
        // The timeout also bounds the start-up: roomy enough for a loaded machine.
        let s = executor()
            .session_blocking(language, RunOptions::new().timeout(Duration::from_secs(3)))
            .unwrap();
        assert_eq!(out(&s, "print(1)").trim(), "1");
        let err = s.run_blocking(spin).expect_err("the run must time out");
        assert!(matches!(err, Error::Timeout { .. }), "{err}");
        let later = s.run_blocking("print(2)").expect_err("the session is over");
        assert!(
            matches!(
                &later,
                Error::SessionEnded {
                    reason: SessionEnd::Timeout
                }
            ),
            "{later}"
        );
        assert_eq!(later.to_string(), "session ended: timeout");
    }
}

#[test]
fn a_memory_hit_ends_the_session_after_reporting_the_run() {
    let s = executor()
        .session_blocking(&Python, RunOptions::new().memory_bytes(64 << 20))
        .unwrap();
    let result = s.run_blocking("b = bytearray(200 * 1024 * 1024)").unwrap();
    assert_eq!(result.exception.map(|e| e.kind), Some("MemoryError".into()));
    let later = s.run_blocking("print(1)").expect_err("the session is over");
    assert!(
        matches!(
            later,
            Error::SessionEnded {
                reason: SessionEnd::MemoryLimit
            }
        ),
        "{later}"
    );
}

#[test]
fn sessions_get_their_capabilities_and_stdin() {
    let grant = goru::Capabilities::new().kv();
    let options = opts()
        .host_functions(grant.open().unwrap())
        .stdin("first\nsecond\n");
    let s = executor().session_blocking(&Python, options).unwrap();
    out(&s, "kv.set('n', 1)");
    assert_eq!(out(&s, "print(kv.get('n'), input())"), "1 first\n");
    assert_eq!(out(&s, "print(input())"), "second\n");
    let js = executor()
        .session_blocking(
            &JavaScript,
            opts().host_functions(Arc::new(goru::Registry::new())),
        )
        .unwrap();
    let result = js.run_blocking("kv.get('n')").unwrap();
    assert_eq!(
        result.exception.map(|e| e.message),
        Some("the kv capability was not granted to this run".into())
    );
}

#[test]
fn sys_exit_ends_the_run_but_not_the_session() {
    let s = session(&Python);
    let result = s.run_blocking("import sys; print('bye'); sys.exit(3)").unwrap();
    assert_eq!((result.exit_code, result.stdout_lossy().as_ref()), (3, "bye\n"));
    assert_eq!(out(&s, "print('on')"), "on\n");
}

#[test]
fn a_trap_ends_the_session() {
    let s = session(&JavaScript);
    out(&s, "var kept = 1");
    // QuickJS's C code serialising data nested this deep exhausts the native
    // stack before its own stack check notices (plain recursion is a
    // RangeError instead, see recursion.rs).
    let deep = "let a = []; for (let i = 0; i < 200000; i++) a = [a]; JSON.stringify(a)";
    let error = s.run_blocking(deep).expect_err("a trap");
    assert!(matches!(error, Error::Trap { .. }), "{error}");
    let later = s.run_blocking("kept").expect_err("the session is over");
    assert!(
        matches!(
            later,
            Error::SessionEnded {
                reason: SessionEnd::Trap(_)
            }
        ),
        "{later}"
    );
}
