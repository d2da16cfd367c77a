//! Python: output, exceptions, exit codes, stdin, and the standard library.

use std::time::{Duration, Instant};

use goru::{Python, RunOptions};

use crate::common::{executor, opts, py, run};

#[test]
fn prints() {
    assert_eq!(py("print(1 + 1)"), "2\n");
    assert_eq!(py("import sys\nsys.stdout.write('a\\x00b')"), "a\0b");
}

#[test]
fn an_uncaught_exception_is_reported_with_its_traceback() {
    let result = run(&Python, "def f():\n    return 1 / 0\nf()").unwrap();
    assert_eq!(result.exit_code, 1);
    let exception = result.exception.as_ref().expect("an exception");
    assert_eq!(exception.kind, "ZeroDivisionError");
    assert_eq!(exception.message, "division by zero");
    assert!(
        exception.traceback.contains("line 2, in f"),
        "{}",
        exception.traceback
    );
    assert!(
        !exception.traceback.contains("_goru"),
        "shim frames are hidden: {}",
        exception.traceback
    );
    assert!(
        result
            .stderr_lossy()
            .contains("ZeroDivisionError: division by zero")
    );
}

#[test]
fn a_syntax_error_is_an_exception_too() {
    let result = run(&Python, "def (:").unwrap();
    assert_eq!(result.exception.map(|e| e.kind).as_deref(), Some("SyntaxError"));
}

#[test]
fn sys_exit_sets_the_exit_code_without_an_exception() {
    let result = run(&Python, "import sys\nprint('bye')\nsys.exit(3)").unwrap();
    assert_eq!(result.exit_code, 3);
    assert!(result.exception.is_none());
    assert_eq!(result.stdout(), b"bye\n");
    assert!(run(&Python, "raise SystemExit(0)").unwrap().success());
}

#[test]
fn a_final_expression_is_not_printed() {
    assert_eq!(py("1 + 1"), "");
}

#[test]
fn input_reads_the_stdin_given_and_then_sees_eof() {
    let code = "print(input().upper())\ntry:\n    input()\nexcept EOFError:\n    print('eof')";
    let result = executor()
        .run_blocking(&Python, code, opts().stdin("hello\n"))
        .unwrap();
    assert_eq!(result.stdout_lossy(), "HELLO\neof\n");
    let empty = executor().run_blocking(&Python, "import sys\nprint(repr(sys.stdin.read()))", opts());
    assert_eq!(empty.unwrap().stdout_lossy(), "''\n");
}

#[test]
fn modules_that_poll_with_a_zero_timeout_import_and_work() {
    // With wasmer-wasix's reading of a zero timeout these hang forever; the
    // run's timeout turns a regression into a failure here.
    let code = "import socket, selectors, subprocess, asyncio, select\n\
                print(select.select([], [], [], 0))\n\
                print(selectors.DefaultSelector().select(0))";
    let result = executor()
        .run_blocking(&Python, code, RunOptions::new().timeout(Duration::from_secs(20)))
        .unwrap();
    assert_eq!(
        result.stdout_lossy(),
        "([], [], [])\n[]\n",
        "{}",
        result.stderr_lossy()
    );
}

#[test]
fn time_sleep_really_sleeps() {
    let started = Instant::now();
    assert_eq!(
        py("import time\nt = time.monotonic()\ntime.sleep(0.2)\nprint(time.monotonic() - t >= 0.2)"),
        "True\n"
    );
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[test]
fn most_of_the_standard_library_imports() {
    let code = r#"
import importlib
names = ["json", "re", "math", "datetime", "collections", "itertools", "functools",
         "decimal", "fractions", "statistics", "random", "hashlib", "base64", "csv",
         "textwrap", "string", "dataclasses", "typing", "enum", "heapq", "bisect",
         "sqlite3", "zlib", "gzip", "unicodedata", "pathlib", "uuid", "struct", "copy", "pprint"]
failed = []
for n in names:
    try:
        importlib.import_module(n)
    except Exception as e:
        failed.append(f"{n}: {e}")
print(failed)
"#;
    assert_eq!(py(code), "[]\n");
}
