//! `goru serve` over real HTTP on loopback: every route, every error code,
//! the token, session reaping, saturation, the body cap, capabilities in
//! sessions, and graceful shutdown. Each test starts its own server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{cache_dir, goru, warm_cache};

mod code;
mod compat;
mod fleet;
mod load;
mod schema;
mod stream;

/// Bounds no healthy run comes near; only there so a broken server fails
/// the test instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(60);

/// A running `goru serve`, killed when dropped.
struct Server {
    child: Child,
    base: String,
    log: Arc<Mutex<String>>,
}

/// An HTTP answer.
#[derive(Debug)]
struct Reply {
    status: u16,
    retry_after: Option<String>,
    request_id: Option<String>,
    body: Value,
}

impl Reply {
    /// The `error.code` of an error answer, or the `error_code` of a
    /// stopped run.
    fn error_code(&self) -> Option<&str> {
        self.body["error"]["code"]
            .as_str()
            .or_else(|| self.body["error_code"].as_str())
    }

    fn stdout(&self) -> &str {
        self.body["stdout"].as_str().unwrap_or_default()
    }
}

impl Server {
    /// Starts `goru serve` on a free loopback port with these extra flags.
    fn start(flags: &[&str]) -> Server {
        Self::start_with_env(flags, &[])
    }

    fn start_with_env(flags: &[&str], env: &[(&str, &str)]) -> Server {
        warm_cache();
        let mut child = Command::new(env!("CARGO_BIN_EXE_goru"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(flags)
            .env("GORU_CACHE_DIR", cache_dir())
            .env_remove("RUST_LOG")
            .env_remove("GORU_TOKEN")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting goru serve");
        let stderr = child.stderr.take().expect("stderr pipe");
        let log = Arc::new(Mutex::new(String::new()));
        let (address_tx, address_rx) = mpsc::channel();
        {
            // Drains stderr for the server's whole life, so logging never blocks it.
            let log = log.clone();
            thread::spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    if let Some(address) = line.strip_prefix("goru serve listening on ") {
                        let _ = address_tx.send(address.to_owned());
                    }
                    let mut log = log.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
            });
        }
        let mut server = Server {
            child,
            base: String::new(),
            log,
        };
        match address_rx.recv_timeout(PATIENCE) {
            Ok(base) => server.base = base,
            Err(_) => panic!("goru serve did not start: {}", server.log()),
        }
        server
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    fn port(&self) -> u16 {
        self.base
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port")
    }

    fn call(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Reply {
        call(&format!("{}{path}", self.base), method, headers, body)
    }

    /// A GET answered in text (not JSON), e.g. `/metrics`.
    fn call_text(&self, path: &str) -> String {
        let response = ureq::get(&format!("{}{path}", self.base))
            .timeout(PATIENCE)
            .call()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        response.into_string().expect("reading the body")
    }

    fn get(&self, path: &str) -> Reply {
        self.call("GET", path, &[], None)
    }

    fn post(&self, path: &str, body: &Value) -> Reply {
        self.call("POST", path, &[], Some(body.to_string().as_bytes()))
    }

    fn delete(&self, path: &str) -> Reply {
        self.call("DELETE", path, &[], None)
    }

    fn execute(&self, body: Value) -> Reply {
        let reply = self.post("/execute", &body);
        assert_eq!(reply.status, 200, "{body}: {reply:?}");
        reply
    }

    /// A new session's id.
    fn session(&self, body: Value) -> String {
        let reply = self.post("/sessions", &body);
        assert_eq!(reply.status, 201, "{reply:?}");
        reply.body["session_id"].as_str().expect("session_id").to_owned()
    }

    fn exec(&self, session: &str, code: &str) -> Reply {
        self.post(&format!("/sessions/{session}/exec"), &json!({ "code": code }))
    }

    /// Sends SIGTERM.
    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("running kill");
        assert!(status.success());
    }

    /// The exit status, if the server exits within `limit`.
    fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("polling the server") {
                return Some(status);
            }
            thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP request with ureq; any status is an answer, only a transport
/// failure panics.
fn call(url: &str, method: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Reply {
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
    let retry_after = response.header("retry-after").map(str::to_owned);
    let request_id = response.header("x-request-id").map(str::to_owned);
    let text = response.into_string().expect("reading the body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {url}: not JSON ({e}): {text}"))
    };
    Reply {
        status,
        retry_after,
        request_id,
        body,
    }
}

/// Asserts an error answer: status and code.
fn assert_error(reply: &Reply, status: u16, code: &str) {
    assert_eq!(
        (reply.status, reply.error_code()),
        (status, Some(code)),
        "{reply:?}"
    );
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{reply:?}"
    );
}

