//! JavaScript's uncaught errors: `Name: message` and a node-style stack that
//! starts at user code, under the code's name, without the shim's frames.

use goru::{JavaScript, JavaScriptFile, Language};

use crate::common::{executor, js, opts, run};

fn stderr_of(language: &dyn Language, code: &str) -> (String, String) {
    let result = executor().run_blocking(language, code, opts()).unwrap();
    assert_eq!(result.exit_code, 1, "{}", result.stderr_lossy());
    let traceback = result.exception.clone().expect("an exception").traceback;
    (result.stderr_lossy().into_owned(), traceback)
}

#[test]
fn the_stack_starts_at_user_code_and_names_the_code() {
    let code = "function f() { throw new TypeError('bad') }\nfunction g() { f() }\ng()";
    let (stderr, traceback) = stderr_of(&JavaScript, code);
    assert_eq!(
        stderr,
        "TypeError: bad\n    at f (<string>:1:25)\n    at g (<string>:2:16)\n    at <string>:3:1\n"
    );
    assert_eq!(
        traceback,
        "    at f (<string>:1:25)\n    at g (<string>:2:16)\n    at <string>:3:1"
    );
    let (stderr, _) = stderr_of(&JavaScriptFile::script("tool.js"), code);
    assert!(stderr.contains("    at f (tool.js:1:25)\n"), "{stderr}");
    assert!(
        !stderr.contains("<cmdline>") && !stderr.contains("<input>"),
        "{stderr}"
    );
}

#[test]
fn errors_from_the_guest_api_and_builtins_point_at_the_caller() {
    let (stderr, _) = stderr_of(&JavaScript, "\n  kv.get('k')");
    assert!(stderr.starts_with("HostError: "), "{stderr}");
    assert!(stderr.ends_with("\n    at <string>:2:6\n"), "{stderr}");
    let (stderr, _) = stderr_of(&JavaScript, "[1].map(function cb() { null.x })");
    assert!(
        stderr.contains("    at cb (<string>:1:24)\n    at map (native)\n    at <string>:1:8\n"),
        "{stderr}"
    );
}

#[test]
fn a_subclass_keeps_its_name_and_user_code_reads_node_like_stacks() {
    let (stderr, _) = stderr_of(
        &JavaScript,
        "class AppError extends Error { constructor(m) { super(m); this.name = 'AppError' } }\nthrow new AppError('nope')",
    );
    assert!(
        stderr.starts_with("AppError: nope\n    at AppError (<string>:1:48)\n    at <string>:2:11\n"),
        "{stderr}"
    );
    assert_eq!(
        js("try { null.x } catch (e) { console.log(e.stack) }"),
        "TypeError: cannot read property 'x' of null\n    at <string>:1:6\n"
    );
}

#[test]
fn an_error_in_a_timer_is_an_uncaught_exception() {
    let (stderr, traceback) = stderr_of(&JavaScript, "setTimeout(() => { throw new Error('later') }, 1)");
    assert_eq!(stderr, "Error: later\n    at <string>:1:29\n");
    assert_eq!(traceback, "    at <string>:1:29");
}

#[test]
fn throwing_a_value_and_std_exit_keep_working() {
    let result = run(&JavaScript, "throw {code: 7}").unwrap();
    assert_eq!(result.stderr_lossy(), "Uncaught { code: 7 }\n");
    let result = run(
        &JavaScript,
        "setTimeout(() => std.exit(3), 1); console.log('before')",
    )
    .unwrap();
    assert_eq!(
        (result.exit_code, result.stdout_lossy().into_owned()),
        (3, "before\n".into())
    );
}
