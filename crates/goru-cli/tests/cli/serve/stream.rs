//! The streamed routes: `POST /execute/stream` and
//! `POST /sessions/{id}/exec/stream` answer NDJSON, output events as the
//! guest writes them, then the run result.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

use serde_json::{Value, json};

use super::Server;

/// A streamed answer being read line by line.
struct Events {
    lines: Box<dyn BufRead>,
}

impl Events {
    /// POSTs `body` to `path`; the answer must be 200 NDJSON.
    fn post(server: &Server, path: &str, body: &Value) -> Events {
        let response = ureq::post(&format!("{}{path}", server.base))
            .set("Content-Type", "application/json")
            .send_string(&body.to_string())
            .expect("a 200 answer");
        assert_eq!(response.content_type(), "application/x-ndjson");
        Events {
            lines: Box::new(BufReader::new(response.into_reader())),
        }
    }

    /// The next event, or `None` at the end of the answer.
    fn next(&mut self) -> Option<Value> {
        let mut line = String::new();
        match self.lines.read_line(&mut line).expect("reading the answer") {
            0 => None,
            _ => Some(serde_json::from_str(&line).expect("a JSON line")),
        }
    }

    /// Every event left.
    fn rest(&mut self) -> Vec<Value> {
        std::iter::from_fn(|| self.next()).collect()
    }
}

/// A gate the guest waits on: an HTTP server on loopback that answers its
/// one request only when the test opens it.
struct Gate {
    listener: TcpListener,
}

impl Gate {
    fn new() -> Self {
        Gate {
            listener: TcpListener::bind("127.0.0.1:0").expect("binding the gate"),
        }
    }

    fn host(&self) -> String {
        format!(
            "127.0.0.1:{}",
            self.listener.local_addr().expect("address").port()
        )
    }

    /// Answers the guest's request (which it may have made already).
    fn open(&self) {
        let (mut stream, _) = self.listener.accept().expect("the guest's request");
        let mut buf = [0u8; 1024];
        let _ = stream.read(&mut buf);
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nopen")
            .expect("answering the guest");
    }
}

#[test]
fn execute_stream_sends_output_before_the_run_ends() {
    let gate = Gate::new();
    let server = Server::start(&["--allow-host", &gate.host()]);
    // The guest prints, then waits for the gate, which opens only once the
    // test has the print: without streaming this would never end.
    let code = format!(
        "import sys\nprint('first', flush=True)\nsys.stderr.write('warn\\n')\nsys.stderr.flush()\n\
         print(http.get('http://{}/').text)",
        gate.host()
    );
    let mut events = Events::post(&server, "/execute/stream", &json!({ "code": code }));
    assert_eq!(events.next(), Some(json!({"type": "stdout", "data": "first\n"})));
    assert_eq!(events.next(), Some(json!({"type": "stderr", "data": "warn\n"})));
    gate.open();
    let rest = events.rest();
    let (result, output) = rest.split_last().expect("a result line");
    assert_eq!(output, [json!({"type": "stdout", "data": "open\n"})]);
    assert_eq!(result["type"], "result");
    assert_eq!(result["exit_code"], 0);
    assert_eq!(result["stdout"], "first\nopen\n");
    assert_eq!(result["stderr"], "warn\n");
}

#[test]
fn execute_stream_keeps_the_output_cap_and_reports_a_stop() {
    let server = Server::start(&["--output-limit", "10"]);
    let code = "print('x' * 100, flush=True)\nwhile True: pass";
    let events = Events::post(
        &server,
        "/execute/stream",
        &json!({ "code": code, "timeout": "1s" }),
    )
    .rest();
    let (result, output) = events.split_last().expect("a result line");
    let streamed: String = output.iter().map(|e| e["data"].as_str().expect("data")).collect();
    assert_eq!(streamed, "x".repeat(10));
    assert_eq!(result["type"], "result");
    assert_eq!(result["truncated"], true);
    assert_eq!(result["error_code"], "timeout");
}

#[test]
fn session_exec_stream_streams_one_run_and_keeps_the_session() {
    let gate = Gate::new();
    let server = Server::start(&["--allow-host", &gate.host()]);
    let session = server.session(json!({}));
    let path = format!("/sessions/{session}/exec/stream");
    let code = format!(
        "x = 41\nprint('waiting', flush=True)\nhttp.get('http://{}/')",
        gate.host()
    );
    let mut events = Events::post(&server, &path, &json!({ "code": code }));
    assert_eq!(
        events.next(),
        Some(json!({"type": "stdout", "data": "waiting\n"}))
    );
    gate.open();
    let result = events.next().expect("the result");
    assert_eq!(
        (result["type"].as_str(), result["exit_code"].as_i64()),
        (Some("result"), Some(0)),
        "{result}"
    );
    assert_eq!(events.next(), None);

    let events = Events::post(&server, &path, &json!({ "code": "x + 1", "repl": true })).rest();
    assert_eq!(events[0], json!({"type": "stdout", "data": "42\n"}));
    assert_eq!(events[1]["stdout"], "42\n");

    // Refusals before any output are ordinary error answers.
    let reply = server.post("/sessions/nope/exec/stream", &json!({ "code": "1" }));
    assert_eq!((reply.status, reply.error_code()), (404, Some("unknown_session")));
    let reply = server.post("/execute/stream", &json!({ "code": "1", "lang": "cobol" }));
    assert_eq!((reply.status, reply.error_code()), (400, Some("bad_request")));
}
