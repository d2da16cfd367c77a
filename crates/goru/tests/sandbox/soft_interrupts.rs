//! Soft interrupts: a session run that reaches its time limit, or that the
//! embedder interrupts, unwinds with an exception and the session keeps its
//! state; a guest that will not unwind is stopped hard as before.

use std::time::Duration;

use goru::{Error, JavaScript, Language, Python, RunOptions, RunResult, Session, SessionEnd};

use crate::common::executor;

fn session(language: &dyn Language, timeout: Duration) -> Session {
    executor()
        .session_blocking(language, RunOptions::new().timeout(timeout))
        .unwrap()
}

fn python_session(timeout: Duration) -> Session {
    session(&Python, timeout)
}

fn javascript_session(timeout: Duration) -> Session {
    session(&JavaScript, timeout)
}

/// Runs `code` in `session` on another thread and interrupts it as soon as
/// it has started (until then there is nothing to interrupt); its result.
fn interrupted_run(session: &Session, code: &str) -> RunResult {
    let runner = {
        let (session, code) = (session.clone(), code.to_owned());
        std::thread::spawn(move || session.run_blocking(&code))
    };
    while !session.interrupt() {
        std::thread::sleep(Duration::from_millis(20));
    }
    runner.join().unwrap().unwrap()
}

