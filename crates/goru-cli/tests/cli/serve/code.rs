//! What `goru serve` does with the code it is given: NUL in it is a 400
//! wherever code is taken, the code never reaches the log whatever
//! `RUST_LOG` says, and exit statuses are python3's (the low 8 bits).

use serde_json::json;

use super::{Server, assert_error};

/// Text that appears in the code sent, and must never appear in the log.
const SECRET: &str = "goru-secret-4711";

#[test]
fn nul_in_code_is_a_bad_request_and_code_is_never_logged() {
    // The most talkative filter there is: libraries' debug and trace too.
    let server = Server::start_with_env(&["--timeout", "20s"], &[("RUST_LOG", "trace")]);
    for lang in ["python", "js"] {
        let reply = server.post(
            "/execute",
            &json!({"code": format!("print('{SECRET}')\0"), "lang": lang}),
        );
        assert_error(&reply, 400, "bad_request");
        let message = reply.body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("null bytes") && !message.contains(SECRET),
            "{reply:?}"
        );
    }
    let session = server.session(json!({}));
    let reply = server.exec(&session, &format!("x = '{SECRET}'\0"));
    assert_error(&reply, 400, "bad_request");
    // The refused code did not touch the session.
    assert_eq!(server.exec(&session, "print('on')").stdout(), "on\n");

    // Runs that the guest ends badly, and one that goes well: none logs its code.
    for (code, lang) in [
        (format!("raise ValueError('{SECRET}'[:3])"), "python"),
        (format!("import os; os.abort() # {SECRET}"), "python"),
        (format!("throw new Error('{SECRET}'.slice(0, 3))"), "js"),
        (format!("# {SECRET}"), "python"),
    ] {
        server.execute(json!({"code": code, "lang": lang}));
    }
    server.exec(&session, &format!("y = '{SECRET}'"));
    // Something was logged, at the level asked for.
    let log = server.log();
    assert!(log.contains("TRACE") && log.contains("route=/execute"), "{log}");
    assert!(!log.contains(SECRET), "the code reached the log");
}

#[test]
fn exit_statuses_are_the_low_eight_bits() {
    let server = Server::start(&[]);
    for (code, lang, status) in [
        ("import sys; sys.exit(300)", "python", 44),
        ("import sys; sys.exit(-1)", "python", 255),
        ("std.exit(300)", "js", 44),
        ("std.exit(-1)", "js", 255),
    ] {
        let reply = server.execute(json!({"code": code, "lang": lang}));
        assert_eq!(reply.body["exit_code"], status, "{code}: {reply:?}");
    }
    let session = server.session(json!({}));
    let reply = server.exec(&session, "import sys; sys.exit(-1)");
    assert_eq!(reply.body["exit_code"], 255, "{reply:?}");
}
