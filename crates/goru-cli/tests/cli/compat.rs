//! Small behaviours for people coming from goru (Go) and from other CLIs:
//! shell completions, a mistyped subcommand, code given to the REPL, each
//! command's own options.

use crate::{goru, goru_piped};

#[test]
fn completion_scripts_for_each_shell() {
    for (shell, marker) in [
        ("bash", "_goru()"),
        ("zsh", "#compdef goru"),
        ("fish", "complete -c goru"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[goru]"),
    ] {
        let out = goru(&["completion", shell]);
        assert_eq!(out.status, Some(0), "{shell}: {out:?}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains(marker), "{shell}: no {marker:?} in the script");
        for command in ["serve", "repl", "deps", "mcp"] {
            assert!(script.contains(command), "{shell}: {command} is not completed");
        }
    }
    let out = goru(&["completion", "tcsh"]);
    assert_eq!(out.status, Some(2), "{out:?}");
}

#[test]
fn a_mistyped_subcommand_gets_a_hint() {
    for (typed, meant) in [("serv", "goru serve"), ("rpl", "goru repl"), ("dep", "goru deps")] {
        let out = goru(&[typed]);
        assert_eq!(out.status, Some(2), "{typed}: {out:?}");
        assert!(
            out.stderr
                .contains(&format!("did you mean the command `{meant}`")),
            "{typed}: {}",
            out.stderr
        );
    }
    // A path is a file, whatever its name: no hint, the usual error.
    let out = goru(&["./serv"]);
    assert_eq!(out.status, Some(2), "{out:?}");
    assert!(!out.stderr.contains("did you mean"), "{}", out.stderr);
}

#[test]
fn the_repl_refuses_code_given_up_front() {
    for args in [&["repl", "-c", "1"][..], &["repl", "-m", "json.tool"]] {
        let out = goru(args);
        assert_eq!(out.status, Some(2), "{args:?}: {out:?}");
        assert!(
            out.stderr.contains("goru repl takes no code up front"),
            "{args:?}: {}",
            out.stderr
        );
    }
    let out = goru(&["-c", "1", "repl"]);
    assert_eq!(out.status, Some(2), "{out:?}");
    assert!(
        out.stderr.contains("-c/--code does not apply to goru repl"),
        "{}",
        out.stderr
    );
}

/// `goru deps --help`, `repl --help`, `serve --help` and `mcp --help` list
/// the options that command takes, not every run option.
#[test]
fn help_lists_only_the_options_that_apply() {
    for (command, shown, absent) in [
        (
            "repl",
            &["--history", "--lang", "--timeout", "--kv", "--cache-dir"][..],
            &[
                "--stdin-file",
                "--stdin-limit",
                "--module",
                "--code",
                "[FILE [ARGS]]",
            ][..],
        ),
        (
            "serve",
            &["--listen", "--lang", "--timeout", "--mount", "--no-cache"],
            &["--stdin-file", "--code", "--history", "[FILE [ARGS]]"],
        ),
        (
            "mcp",
            &["--http", "--timeout", "--allow-host", "--cache-dir"],
            &["--stdin-file", "--lang", "--code", "--listen"],
        ),
        (
            "deps",
            &["--dir", "--cache-dir", "--verbose"],
            &[
                "--timeout",
                "--memory",
                "--kv",
                "--mount",
                "--lang",
                "--stdin-file",
                "--code",
            ],
        ),
    ] {
        let out = goru(&[command, "--help"]);
        assert_eq!(out.status, Some(0), "{command}: {out:?}");
        let help = out.stdout();
        for flag in shown {
            assert!(help.contains(flag), "goru {command} --help lacks {flag}:\n{help}");
        }
        for flag in absent {
            assert!(
                !help.contains(flag),
                "goru {command} --help shows {flag}:\n{help}"
            );
        }
    }
    // What a command does not list, it refuses, naming its own --help.
    for (args, command) in [
        (&["deps", "list", "--kv"][..], "goru deps list"),
        (&["serve", "--stdin-file", "in.txt"], "goru serve"),
        (&["mcp", "--lang", "js"], "goru mcp"),
    ] {
        let out = goru(args);
        assert_eq!(out.status, Some(2), "{args:?}: {out:?}");
        assert!(
            out.stderr.contains(&format!("(see {command} --help)")),
            "{args:?}: {}",
            out.stderr
        );
    }
}

/// A run option before a command (`goru --timeout 5 repl`) is refused
/// with where it goes; goru's own options (`--cache-dir`, `-v`) go anywhere.
#[test]
fn run_options_go_after_the_command() {
    let out = goru_piped(&["--timeout", "5s", "repl"], b"1 + 1\n");
    assert_eq!(out.status, Some(2), "{out:?}");
    assert!(
        out.stderr
            .contains("--timeout goes after the command: goru repl --timeout"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "nothing ran: {out:?}");
    let cache = crate::cache_dir().display().to_string();
    for args in [
        &["--cache-dir", &cache, "repl", "--timeout", "5s"][..],
        &["repl", "--timeout", "5s", "-v", "--cache-dir", &cache],
    ] {
        let out = goru_piped(args, b"1 + 1\n");
        assert_eq!(
            (out.status, out.stdout()),
            (Some(0), "2\n".to_owned()),
            "{args:?}: {out:?}"
        );
    }
}

#[test]
fn a_memory_cap_below_the_interpreters_start_is_a_usage_error() {
    for (args, floor) in [
        (
            &["--memory", "4MiB", "-c", "print(1)"][..],
            "10 MiB the python interpreter",
        ),
        (
            &["-l", "js", "--memory", "100000", "-c", "console.log(1)"],
            "1 MiB the js interpreter",
        ),
    ] {
        let out = goru(args);
        assert_eq!(out.status, Some(2), "{args:?}: {out:?}");
        assert!(out.stderr.contains(floor), "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{args:?}: nothing ran");
    }
    let out = goru(&["--memory", "32MiB", "-c", "print(1)"]);
    assert_eq!(
        (out.status, out.stdout.as_slice()),
        (Some(0), &b"1\n"[..]),
        "{out:?}"
    );
}

#[test]
fn an_option_with_one_dash_gets_a_hint() {
    for (args, hint) in [
        (&["-lang", "js", "-c", "console.log(1)"][..], "`--lang`"),
        (&["-timeout", "5s", "x.py"], "`--timeout`"),
    ] {
        let out = goru(args);
        assert_eq!(out.status, Some(2), "{args:?}: {out:?}");
        assert!(
            out.stderr.contains("long options take two dashes") && out.stderr.contains(hint),
            "{args:?}: {}",
            out.stderr
        );
    }
}

#[test]
fn a_port_alone_gets_an_example_address() {
    for args in [&["serve", "--listen", "8080"][..], &["mcp", "--http", "8080"]] {
        let out = goru(args);
        assert_eq!(out.status, Some(2), "{args:?}: {out:?}");
        assert!(
            out.stderr.contains("e.g. 127.0.0.1:8080"),
            "{args:?}: {}",
            out.stderr
        );
    }
    let out = goru(&["serve", "--listen", "localhost"]);
    assert_eq!(out.status, Some(2), "{out:?}");
    assert!(
        out.stderr.contains("expected an address and a port"),
        "{}",
        out.stderr
    );
}

#[test]
fn compound_durations_are_accepted() {
    for timeout in ["1m30s", "1h", "1h 30m", "250ms", "2.5", "3"] {
        let out = goru(&["--timeout", timeout, "-c", "print('ran')"]);
        assert_eq!(
            (out.status, out.stdout.as_slice()),
            (Some(0), &b"ran\n"[..]),
            "{timeout}: {out:?}"
        );
    }
    for timeout in ["0", "soon", "1m30", "2y"] {
        let out = goru(&["--timeout", timeout, "-c", "print('ran')"]);
        assert_eq!(out.status, Some(2), "{timeout}: {out:?}");
    }
}
