//! goru-mcp over its stdio transport, in process: raw JSON-RPC lines in, the
//! server's lines out. Protocol errors, every tool, sessions, hostile calls.
//! (The official Python client drives the `goru mcp` binary in goru-cli's
//! tests.)
//!
//! All tests share one module cache under the target directory, so CPython
//! is compiled once.

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use goru::{Capabilities, Executor, Limits};
use goru_mcp::McpServer;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines};

mod hostile;
mod packages;
mod protocol;
mod sessions;
mod tools;

/// Bounds no healthy answer comes near; only there so a broken server
/// fails the test instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(120);

fn executor() -> Executor {
    static EXECUTOR: OnceLock<Executor> = OnceLock::new();
    EXECUTOR
        .get_or_init(|| {
            let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("goru-mcp-module-cache");
            let executor = Executor::builder().cache_dir(cache).build().expect("executor");
            executor.prepare(&goru::Python).expect("compiling Python");
            executor.prepare(&goru::JavaScript).expect("compiling JavaScript");
            executor
        })
        .clone()
}

/// A server with a 5 s timeout, 64 MiB, 4 KiB of output, a key-value store
/// and room for 3 sessions.
fn server() -> McpServer {
    McpServer::builder(executor())
        .limits(
            Limits::default()
                .timeout(Duration::from_secs(5))
                .memory_bytes(64 << 20)
                .output_bytes(4096),
        )
        .capabilities(Capabilities::new().kv())
        .max_sessions(3)
        .build()
}

/// A client talking raw lines to a server over in-memory pipes.
struct Client {
    to_server: DuplexStream,
    from_server: Lines<BufReader<DuplexStream>>,
    next_id: u64,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Client {
    /// Connects to `server` (not yet initialized).
    fn raw(server: &McpServer) -> Client {
        let (to_server, server_in) = tokio::io::duplex(1 << 20);
        let (server_out, from_server) = tokio::io::duplex(1 << 20);
        let server = server.clone();
        let served = tokio::spawn(async move { server.serve_io(server_in, server_out).await });
        Client {
            to_server,
            from_server: BufReader::new(from_server).lines(),
            next_id: 0,
            served,
        }
    }

    /// Connects and goes through the initialize handshake.
    async fn connect(server: &McpServer) -> Client {
        let mut client = Client::raw(server);
        let init = client
            .request(
                "initialize",
                json!({
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "goru-mcp-tests", "version": "0"}
                }),
            )
            .await;
        assert_eq!(init["result"]["serverInfo"]["name"], "goru", "{init}");
        client
            .send_line(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string())
            .await;
        client
    }

    async fn send_line(&mut self, line: &str) {
        self.to_server.write_all(line.as_bytes()).await.expect("writing");
        self.to_server.write_all(b"\n").await.expect("writing");
    }

    /// The next line the server wrote, as JSON.
    async fn read(&mut self) -> Value {
        let line = tokio::time::timeout(PATIENCE, self.from_server.next_line())
            .await
            .expect("the server answers in time")
            .expect("reading")
            .expect("the server is still there");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    }

    /// The answer to the request with `id`, skipping notifications; they
    /// are kept in `notes`.
    async fn answer(&mut self, id: &Value, notes: &mut Vec<Value>) -> Value {
        loop {
            let message = self.read().await;
            if message.get("id") == Some(id) && message.get("method").is_none() {
                return message;
            }
            notes.push(message);
        }
    }

    /// Sends a request, returns its answer (result or error).
    async fn request(&mut self, method: &str, params: Value) -> Value {
        self.request_noting(method, params, &mut Vec::new()).await
    }

    async fn request_noting(&mut self, method: &str, params: Value, notes: &mut Vec<Value>) -> Value {
        self.next_id += 1;
        let id = json!(self.next_id);
        let request = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.send_line(&request.to_string()).await;
        self.answer(&id, notes).await
    }

    /// Calls a tool; its result (panics on a JSON-RPC error).
    async fn call(&mut self, tool: &str, arguments: Value) -> Value {
        let answer = self
            .request("tools/call", json!({"name": tool, "arguments": arguments}))
            .await;
        assert!(answer.get("error").is_none(), "{tool}: {answer}");
        answer["result"].clone()
    }

    /// Closes the client's side; the server's `serve_io` ends.
    async fn close(self) {
        drop(self.to_server);
        let served = tokio::time::timeout(PATIENCE, self.served)
            .await
            .expect("the server ends with its input")
            .expect("the server task");
        served.expect("serve_io");
    }
}

/// The text of a tool result.
fn text(result: &Value) -> String {
    result["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["text"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_error(result: &Value) -> bool {
    result["isError"] == json!(true)
}