#[test]
fn health_and_stateless_runs() {
    let server = Server::start(&["--output-limit", "16"]);
    let health = server.get("/health");
    assert_eq!(health.status, 200, "{health:?}");
    assert_eq!(health.body["status"], "ok");
    assert_eq!(health.body["languages"], json!(["python", "js"]));
    assert_eq!(health.body["max_timeout_ms"], 30_000);

    let reply = server.execute(json!({"code": "print(6 * 7)", "lang": "python"}));
    assert_eq!(reply.body["stdout"], "42\n");
    assert_eq!(reply.body["stderr"], "");
    assert_eq!(reply.body["exit_code"], 0);
    assert_eq!(reply.body["truncated"], false);
    assert!(reply.body["duration_ms"].is_u64(), "{reply:?}");
    assert!(reply.body.get("error").is_none(), "{reply:?}");
    assert!(reply.request_id.is_some_and(|id| !id.is_empty()));

    // Python is the default; stdin is the request's.
    let reply = server.execute(json!({"code": "print(input()[::-1])", "stdin": "olleh\n"}));
    assert_eq!(reply.stdout(), "hello\n");
    let reply = server.execute(json!({"code": "console.log([1, 2].map(x => x * 3))", "lang": "js"}));
    assert_eq!(reply.stdout(), "[ 3, 6 ]\n");

    let reply = server.execute(json!({"code": "import sys; print('bye'); sys.exit(3)"}));
    assert_eq!((reply.stdout(), &reply.body["exit_code"]), ("bye\n", &json!(3)));

    let reply = server.execute(json!({"code": "raise ValueError('boom')"}));
    assert_eq!(reply.body["exit_code"], 1);
    assert_eq!(reply.body["exception"]["type"], "ValueError");
    assert_eq!(reply.body["exception"]["message"], "boom");
    // stderr is cut at --output-limit; the exception's traceback is not.
    assert_eq!(reply.body["stderr"], "Traceback (most ", "{reply:?}");
    let traceback = reply.body["exception"]["traceback"].as_str().unwrap_or_default();
    assert!(traceback.contains("line 1"), "{reply:?}");
    assert!(
        reply.body.get("error_code").is_none(),
        "an exception is not a stopped run: {reply:?}"
    );
    assert_eq!(reply.body["error"], "ValueError: boom", "goru's error text");

    // Output is cut at --output-limit and decoded lossily.
    let reply = server.execute(json!({"code": "print('x' * 100)"}));
    assert_eq!(
        (reply.stdout(), &reply.body["truncated"]),
        ("x".repeat(16).as_str(), &json!(true))
    );
    let reply = server.execute(json!({"code": "import sys; sys.stdout.buffer.write(b'a\\xffb')"}));
    assert_eq!(reply.stdout(), "a\u{fffd}b");

    // A client's request id is kept.
    let reply = server.call("GET", "/health", &[("X-Request-Id", "trace-42")], None);
    assert_eq!(reply.request_id.as_deref(), Some("trace-42"));
    let log = server.log();
    assert!(log.contains("route=/execute") && log.contains("lang=js"), "{log}");
    assert!(
        !log.contains("olleh") && !log.contains("boom"),
        "no user data in the log: {log}"
    );
}

#[test]
fn stopped_runs_answer_200_with_their_output() {
    let server = Server::start(&["--memory", "64MiB", "--timeout", "5s"]);
    let reply = server.execute(json!({
        "code": "print('before', flush=True)\nwhile True: pass",
        // Long enough for CPython to start and print on a loaded machine.
        "timeout": "2s",
    }));
    assert_eq!(reply.error_code(), Some("timeout"), "{reply:?}");
    assert_eq!(reply.stdout(), "before\n");
    assert_eq!(reply.body["exit_code"], Value::Null);
    let reply = server.execute(json!({"code": "for (;;) {}", "lang": "js", "timeout": 0.3}));
    assert_eq!(reply.error_code(), Some("timeout"), "{reply:?}");

    let reply = server.execute(json!({
        "code": "print('filling', flush=True)\nx = []\nwhile True: x.append(' ' * 1000000)",
    }));
    assert_eq!(reply.error_code(), Some("memory_limit"), "{reply:?}");
    assert_eq!(reply.stdout(), "filling\n");

    let reply = server.execute(json!({"code": "print('a', flush=True)\nimport os\nos.abort()"}));
    assert_eq!(reply.error_code(), Some("trap"), "{reply:?}");
    assert_eq!(reply.stdout(), "a\n");

    // The server goes on.
    assert_eq!(server.execute(json!({"code": "print(1)"})).stdout(), "1\n");
}

