//! goru as a drop-in for python3: the piped stdin, argv and `__file__`,
//! tracebacks with source lines, `-m`, streamed output kept on a stop,
//! `isatty()`, escape sequences on a terminal, and the default packages
//! directory.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};

use super::{Outcome, cache_dir, goru, goru_piped, script, warm_cache};

/// goru with these arguments started in `dir`, stdin, stdout and stderr piped.
fn spawn(args: &[&str], dir: Option<&std::path::Path>) -> Child {
    warm_cache();
    let mut command = Command::new(env!("CARGO_BIN_EXE_goru"));
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    command
        .args(args)
        .env("GORU_CACHE_DIR", cache_dir())
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting goru")
}

fn finish(child: Child) -> Outcome {
    let out = child.wait_with_output().expect("waiting for goru");
    Outcome {
        status: out.status.code(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Reads goru's stdout up to and including the line `line`, while goru runs.
fn read_line(reader: &mut impl BufRead) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).expect("reading goru's stdout");
    line
}

#[test]
fn the_guest_reads_a_piped_stdin_with_c_and_file() {
    let out = goru_piped(&["-c", "print(int(input()) + 1)"], b"41\n");
    assert_eq!((out.status, out.stdout()), (Some(0), "42\n".into()), "{out:?}");

    let dir = tempfile::tempdir().expect("tempdir");
    let sol = script(
        &dir,
        "sol.py",
        "import sys\nprint(sum(int(x) for x in sys.stdin.read().split()))\n",
    );
    let input = script(&dir, "in.txt", "1 2 3\n4\n");
    let out = Command::new(env!("CARGO_BIN_EXE_goru"))
        .arg(&sol)
        .env("GORU_CACHE_DIR", cache_dir())
        .stdin(std::fs::File::open(&input).expect("in.txt"))
        .output()
        .expect("running goru < in.txt");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "10\n", "{out:?}");

    // /dev/null: end of file, as python3 sees it.
    let out = goru(&["-c", "input()"]);
    assert_eq!(out.status, Some(1), "{out:?}");
    assert!(out.stderr.contains("EOFError"), "{out:?}");

    // JavaScript reads it too.
    let out = goru_piped(
        &["-l", "js", "-c", "console.log(std.in.readAsString().trim())"],
        b"from js\n",
    );
    assert_eq!(out.stdout(), "from js\n", "{out:?}");
}

#[test]
fn stdin_file_dash_is_gorus_stdin_and_the_stdin_limit_holds() {
    let out = goru_piped(&["--stdin-file", "-", "-c", "print(input())"], b"dash\n");
    assert_eq!(out.stdout(), "dash\n", "{out:?}");

    let code = "import sys\ntry:\n    sys.stdin.buffer.raw.read(100)\n    sys.stdin.buffer.raw.read(100)\nexcept OSError:\n    print('limit')";
    let out = goru_piped(&["--stdin-limit", "4", "-c", code], b"123456789");
    assert_eq!((out.status, out.stdout()), (Some(0), "limit\n".into()), "{out:?}");
}

#[test]
fn a_large_stdin_is_streamed_through() {
    // 64 MiB: more than any buffer on the way; the guest counts it as it reads.
    let code =
        "import sys\nn = 0\nwhile chunk := sys.stdin.buffer.read(1 << 16):\n    n += len(chunk)\nprint(n)";
    let mut child = spawn(&["-c", code], None);
    let mut stdin = child.stdin.take().expect("stdin");
    let feeder = std::thread::spawn(move || {
        let block = vec![b'x'; 1 << 20];
        for _ in 0..64 {
            stdin.write_all(&block).expect("feeding goru");
        }
    });
    let out = finish(child);
    feeder.join().expect("feeder");
    assert_eq!(
        (out.status, out.stdout()),
        (Some(0), format!("{}\n", 64 << 20)),
        "{out:?}"
    );
}

