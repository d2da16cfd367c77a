//! Protocol errors: every malformed or wrong message gets a JSON-RPC error
//! and the server goes on answering.

use super::*;

#[tokio::test]
async fn malformed_messages_get_json_rpc_errors() {
    let server = server();
    let mut client = Client::connect(&server).await;

    client.send_line("{this is not json").await;
    let answer = client.read().await;
    assert_eq!(answer["error"]["code"], -32700, "{answer}");
    assert_eq!(answer["id"], Value::Null, "{answer}");

    client.send_line("\u{1}\u{2} binary junk \u{7f}").await;
    assert_eq!(client.read().await["error"]["code"], -32700);

    // JSON, but no JSON-RPC message: answered with the id it had.
    client
        .send_line(r#"{"jsonrpc": "2.0", "id": 41, "method": 7}"#)
        .await;
    let answer = client.read().await;
    assert_eq!(
        (answer["error"]["code"].clone(), answer["id"].clone()),
        (json!(-32600), json!(41)),
        "{answer}"
    );
    client.send_line("[1, 2, 3]").await;
    assert_eq!(client.read().await["error"]["code"], -32600);
    client.send_line(r#""just a string""#).await;
    assert_eq!(client.read().await["error"]["code"], -32600);

    // Blank lines are nothing at all; the next request is answered.
    client.send_line("   ").await;
    let pong = client.request("ping", json!({})).await;
    assert_eq!(pong["result"], json!({}), "{pong}");
    client.close().await;
}

#[tokio::test]
async fn unknown_methods_tools_and_bad_arguments_are_errors() {
    let server = server();
    let mut client = Client::connect(&server).await;

    let answer = client.request("tools/frobnicate", json!({})).await;
    assert_eq!(answer["error"]["code"], -32601, "{answer}");

    let answer = client
        .request("tools/call", json!({"name": "rm_rf", "arguments": {}}))
        .await;
    assert_eq!(answer["error"]["code"], -32602, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("rm_rf"),
        "{answer}"
    );

    // install_package exists only when installing is allowed.
    let answer = client
        .request(
            "tools/call",
            json!({"name": "install_package", "arguments": {"name": "six"}}),
        )
        .await;
    assert_eq!(answer["error"]["code"], -32602, "{answer}");

    for arguments in [
        json!({}),
        json!({"code": 42}),
        json!({"code": "print(1)", "timeout": "soon"}),
        json!({"code": "print(1)", "timeout": -1}),
        json!({"code": "print(1)", "timeout": 0}),
        json!({"code": "print(1)", "extra": true}),
    ] {
        let answer = client
            .request(
                "tools/call",
                json!({"name": "run_python", "arguments": arguments}),
            )
            .await;
        assert_eq!(answer["error"]["code"], -32602, "{arguments}: {answer}");
    }
    let answer = client
        .request(
            "tools/call",
            json!({"name": "session_create", "arguments": {"language": "cobol"}}),
        )
        .await;
    assert_eq!(answer["error"]["code"], -32602, "{answer}");
    // params that are no tools/call at all
    let answer = client.request("tools/call", json!({"nom": 1})).await;
    assert!(answer["error"]["code"].is_i64(), "{answer}");

    let result = client
        .call("run_python", json!({"code": "print('still here')"}))
        .await;
    assert_eq!(text(&result), "--- stdout ---\nstill here\nexit status 0");
    client.close().await;
}

#[tokio::test]
async fn an_over_long_message_is_dropped_with_an_error() {
    let server = server();
    let mut client = Client::connect(&server).await;
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{{"name":"run_python","arguments":{{"code":"{}"}}}}}}"#,
        "x".repeat(goru_mcp::MAX_LINE_BYTES + 10)
    );
    client.send_line(&huge).await;
    let answer = client.read().await;
    assert_eq!(answer["error"]["code"], -32600, "{}", answer["error"]);
    let pong = client.request("ping", json!({})).await;
    assert_eq!(pong["result"], json!({}));
    client.close().await;
}

#[tokio::test]
async fn tools_list_describes_what_is_granted() {
    let server = server();
    let mut client = Client::connect(&server).await;
    let answer = client.request("tools/list", json!({})).await;
    let tools = answer["result"]["tools"].as_array().expect("tools").clone();
    let names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "run_python",
            "run_javascript",
            "session_create",
            "session_run",
            "session_close"
        ]
    );
    for tool in &tools {
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
        assert!(
            tool["description"].as_str().is_some_and(|d| d.len() > 60),
            "{tool}"
        );
    }
    let python = tools[0]["description"].as_str().expect("description");
    for needle in ["key-value store", "5 s per run", "memory 64 MiB", "output 4 KiB"] {
        assert!(python.contains(needle), "{needle}: {python}");
    }
    assert_eq!(tools[0]["inputSchema"]["required"], json!(["code"]));
    client.close().await;
}
