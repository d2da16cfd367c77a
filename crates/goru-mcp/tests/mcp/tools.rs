//! Each tool as an agent calls it.

use super::*;

#[tokio::test]
async fn run_python_and_javascript() {
    let server = server();
    let mut client = Client::connect(&server).await;

    let result = client.call("run_python", json!({"code": "print(6 * 7)"})).await;
    assert!(!is_error(&result), "{result}");
    assert_eq!(text(&result), "--- stdout ---\n42\nexit status 0");
    assert_eq!(result["structuredContent"]["stdout"], "42\n");
    assert_eq!(result["structuredContent"]["exit_code"], 0);

    let result = client
        .call(
            "run_javascript",
            json!({"code": "console.log([1, 2, 3].map(x => x * 2).join(','))"}),
        )
        .await;
    assert_eq!(result["structuredContent"]["stdout"], "2,4,6\n", "{result}");

    let result = client
        .call(
            "run_python",
            json!({"code": "import sys; print(sys.stdin.read().upper())", "stdin": "shout\n"}),
        )
        .await;
    assert_eq!(result["structuredContent"]["stdout"], "SHOUT\n\n", "{result}");

    // The key-value store is granted, fresh for every run.
    let result = client
        .call(
            "run_python",
            json!({"code": "print(kv.get('k')); kv.set('k', 1); print(kv.get('k'))"}),
        )
        .await;
    assert_eq!(result["structuredContent"]["stdout"], "None\n1\n", "{result}");
    let result = client
        .call("run_python", json!({"code": "print(kv.get('k'))"}))
        .await;
    assert_eq!(result["structuredContent"]["stdout"], "None\n", "{result}");
    client.close().await;
}

#[tokio::test]
async fn failures_are_error_results_with_their_output() {
    let server = server();
    let mut client = Client::connect(&server).await;

    let result = client
        .call(
            "run_python",
            json!({"code": "print('first')\nraise KeyError('missing')"}),
        )
        .await;
    assert!(is_error(&result), "{result}");
    let exception = &result["structuredContent"]["exception"];
    assert_eq!(exception["kind"], "KeyError", "{result}");
    assert!(
        exception["traceback"]
            .as_str()
            .unwrap_or_default()
            .contains("Traceback"),
        "{result}"
    );
    assert!(
        text(&result).contains("first") && text(&result).contains("uncaught exception KeyError"),
        "{result}"
    );

    let result = client
        .call("run_javascript", json!({"code": "throw new TypeError('bad js')"}))
        .await;
    assert!(is_error(&result), "{result}");
    assert_eq!(
        result["structuredContent"]["exception"]["kind"], "TypeError",
        "{result}"
    );

    let result = client
        .call("run_python", json!({"code": "import sys; sys.exit(3)"}))
        .await;
    assert!(is_error(&result), "a non-zero exit: {result}");
    assert_eq!(result["structuredContent"]["exit_code"], 3);

    let result = client
        .call(
            "run_python",
            json!({"code": "print('before', flush=True)\nwhile True: pass", "timeout": 0.5}),
        )
        .await;
    assert!(is_error(&result), "{result}");
    assert_eq!(
        result["structuredContent"]["error"]["kind"], "timeout",
        "{result}"
    );
    assert_eq!(result["structuredContent"]["stdout"], "before\n", "{result}");
    assert!(
        text(&result).contains("stopped: timed out after 500ms"),
        "{result}"
    );

    // A timeout above the server's is cut down to it.
    let result = client
        .call("run_javascript", json!({"code": "for (;;) {}", "timeout": 3600}))
        .await;
    assert_eq!(
        result["structuredContent"]["error"]["kind"], "timeout",
        "{result}"
    );
    assert!(text(&result).contains("timed out after 5s"), "{result}");

    let result = client
        .call("run_python", json!({"code": "print('a\u{0}b')"}))
        .await;
    assert!(
        is_error(&result) && text(&result).contains("null"),
        "code with NUL: {result}"
    );
    client.close().await;
}

#[tokio::test]
async fn logging_and_progress_when_asked() {
    let server = McpServer::builder(executor())
        .progress_every(Duration::from_millis(100))
        .build();
    let mut client = Client::connect(&server).await;
    let level = client.request("logging/setLevel", json!({"level": "info"})).await;
    assert_eq!(level["result"], json!({}), "{level}");

    let mut notes = Vec::new();
    let answer = client
        .request_noting(
            "tools/call",
            json!({
                "name": "run_python",
                "arguments": {"code": "import time\ntime.sleep(1)\nprint('done')"},
                "_meta": {"progressToken": "tok-1"}
            }),
            &mut notes,
        )
        .await;
    assert_eq!(
        answer["result"]["structuredContent"]["stdout"], "done\n",
        "{answer}"
    );
    let progress: Vec<&Value> = notes
        .iter()
        .filter(|n| n["method"] == "notifications/progress")
        .collect();
    assert!(!progress.is_empty(), "no progress: {notes:?}");
    assert!(
        progress.iter().all(|p| p["params"]["progressToken"] == "tok-1"),
        "{progress:?}"
    );
    assert_eq!(
        progress[0]["params"]["total"], 30.0,
        "the run's limit: {progress:?}"
    );
    let logs: Vec<&Value> = notes
        .iter()
        .filter(|n| n["method"] == "notifications/message")
        .collect();
    assert_eq!(logs.len(), 1, "{notes:?}");
    assert_eq!(logs[0]["params"]["level"], "info");
    assert_eq!(logs[0]["params"]["data"]["tool"], "run_python");
    assert!(
        !logs[0]["params"].to_string().contains("sleep"),
        "never the code: {logs:?}"
    );

    // Above the level: nothing; no progress token: no progress.
    client
        .request("logging/setLevel", json!({"level": "error"}))
        .await;
    let mut notes = Vec::new();
    client
        .request_noting(
            "tools/call",
            json!({"name": "run_python", "arguments": {"code": "import time; time.sleep(0.5)"}}),
            &mut notes,
        )
        .await;
    assert!(notes.is_empty(), "{notes:?}");
    client.close().await;
}

#[tokio::test]
async fn cancelled_notification_stops_the_run() {
    let server = server();
    let mut client = Client::connect(&server).await;
    let created = client.call("session_create", json!({"language": "python"})).await;
    let id = created["structuredContent"]["session_id"]
        .as_str()
        .expect("id")
        .to_owned();
    client
        .call("session_run", json!({"session_id": id, "code": "x = 1"}))
        .await;

    let request = json!({"jsonrpc": "2.0", "id": "spin", "method": "tools/call",
        "params": {"name": "session_run", "arguments": {"session_id": id, "code": "while True: pass"}}});
    client.send_line(&request.to_string()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let cancel = json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": {"requestId": "spin", "reason": "the user gave up"}});
    client.send_line(&cancel.to_string()).await;

    // The session's interpreter was stopped: its state is gone. (Had the
    // loop gone on, this would answer `busy` until the 5 s timeout.)
    let mut notes = Vec::new();
    let answer = client
        .request_noting(
            "tools/call",
            json!({"name": "session_run", "arguments": {"session_id": id, "code": "x"}}),
            &mut notes,
        )
        .await;
    let result = &answer["result"];
    assert!(is_error(result), "{answer}");
    assert!(text(result).contains("cancelled"), "{answer}");
    assert!(
        notes.iter().all(|n| n.get("id") != Some(&json!("spin"))),
        "a cancelled request gets no answer: {notes:?}"
    );
    client.close().await;
}
