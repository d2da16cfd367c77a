//! The code goru is given and the status it exits with: NUL in the code is
//! a usage error (no interpreter starts), and a guest's own exit status is
//! reported as python3's is in a POSIX shell (its low 8 bits).

use super::{goru, goru_piped};

#[test]
fn nul_in_a_file_or_on_stdin_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in [
        ("nul.py", "print('ran')\0\n"),
        ("nul.js", "console.log('ran'); '\0'"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("writing the script");
        let path = path.to_str().expect("utf-8 temp path");
        let out = goru(&[path]);
        assert_eq!(out.status, Some(2), "{out:?}");
        assert!(out.stdout.is_empty(), "the code must not run: {out:?}");
        let lines = out.goru_lines();
        assert_eq!(lines.len(), 1, "{out:?}");
        assert!(
            lines[0].contains(path) && lines[0].contains("source code cannot contain null bytes"),
            "{out:?}"
        );
    }
    let out = goru_piped(&["-l", "js"], b"console.log('ran')\0");
    assert_eq!(out.status, Some(2), "{out:?}");
    assert!(out.stdout.is_empty(), "the code must not run: {out:?}");
    assert!(out.stderr.contains("the code on stdin: invalid code"), "{out:?}");
}

#[test]
fn exit_statuses_are_the_low_eight_bits() {
    for (code, status) in [
        ("import sys; sys.exit(300)", 44),
        ("import sys; sys.exit(-1)", 255),
        ("import sys; sys.exit(256)", 0),
    ] {
        let out = goru(&["-c", code]);
        assert_eq!(out.status, Some(status), "{code}: {out:?}");
    }
    for (code, status) in [("std.exit(300)", 44), ("std.exit(-1)", 255)] {
        let out = goru(&["-l", "js", "-c", code]);
        assert_eq!(out.status, Some(status), "{code}: {out:?}");
    }
}
