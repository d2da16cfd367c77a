//! End-to-end tests of the `goru` binary against the real interpreters.
//!
//! All tests share one module cache under the target directory, warmed once,
//! so CPython is compiled a single time and then loaded from disk.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Once;

mod capabilities;
mod code;
mod compat;
mod deps;
mod javascript;
mod mcp;
mod python3;
mod repl;
mod serve;

/// What one `goru` invocation did.
#[derive(Debug)]
struct Outcome {
    status: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
}

impl Outcome {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// The `goru: ` lines goru itself wrote on stderr.
    fn goru_lines(&self) -> Vec<&str> {
        self.stderr.lines().filter(|l| l.starts_with("goru: ")).collect()
    }
}

fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("goru-cli-module-cache")
}

/// Fills the shared cache before any test runs, so parallel tests do not all
/// compile the interpreters at once.
fn warm_cache() {
    static WARM: Once = Once::new();
    WARM.call_once(|| {
        for lang in ["python", "js"] {
            let out = invoke(&["-l", lang, "-c", ""], None);
            assert_eq!(out.status, Some(0), "warming the {lang} cache failed: {out:?}");
        }
    });
}

fn invoke(args: &[&str], stdin: Option<&[u8]>) -> Outcome {
    let mut child = Command::new(env!("CARGO_BIN_EXE_goru"))
        .args(args)
        .env("GORU_CACHE_DIR", cache_dir())
        .env_remove("RUST_LOG")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting goru");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        pipe.write_all(bytes).expect("writing goru's stdin");
    }
    let out = child.wait_with_output().expect("waiting for goru");
    Outcome {
        status: out.status.code(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs goru with these arguments, stdin from /dev/null.
fn goru(args: &[&str]) -> Outcome {
    warm_cache();
    invoke(args, None)
}

/// Runs goru with `stdin` piped in.
fn goru_piped(args: &[&str], stdin: &[u8]) -> Outcome {
    warm_cache();
    invoke(args, Some(stdin))
}

fn script(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("writing the script");
    path.to_str().expect("utf-8 temp path").to_owned()
}

#[test]
fn python_inline_code() {
    let out = goru(&["-c", "print(6 * 7)"]);
    assert_eq!(out.status, Some(0), "{out:?}");
    assert_eq!(out.stdout(), "42\n");
    assert_eq!(out.stderr, "");
}

#[test]
fn js_inline_code() {
    let out = goru(&["-l", "js", "-c", "console.log(6 * 7)"]);
    assert_eq!(out.status, Some(0), "{out:?}");
    assert_eq!(out.stdout(), "42\n");

    let out = goru(&[
        "--lang",
        "javascript",
        "-c",
        "console.log([1, 2].map(x => x * 2).join(','))",
    ]);
    assert_eq!(out.stdout(), "2,4\n", "{out:?}");
}

#[test]
fn files_pick_their_language() {
    let dir = tempfile::tempdir().expect("tempdir");
    let py = script(
        &dir,
        "hello.py",
        "import sys\nprint('py', sys.version_info[:2] >= (3, 12))\n",
    );
    let js = script(&dir, "hello.js", "console.log('js', typeof std)\n");
    let mjs = script(&dir, "hello.mjs", "console.log('mjs')\n");

    let out = goru(&[&py]);
    assert_eq!(
        (out.status, out.stdout()),
        (Some(0), "py True\n".into()),
        "{out:?}"
    );
    let out = goru(&[&js]);
    assert_eq!(
        (out.status, out.stdout()),
        (Some(0), "js object\n".into()),
        "{out:?}"
    );
    let out = goru(&[&mjs]);
    assert_eq!(out.stdout(), "mjs\n", "{out:?}");
    // The `run` subcommand does the same.
    let out = goru(&["run", "--timeout", "10s", &py]);
    assert_eq!(
        (out.status, out.stdout()),
        (Some(0), "py True\n".into()),
        "{out:?}"
    );
}

#[test]
fn lang_overrides_the_extension() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = script(&dir, "code.txt", "console.log('from js')\n");
    let out = goru(&["-l", "js", &file]);
    assert_eq!(
        (out.status, out.stdout()),
        (Some(0), "from js\n".into()),
        "{out:?}"
    );

    let out = goru(&[&file]);
    assert_eq!(out.status, Some(2), "{out:?}");
    assert_eq!(out.goru_lines().len(), 1, "{out:?}");
    assert!(out.stderr.contains("--lang"), "{out:?}");
    assert!(out.stdout.is_empty());
}

#[test]
fn code_piped_on_stdin() {
    let out = goru_piped(&["-l", "python"], b"print(1 + 1)\n");
    assert_eq!((out.status, out.stdout()), (Some(0), "2\n".into()), "{out:?}");
    let out = goru_piped(&["-l", "js"], b"console.log(1 + 2)\n");
    assert_eq!((out.status, out.stdout()), (Some(0), "3\n".into()), "{out:?}");
    // Python is the default; "-" names stdin explicitly.
    let out = goru_piped(&["-"], b"print('dash')\n");
    assert_eq!((out.status, out.stdout()), (Some(0), "dash\n".into()), "{out:?}");
}

#[test]
fn stdin_file_feeds_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = script(&dir, "input.txt", "world\nsecond line\n");
    let code = "name = input()\nprint('hello ' + name)\nprint(repr(input()))";
    let out = goru(&["--stdin-file", &input, "-c", code]);
    assert_eq!(out.status, Some(0), "{out:?}");
    assert_eq!(out.stdout(), "hello world\n'second line'\n");

    let code = "console.log(std.in.readAsString().toUpperCase())";
    let out = goru(&["-l", "js", "--stdin-file", &input, "-c", code]);
    assert_eq!(out.stdout(), "WORLD\nSECOND LINE\n\n", "{out:?}");
}