#[test]
fn bad_requests_get_json_errors() {
    let server = Server::start(&["--timeout", "10s"]);
    let post = |body: &str| server.call("POST", "/execute", &[], Some(body.as_bytes()));
    for body in [
        "{not json",
        "",
        "[]",
        r#"{"lang": "python"}"#,
        r#"{"code": 5}"#,
        r#"{"code": "1", "extra": true}"#,
        r#"{"code": "1", "lang": "cobol"}"#,
        r#"{"code": "1", "timeout": "soon"}"#,
        r#"{"code": "1", "timeout": 0}"#,
        r#"{"code": "1", "timeout": -2}"#,
        r#"{"code": "1", "timeout": "11s"}"#,
        r#"{"code": "1", "timeout": [1]}"#,
        r#"{"code": "1", "stdin": 7}"#,
    ] {
        assert_error(&post(body), 400, "bad_request");
    }
    let reply = post(r#"{"code": "1", "timeout": 60}"#);
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("10s")),
        "the message names the limit: {reply:?}"
    );
    assert_error(
        &server.post("/sessions", &json!({"lang": "cobol"})),
        400,
        "bad_request",
    );
    let session = server.session(json!({}));
    let exec = format!("/sessions/{session}/exec");
    assert_error(&server.post(&exec, &json!({"cod": "1"})), 400, "bad_request");
    assert_error(
        &server.post(&exec, &json!({"code": "1", "repl": "yes"})),
        400,
        "bad_request",
    );

    assert_error(&server.get("/nope"), 404, "not_found");
    assert_error(&server.post("/sessions/a/b/c", &json!({})), 404, "not_found");
    assert_error(&server.get("/execute"), 405, "method_not_allowed");
    assert_error(
        &server.call("PUT", "/health", &[], None),
        405,
        "method_not_allowed",
    );
    assert_error(
        &server.get(&format!("/sessions/{session}")),
        405,
        "method_not_allowed",
    );
}

#[test]
fn sessions_keep_state_until_deleted() {
    let server = Server::start(&[]);
    let reply = server.post("/sessions", &json!({"lang": "python"}));
    assert_eq!(reply.status, 201, "{reply:?}");
    assert_eq!(reply.body["lang"], "python");
    let id = reply.body["session_id"].as_str().expect("an id").to_owned();
    assert_eq!(id.len(), 32, "{id}");

    assert_eq!(server.exec(&id, "x = 41").body["exit_code"], 0);
    let reply = server.exec(&id, "print(x + 1)");
    assert_eq!((reply.status, reply.stdout()), (200, "42\n"), "{reply:?}");
    let reply = server.post(
        &format!("/sessions/{id}/exec"),
        &json!({"code": "x * 2", "repl": true}),
    );
    assert_eq!(reply.stdout(), "82\n", "{reply:?}");
    // An exception does not end the session.
    let reply = server.exec(&id, "1/0");
    assert_eq!(reply.body["exception"]["type"], "ZeroDivisionError", "{reply:?}");
    assert_eq!(server.exec(&id, "print(x)").stdout(), "41\n");

    // A session reads its stdin across execs; JS sessions keep `let`.
    let js = server.session(json!({"lang": "js", "stdin": "first\nsecond\n"}));
    assert_eq!(server.exec(&js, "let n = 2").body["exit_code"], 0);
    let reply = server.exec(&js, "console.log(n * 21, std.in.getline())");
    assert_eq!(reply.stdout(), "42 first\n", "{reply:?}");
    assert_eq!(
        server.exec(&js, "console.log(std.in.getline())").stdout(),
        "second\n"
    );

    let deleted = server.delete(&format!("/sessions/{id}"));
    assert_eq!(
        (deleted.status, &deleted.body),
        (204, &Value::Null),
        "{deleted:?}"
    );
    assert_error(&server.exec(&id, "print(x)"), 404, "unknown_session");
    assert_error(&server.delete(&format!("/sessions/{id}")), 404, "unknown_session");
    assert_error(&server.exec("0123456789abcdef", "1"), 404, "unknown_session");
    assert_error(&server.delete("/sessions/%FF%FE"), 404, "unknown_session");
    assert_eq!(
        server.exec(&js, "console.log(n)").stdout(),
        "2\n",
        "other sessions go on"
    );
}

