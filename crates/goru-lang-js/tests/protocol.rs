//! The JavaScript shims speak the guest protocol as goru-core defines it:
//! every protocol literal in `shim.js` and `goru.js` is checked against the
//! Rust constants, both ways where the shim's use has a recognisable shape.

use std::collections::BTreeSet;

use goru_core::protocol::{self, exception, frame, kinds, session};

const SHIM: &str = include_str!("../src/shim.js");
const GORU: &str = include_str!("../src/goru.js");

/// The string literal after each occurrence of `before` (which ends with its
/// opening quote).
fn quoted_after<'a>(source: &'a str, before: &str) -> BTreeSet<&'a str> {
    source
        .match_indices(before)
        .map(|(at, _)| {
            let rest = &source[at + before.len()..];
            &rest[..rest.find('"').expect("a closed literal")]
        })
        .collect()
}

/// The property name after each `object.` in `source`.
fn properties<'a>(source: &'a str, object: &str) -> BTreeSet<&'a str> {
    let before = format!("{object}.");
    source
        .match_indices(&before)
        .filter(|(at, _)| !source[..*at].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
        .map(|(at, _)| {
            let rest = &source[at + before.len()..];
            &rest[..rest
                .find(|c: char| !c.is_alphanumeric() && c != '_')
                .unwrap_or(rest.len())]
        })
        .collect()
}

/// The text of `source` from `start` to `end`.
fn between<'a>(source: &'a str, start: &str, end: &str) -> &'a str {
    let from = source.find(start).unwrap_or_else(|| panic!("no {start}"));
    let len = source[from..].find(end).unwrap_or_else(|| panic!("no {end}"));
    &source[from..from + len]
}

fn set<'a>(items: impl IntoIterator<Item = &'a str>) -> BTreeSet<&'a str> {
    items.into_iter().collect()
}

fn quoted(name: &str) -> String {
    format!("{name:?}")
}

#[test]
fn the_paths_are_the_protocols() {
    assert_eq!(quoted_after(GORU, "\"/.goru/"), set(["channel"]));
    assert!(GORU.contains(&format!(
        "const CHANNEL = {};",
        quoted(protocol::HOST_CHANNEL_PATH)
    )));
    // `modules` is the shim's own: where it writes the bare-named modules.
    assert_eq!(
        quoted_after(SHIM, "\"/.goru/"),
        set(["exception.json", "modules"])
    );
    assert!(SHIM.contains(&format!(
        "std.open({}, \"w\")",
        quoted(protocol::EXCEPTION_REPORT_PATH)
    )));
}

#[test]
fn frames_are_written_and_read_with_the_protocols_fields() {
    assert!(GORU.contains(&format!("JSON.stringify({{ {}: calls }})", frame::CALLS)));
    assert!(GORU.contains(&format!("{{ {}: String(name), {}: args", frame::FN, frame::ARGS)));
    assert!(GORU.contains(&format!(
        "return {{ {}: p.fn, {}: p.args }}",
        frame::FN,
        frame::ARGS
    )));
    let exchange = between(GORU, "function exchange(", "function unwrap(");
    assert_eq!(properties(exchange, "reply"), set([frame::ERROR, frame::RESULTS]));
    assert_eq!(properties(GORU, "entry"), set([frame::ERROR, frame::OK]));
    assert_eq!(properties(GORU, "error"), set([frame::KIND, frame::MESSAGE]));
}

#[test]
fn error_kinds_are_the_protocols() {
    assert!(GORU.contains(&format!("kind || {}", quoted(kinds::FAILED))));
    assert!(GORU.contains(&format!("String(error.kind || {})", quoted(kinds::FAILED))));
    let own_errors: String = GORU
        .lines()
        .filter(|line| line.contains("new HostError(\""))
        .collect();
    assert_eq!(
        quoted_after(&own_errors, "\", \""),
        set([kinds::PROTOCOL]),
        "the kinds of the shim's own errors"
    );
    // The shim no longer tells "not granted" itself: goru-core does.
    assert!(!GORU.contains(&quoted(kinds::UNKNOWN_FUNCTION)));
}

#[test]
fn the_api_calls_exactly_the_capability_functions_it_has() {
    let mut called = quoted_after(GORU, "call(\"");
    called.extend(quoted_after(GORU, "Call(\""));
    called.extend(quoted_after(GORU, "return [\""));
    let table = set(protocol::CAPABILITY_FUNCTIONS
        .iter()
        .map(|(name, _)| *name)
        // Packages are Python's.
        .filter(|name| protocol::capability_of(name) != Some("package install")));
    assert_eq!(called, table);
}

#[test]
fn the_session_loop_speaks_the_session_protocol() {
    assert_eq!(
        quoted_after(SHIM, "_goru_call(\""),
        set([protocol::SESSION_NEXT_FUNCTION])
    );
    assert!(SHIM.contains(&format!(
        "_goru_call({}, {{ {}: done }})",
        quoted(protocol::SESSION_NEXT_FUNCTION),
        session::DONE
    )));
    assert_eq!(
        properties(SHIM, "request"),
        set([session::CLOSE, session::CODE, session::MODE])
    );
    assert_eq!(
        quoted_after(SHIM, "request.mode === \""),
        set([session::CHECK, session::REPL])
    );
    assert!(SHIM.contains(&format!("{{ {}: complete(", session::COMPLETE)));
    assert!(SHIM.contains(&format!(
        "{{ {}: 0, {}: null }}",
        session::EXIT_CODE,
        session::EXCEPTION
    )));
    assert_eq!(
        properties(SHIM, "done"),
        set([session::EXIT_CODE, session::EXCEPTION])
    );
}

#[test]
fn exception_reports_have_the_protocols_fields() {
    assert!(SHIM.contains(&format!(
        "{{ {}: kind, {}: message, {}: stack }}",
        exception::TYPE,
        exception::MESSAGE,
        exception::TRACEBACK
    )));
}
