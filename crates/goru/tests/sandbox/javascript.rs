//! JavaScript: output, exceptions, exit codes and stdin.

use goru::JavaScript;

use crate::common::{executor, js, opts, run};

#[test]
fn prints() {
    assert_eq!(js("console.log(6 * 7)"), "42\n");
    assert_eq!(js("std.out.puts('a\\0b')"), "a\0b");
}

#[test]
fn globals_declared_by_the_code_work() {
    assert_eq!(
        js("var a = 2; let b = 3; function f() { return a * b }\nconsole.log(f())"),
        "6\n"
    );
}

#[test]
fn an_uncaught_exception_is_reported_with_its_stack() {
    let result = run(&JavaScript, "function f() { null.x }\nf()").unwrap();
    assert_eq!(result.exit_code, 1);
    let exception = result.exception.as_ref().expect("an exception");
    assert_eq!(exception.kind, "TypeError");
    assert!(exception.message.contains("null"), "{}", exception.message);
    assert!(exception.traceback.contains("at f"), "{}", exception.traceback);
    assert!(result.stderr_lossy().contains("TypeError"));
}

#[test]
fn throwing_a_non_error_is_reported() {
    let result = run(&JavaScript, "throw 42").unwrap();
    assert_eq!(result.exit_code, 1);
    assert_eq!(result.exception.map(|e| e.message).as_deref(), Some("42"));
}

#[test]
fn a_syntax_error_is_an_exception_too() {
    let result = run(&JavaScript, "function (").unwrap();
    assert_eq!(result.exception.map(|e| e.kind).as_deref(), Some("SyntaxError"));
}

#[test]
fn std_exit_sets_the_exit_code() {
    let result = run(&JavaScript, "console.log('bye'); std.exit(4)").unwrap();
    assert_eq!(result.exit_code, 4);
    assert!(result.exception.is_none());
    assert_eq!(result.stdout(), b"bye\n");
}

#[test]
fn getline_reads_the_stdin_given_and_then_sees_eof() {
    let code = "console.log(std.in.getline().toUpperCase()); console.log(std.in.getline())";
    let result = executor()
        .run_blocking(&JavaScript, code, opts().stdin("hello\n"))
        .unwrap();
    assert_eq!(result.stdout_lossy(), "HELLO\nnull\n");
}

#[test]
fn promises_and_timers_run_to_completion() {
    let code = "Promise.resolve(1).then(v => console.log('then', v));\n\
                os.setTimeout(() => console.log('timer'), 10);\nconsole.log('sync')";
    assert_eq!(js(code), "sync\nthen 1\ntimer\n");
}