#[test]
fn argv_file_and_tracebacks_are_python3s() {
    let dir = tempfile::tempdir().expect("tempdir");
    let code = "import sys\nprint(sys.argv, __file__)\ndef f():\n    return 1 / 0\nf()\n";
    let path = script(&dir, "script.py", code);
    let out = goru(&[&path, "a", "b"]);
    assert_eq!(out.status, Some(1), "{out:?}");
    assert_eq!(out.stdout(), "['script.py', 'a', 'b'] /app/script.py\n");
    let expected = "Traceback (most recent call last):\n  \
        File \"script.py\", line 5, in <module>\n    f()\n  \
        File \"script.py\", line 4, in f\n    return 1 / 0\n           ~~^~~\n\
        ZeroDivisionError: division by zero\n";
    assert_eq!(out.stderr, expected, "{out:?}");

    // Flags after the script (or after --) are the script's.
    let path = script(&dir, "flags.py", "import sys; print(sys.argv[1:])");
    for args in [
        &[&path[..], "--flag", "-c", "x"][..],
        &["--", &path, "--flag", "-c", "x"],
    ] {
        let out = goru(args);
        assert_eq!(out.stdout(), "['--flag', '-c', 'x']\n", "{args:?}: {out:?}");
    }
    let out = goru(&["-c", "import sys; print(sys.argv)", "a", "--b"]);
    assert_eq!(out.stdout(), "['-c', 'a', '--b']\n", "{out:?}");

    // The script is a file in the guest, and a UTF-8 BOM is accepted.
    let path = script(
        &dir,
        "bom.py",
        "\u{feff}print(open(__file__).read().splitlines()[0])",
    );
    let out = goru(&[&path]);
    assert_eq!(
        (out.status, out.stdout()),
        (Some(0), "print(open(__file__).read().splitlines()[0])\n".into()),
        "{out:?}"
    );
}

#[test]
fn m_runs_a_standard_library_module() {
    let out = goru_piped(&["-m", "json.tool", "--compact"], b"{\"a\": [1, 2]}");
    assert_eq!(
        (out.status, out.stdout()),
        (Some(0), "{\"a\":[1,2]}\n".into()),
        "{out:?}"
    );
    let out = goru(&["-m", "no_such_module"]);
    assert_eq!(out.status, Some(1), "{out:?}");
    assert!(out.stderr.contains("No module named no_such_module"), "{out:?}");
}

#[test]
fn output_is_streamed_as_the_guest_writes_it() {
    // The guest prints, then waits for a line the test sends only once it
    // has seen the print: without streaming this never finishes.
    let code = "print('first', flush=True)\nprint('got', input())";
    let mut child = spawn(&["-c", code], None);
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    assert_eq!(read_line(&mut stdout), "first\n");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"second\n").expect("answering");
    drop(stdin);
    assert_eq!(read_line(&mut stdout), "got second\n");
    let out = finish(child);
    assert_eq!(out.status, Some(0), "{out:?}");

    // stderr too, in the guest's order with stdout.
    let code = "import sys\nsys.stderr.write('warn\\n')\nprint('ready', flush=True)\ninput()";
    let mut child = spawn(&["-c", code], None);
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    assert_eq!(read_line(&mut stdout), "ready\n");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    assert_eq!(read_line(&mut stderr), "warn\n", "stderr came before ready");
    drop(child.stdin.take());
    assert_eq!(child.wait().expect("goru").code(), Some(1), "EOFError");
}

#[test]
fn a_signal_stops_the_run_and_keeps_what_was_flushed() {
    for (signal, status, message) in [
        ("INT", 130, "goru: interrupted (Ctrl-C)"),
        ("TERM", 143, "goru: terminated (SIGTERM)"),
    ] {
        let code = "print('flushed', flush=True)\nwhile True: pass";
        let mut child = spawn(&["-c", code], None);
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        assert_eq!(read_line(&mut stdout), "flushed\n");
        let kill = Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .expect("kill");
        assert!(kill.success());
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).expect("the rest of stdout");
        let out = finish(child);
        assert_eq!(out.status, Some(status), "{signal}: {out:?}");
        assert_eq!(rest, "", "{signal}");
        assert_eq!(out.goru_lines(), [message], "{signal}: {out:?}");
    }
}

#[test]
fn isatty_is_false_for_pipes_and_files() {
    let code = "import sys; print(sys.stdin.isatty(), sys.stdout.isatty(), sys.stderr.isatty())";
    let out = goru_piped(&["-c", code], b"");
    assert_eq!(out.stdout(), "False False False\n", "{out:?}");
}

#[test]
fn isatty_is_true_on_a_terminal() {
    warm_cache();
    let code = "import sys; print(sys.stdin.isatty(), sys.stdout.isatty(), sys.stderr.isatty())";
    let Some(seen) = on_a_terminal(&format!("--stdin-file - -c '{code}'")) else {
        return;
    };
    assert_eq!(seen.trim(), "True True True");
}