#[test]
fn a_client_going_away_mid_exec_leaves_the_session_whole() {
    let server = Server::start(&[]);
    let session = server.session(json!({}));
    let body = json!({"code": "import time\ntime.sleep(1)\nx = 5"}).to_string();
    let mut stream = TcpStream::connect(("127.0.0.1", server.port())).expect("connecting");
    write!(
        stream,
        "POST /sessions/{session}/exec HTTP/1.1\r\nHost: goru\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("writing");
    // Probing at once could take the session first and make this exec busy.
    thread::sleep(Duration::from_millis(300));
    assert_error(&wait_until_busy(&server, &session), 409, "busy");
    drop(stream);
    let deadline = Instant::now() + PATIENCE;
    let reply = loop {
        let reply = server.exec(&session, "print(x)");
        if reply.status != 409 || Instant::now() > deadline {
            break reply;
        }
        thread::sleep(Duration::from_millis(50));
    };
    assert_eq!((reply.status, reply.stdout()), (200, "5\n"), "{reply:?}");
}

#[test]
fn session_errors_busy_ended_and_too_many() {
    let server = Server::start(&["--max-sessions", "2"]);
    let slow = server.session(json!({}));
    let other = server.session(json!({"lang": "js"}));
    assert_error(&server.post("/sessions", &json!({})), 429, "too_many_sessions");

    // While one exec runs, another in the same session is refused.
    let runner = exec_in_background(&server, &slow, "import time\ntime.sleep(2)\nprint('slept')");
    let busy = wait_until_busy(&server, &slow);
    assert_error(&busy, 409, "busy");
    assert_eq!(runner.join().expect("the slow exec").stdout(), "slept\n");

    // A run that times out and does not give way ends the session: later
    // execs get 410. (JS: its start-up, which the timeout also bounds, takes
    // milliseconds; a promise job runs where no soft interrupt reaches.)
    let short = json!({"lang": "js", "timeout": "1s"});
    server.delete(&format!("/sessions/{other}"));
    let ending = server.session(short);
    let reply = server.exec(
        &ending,
        "console.log('going'); Promise.resolve().then(() => { for (;;) {} })",
    );
    assert_eq!(
        (reply.status, reply.error_code()),
        (200, Some("timeout")),
        "{reply:?}"
    );
    assert_eq!(reply.stdout(), "going\n");
    assert_error(&server.exec(&ending, "print(1)"), 410, "session_ended");
    // An ended session makes room for a new one.
    server.session(json!({}));
}

#[test]
fn capabilities_apply_to_runs_and_sessions() {
    let server = Server::start(&["--kv"]);
    // Each stateless run has a store of its own.
    let reply = server.execute(json!({"code": "kv.set('n', 1); print(kv.get('n'))"}));
    assert_eq!(reply.stdout(), "1\n", "{reply:?}");
    assert_eq!(
        server.execute(json!({"code": "print(kv.get('n'))"})).stdout(),
        "None\n"
    );

    // A session keeps one store across execs, apart from other sessions'.
    let first = server.session(json!({}));
    let second = server.session(json!({"lang": "js"}));
    assert_eq!(server.exec(&first, "kv.set('n', 41)").body["exit_code"], 0);
    assert_eq!(server.exec(&first, "print(kv.get('n') + 1)").stdout(), "42\n");
    let reply = server.exec(&second, "console.log(kv.get('n'))");
    assert_eq!(reply.stdout(), "null\n", "{reply:?}");

    // Without the flag, nothing is granted, in sessions too.
    let bare = Server::start(&[]);
    let session = bare.session(json!({}));
    let reply = bare.exec(
        &session,
        "try:\n    kv.set('a', 1)\nexcept Exception as e:\n    print(e.kind)",
    );
    assert_eq!(reply.stdout(), "not_granted\n", "{reply:?}");
}

#[test]
fn packages_apply_to_python_and_leave_js_alone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("shared.py"), "VALUE = 'from /packages'\n").unwrap();
    let server = Server::start(&["--packages", dir.path().to_str().unwrap()]);
    let reply = server.execute(json!({"code": "import shared; print(shared.VALUE)"}));
    assert_eq!(reply.stdout(), "from /packages\n", "{reply:?}");
    let session = server.session(json!({}));
    assert_eq!(
        server
            .exec(&session, "import shared; print(shared.VALUE)")
            .stdout(),
        "from /packages\n"
    );
    let reply = server.execute(json!({"code": "console.log(1)", "lang": "js"}));
    assert_eq!(reply.stdout(), "1\n", "{reply:?}");
    let reply = server
        .execute(json!({"code": "try:\n    install_pkg('six')\nexcept Exception as e:\n    print(e.kind)"}));
    assert_eq!(reply.stdout(), "not_granted\n", "{reply:?}");
}

