//! Sessions: state across runs, the cap, closing, ending, the idle TTL.

use super::*;

async fn create(client: &mut Client, language: &str) -> Value {
    client.call("session_create", json!({"language": language})).await
}

fn id(created: &Value) -> String {
    created["structuredContent"]["session_id"]
        .as_str()
        .expect("a session id")
        .to_owned()
}

#[tokio::test]
async fn state_persists_and_values_are_printed() {
    let server = server();
    let mut client = Client::connect(&server).await;
    let python = id(&create(&mut client, "python").await);
    let js = id(&create(&mut client, "js").await);
    assert_ne!(python, js);

    client
        .call(
            "session_run",
            json!({"session_id": python, "code": "x = 41\nimport math"}),
        )
        .await;
    let result = client
        .call("session_run", json!({"session_id": python, "code": "x + 1"}))
        .await;
    assert_eq!(result["structuredContent"]["stdout"], "42\n", "{result}");
    let result = client
        .call(
            "session_run",
            json!({"session_id": python, "code": "math.floor(_ / 4)"}),
        )
        .await;
    assert_eq!(result["structuredContent"]["stdout"], "10\n", "{result}");

    client
        .call("session_run", json!({"session_id": js, "code": "let n = 20"}))
        .await;
    let result = client
        .call("session_run", json!({"session_id": js, "code": "n * 2 + 2"}))
        .await;
    assert_eq!(result["structuredContent"]["stdout"], "42\n", "{result}");

    // An exception leaves the session usable.
    let result = client
        .call("session_run", json!({"session_id": python, "code": "1 / 0"}))
        .await;
    assert!(is_error(&result), "{result}");
    let result = client
        .call("session_run", json!({"session_id": python, "code": "x"}))
        .await;
    assert_eq!(result["structuredContent"]["stdout"], "41\n", "{result}");

    assert_eq!(server.open_sessions(), 2);
    let closed = client.call("session_close", json!({"session_id": python})).await;
    assert!(!is_error(&closed), "{closed}");
    let result = client
        .call("session_run", json!({"session_id": python, "code": "x"}))
        .await;
    assert!(
        is_error(&result) && text(&result).contains("session_create"),
        "{result}"
    );
    let again = client.call("session_close", json!({"session_id": python})).await;
    assert!(is_error(&again), "{again}");
    client.close().await;
    assert_eq!(server.open_sessions(), 0, "a client's end closes the sessions");
}

#[tokio::test]
async fn the_cap_holds_and_a_stopped_run_ends_its_session() {
    let server = server();
    let mut client = Client::connect(&server).await;
    let first = id(&create(&mut client, "python").await);
    create(&mut client, "js").await;
    create(&mut client, "python").await;
    let refused = create(&mut client, "python").await;
    assert!(
        is_error(&refused) && text(&refused).contains("3 sessions"),
        "{refused}"
    );

    // A run stopped at its limit ends the session and frees its slot (this
    // guest swallows Python's soft TimeoutError, so the hard stop is needed).
    let spin =
        "while True:\n    try:\n        n = 0\n        while True: n += 1\n    except BaseException: pass";
    let result = client
        .call("session_run", json!({"session_id": first, "code": spin}))
        .await;
    assert!(is_error(&result), "{result}");
    assert_eq!(
        result["structuredContent"]["error"]["kind"], "timeout",
        "{result}"
    );
    assert!(text(&result).contains("has ended"), "{result}");
    let result = client
        .call("session_run", json!({"session_id": first, "code": "1"}))
        .await;
    assert!(is_error(&result), "{result}");
    let fourth = create(&mut client, "python").await;
    assert!(!is_error(&fourth), "{fourth}");
    client.close().await;
}

#[tokio::test]
async fn idle_sessions_are_closed() {
    let server = McpServer::builder(executor())
        .session_ttl(Duration::from_millis(200))
        .build();
    let mut client = Client::connect(&server).await;
    let session = id(&create(&mut client, "python").await);
    assert_eq!(server.open_sessions(), 1);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while server.open_sessions() > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the idle session was never closed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let result = client
        .call("session_run", json!({"session_id": session, "code": "1"}))
        .await;
    assert!(is_error(&result), "{result}");
    client.close().await;
}
