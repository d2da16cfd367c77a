//! Runs as a command line runs them: output streamed while produced
//! (`output_channel`), stdin streamed from a reader, `isatty()` as the
//! embedder says, and the script name, module and arguments of python3.

use std::time::Duration;

use goru::{
    Error, JavaScript, OutputChunk, OutputReceiver, OutputStream, Python, RunOptions, SessionRun, Terminal,
    output_channel,
};
use tokio::io::AsyncWriteExt;

use crate::common::{executor, opts, run_ok};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Every chunk until the channel ends.
async fn drain(receiver: &mut OutputReceiver) -> Vec<OutputChunk> {
    let mut chunks = Vec::new();
    while let Some(chunk) = receiver.recv().await {
        chunks.push(chunk);
    }
    chunks
}

fn joined(chunks: &[OutputChunk], stream: OutputStream) -> String {
    chunks
        .iter()
        .filter(|c| c.stream == stream)
        .map(|c| String::from_utf8_lossy(&c.bytes))
        .collect()
}

#[test]
fn output_arrives_before_the_run_ends() {
    // The guest prints, then waits for stdin that is written only once the
    // print has arrived: a run that streamed nothing before its end would hang.
    runtime().block_on(async {
        let (sender, mut receiver) = output_channel();
        let (mut input, reader) = tokio::io::duplex(64);
        let code =
            "import sys\nprint('first', flush=True)\nsys.stderr.write('err\\n')\nprint('got', input())";
        let options = opts().output(sender).stdin_reader(reader);
        let run = tokio::spawn(async move { executor().run(&Python, code, options).await });
        let first = receiver.recv().await.expect("a first chunk");
        assert_eq!(
            (first.stream, first.bytes.as_slice()),
            (OutputStream::Stdout, &b"first\n"[..])
        );
        input.write_all(b"second\n").await.expect("feeding stdin");
        let rest = drain(&mut receiver).await;
        let result = run.await.expect("task").expect("run");
        assert_eq!(
            rest[0].stream,
            OutputStream::Stderr,
            "in the guest's order: {rest:?}"
        );
        assert_eq!(joined(&rest, OutputStream::Stderr), "err\n");
        assert_eq!(
            format!("first\n{}", joined(&rest, OutputStream::Stdout)),
            result.stdout_lossy()
        );
        assert_eq!(result.stdout_lossy(), "first\ngot second\n");
    });
}

#[test]
fn the_output_cap_bounds_the_stream_and_a_stop_keeps_what_was_written() {
    runtime().block_on(async {
        let (sender, mut receiver) = output_channel();
        let options = opts().output_bytes(10).output(sender);
        let result = executor()
            .run(&Python, "print('x' * 100)", options)
            .await
            .expect("run");
        let chunks = drain(&mut receiver).await;
        assert_eq!(joined(&chunks, OutputStream::Stdout), "x".repeat(10));
        assert!(result.output.stdout_truncated);

        let (sender, mut receiver) = output_channel();
        let code = "print('flushed', flush=True)\nwhile True: pass";
        let options = opts().timeout(Duration::from_secs(1)).output(sender);
        let error = executor()
            .run(&Python, code, options)
            .await
            .expect_err("times out");
        assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
        assert_eq!(
            joined(&drain(&mut receiver).await, OutputStream::Stdout),
            "flushed\n"
        );
    });
}

#[test]
fn a_dropped_receiver_is_no_error() {
    let (sender, receiver) = output_channel();
    drop(receiver);
    let code = "for i in range(1000): print(i, flush=True)";
    let out = run_ok(&Python, code, opts().output(sender));
    assert_eq!(out.lines().count(), 1000);
}

#[test]
fn a_session_run_streams_its_own_output_only() {
    runtime().block_on(async {
        let (session_sender, mut session_receiver) = output_channel();
        let session = executor()
            .session(&Python, opts().output(session_sender))
            .await
            .expect("session");
        session.run("x = 1\nprint('to the session')").await.expect("run");
        let (sender, mut receiver) = output_channel();
        let result = session
            .run_with("print('to the run', x)", SessionRun::new().output(sender))
            .await
            .expect("run");
        // The run's channel ends with the run; the session goes on.
        assert_eq!(
            joined(&drain(&mut receiver).await, OutputStream::Stdout),
            "to the run 1\n"
        );
        assert_eq!(result.stdout_lossy(), "to the run 1\n");
        let repl = session
            .run_with("x + 1", SessionRun::new().repl(true))
            .await
            .expect("repl run");
        assert_eq!(repl.stdout_lossy(), "2\n");
        session.close();
        let chunks = drain(&mut session_receiver).await;
        assert_eq!(joined(&chunks, OutputStream::Stdout), "to the session\n2\n");
    });
}

