//! `goru repl`, driven with piped input and through a pseudo-terminal.

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{cache_dir, goru_piped, warm_cache};

#[test]
fn piped_python_keeps_state_and_prints_values() {
    let input = "x = 5\nx * 2\ndef f(n):\n    return n + 1\n\nf(x)\n_ + 100\n\
                 import sys; print('to stderr', file=sys.stderr)\n1/0\nprint('after', x)\n";
    let out = goru_piped(&["repl"], input.as_bytes());
    assert_eq!(out.status, Some(0), "{out:?}");
    assert_eq!(out.stdout(), "10\n6\n106\nafter 5\n");
    assert!(out.stderr.contains("to stderr\n"), "{out:?}");
    assert!(
        out.stderr.contains("ZeroDivisionError: division by zero"),
        "{out:?}"
    );
    assert!(
        !out.stderr.contains(">>>"),
        "no prompts without a terminal: {out:?}"
    );
}

#[test]
fn piped_javascript_keeps_let_and_const() {
    let input = "let a = [1,\n2]\na.map(x => x * 3)\nconst s = 'str'\ns\nfunction g() {\nreturn 7;\n}\ng()\nnull.x\n'ok'\n";
    let out = goru_piped(&["repl", "-l", "js"], input.as_bytes());
    assert_eq!(out.status, Some(0), "{out:?}");
    // Values shown as node's REPL shows them.
    assert_eq!(out.stdout(), "[ 3, 6 ]\n'str'\n7\n'ok'\n");
    assert!(out.stderr.contains("TypeError"), "{out:?}");
}

#[test]
fn repl_takes_the_capability_and_limit_flags() {
    let out = goru_piped(&["repl", "--kv"], b"kv.set('n', 1)\nkv.get('n') + 1\n");
    // kv.set returns "ok", as goru's does; the REPL shows it.
    assert_eq!(
        (out.status, out.stdout()),
        (Some(0), "'ok'\n2\n".into()),
        "{out:?}"
    );

    // As in CPython's REPL, a compound statement ends with a blank line.
    let input = "x = 1\nwhile True: pass\n\nprint('x' in dir())\n";
    // The timeout also bounds each session's start-up: long enough for
    // CPython to start on a loaded machine.
    let out = goru_piped(&["repl", "--timeout", "3s"], input.as_bytes());
    assert_eq!(out.status, Some(0), "{out:?}");
    assert_eq!(
        out.stdout(),
        "True\n",
        "the session and its state outlive the timeout: {out:?}"
    );
    assert_eq!(
        out.goru_lines(),
        ["goru: timed out after 3s; the session keeps its state"],
        "{out:?}"
    );
    assert!(
        out.stderr
            .contains("TimeoutError: the run reached its time limit"),
        "{out:?}"
    );
}

#[test]
fn exit_quit_and_dot_exit_leave_the_repl() {
    for (input, status) in [
        ("print('in')\nexit()\nprint('never')\n", 0),
        ("print('in')\nquit(3)\nprint('never')\n", 3),
        ("import sys\nprint('in')\nsys.exit(4)\nprint('never')\n", 4),
    ] {
        let out = goru_piped(&["repl"], input.as_bytes());
        assert_eq!(
            (out.status, out.stdout()),
            (Some(status), "in\n".into()),
            "{input:?}: {out:?}"
        );
    }
    let out = goru_piped(
        &["repl", "-l", "js"],
        b"console.log('in')\n.exit\nconsole.log('never')\n",
    );
    assert_eq!((out.status, out.stdout()), (Some(0), "in\n".into()), "{out:?}");
}

#[test]
fn repl_refuses_a_file() {
    let out = goru_piped(&["repl", "x.py"], b"");
    assert_eq!(out.status, Some(2), "{out:?}");
}

/// A `goru repl` on a pseudo-terminal (made by util-linux `script`), read as
/// it writes.
struct Terminal {
    child: Child,
    output: mpsc::Receiver<Vec<u8>>,
    seen: String,
    /// All it showed, for failure messages.
    transcript: String,
}

impl Terminal {
    fn start(args: &str) -> Option<Self> {
        Self::start_in(args, &std::env::temp_dir().join("goru-repl-test-data"))
    }

    /// With `data` as the user's data directory (where history goes by default).
    fn start_in(args: &str, data: &std::path::Path) -> Option<Self> {
        warm_cache();
        let bin = env!("CARGO_BIN_EXE_goru");
        let mut child = Command::new("script")
            // `exec`: script runs the command with `$SHELL -c`; a shell left
            // in between (dash, where SHELL is unset) shares goru's process
            // group, so gets each Ctrl-C too and reports it (status 130).
            .args(["-qec", &format!("exec {bin} repl {args}"), "/dev/null"])
            .env("SHELL", "/bin/sh")
            .env("GORU_CACHE_DIR", cache_dir())
            .env("HOME", std::env::temp_dir()) // history goes to a scratch place
            .env("XDG_DATA_HOME", data)
            .env("TERM", "xterm")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let mut stdout = child.stdout.take()?;
        let (tx, output) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Some(Self {
            child,
            output,
            seen: String::new(),
            transcript: String::new(),
        })
    }

    /// Waits until the output since the last match contains `text`.
    fn expect(&mut self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(at) = self.seen.find(text) {
                self.seen.drain(..at + text.len());
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(chunk) => {
                    let chunk = String::from_utf8_lossy(&chunk);
                    self.seen.push_str(&chunk);
                    self.transcript.push_str(&chunk);
                }
                Err(_) => panic!("no {text:?} in the terminal; it shows {:?}", self.seen),
            }
        }
    }

    /// Waits for goru to end and checks it exited 0; a failure shows all
    /// that the terminal showed.
    fn exits_0(&mut self) {
        let status = self.child.wait().expect("waiting for goru");
        while let Ok(chunk) = self.output.recv_timeout(Duration::from_secs(5)) {
            self.transcript.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(
            status.success(),
            "{status:?}; the terminal showed {:?}",
            self.transcript
        );
    }

    fn send(&mut self, keys: &str) {
        let stdin = self.child.stdin.as_mut().expect("stdin");
        stdin.write_all(keys.as_bytes()).expect("typing");
        stdin.flush().expect("typing");
    }
}

