//! `goru mcp` driven by the official MCP Python SDK (`mcp` from the package
//! index, installed into a virtual environment made for this test process)
//! over stdio and over streamable HTTP: initialize, tools, runs, sessions, a
//! timeout, progress, cancellation, logging and protocol errors.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{OnceLock, mpsc};
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};

use super::{cache_dir, warm_cache};

/// The SDK versions the client script is written for.
const MCP_REQUIREMENT: &str = "mcp>=2.3,<3";

/// Bounds no healthy run comes near; only there so a broken server fails
/// the test instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(120);

/// The virtual environment's python with the SDK, made once per test
/// process; `None` (the tests skip, saying so) only when the package index
/// cannot be reached.
fn sdk_python() -> Option<&'static Path> {
    static VENV: OnceLock<Option<(tempfile::TempDir, PathBuf)>> = OnceLock::new();
    VENV.get_or_init(|| {
        remove_stale_venvs();
        let dir = tempfile::Builder::new()
            .prefix("goru-mcp-venv-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("temp dir for the venv");
        let python3 = std::env::var("GORU_PYTHON").unwrap_or_else(|_| "python3".into());
        let made = Command::new(&python3)
            .args(["-m", "venv"])
            .arg(dir.path())
            .output()
            .expect("running python3 -m venv");
        assert!(made.status.success(), "python3 -m venv failed: {made:?}");
        let python = dir.path().join("bin/python");
        let pip = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", MCP_REQUIREMENT])
            .output()
            .expect("running pip");
        if !pip.status.success() {
            let stderr = String::from_utf8_lossy(&pip.stderr);
            let unreachable = ["NewConnectionError", "Max retries exceeded", "Temporary failure in name resolution", "Network is unreachable", "ConnectTimeout", "ProxyError"]
                .iter()
                .any(|marker| stderr.contains(marker));
            assert!(unreachable, "pip could not install {MCP_REQUIREMENT}:\n{stderr}");
            eprintln!("SKIPPED: the package index is unreachable, so the MCP Python SDK cannot be installed:\n{stderr}");
            return None;
        }
        Some((dir, python))
    })
    .as_ref()
    .map(|(_, python)| python.as_path())
}

/// The virtual environments of earlier test processes (statics are never
/// dropped, so each process leaves its own): any over an hour old.
fn remove_stale_venvs() {
    let Ok(entries) = std::fs::read_dir(env!("CARGO_TARGET_TMPDIR")) else {
        return;
    };
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > Duration::from_secs(3600));
        if old && entry.file_name().to_string_lossy().starts_with("goru-mcp-venv-") {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn client_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/mcp/client.py")
}

/// Runs the client script with `args`; its JSON report.
fn drive(python: &Path, args: &[&str]) -> Value {
    let out = Command::new(python)
        .arg(client_script())
        .args(args)
        .env("GORU_CACHE_DIR", cache_dir())
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("running the MCP client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the client failed:\n{stdout}\n{stderr}");
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("no report ({e}):\n{stdout}\n{stderr}"))
}

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

/// What every transport must have shown the client.
fn check(report: &Value) {
    assert_eq!(report["server"], "goru", "{report}");
    assert!(report["capabilities"]["tools"].is_object(), "{report}");
    let tools = report["tools"].as_object().expect("tools");
    let mut names: Vec<&String> = tools.keys().collect();
    names.sort();
    assert_eq!(
        names,
        [
            "run_javascript",
            "run_python",
            "session_close",
            "session_create",
            "session_run"
        ],
        "install_package only when installing is allowed"
    );
    let description = tools["run_python"]["description"].as_str().expect("description");
    assert!(
        description.contains("key-value store") && description.contains("30 s per run"),
        "{description}"
    );
    assert_eq!(tools["run_python"]["inputSchema"]["required"], json!(["code"]));

    assert_eq!(
        report["python"]["structuredContent"]["stdout"], "42\n",
        "{}",
        report["python"]
    );
    assert!(!is_error(&report["python"]));
    assert_eq!(
        report["javascript"]["structuredContent"]["stdout"], "2,4,6\n",
        "{}",
        report["javascript"]
    );
    assert_eq!(
        report["stdin"]["structuredContent"]["stdout"], "hello\n",
        "{}",
        report["stdin"]
    );

    let exception = &report["exception"];
    assert!(is_error(exception), "{exception}");
    assert_eq!(
        exception["structuredContent"]["exception"]["kind"], "ValueError",
        "{exception}"
    );
    assert!(
        text(exception).contains("boom") && text(exception).contains("Traceback"),
        "{exception}"
    );

    let timeout = &report["timeout"];
    assert!(is_error(timeout), "{timeout}");
    assert_eq!(
        timeout["structuredContent"]["error"]["kind"], "timeout",
        "{timeout}"
    );
    assert_eq!(
        timeout["structuredContent"]["stdout"], "before\n",
        "output so far: {timeout}"
    );

    assert!(
        !is_error(&report["session_create"]),
        "{}",
        report["session_create"]
    );
    assert!(!is_error(&report["session_set"]), "{}", report["session_set"]);
    assert_eq!(
        report["session_get"]["structuredContent"]["stdout"], "42\n",
        "{}",
        report["session_get"]
    );
    assert!(!is_error(&report["session_close"]));
    assert!(
        is_error(&report["session_after_close"]),
        "{}",
        report["session_after_close"]
    );
    assert_eq!(
        report["js_session"]["structuredContent"]["stdout"], "42\n",
        "{}",
        report["js_session"]
    );

    assert_eq!(report["slow"]["structuredContent"]["stdout"], "slept\n");
    let progress = report["progress"].as_array().expect("progress");
    assert!(!progress.is_empty(), "no progress notifications: {report}");
    assert_eq!(progress[0]["total"], 30.0, "{progress:?}");

    assert_eq!(
        report["cancel_hit"], true,
        "the run outlived the client's patience"
    );
    let after = &report["after_cancel"];
    assert!(
        is_error(after) && text(after).contains("cancelled"),
        "the cancelled run stopped its session: {after}"
    );

    assert_eq!(report["bad_arguments"]["code"], -32602, "{report}");
    assert_eq!(report["unknown_tool"]["code"], -32602, "{report}");
    assert_eq!(report["still_alive"]["structuredContent"]["stdout"], "alive\n");

    let logs = report["logs"].as_array().expect("logs");
    assert!(
        logs.iter()
            .any(|l| l["data"]["tool"] == "run_python" && l["level"] == "info"),
        "{logs:?}"
    );
    assert!(
        logs.iter()
            .any(|l| l["data"]["ended"] == "timeout" && l["level"] == "warning"),
        "{logs:?}"
    );
}