/// The stderr of a run that timed out softly.
fn timed_out(result: Result<goru::RunResult, Error>) -> String {
    match result {
        Err(Error::Timeout { output, .. }) => String::from_utf8_lossy(&output.stderr).into_owned(),
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[test]
fn a_timed_out_python_run_raises_timeout_error_and_the_session_keeps_its_state() {
    let session = python_session(Duration::from_secs(2));
    session.run_blocking("x = 41\nimport time").unwrap();
    for spin in [
        "while True: pass",
        "time.sleep(3600)",
        "def f():\n    while True: yield 1\nlist(f())",
    ] {
        let stderr = timed_out(session.run_blocking(spin));
        assert!(
            stderr.contains("TimeoutError: the run reached its time limit"),
            "{spin}: {stderr}"
        );
        assert!(session.is_open(), "{spin}");
        let result = session.run_blocking("x += 1\nprint(x)").unwrap();
        assert!(result.stdout_lossy().trim().parse::<u32>().unwrap() > 41);
    }
}

/// The guest sees `TimeoutError`: it may clean up and even catch it, as
/// long as it is back within the grace. (CPython 3.12.0 does not catch an
/// asynchronous exception in a loop that starts its `try` body, as with
/// Ctrl-C in its own REPL: the loop here does not.)
#[test]
fn the_guest_can_clean_up_after_a_timeout() {
    let session = python_session(Duration::from_secs(2));
    let stderr = timed_out(session.run_blocking(
        "try:\n    n = 0\n    while True: n += 1\nexcept TimeoutError as e:\n    print('cleaning up:', e)\n    cleaned = True",
    ));
    assert_eq!(stderr, "", "the exception was caught");
    let result = session.run_blocking("print(cleaned)").unwrap();
    assert_eq!(result.stdout_lossy(), "True\n");
}

#[test]
fn an_interrupt_raises_keyboard_interrupt_in_the_running_code_only() {
    let session = python_session(Duration::from_secs(60));
    assert!(!session.interrupt(), "no run is going");
    session.run_blocking("state = 'kept'").unwrap();
    let result = interrupted_run(&session, "n = 0\nwhile True: n += 1");
    let exception = result.exception.expect("the run ended with an exception");
    assert_eq!(exception.kind, "KeyboardInterrupt");
    let after = session.run_blocking("print(state, n > 0)").unwrap();
    assert_eq!(after.stdout_lossy(), "kept True\n");
    // An interrupt between runs is not the next run's.
    assert!(!session.interrupt());
    assert_eq!(session.run_blocking("print(1)").unwrap().stdout_lossy(), "1\n");
}

/// Hostile: a guest that catches every exception and goes on, or switches
/// the signal off, only loses the grace: it is stopped hard and the session
/// ends, as without soft interrupts. So does a long loop in C, which checks
/// no signals (as in CPython anywhere).
#[test]
fn a_guest_that_ignores_the_interrupt_is_stopped_hard() {
    for attack in [
        "while True:\n    try:\n        n = 0\n        while True: n += 1\n    except BaseException: pass",
        "import _signal\n_signal.signal(_signal.SIGXCPU, _signal.SIG_IGN)\nwhile True: pass",
        "import _signal\n_signal.signal(_signal.SIGXCPU, lambda *a: None)\nwhile True: pass",
        "sum(range(10**12))",
    ] {
        let session = python_session(Duration::from_secs(1));
        session.run_blocking("x = 1").unwrap();
        let err = session.run_blocking(attack).unwrap_err();
        assert!(matches!(err, Error::Timeout { .. }), "{attack}: {err:?}");
        assert!(!session.is_open(), "{attack}");
        assert!(matches!(
            session.run_blocking("print(x)"),
            Err(Error::SessionEnded {
                reason: SessionEnd::Timeout
            })
        ));
    }
}

/// JavaScript's soft interrupt is QuickJS's own: an `InternalError:
/// interrupted` that no `catch` or `finally` in the code runs for.
#[test]
fn a_timed_out_javascript_run_is_interrupted_and_the_session_keeps_its_state() {
    let session = javascript_session(Duration::from_secs(2));
    session.run_blocking("var x = 41; let kept = 'yes';").unwrap();
    for spin in [
        "for (;;) {}",
        "for (;;) { try { for (;;) {} } catch (e) {} finally { console.log('finally ran') } }",
        "function* f() { for (;;) yield 1 } for (const _ of f()) {}",
        "os.sleep(3600 * 1000); for (;;) {}",
    ] {
        let stderr = timed_out(session.run_blocking(spin));
        assert!(stderr.contains("InternalError: interrupted"), "{spin}: {stderr}");
        assert!(!stderr.contains("finally ran"), "{spin}: {stderr}");
        assert!(session.is_open(), "{spin}");
        let result = session.run_blocking("x += 1; console.log(x, kept)").unwrap();
        let stdout = result.stdout_lossy();
        let (count, kept) = stdout.trim().split_once(' ').unwrap();
        assert!(count.parse::<u32>().unwrap() > 41);
        assert_eq!(kept, "yes");
    }
}

#[test]
fn an_interrupt_stops_the_running_javascript_only() {
    let session = javascript_session(Duration::from_secs(60));
    assert!(!session.interrupt(), "no run is going");
    session.run_blocking("var state = 'kept'; var n = 0;").unwrap();
    let result = interrupted_run(&session, "for (;;) n++");
    let exception = result.exception.expect("the run ended with an exception");
    assert_eq!(
        (exception.kind.as_str(), exception.message.as_str()),
        ("InternalError", "interrupted")
    );
    let after = session.run_blocking("console.log(state, n > 0)").unwrap();
    assert_eq!(after.stdout_lossy(), "kept true\n");
    // An interrupt between runs is not the next run's.
    assert!(!session.interrupt());
    let next = session
        .run_blocking("for (let i = 0; i < 1e6; i++) {} console.log('ran')")
        .unwrap();
    assert_eq!(next.stdout_lossy(), "ran\n");
}

/// Promise jobs run after the run's code has returned, where QuickJS polls
/// no interrupt handler: an interrupt that comes then does nothing to them,
/// and is not taken for the next run's.
#[test]
fn an_interrupt_while_promise_jobs_run_is_not_the_next_runs() {
    let session = javascript_session(Duration::from_secs(60));
    let runner = {
        let session = session.clone();
        std::thread::spawn(move || {
            session.run_blocking(
                "Promise.resolve().then(() => { const end = Date.now() + 3000; while (Date.now() < end) {} console.log('job done') })",
            )
        })
    };
    // Well into the job (the code before it takes microseconds).
    std::thread::sleep(Duration::from_secs(1));
    assert!(session.interrupt(), "the run is going");
    let result = runner.join().unwrap().unwrap();
    assert_eq!(result.stdout_lossy(), "job done\n");
    assert!(result.exception.is_none(), "{:?}", result.exception);
    let next = session
        .run_blocking("for (let i = 0; i < 1e6; i++) {} console.log('ran')")
        .unwrap();
    assert_eq!(next.stdout_lossy(), "ran\n");
    assert!(next.exception.is_none(), "{:?}", next.exception);
}