#[test]
fn on_a_terminal_prompts_editing_history_and_control_keys_work() {
    let Some(mut term) = Terminal::start("") else {
        eprintln!("skipped: util-linux `script` is not available");
        return;
    };
    term.expect(">>> ");
    term.send("x = 6\r");
    term.expect(">>> ");
    term.send("x * 7\r");
    term.expect("42");
    term.expect(">>> ");
    // An open block asks for more; Ctrl-C drops it.
    term.send("if True:\r");
    term.expect("... ");
    term.send("\x03");
    term.expect("KeyboardInterrupt");
    term.expect(">>> ");
    term.send("def f():\r");
    term.expect("... ");
    term.send("    return x + 1\r");
    term.expect("... ");
    term.send("\r");
    term.expect(">>> ");
    term.send("f() * 10\r");
    term.expect("70");
    term.expect(">>> ");
    // Up-arrow recalls the last input; editing keys work on it.
    term.send("\x1b[A\x08\x082\r");
    term.expect("14");
    term.expect(">>> ");
    // Ctrl-D ends the REPL.
    term.send("\x04");
    term.exits_0();
}

#[test]
fn on_a_terminal_ctrl_c_interrupts_the_running_input_and_keeps_the_session() {
    let Some(mut term) = Terminal::start("") else {
        eprintln!("skipped: util-linux `script` is not available");
        return;
    };
    term.expect(">>> ");
    term.send("import itertools\r");
    term.expect(">>> ");
    term.send("x = 6\r");
    term.expect(">>> ");
    term.send("for i in itertools.count(): pass\r");
    term.expect("... ");
    term.send("\r");
    // Give the input time to start (a Ctrl-C before that is dropped).
    std::thread::sleep(Duration::from_secs(2));
    term.send("\x03");
    // Raised in the guest by the shim's handler: its traceback says so.
    term.expect("in handler");
    term.expect("KeyboardInterrupt");
    term.expect(">>> ");
    term.send("x * 7, i > 0\r");
    term.expect("(42, True)");
    term.expect(">>> ");
    term.send("\x04");
    term.exits_0();
}

#[test]
fn on_a_terminal_ctrl_c_interrupts_running_javascript_and_keeps_the_session() {
    let Some(mut term) = Terminal::start("-l js") else {
        eprintln!("skipped: util-linux `script` is not available");
        return;
    };
    term.expect("> ");
    term.send("let x = 6; var n = 0\r");
    term.expect("> ");
    term.send("for (;;) { try { n++ } catch (e) {} }\r");
    std::thread::sleep(Duration::from_secs(2));
    term.send("\x03");
    term.expect("InternalError: interrupted");
    term.expect("> ");
    term.send("[x * 7, n > 0]\r");
    term.expect("[ 42, true ]");
    term.expect("> ");
    term.send(".exit\r");
    term.exits_0();
}

/// Code that swallows the interrupt is ended by a second Ctrl-C: the REPL
/// says so and goes on in a fresh session.
#[test]
fn on_a_terminal_a_second_ctrl_c_ends_code_that_ignores_the_first() {
    let Some(mut term) = Terminal::start("") else {
        eprintln!("skipped: util-linux `script` is not available");
        return;
    };
    term.expect(">>> ");
    term.send("x = 6\r");
    term.expect(">>> ");
    term.send("while True:\r");
    term.expect("... ");
    term.send("    try:\r");
    term.expect("... ");
    // (Not a loop first in the `try`: CPython 3.12.0 does not catch an
    // asynchronous exception there.)
    term.send("        n = 0\r");
    term.expect("... ");
    term.send("        while True: n += 1\r");
    term.expect("... ");
    term.send("    except KeyboardInterrupt: print('swallowed')\r");
    term.expect("... ");
    term.send("\r");
    std::thread::sleep(Duration::from_secs(2));
    term.send("\x03");
    term.expect("swallowed");
    term.send("\x03");
    term.expect("the session was restarted and its state is lost");
    term.expect(">>> ");
    term.send("'x' in globals()\r");
    term.expect("False");
    term.expect(">>> ");
    term.send("\x04");
    term.exits_0();
}

#[test]
fn tab_completes_names_in_scope_and_history_goes_to_the_file_given() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("hist");
    let args = format!("--history {}", history.display());
    let Some(mut term) = Terminal::start_in(&args, &dir.path().join("data")) else {
        eprintln!("skipped: util-linux `script` is not available");
        return;
    };
    term.expect(">>> ");
    term.send("unusual_name = 41\r");
    term.expect(">>> ");
    // One candidate: Tab completes it in place.
    term.send("unusual_n\t + 1\r");
    term.expect("42");
    term.expect(">>> ");
    // Attributes after a dot, from the live objects.
    term.send("import json\r");
    term.expect(">>> ");
    term.send("json.dum\t\t");
    term.expect("json.dumps");
    term.send("\x03");
    term.expect(">>> ");
    term.send("exit()\r");
    term.exits_0();
    let saved = std::fs::read_to_string(&history).expect("the history file");
    assert!(saved.contains("unusual_name = 41"), "{saved}");
    assert!(
        !dir.path().join("data").exists(),
        "the default history file is not used"
    );
}