#[test]
fn code_read_from_stdin_leaves_the_guest_none() {
    // As python3: the piped stdin was the program, so the guest is at its end.
    let out = goru_piped(&[], b"import sys; print(repr(sys.stdin.read()))");
    assert_eq!((out.status, out.stdout()), (Some(0), "''\n".into()), "{out:?}");
    // A terminal is never read unless asked: /dev/null here stands for "nothing given".
    let out = goru(&["-c", "print(repr(open('/dev/stdin').read()))"]);
    assert_eq!((out.status, out.stdout()), (Some(0), "''\n".into()), "{out:?}");
}

#[test]
fn missing_stdin_file_is_an_error() {
    let out = goru(&["--stdin-file", "/nonexistent/goru-input", "-c", "print(1)"]);
    assert_eq!(out.status, Some(1), "{out:?}");
    assert_eq!(out.goru_lines().len(), 1, "{out:?}");
    assert!(out.stderr.contains("/nonexistent/goru-input"), "{out:?}");
    assert!(out.stdout.is_empty(), "the code must not run: {out:?}");
}

#[test]
fn exit_status_is_the_guests() {
    let out = goru(&["-c", "import sys; print('bye'); sys.exit(3)"]);
    assert_eq!((out.status, out.stdout()), (Some(3), "bye\n".into()), "{out:?}");
    let out = goru(&["-l", "js", "-c", "std.exit(4)"]);
    assert_eq!(out.status, Some(4), "{out:?}");
    let out = goru(&["-c", "import sys; sys.exit(0)"]);
    assert_eq!(out.status, Some(0), "{out:?}");
}

#[test]
fn uncaught_exception_exits_1_with_traceback() {
    let out = goru(&[
        "-c",
        "print('start')\ndef f():\n    raise ValueError('boom')\nf()",
    ]);
    assert_eq!(out.status, Some(1), "{out:?}");
    assert_eq!(out.stdout(), "start\n");
    assert!(out.stderr.contains("Traceback"), "{out:?}");
    assert!(out.stderr.contains("ValueError: boom"), "{out:?}");
    assert!(
        out.goru_lines().is_empty(),
        "the guest's own report suffices: {out:?}"
    );

    let out = goru(&["-l", "js", "-c", "throw new TypeError('bad js')"]);
    assert_eq!(out.status, Some(1), "{out:?}");
    assert!(out.stderr.contains("TypeError: bad js"), "{out:?}");
}

#[test]
fn timeout_stops_the_guest_and_keeps_its_output() {
    let out = goru(&[
        "--timeout",
        "1",
        "-c",
        "print('before', flush=True)\nwhile True: pass",
    ]);
    assert_eq!(out.status, Some(124), "{out:?}");
    assert_eq!(out.stdout(), "before\n");
    assert_eq!(out.goru_lines(), ["goru: timed out after 1s"], "{out:?}");

    let out = goru(&["-l", "js", "--timeout", "500ms", "-c", "for (;;) {}"]);
    assert_eq!(out.status, Some(124), "{out:?}");
    assert_eq!(out.goru_lines(), ["goru: timed out after 500ms"], "{out:?}");
}

#[test]
fn output_limit_truncates_and_says_so() {
    let out = goru(&["--output-limit", "10", "-c", "print('x' * 100)"]);
    assert_eq!(out.status, Some(0), "{out:?}");
    assert_eq!(out.stdout(), "x".repeat(10));
    assert_eq!(
        out.goru_lines(),
        ["goru: stdout truncated at 10 bytes"],
        "{out:?}"
    );
}

