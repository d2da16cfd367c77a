//! The Python shims speak the guest protocol as goru-core defines it: every
//! protocol literal in `shim.py` and `goru.py` is checked against the Rust
//! constants, both ways where the shim's use has a recognisable shape.

use std::collections::BTreeSet;

use goru_core::protocol::{self, exception, frame, kinds, session};

const SHIM: &str = include_str!("../src/shim.py");
const GORU: &str = include_str!("../src/goru.py");

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

fn set<'a>(items: impl IntoIterator<Item = &'a str>) -> BTreeSet<&'a str> {
    items.into_iter().collect()
}

fn quoted(name: &str) -> String {
    format!("{name:?}")
}

/// The text of the Python function `name`, up to the next top-level line.
fn function<'a>(source: &'a str, name: &str) -> &'a str {
    let start = source
        .find(&format!("\ndef {name}("))
        .unwrap_or_else(|| panic!("no function {name}"));
    let body = &source[start + 1..];
    let end = body[1..]
        .match_indices('\n')
        .map(|(at, _)| at + 2)
        .find(|&at| body[at..].starts_with(|c: char| !c.is_whitespace()))
        .unwrap_or(body.len());
    &body[..end]
}

#[test]
fn the_paths_are_the_protocols() {
    assert_eq!(quoted_after(GORU, "\"/.goru/"), set(["channel"]));
    assert!(GORU.contains(&format!("_CHANNEL = {}", quoted(protocol::HOST_CHANNEL_PATH))));
    assert_eq!(quoted_after(SHIM, "\"/.goru/"), set(["exception.json"]));
    assert!(SHIM.contains(&format!(
        "open({}, \"w\")",
        quoted(protocol::EXCEPTION_REPORT_PATH)
    )));
    assert!(SHIM.contains(&format!(
        "_PACKAGES = {}",
        quoted(goru_lang_python::PACKAGES_PATH)
    )));
}

#[test]
fn frames_are_written_and_read_with_the_protocols_fields() {
    let exchange = function(GORU, "_exchange");
    assert!(exchange.contains(&format!(
        "{{{}: [{{{}: name, {}: args}}",
        quoted(frame::CALLS),
        quoted(frame::FN),
        quoted(frame::ARGS)
    )));
    assert!(exchange.contains(&format!("reply[{}]", quoted(frame::RESULTS))));
    for source in [exchange, function(GORU, "_unwrap")] {
        assert!(source.contains(&format!("if {} in ", quoted(frame::ERROR))));
    }
    assert_eq!(quoted_after(GORU, "entry.get(\""), set([frame::OK]));
    assert_eq!(
        quoted_after(GORU, "error.get(\""),
        set([frame::KIND, frame::MESSAGE])
    );
}

#[test]
fn error_kinds_are_the_protocols() {
    let host_error = function(GORU, "_host_error");
    assert!(host_error.contains(&format!(
        "error.get({}, {})",
        quoted(frame::KIND),
        quoted(kinds::FAILED)
    )));
    assert!(SHIM.contains(&format!("kind = {}", quoted(kinds::FAILED))));
    assert!(function(GORU, "_read_exact").contains(&format!(", {})", quoted(kinds::PROTOCOL))));
    assert!(GORU.contains(&format!("{}: PermissionError", quoted(kinds::NOT_GRANTED))));
    assert!(GORU.contains(&format!("{}: ValueError", quoted(kinds::INVALID_ARGUMENT))));
    // The shim no longer tells "not granted" itself: goru-core does.
    assert!(!GORU.contains(&quoted(kinds::UNKNOWN_FUNCTION)));
}

#[test]
fn the_api_calls_exactly_the_capability_functions() {
    let called: BTreeSet<&str> = quoted_after(GORU, "call(\"");
    let table = set(protocol::CAPABILITY_FUNCTIONS.iter().map(|(name, _)| *name));
    assert_eq!(called, table);
}

#[test]
fn the_session_loop_speaks_the_session_protocol() {
    let session_loop = function(SHIM, "_goru_session");
    let goru_names: Vec<String> = quoted_after(SHIM, "\"goru_")
        .into_iter()
        .map(|rest| format!("goru_{rest}"))
        .collect();
    assert_eq!(goru_names, [protocol::SESSION_NEXT_FUNCTION]);
    assert!(session_loop.contains(&format!(
        "_goru_call({}, {{{}: done}})",
        quoted(protocol::SESSION_NEXT_FUNCTION),
        quoted(session::DONE)
    )));
    assert_eq!(
        quoted_after(session_loop, "request.get(\""),
        set([session::CLOSE, session::CODE, session::MODE])
    );
    assert_eq!(
        quoted_after(session_loop, "mode == \""),
        set([session::CHECK, session::REPL])
    );
    // Anything else is run as `exec`: the mode the host sends for a script.
    assert!(!session_loop.contains(&format!("mode == {}", quoted(session::EXEC))));
    for field in [session::EXIT_CODE, session::EXCEPTION, session::COMPLETE] {
        assert!(session_loop.contains(&format!("{}: ", quoted(field))), "{field}");
    }
}

#[test]
fn exception_reports_have_the_protocols_fields() {
    let report = function(SHIM, "_goru_report");
    assert!(report.contains(&format!(
        "{{{}: type(exc).__name__, {}: str(exc), {}: text}}",
        quoted(exception::TYPE),
        quoted(exception::MESSAGE),
        quoted(exception::TRACEBACK)
    )));
}
