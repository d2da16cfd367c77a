//! Small behaviours for people coming from goru (Go) and from other CLIs:
//! shell completions, a mistyped subcommand, code given to the REPL.

use crate::goru;

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
    for args in [
        &["repl", "-c", "1"][..],
        &["-c", "1", "repl"],
        &["repl", "-m", "json.tool"],
    ] {
        let out = goru(args);
        assert_eq!(out.status, Some(2), "{args:?}: {out:?}");
        assert!(
            out.stderr.contains("goru repl takes no code up front"),
            "{args:?}: {}",
            out.stderr
        );
    }
}