#[test]
fn token_guards_every_route_but_health() {
    let server = Server::start(&["--token", "s3cret-token"]);
    assert_eq!(server.get("/health").status, 200);
    let body = br#"{"code": "print(1)"}"#;
    for headers in [
        &[][..],
        &[("Authorization", "Bearer wrong")],
        &[("Authorization", "Bearer s3cret-toke")],
        &[("Authorization", "Basic s3cret-token")],
    ] {
        let reply = server.call("POST", "/execute", headers, Some(body));
        assert_error(&reply, 401, "unauthorized");
    }
    assert_error(&server.get("/nope"), 401, "unauthorized");
    assert_error(&server.delete("/sessions/x"), 401, "unauthorized");
    let auth = [("Authorization", "Bearer s3cret-token")];
    let reply = server.call("POST", "/execute", &auth, Some(body));
    assert_eq!((reply.status, reply.stdout()), (200, "1\n"), "{reply:?}");
    let reply = server.call("POST", "/sessions", &auth, None);
    assert_eq!(reply.status, 201, "{reply:?}");
    assert!(!server.log().contains("s3cret"), "the token is never logged");

    // The token may come from the environment instead.
    let server = Server::start_with_env(&[], &[("GORU_TOKEN", "from-env")]);
    assert_error(
        &server.post("/execute", &json!({"code": "1"})),
        401,
        "unauthorized",
    );
    let reply = server.call(
        "POST",
        "/execute",
        &[("Authorization", "bearer from-env")],
        Some(body),
    );
    assert_eq!(reply.status, 200, "{reply:?}");
}

#[test]
fn idle_sessions_are_reaped_after_the_ttl() {
    let server = Server::start(&["--session-ttl", "2s"]);
    let idle = server.session(json!({}));
    let busy = server.session(json!({}));
    assert_eq!(server.exec(&busy, "x = 1").status, 200);
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        assert_eq!(
            server.exec(&busy, "x += 1").status,
            200,
            "a session in use is kept"
        );
        thread::sleep(Duration::from_millis(300));
    }
    assert_error(&server.exec(&idle, "print(1)"), 404, "unknown_session");
    assert_eq!(server.exec(&busy, "print(x > 1)").stdout(), "True\n");
    assert!(server.log().contains("idling past the TTL"), "{}", server.log());
}

#[test]
fn saturation_answers_503_with_retry_after() {
    let server = Server::start(&["--max-concurrent", "1", "--queue-wait", "200ms"]);
    let slow = {
        let url = format!("{}/execute", server.base);
        thread::spawn(move || {
            let body = json!({"code": "import time\ntime.sleep(2)\nprint('done')"}).to_string();
            call(&url, "POST", &[], Some(body.as_bytes()))
        })
    };
    // Once /metrics shows the slow run holding the one slot, the next
    // request waits its 200 ms and is refused. (Racing requests against it
    // instead could starve the slow one itself on a loaded machine.)
    let deadline = Instant::now() + PATIENCE;
    while !server
        .call_text("/metrics")
        .lines()
        .any(|line| line == "goru_run_slots_busy 1")
    {
        assert!(Instant::now() < deadline, "the slow run never took its slot");
        thread::sleep(Duration::from_millis(20));
    }
    let refused = server.post("/execute", &json!({"code": "print(1)"}));
    assert_error(&refused, 503, "saturated");
    let retry_after = refused.retry_after.as_deref().and_then(|s| s.parse::<u64>().ok());
    assert!(retry_after.is_some_and(|s| s >= 1), "{refused:?}");
    let slow = slow.join().expect("the slow run");
    assert_eq!((slow.status, slow.stdout()), (200, "done\n"), "{slow:?}");
    // Once the slot is free, requests go through again.
    assert_eq!(server.execute(json!({"code": "print(2)"})).stdout(), "2\n");
}

