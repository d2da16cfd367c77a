//! Hostile tool calls: none takes the server down, and each is answered.

use super::*;

#[tokio::test]
async fn hostile_calls_are_answered_and_the_server_goes_on() {
    let server = server();
    let mut client = Client::connect(&server).await;

    // A memory bomb: the interpreter's MemoryError or the host's stop.
    let result = client
        .call(
            "run_python",
            json!({"code": "x = bytearray(1 << 30)\nprint('allocated')"}),
        )
        .await;
    assert!(is_error(&result), "{result}");
    assert!(!text(&result).contains("allocated"), "{result}");
    let result = client
        .call(
            "run_javascript",
            json!({"code": "const a = []; for (;;) a.push(new Array(1e6).fill(1));"}),
        )
        .await;
    assert!(is_error(&result), "{result}");

    // Huge output is cut at the limit, and said to be.
    let result = client
        .call(
            "run_python",
            json!({"code": "import sys\nfor _ in range(100000): sys.stdout.write('y' * 1000)"}),
        )
        .await;
    assert_eq!(
        result["structuredContent"]["truncated"], true,
        "{}",
        result["structuredContent"]["truncated"]
    );
    assert_eq!(
        result["structuredContent"]["stdout"].as_str().map(str::len),
        Some(4096)
    );
    assert!(text(&result).contains("truncated at the output limit"));

    // Output that looks like protocol messages stays inside the result.
    let fake = r#"{"jsonrpc":"2.0","id":1,"result":{}}"#;
    let result = client
        .call("run_python", json!({"code": format!("print('\\n{fake}\\n')")}))
        .await;
    assert!(
        result["structuredContent"]["stdout"]
            .as_str()
            .unwrap_or_default()
            .contains(fake)
    );

    // Deep recursion, a busy loop, a stack overflow in JS.
    let result = client
        .call("run_python", json!({"code": "def f(): f()\nf()"}))
        .await;
    assert_eq!(
        result["structuredContent"]["exception"]["kind"], "RecursionError",
        "{result}"
    );
    let result = client
        .call("run_javascript", json!({"code": "function f() { f() } f()"}))
        .await;
    assert!(is_error(&result), "{result}");

    let pong = client.request("ping", json!({})).await;
    assert_eq!(pong["result"], json!({}));
    client.close().await;
}

#[tokio::test]
async fn concurrent_calls_on_one_connection() {
    let server = server();
    let mut client = Client::connect(&server).await;
    // Two busy loops and a quick run at once: the quick one is not held up
    // behind them, and all three are answered.
    for (id, code) in [
        ("a", "while True: pass"),
        ("b", "while True: pass"),
        ("c", "print('quick')"),
    ] {
        let request = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "run_python", "arguments": {"code": code, "timeout": 2}}});
        client.send_line(&request.to_string()).await;
    }
    let mut answers = std::collections::HashMap::new();
    while answers.len() < 3 {
        let message = client.read().await;
        if let Some(id) = message["id"].as_str() {
            answers.insert(id.to_owned(), message["result"].clone());
        }
    }
    assert_eq!(answers["c"]["structuredContent"]["stdout"], "quick\n");
    for id in ["a", "b"] {
        assert_eq!(
            answers[id]["structuredContent"]["error"]["kind"], "timeout",
            "{id}"
        );
    }
    client.close().await;
}