/// What the SDK's high-level client saw on the newest protocol revision.
fn check_modern(report: &Value) {
    assert_eq!(report["protocol"], "2026-07-28", "{report}");
    assert_eq!(report["tools"].as_array().map(Vec::len), Some(5), "{report}");
    assert_eq!(
        report["python"]["structuredContent"]["stdout"], "1024\n",
        "{report}"
    );
    assert_eq!(
        report["session"]["structuredContent"]["stdout"], "10\n",
        "{report}"
    );
}

#[test]
fn python_sdk_over_stdio() {
    let Some(python) = sdk_python() else { return };
    warm_cache();
    let goru = env!("CARGO_BIN_EXE_goru");
    check(&drive(python, &["stdio", goru, "mcp", "--kv"]));
    check_modern(&drive(python, &["modern", "stdio", goru, "mcp"]));
}

/// A running `goru mcp --http`, killed when dropped.
struct HttpServer {
    child: Child,
    url: String,
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_http(flags: &[&str]) -> HttpServer {
    warm_cache();
    let mut child = Command::new(env!("CARGO_BIN_EXE_goru"))
        .args(["mcp", "--http", "127.0.0.1:0"])
        .args(flags)
        .env("GORU_CACHE_DIR", cache_dir())
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting goru mcp --http");
    let stderr = child.stderr.take().expect("stderr pipe");
    let (url_tx, url_rx) = mpsc::channel();
    // Drains stderr for the server's whole life, so logging never blocks it.
    thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Some(url) = line.strip_prefix("goru mcp listening on ") {
                let _ = url_tx.send(url.to_owned());
            }
        }
    });
    let url = url_rx
        .recv_timeout(PATIENCE)
        .expect("goru mcp printed its address");
    HttpServer { child, url }
}

#[test]
fn python_sdk_over_streamable_http() {
    let Some(python) = sdk_python() else { return };
    let server = start_http(&["--kv"]);
    check(&drive(python, &["http", &server.url]));
    check_modern(&drive(python, &["modern", "http", &server.url]));
}

#[test]
fn http_refuses_junk_and_stays_up() {
    let server = start_http(&[]);
    // The status and body of a POST to the endpoint.
    let post = |body: &str| -> (u16, String) {
        let sent = ureq::post(&server.url)
            .set("Content-Type", "application/json")
            .set("Accept", "application/json, text/event-stream")
            .send_string(body);
        match sent {
            Ok(reply) => (reply.status(), reply.into_string().unwrap_or_default()),
            Err(ureq::Error::Status(status, reply)) => (status, reply.into_string().unwrap_or_default()),
            Err(other) => panic!("{body}: {other}"),
        }
    };
    for body in [
        "{not json",
        "[1, 2]",
        r#"{"jsonrpc": "2.0", "id": 1, "method": 5}"#,
    ] {
        let (status, _) = post(body);
        assert!((400..500).contains(&status), "{body}: {status}");
    }
    // A foreign Host header (DNS rebinding) is refused.
    let rebound = ureq::post(&server.url)
        .set("Host", "evil.example")
        .set("Content-Type", "application/json")
        .send_string("{}");
    assert!(
        matches!(rebound, Err(ureq::Error::Status(403 | 400 | 421, _))),
        "{rebound:?}"
    );
    // ... and a proper initialize still works.
    let (status, body) = post(
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}"#,
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""name":"goru""#), "{body}");
}

#[test]
fn mcp_refuses_flags_it_cannot_use() {
    for args in [["mcp", "-c", "print(1)"], ["mcp", "--lang", "js"]] {
        let out = super::goru(&args);
        assert_eq!(out.status, Some(2), "{args:?}: {out:?}");
        assert_eq!(out.goru_lines().len(), 1, "{out:?}");
    }
    let out = super::goru(&["mcp", "--mount", "/data:/nonexistent/goru-dir:ro"]);
    assert_eq!(out.status, Some(2), "{out:?}");
}