/// What goru with `args` (shell words) writes to a pseudo-terminal made by
/// util-linux `script`; `None` (the test is skipped) without `script`.
fn on_a_terminal(args: &str) -> Option<String> {
    let command = format!("exec {} {args}", env!("CARGO_BIN_EXE_goru"));
    let Ok(out) = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("GORU_CACHE_DIR", cache_dir())
        .stdin(Stdio::null())
        .output()
    else {
        eprintln!("skipped: util-linux `script` is not available");
        return None;
    };
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// On a terminal, the guest's colours pass and the sequences that make the
/// terminal answer or reprogram it are shown as text; to a pipe, every
/// byte is written as the guest wrote it.
#[test]
fn terminal_escapes_are_filtered_on_a_terminal_only() {
    warm_cache();
    let dir = tempfile::tempdir().expect("tempdir");
    let code = r#"import sys
sys.stdout.write("\x1b[31mred\x1b[0m|\x1b]52;c;aGk=\x07|\x1b[6n|\x1b[21t|\x1b[?1000h|\n")
sys.stderr.write("\x1b]0;owned\x07|\x1b[1mbold\x1b[m\n")
"#;
    let file = script(&dir, "escapes.py", code);
    let out = goru(&[&file]);
    assert_eq!(
        out.stdout(),
        "\x1b[31mred\x1b[0m|\x1b]52;c;aGk=\x07|\x1b[6n|\x1b[21t|\x1b[?1000h|\n",
        "a pipe gets the bytes untouched"
    );
    assert_eq!(out.stderr, "\x1b]0;owned\x07|\x1b[1mbold\x1b[m\n");

    let Some(seen) = on_a_terminal(&file) else {
        return;
    };
    for shown in [
        "\x1b[31mred\x1b[0m|^[]52;c;aGk=^G|^[[6n|^[[21t|^[[?1000h|",
        "^[]0;owned^G|\x1b[1mbold\x1b[m",
    ] {
        assert!(seen.contains(shown), "{shown:?} not in {seen:?}");
    }
    assert!(!seen.contains("\x1b]") && !seen.contains("\x1b[6n"), "{seen:?}");
}

#[test]
fn the_default_packages_directory_is_used_when_it_exists() {
    let dir = tempfile::tempdir().expect("tempdir");
    let packages = dir.path().join(".goru/python/packages");
    std::fs::create_dir_all(&packages).expect("packages dir");
    std::fs::write(packages.join("localmod.py"), "VALUE = 7\n").expect("module");
    let run = |args: &[&str]| finish(spawn(args, Some(dir.path())));

    let out = run(&["-c", "import localmod; print(localmod.VALUE)"]);
    assert_eq!((out.status, out.stdout()), (Some(0), "7\n".into()), "{out:?}");
    assert_eq!(out.stderr, "");
    let out = run(&["-v", "-c", "import localmod"]);
    assert_eq!(
        out.goru_lines(),
        ["goru: using the packages in .goru/python/packages (--no-packages: none)"],
        "{out:?}"
    );
    let out = run(&["--no-packages", "-c", "import localmod"]);
    assert!(out.stderr.contains("ModuleNotFoundError"), "{out:?}");
    // JavaScript has no packages: the directory is no reason to fail.
    let out = run(&["-l", "js", "-c", "console.log(1)"]);
    assert_eq!((out.status, out.stdout()), (Some(0), "1\n".into()), "{out:?}");
}

#[test]
fn deps_install_r_then_import_from_the_same_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("requirements.txt"),
        "# for the test\nsix==1.16.0  # pinned\n",
    )
    .expect("requirements");
    let out = Command::new(env!("CARGO_BIN_EXE_goru"))
        .args(["deps", "install", "-r", "requirements.txt"])
        .current_dir(dir.path())
        .env(
            "XDG_CACHE_HOME",
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("goru-cli-deps-cache"),
        )
        .env_remove("GORU_PYTHON")
        .stdin(Stdio::null())
        .output()
        .expect("goru deps install -r");
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("installed six 1.16.0 into .goru/python/packages"),
        "{out:?}"
    );

    let out = finish(spawn(
        &["-c", "import six; print(six.__version__)"],
        Some(dir.path()),
    ));
    assert_eq!(
        (out.status, out.stdout()),
        (Some(0), "1.16.0\n".into()),
        "{out:?}"
    );
}
