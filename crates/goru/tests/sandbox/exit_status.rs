//! Exit statuses in both languages, runs and sessions: the low 8 bits of
//! what the guest passed to exit, as python3's status in a POSIX shell.

use goru::{JavaScript, Language, Python};

use crate::common::{executor, opts, run};

/// (argument to exit, status reported).
const STATUSES: [(&str, i32); 6] = [
    ("0", 0),
    ("3", 3),
    ("255", 255),
    ("256", 0),
    ("300", 44),
    ("-1", 255),
];

#[test]
fn runs_report_the_low_eight_bits() {
    for (language, exit) in [
        (&Python as &dyn Language, "import sys; sys.exit({})"),
        (&JavaScript, "std.exit({})"),
    ] {
        for (argument, status) in STATUSES {
            let code = exit.replace("{}", argument);
            let result = run(language, &code).unwrap_or_else(|e| panic!("{code}: {e}"));
            assert_eq!((result.exit_code, &result.exception), (status, &None), "{code}");
        }
    }
}

/// Python only: what CPython itself does with statuses that are not small
/// ints (its C long is 32 bits in this build).
const PYTHON_STATUSES: [(&str, i32); 3] = [("True", 1), ("'bye'", 1), ("2**40 + 7", 255)];

#[test]
fn python_runs_and_sessions_agree() {
    let session = executor().session_blocking(&Python, opts()).expect("a session");
    for (argument, status) in STATUSES.into_iter().chain(PYTHON_STATUSES) {
        let code = format!("import sys; sys.exit({argument})");
        let result = session
            .run_blocking(&code)
            .unwrap_or_else(|e| panic!("{code}: {e}"));
        assert_eq!(result.exit_code, status, "session: {code}");
        let result = run(&Python, &code).unwrap_or_else(|e| panic!("{code}: {e}"));
        assert_eq!(result.exit_code, status, "run: {code}");
    }
}

#[test]
fn a_js_session_that_exits_reports_the_low_eight_bits() {
    let session = executor()
        .session_blocking(&JavaScript, opts())
        .expect("a session");
    let error = session
        .run_blocking("std.exit(-1)")
        .expect_err("the session is over");
    assert!(
        matches!(
            &error,
            goru::Error::SessionEnded {
                reason: goru::SessionEnd::Exited(255)
            }
        ),
        "{error:?}"
    );
}
