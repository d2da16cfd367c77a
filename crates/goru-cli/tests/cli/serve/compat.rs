//! `goru serve` for clients written for goru's server and for operators:
//! goru's own server test cases replayed over HTTP, its `output`/`error`
//! fields and per-exec `timeout`, `/health?format=text`, MessagePack bodies
//! byte for byte, `/metrics` and its token rules, `--node-id`, and hostile
//! request bodies that must never get a 500.

use serde_json::{Value, json};

use super::{PATIENCE, Server, assert_error};

/// An answer read as raw bytes, whatever its type.
struct Raw {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

fn raw(url: &str, method: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Raw {
    let agent = ureq::AgentBuilder::new().timeout(PATIENCE).build();
    let mut request = agent.request(method, url);
    for (name, value) in headers {
        request = request.set(name, value);
    }
    let sent = match body {
        Some(bytes) => request.send_bytes(bytes),
        None => request.call(),
    };
    let response = match sent {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(error) => panic!("{method} {url}: {error}"),
    };
    let status = response.status();
    let content_type = response.header("content-type").unwrap_or_default().to_owned();
    let mut body = Vec::new();
    std::io::Read::read_to_end(&mut response.into_reader(), &mut body).expect("reading the body");
    Raw {
        status,
        content_type,
        body,
    }
}

/// goru's cmd/goru/server_test.go, case by case, against the real server
/// (goru tests its handlers in-process; the requests and expectations are
/// the same). Differences, by design: a new session is 201 (goru: 200).
#[test]
fn goru_server_test_cases_replayed() {
    let server = Server::start(&[]);

    // TestHealthEndpoint: 200 "ok" as plain text.
    for (path, headers) in [
        ("/health?format=text", vec![]),
        ("/health", vec![("Accept", "text/plain")]),
    ] {
        let reply = raw(&format!("{}{path}", server.base), "GET", &headers, None);
        assert_eq!((reply.status, reply.body.as_slice()), (200, &b"ok"[..]), "{path}");
    }

    // TestCreateSession: a non-empty session id.
    let created = server.post("/sessions", &json!({"lang": "python"}));
    assert_eq!(created.status, 201, "{created:?}");
    let id = created.body["session_id"]
        .as_str()
        .expect("session_id")
        .to_owned();
    assert!(!id.is_empty());

    // TestSessionExecution: state persists; no error.
    let exec = |id: &str, code: &str| server.exec(id, code);
    let first = exec(&id, "x = 42");
    assert!(first.body.get("error").is_none(), "{first:?}");
    let second = exec(&id, "print(x)");
    assert!(second.body.get("error").is_none(), "{second:?}");
    assert!(
        second.body["output"].as_str().unwrap_or_default().contains("42"),
        "{second:?}"
    );

    // TestSessionClose: closed once, then gone.
    assert_eq!(server.delete(&format!("/sessions/{id}")).status, 204);
    assert_eq!(exec(&id, "print(x)").status, 404);
    assert_eq!(server.delete(&format!("/sessions/{id}")).status, 404);

    // TestSessionNotFound.
    assert_eq!(exec("nonexistent-session-id", "1").status, 404);

    // TestMultipleSessions: distinct ids, separate globals.
    let one = server.session(json!({}));
    let two = server.session(json!({}));
    assert_ne!(one, two);
    exec(&one, "x = 'session1'");
    exec(&two, "x = 'session2'");
    assert!(
        exec(&one, "print(x)").body["output"]
            .as_str()
            .unwrap_or_default()
            .contains("session1")
    );
    assert!(
        exec(&two, "print(x)").body["output"]
            .as_str()
            .unwrap_or_default()
            .contains("session2")
    );

    // TestREPLSessionWorkflow: `error` is set exactly when a command fails.
    let repl = server.session(json!({"lang": "python"}));
    for (code, want_error, want_output) in [
        ("x = 10", false, ""),
        ("y = 20", false, ""),
        ("print(x + y)", false, "30"),
        ("def double(n): return n * 2", false, ""),
        ("print(double(x))", false, "20"),
        ("invalid syntax!!!", true, ""),
    ] {
        let reply = exec(&repl, code);
        assert_eq!(reply.status, 200, "{code}: {reply:?}");
        assert_eq!(reply.body.get("error").is_some(), want_error, "{code}: {reply:?}");
        let output = reply.body["output"].as_str().unwrap_or_default();
        assert!(output.contains(want_output), "{code}: {reply:?}");
    }

    // TestREPLMultilineCode.
    let fib =
        "\ndef fibonacci(n):\n    if n <= 1:\n        return n\n    return fibonacci(n-1) + fibonacci(n-2)\n";
    assert!(exec(&repl, fib).body.get("error").is_none());
    assert!(
        exec(&repl, "print(fibonacci(10))").body["output"]
            .as_str()
            .unwrap_or_default()
            .contains("55")
    );

    // TestREPLImports.
    assert!(exec(&repl, "import json").body.get("error").is_none());
    assert!(
        exec(&repl, r#"data = json.dumps({"key": "value"})"#)
            .body
            .get("error")
            .is_none()
    );
    assert!(
        exec(&repl, "print(data)").body["output"]
            .as_str()
            .unwrap_or_default()
            .contains(r#""key""#)
    );

    // goru's request shapes: a Go duration as `timeout`, in /execute and in
    // a session exec; `output` is stdout then stderr.
    let reply = server.execute(json!({
        "code": "import sys\nprint('out')\nprint('err', file=sys.stderr)",
        "lang": "python",
        "timeout": "0m20s",
    }));
    assert_eq!(reply.body["output"], "out\nerr\n", "{reply:?}");
    assert!(reply.body.get("error").is_none(), "{reply:?}");
    let reply = server.execute(json!({"code": "import sys; sys.exit(3)"}));
    assert_eq!(reply.body["error"], "exit status 3", "{reply:?}");
    let looping = server.session(json!({}));
    let reply = server.post(
        &format!("/sessions/{looping}/exec"),
        &json!({"code": "print('spin', flush=True)\nwhile True: pass", "timeout": "1s"}),
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(
        (reply.body["error_code"].as_str(), reply.body["error"].as_str()),
        (Some("timeout"), Some("timed out after 1s")),
        "{reply:?}"
    );
    assert_eq!(reply.body["output"], "spin\n", "the output so far: {reply:?}");
    assert_error(&server.exec(&looping, "1"), 410, "session_ended");
}

#[test]
fn msgpack_bodies_carry_bytes_exactly() {
    let server = Server::start(&[]);
    let url = format!("{}/execute", server.base);
    let code = "import sys\nsys.stdout.buffer.write(sys.stdin.buffer.read()[::-1] + b'\\xfe')\nsys.stderr.buffer.write(b'\\x00e')";
    #[derive(serde::Serialize)]
    struct Request<'a> {
        code: &'a str,
        #[serde(with = "serde_bytes_compat")]
        stdin: &'a [u8],
    }
    let body = rmp_serde::to_vec_named(&Request {
        code,
        stdin: b"\xff\x00ab",
    })
    .unwrap();
    let packed = [("Content-Type", "application/msgpack")];
    let reply = raw(&url, "POST", &packed, Some(&body));
    assert_eq!(
        (reply.status, reply.content_type.as_str()),
        (200, "application/msgpack")
    );
    let result: rmpv_like::Map = rmp_serde::from_slice(&reply.body).expect("a MessagePack map");
    assert_eq!(result.bytes("stdout"), b"ba\x00\xff\xfe");
    assert_eq!(result.bytes("stderr"), b"\x00e");
    assert_eq!(result.bytes("output"), b"ba\x00\xff\xfe\x00e");

    // The same request answered in JSON when asked: lossy text.
    let json_wanted = [
        ("Content-Type", "application/msgpack"),
        ("Accept", "application/json"),
    ];
    let reply = raw(&url, "POST", &json_wanted, Some(&body));
    let result: Value = serde_json::from_slice(&reply.body).expect("JSON");
    assert_eq!(result["stdout"], "ba\u{0}\u{fffd}\u{fffd}");

    // Errors come in the client's format too.
    let reply = raw(&url, "POST", &packed, Some(b"\x92\x01\x02"));
    assert_eq!(
        (reply.status, reply.content_type.as_str()),
        (400, "application/msgpack")
    );
    let error: rmpv_like::Map = rmp_serde::from_slice(&reply.body).expect("a MessagePack map");
    assert_eq!(error.nested("error", "code"), "bad_request");
}

/// Minimal helpers to read MessagePack answers without another crate.
mod rmpv_like {
    use std::collections::HashMap;

    /// A top-level map whose values are bytes, text or nested maps.
    #[derive(Debug, serde::Deserialize)]
    pub struct Map(HashMap<String, Field>);

    #[derive(Debug, serde::Deserialize)]
    #[serde(untagged)]
    enum Field {
        Bytes(#[serde(with = "super::serde_bytes_compat")] Vec<u8>),
        Text(String),
        Map(HashMap<String, Field>),
        Other(serde::de::IgnoredAny),
    }

    impl Map {
        pub fn bytes(&self, key: &str) -> &[u8] {
            match self.0.get(key) {
                Some(Field::Bytes(bytes)) => bytes,
                other => panic!("{key}: not bytes: {other:?}"),
            }
        }

        pub fn nested(&self, outer: &str, inner: &str) -> &str {
            match self.0.get(outer) {
                Some(Field::Map(map)) => match map.get(inner) {
                    Some(Field::Text(text)) => text,
                    other => panic!("{outer}.{inner}: not text: {other:?}"),
                },
                other => panic!("{outer}: not a map: {other:?}"),
            }
        }
    }
}

/// `bin` in MessagePack, with serde's byte methods.
mod serde_bytes_compat {
    use serde::{Deserializer, Serializer, de};

    pub fn serialize<S: Serializer>(bytes: &&[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        struct Visit;
        impl de::Visitor<'_> for Visit {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
                Ok(bytes.to_vec())
            }
        }
        deserializer.deserialize_bytes(Visit)
    }
}

fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn metrics_count_runs_calls_and_refusals_behind_the_token() {
    let server = Server::start(&["--token", "t0ken", "--kv"]);
    let auth = [("Authorization", "Bearer t0ken")];
    let metrics_url = format!("{}/metrics", server.base);
    assert_eq!(raw(&metrics_url, "GET", &[], None).status, 401);

    let run = |body: Value| {
        let bytes = body.to_string();
        server.call("POST", "/execute", &auth, Some(bytes.as_bytes()))
    };
    assert_eq!(
        run(json!({"code": "kv.set('a', 1)\nprint(kv.get('a'))"})).stdout(),
        "1\n"
    );
    assert_eq!(
        run(json!({"code": "console.log('hi')", "lang": "js"})).status,
        200
    );
    assert_eq!(
        run(json!({"code": "1/0"})).body["exception"]["type"],
        "ZeroDivisionError"
    );
    assert_eq!(run(json!({"cod": "1"})).status, 400);
    // A hostile guest calling made-up host functions mints no label values.
    let minting = "for i in range(50):\n    try:\n        _goru_call(f'made_up_{i}', {})\n    except Exception:\n        pass\nprint('done')";
    assert_eq!(run(json!({"code": minting})).stdout(), "done\n");

    let reply = raw(&metrics_url, "GET", &auth, None);
    assert_eq!(reply.status, 200);
    assert!(
        reply.content_type.starts_with("text/plain"),
        "{}",
        reply.content_type
    );
    let text = String::from_utf8(reply.body).expect("text");
    for (series, value) in [
        (r#"goru_runs_total{lang="python",outcome="ok"}"#, 2.0),
        (r#"goru_runs_total{lang="js",outcome="ok"}"#, 1.0),
        (r#"goru_runs_total{lang="python",outcome="exception"}"#, 1.0),
        (r#"goru_host_calls_total{function="kv_set"}"#, 1.0),
        (r#"goru_host_calls_total{function="kv_get"}"#, 1.0),
        (r#"goru_rejected_requests_total{code="bad_request"}"#, 1.0),
        (r#"goru_rejected_requests_total{code="unauthorized"}"#, 1.0),
        (r#"goru_output_bytes_total{stream="stdout"}"#, 10.0),
        ("goru_run_duration_seconds_count{lang=\"python\"}", 3.0),
        ("goru_queue_wait_seconds_count", 4.0),
        ("goru_run_slots_busy", 0.0),
        ("goru_sessions_open", 0.0),
    ] {
        assert_eq!(metric(&text, series), Some(value), "{series} in:\n{text}");
    }
    assert!(
        metric(&text, "goru_run_slots").is_some_and(|n| n >= 1.0),
        "{text}"
    );

    // --metrics-open: the metrics without the token, the API still behind it.
    let open = Server::start(&["--token", "t0ken", "--metrics-open"]);
    assert_eq!(
        raw(&format!("{}/metrics", open.base), "GET", &[], None).status,
        200
    );
    assert_error(&open.post("/execute", &json!({"code": "1"})), 401, "unauthorized");
}

#[test]
fn node_ids_prefix_session_ids() {
    let server = Server::start(&["--node-id", "n7"]);
    assert_eq!(server.get("/health").body["node_id"], "n7");
    let id = server.session(json!({}));
    let (node, random) = id.split_once('.').expect("NODE.HEX");
    assert_eq!(node, "n7");
    assert_eq!(random.len(), 32, "{id}");
    assert_eq!(server.exec(&id, "print(1)").stdout(), "1\n");

    let refused = super::super::goru(&["serve", "--node-id", "a.b"]);
    assert_eq!(refused.status, Some(2), "{refused:?}");
    assert!(refused.stderr.contains("node id"), "{refused:?}");
}

/// The inputs of the schema report that once gave 500s or slipped through,
/// and their kin: every one is a 400.
#[test]
fn hostile_bodies_are_400_never_500() {
    let server = Server::start(&["--timeout", "5s"]);
    let session = server.session(json!({}));
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("/execute", br#"{"code": "1", "timeout": ""}"#.to_vec()),
        ("/execute", br#"{"code": "1", "timeout": 1e-300}"#.to_vec()),
        ("/execute", br#"{"code": "1", "timeout": 0.0001}"#.to_vec()),
        ("/execute", br#"{"code": "1", "timeout": 1e300}"#.to_vec()),
        ("/execute", br#"{"code": "1", "timeout": "0ms"}"#.to_vec()),
        ("/execute", br#"{"code": "1", "timeout": " 1s"}"#.to_vec()),
        ("/execute", br#"["print(1)"]"#.to_vec()),
        ("/execute", b"null".to_vec()),
        ("/execute", br#"{"code": "1", "stdin": [1, 2]}"#.to_vec()),
        ("/sessions", br#"["python"]"#.to_vec()),
        ("/sessions", br#"{"timeout": 1e-300}"#.to_vec()),
        ("/sessions", br#"{"timeout": 0.0001}"#.to_vec()),
    ];
    let exec = format!("/sessions/{session}/exec");
    let mut bodies = bodies;
    bodies.push((exec.as_str(), br#"{"code": "1", "timeout": 1e-300}"#.to_vec()));
    bodies.push((exec.as_str(), br#"["1"]"#.to_vec()));
    for (path, body) in &bodies {
        let reply = server.call("POST", path, &[], Some(body));
        assert_error(&reply, 400, "bad_request");
    }
    let packed = [("Content-Type", "application/msgpack")];
    for body in [&b""[..], b"\xc1", b"\x81\xa4code", b"\x91\xa11", b"\xde\xff\xff"] {
        let reply = raw(&format!("{}/execute", server.base), "POST", &packed, Some(body));
        assert_eq!(reply.status, 400, "{body:?}");
    }
    // The session is unharmed by it all.
    assert_eq!(server.exec(&session, "print(2)").stdout(), "2\n");
}