#[test]
fn output_bytes_pass_through_untouched() {
    let code =
        r"import sys; sys.stdout.buffer.write(b'\x00\xff\xfe\r\n'); sys.stderr.buffer.write(b'\x01err\n')";
    let out = goru(&["-c", code]);
    assert_eq!(out.status, Some(0), "{out:?}");
    assert_eq!(out.stdout, b"\x00\xff\xfe\r\n");
    assert_eq!(out.stderr, "\x01err\n");
}

#[test]
fn unknown_language_is_a_usage_error() {
    let out = goru(&["--lang", "cobol", "-c", "print(1)"]);
    assert_eq!(out.status, Some(2), "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "one line: {out:?}");
    assert!(out.stderr.starts_with("goru: "), "{out:?}");
    assert!(
        out.stderr.contains("cobol") && out.stderr.contains("python"),
        "{out:?}"
    );
}

#[test]
fn bad_limits_are_usage_errors() {
    for args in [["--timeout", "soon"], ["--memory", "lots"], ["--timeout", "0"]] {
        let out = goru(&[args[0], args[1], "-c", "print(1)"]);
        assert_eq!(out.status, Some(2), "{args:?}: {out:?}");
        assert_eq!(out.goru_lines().len(), 1, "{args:?}: {out:?}");
        assert!(out.stdout.is_empty(), "{args:?}: {out:?}");
    }
    let out = goru(&["-c", "import sys; print(sys.argv)", "file.py"]);
    assert_eq!(
        out.stdout(),
        "['-c', 'file.py']\n",
        "after -c, a FILE is an argument: {out:?}"
    );
}

#[test]
fn missing_file_is_an_error() {
    let out = goru(&["/nonexistent/dir/script.py"]);
    assert_eq!(out.status, Some(1), "{out:?}");
    assert_eq!(out.goru_lines().len(), 1, "{out:?}");
    assert!(out.stderr.contains("/nonexistent/dir/script.py"), "{out:?}");
}

#[test]
fn version_and_help() {
    let out = invoke(&["--version"], None);
    assert_eq!(out.status, Some(0), "{out:?}");
    assert_eq!(out.stdout(), format!("goru {}\n", env!("CARGO_PKG_VERSION")));

    let out = invoke(&["--help"], None);
    assert_eq!(out.status, Some(0), "{out:?}");
    let help = out.stdout();
    for needle in [
        "--timeout",
        "--memory",
        "--stdin-file",
        "GORU_CACHE_DIR",
        "Exit status",
        "124",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}: {help}");
    }
}

#[test]
fn memory_limit_is_enforced() {
    // 200 MiB cannot fit in a 64 MiB cap: either the interpreter gives up
    // with MemoryError (status 1) or the host stops it (status 125).
    let out = goru(&[
        "--memory",
        "64MiB",
        "-c",
        "x = bytearray(200 * 1024 * 1024)\nprint('allocated')",
    ]);
    assert!(
        matches!(out.status, Some(1 | 125)),
        "expected a memory failure: {out:?}"
    );
    assert!(!out.stdout().contains("allocated"), "{out:?}");
}

#[test]
fn runaway_js_recursion_is_a_range_error() {
    // QuickJS's own stack check throws (status 1, an uncaught exception);
    // the interpreter, not the host, notices.
    let out = goru(&["-l", "js", "-c", "console.log('start'); function f() { f() } f()"]);
    assert_eq!((out.status, out.stdout()), (Some(1), "start\n".into()), "{out:?}");
    assert!(
        out.stderr
            .contains("RangeError: Maximum call stack size exceeded"),
        "{out:?}"
    );
    assert!(out.goru_lines().is_empty(), "{out:?}");
}

#[test]
fn cache_dir_and_no_cache() {
    let dir = tempfile::tempdir().expect("tempdir");
    let used = dir.path().join("used");
    let unused = dir.path().join("unused");
    let entries = |path: &Path| std::fs::read_dir(path).map(|d| d.count()).unwrap_or(0);

    let out = goru(&[
        "--cache-dir",
        used.to_str().expect("utf-8"),
        "-l",
        "js",
        "-c",
        "console.log('a')",
    ]);
    assert_eq!((out.status, out.stdout()), (Some(0), "a\n".into()), "{out:?}");
    assert!(entries(&used) > 0, "--cache-dir was not written");

    let args = [
        "--no-cache",
        "--cache-dir",
        unused.to_str().expect("utf-8"),
        "-l",
        "js",
        "-c",
        "console.log('b')",
    ];
    let out = goru(&args);
    assert_eq!((out.status, out.stdout()), (Some(0), "b\n".into()), "{out:?}");
    assert_eq!(entries(&unused), 0, "--no-cache wrote a cache");
}