#[test]
fn stdin_reader_is_read_as_the_guest_reads_and_by_one_run_only() {
    let options = opts().stdin_reader(&b"line one\nline two\n"[..]);
    let out = run_ok(
        &Python,
        "import sys\nprint(sys.stdin.read().split())",
        options.clone(),
    );
    assert_eq!(out, "['line', 'one', 'line', 'two']\n");
    let out = run_ok(&Python, "import sys\nprint(repr(sys.stdin.read()))", options);
    assert_eq!(out, "''\n", "the reader was the first run's");

    let out = run_ok(
        &JavaScript,
        "console.log(std.in.readAsString().length)",
        opts().stdin_reader(&b"12345"[..]),
    );
    assert_eq!(out, "5\n");
}

#[test]
fn input_bytes_bounds_stdin() {
    let code = "import sys\ntry:\n    sys.stdin.buffer.read()\nexcept OSError as e:\n    print('refused', e.errno is not None)";
    for options in [
        opts().stdin(vec![b'x'; 100]),
        opts().stdin_reader(tokio::io::repeat(b'x')),
    ] {
        let out = run_ok(&Python, code, options.input_bytes(10));
        assert_eq!(out, "refused True\n");
    }
    // Exactly the limit is fine.
    let out = run_ok(
        &Python,
        "import sys\nprint(len(sys.stdin.read()))",
        opts().stdin(vec![b'x'; 10]).input_bytes(10),
    );
    assert_eq!(out, "10\n");
}

#[test]
fn isatty_is_what_the_embedder_says() {
    let code = "import sys\nprint(sys.stdin.isatty(), sys.stdout.isatty(), sys.stderr.isatty())";
    assert_eq!(run_ok(&Python, code, opts()), "False False False\n");
    let terminal = Terminal {
        stdin: false,
        stdout: true,
        stderr: true,
    };
    assert_eq!(
        run_ok(&Python, code, opts().terminal(terminal)),
        "False True True\n"
    );
    let code = "console.log(os.isatty(0), os.isatty(1), os.isatty(2))";
    assert_eq!(run_ok(&JavaScript, code, opts()), "false false false\n");
    assert_eq!(
        run_ok(&JavaScript, code, opts().terminal(terminal)),
        "false true true\n"
    );
    // Other descriptors are untouched: a file is no terminal either way.
    let code = "import os\nprint(os.isatty(os.open('/tmp/f', os.O_CREAT | os.O_WRONLY)))";
    assert_eq!(run_ok(&Python, code, opts().terminal(terminal)), "False\n");
}

#[test]
fn script_module_and_arguments_are_python3s() {
    let code = "import sys\nprint(sys.argv, __file__, __name__)\ndef f():\n    raise ValueError('bad')\nf()";
    let error = executor()
        .run_blocking(&Python, code, opts().script("job.py").args(["a", "--b"]))
        .expect("run");
    assert_eq!(
        error.stdout_lossy(),
        "['job.py', 'a', '--b'] /app/job.py __main__\n"
    );
    let exception = error.exception.expect("an exception");
    assert!(
        exception
            .traceback
            .contains("  File \"job.py\", line 4, in f\n    raise ValueError('bad')\n"),
        "{}",
        exception.traceback
    );

    // A name with directories: not a file /app can hold as named, yet the
    // traceback still shows the lines.
    let result = executor()
        .run_blocking(&Python, "1/0", opts().script("src/x.py"))
        .expect("run");
    assert!(
        result
            .stderr_lossy()
            .contains("File \"src/x.py\", line 1, in <module>\n    1/0\n"),
        "{}",
        result.stderr_lossy()
    );

    let out = run_ok(
        &Python,
        "",
        opts().module("json.tool").stdin("[1,2]").args(["--compact"]),
    );
    assert_eq!(out, "[1,2]\n");
    let out = run_ok(&Python, "import sys; print(sys.argv)", opts().args(["x"]));
    assert_eq!(out, "['-c', 'x']\n");
    let out = run_ok(&Python, "\u{feff}print('bom')", opts());
    assert_eq!(out, "bom\n");
}

#[test]
fn a_language_without_arguments_refuses_them() {
    let error = executor()
        .run_blocking(&JavaScript, "1", RunOptions::new().args(["x"]))
        .expect_err("refused");
    assert!(matches!(error, Error::InvalidOption(_)), "{error:?}");
    // A script name alone is fine.
    assert_eq!(
        run_ok(&JavaScript, "console.log(1)", opts().script("a.js")),
        "1\n"
    );
}