#[test]
fn bodies_over_the_cap_get_413() {
    let server = Server::start(&["--max-body", "1KiB"]);
    let small = json!({"code": format!("print(len('{}'))", "x".repeat(500))});
    assert_eq!(server.execute(small).stdout(), "500\n");
    let big = json!({"code": format!("print(len('{}'))", "x".repeat(8000))});
    assert_error(&server.post("/execute", &big), 413, "payload_too_large");
    assert_error(
        &server.post("/sessions", &json!({"stdin": "y".repeat(4000)})),
        413,
        "payload_too_large",
    );
}

/// Runs `code` in `session` on another thread; retried while the session
/// is busy (with a [`wait_until_busy`] probe).
fn exec_in_background(server: &Server, session: &str, code: &str) -> thread::JoinHandle<Reply> {
    let url = format!("{}/sessions/{session}/exec", server.base);
    let body = json!({ "code": code }).to_string();
    thread::spawn(move || {
        loop {
            let reply = call(&url, "POST", &[], Some(body.as_bytes()));
            if reply.status != 409 {
                return reply;
            }
            thread::sleep(Duration::from_millis(20));
        }
    })
}

/// Probes `session` until an exec is refused because another is running;
/// that refusal.
fn wait_until_busy(server: &Server, session: &str) -> Reply {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let reply = server.exec(session, "pass");
        if reply.status != 200 || Instant::now() > deadline {
            return reply;
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// Sends `head` and the first half of `body` on a raw connection; the rest
/// is sent by the returned closure, which gives back the whole answer.
fn send_in_two_parts(port: u16, head: &str, body: &str) -> impl FnOnce() -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connecting");
    stream.set_read_timeout(Some(PATIENCE)).expect("a read timeout");
    let (first, rest) = body.split_at(body.len() / 2);
    write!(stream, "{head}Content-Length: {}\r\n\r\n{first}", body.len()).expect("writing");
    stream.flush().expect("flushing");
    let rest = rest.to_owned();
    move || {
        stream.write_all(rest.as_bytes()).expect("writing the rest");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    }
}

#[test]
fn sigterm_lets_running_work_finish_then_exits_0() {
    let mut server = Server::start(&["--grace", "20s"]);
    let stateless = {
        let url = format!("{}/execute", server.base);
        thread::spawn(move || {
            let body = json!({"code": "import time\ntime.sleep(3)\nprint('stateless')"}).to_string();
            call(&url, "POST", &[], Some(body.as_bytes()))
        })
    };
    let session = server.session(json!({}));
    let in_session = exec_in_background(&server, &session, "import time\ntime.sleep(3)\nprint('session')");
    wait_until_busy(&server, &session);
    // A request whose body is still coming when the signal arrives is
    // answered, with 503 shutting_down.
    let late = send_in_two_parts(
        server.port(),
        "POST /execute HTTP/1.1\r\nHost: goru\r\nConnection: close\r\n",
        r#"{"code": "print('too late')"}"#,
    );
    thread::sleep(Duration::from_millis(300));
    server.terminate();
    thread::sleep(Duration::from_secs(1));
    let late = late();
    assert!(late.starts_with("HTTP/1.1 503"), "{late}");
    assert!(late.contains(r#""code":"shutting_down""#), "{late}");

    for (name, work) in [("stateless", stateless), ("session", in_session)] {
        let reply = work.join().expect(name);
        assert_eq!(
            (reply.status, reply.stdout()),
            (200, format!("{name}\n").as_str()),
            "{reply:?}"
        );
    }
    let status = server.wait_exit(Duration::from_secs(20));
    assert!(
        status.is_some_and(|s| s.success()),
        "{status:?}: {}",
        server.log()
    );
    let log = server.log();
    assert!(
        log.contains("shutting down") && log.contains("signal=\"SIGTERM\""),
        "{log}"
    );
    assert!(log.contains("stopped sessions_closed=1"), "{log}");
    assert!(
        TcpStream::connect(("127.0.0.1", server.port())).is_err(),
        "no longer listening"
    );
}

#[test]
fn after_the_grace_period_running_work_is_cancelled() {
    let mut server = Server::start(&["--grace", "1s"]);
    let looping = {
        let url = format!("{}/execute", server.base);
        thread::spawn(move || {
            let body = json!({"code": "print('looping', flush=True)\nwhile True: pass"}).to_string();
            call(&url, "POST", &[], Some(body.as_bytes()))
        })
    };
    let session = server.session(json!({}));
    let sleeping = exec_in_background(&server, &session, "import time\ntime.sleep(60)");
    wait_until_busy(&server, &session);
    let signalled = Instant::now();
    server.terminate();
    let status = server.wait_exit(Duration::from_secs(15));
    assert!(
        status.is_some_and(|s| s.success()),
        "{status:?}: {}",
        server.log()
    );
    assert!(
        signalled.elapsed() >= Duration::from_secs(1),
        "the grace period was given"
    );
    let looping = looping.join().expect("the stateless run");
    assert_eq!(
        (looping.status, looping.error_code()),
        (200, Some("cancelled")),
        "{looping:?}"
    );
    assert_eq!(looping.stdout(), "looping\n", "the output so far is kept");
    let sleeping = sleeping.join().expect("the session exec");
    assert_eq!(
        (sleeping.status, sleeping.error_code()),
        (200, Some("cancelled")),
        "{sleeping:?}"
    );
    assert!(
        server.log().contains("cancelled the work still running"),
        "{}",
        server.log()
    );
}

#[test]
fn a_second_signal_skips_the_rest_of_the_grace_period() {
    let mut server = Server::start(&["--grace", "5m"]);
    let session = server.session(json!({}));
    let looping = exec_in_background(&server, &session, "while True: pass");
    wait_until_busy(&server, &session);
    server.terminate();
    thread::sleep(Duration::from_millis(500));
    server.terminate();
    let status = server.wait_exit(PATIENCE);
    assert!(
        status.is_some_and(|s| s.success()),
        "{status:?}: {}",
        server.log()
    );
    let looping = looping.join().expect("the session exec");
    assert_eq!(looping.error_code(), Some("cancelled"), "{looping:?}");
    assert!(server.log().contains("second signal"), "{}", server.log());
}

#[test]
fn unusable_flags_are_refused_before_listening() {
    for args in [
        &["serve", "-c", "print(1)"][..],
        &["serve", "--stdin-file", "input.txt"],
        &["serve", "script.py"],
        &["serve", "--listen", "nowhere"],
        &["serve", "--token", " "],
        &["serve", "--max-sessions", "0"],
        &["serve", "--queue-wait", "soon"],
        &["serve", "--mount", "/data:/nonexistent/goru-dir:ro"],
        &["serve", "--packages", "/nonexistent/goru-packages"],
    ] {
        let out = goru(args);
        assert_eq!(out.status, Some(2), "{args:?}: {out:?}");
        assert_eq!(out.goru_lines().len(), 1, "{args:?}: {out:?}");
        assert!(!out.stderr.contains("listening"), "{args:?}: {out:?}");
    }
    // An address in use is a failure to start, with status 1.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = taken.local_addr().expect("its address").to_string();
    let out = goru(&["serve", "--listen", &address]);
    assert_eq!(out.status, Some(1), "{out:?}");
    assert!(out.stderr.contains("cannot listen on"), "{out:?}");

    let help = goru(&["serve", "--help"]);
    for needle in ["--listen", "--token", "GORU_TOKEN", "/sessions/{id}/exec", "--kv"] {
        assert!(
            help.stdout().contains(needle),
            "serve --help lacks {needle}: {help:?}"
        );
    }
}

/// goru's (Go) `serve --port N` / `-p N`: that port, on goru-rs's loopback default.
#[test]
fn gorus_port_flag_picks_the_port() {
    for flag in ["--port", "-p"] {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port()
            .to_string();
        let server = Server::start(&[flag, &port]);
        assert_eq!(server.base, format!("http://127.0.0.1:{port}"), "{flag}");
        assert_eq!(
            server
                .execute(serde_json::json!({"lang": "python", "code": "print(1)"}))
                .stdout(),
            "1\n"
        );
    }
}
