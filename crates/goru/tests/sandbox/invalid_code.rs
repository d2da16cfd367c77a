//! Code no interpreter may be given (a NUL character) is refused with a
//! typed error that never quotes it, in runs and sessions, both languages.

use goru::{Error, JavaScript, Language, Python};

use crate::common::{executor, opts, run};

const SECRET: &str = "goru-secret-4711";

fn assert_refused(result: Result<goru::RunResult, Error>) {
    match result {
        Err(error @ Error::InvalidCode(_)) => {
            let message = error.to_string();
            assert!(message.contains("null bytes"), "{message}");
            assert!(
                !message.contains(SECRET),
                "the message quotes the code: {message}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn runs_refuse_nul_in_code() {
    for language in [&Python as &dyn Language, &JavaScript] {
        assert_refused(run(language, &format!("print('{SECRET}')\0")));
    }
}

#[test]
fn sessions_refuse_nul_in_code_and_go_on() {
    for (language, good) in [
        (&Python as &dyn Language, "print('on')"),
        (&JavaScript, "console.log('on')"),
    ] {
        let session = executor().session_blocking(language, opts()).expect("a session");
        assert_refused(session.run_blocking(&format!("x = '{SECRET}'\0")));
        assert_refused(session.run_repl_blocking("\0"));
        let result = session.run_blocking(good).expect("the session goes on");
        assert_eq!(result.stdout_lossy(), "on\n");
    }
}
