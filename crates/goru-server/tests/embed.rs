//! An embedder's view: goru's router mounted into an application with a
//! route of its own, served in-process on loopback and called over real HTTP;
//! the session registry used on its own.

use std::path::Path;
use std::time::Duration;

use axum::routing::get;
use goru::{Executor, RunOptions};
use goru_server::Server;
use serde_json::{Value, json};

/// One answer: its status and JSON (or text) body.
fn call(method: &str, url: &str, body: Option<&Value>, token: Option<&str>) -> (u16, String) {
    let mut request = ureq::request(method, url).timeout(Duration::from_secs(60));
    if let Some(token) = token {
        request = request.set("Authorization", &format!("Bearer {token}"));
    }
    let answer = match body {
        Some(body) => request.send_string(&body.to_string()),
        None => request.call(),
    };
    let response = match answer {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(error) => panic!("{method} {url}: {error}"),
    };
    (response.status(), response.into_string().expect("a text body"))
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn the_router_mounts_next_to_routes_of_the_embedder() {
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("goru-module-cache");
    let executor = Executor::builder().cache_dir(cache).build().expect("an executor");
    let server = Server::builder(executor)
        .run_options(RunOptions::new().memory_bytes(128 << 20))
        .timeout(Duration::from_secs(20))
        .token("s3cret")
        .build()
        .expect("a server");

    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a free port");
    let base = format!("http://{}", listener.local_addr().expect("its address"));
    let app = axum::Router::new()
        .route("/embedder/version", get(|| async { "embedder 1.0" }))
        .nest("/goru", server.router());
    runtime.spawn(async move { axum::serve(listener, app).await });

    // The embedder's own route, untouched by goru's token.
    assert_eq!(
        call("GET", &format!("{base}/embedder/version"), None, None),
        (200, "embedder 1.0".to_owned())
    );

    // goru's routes under the prefix, with the token.
    let (status, body) = call("GET", &format!("{base}/goru/health"), None, None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["max_timeout_ms"], 20_000);

    let program = json!({"code": "import sys\nprint(6 * 7)\nsys.exit(3)"});
    let (status, body) = call("POST", &format!("{base}/goru/execute"), Some(&program), None);
    assert_eq!(status, 401, "{body}");
    assert_eq!(json(&body)["error"]["code"], "unauthorized");

    let (status, body) = call(
        "POST",
        &format!("{base}/goru/execute"),
        Some(&program),
        Some("s3cret"),
    );
    assert_eq!(status, 200, "{body}");
    let result = json(&body);
    assert_eq!(result["stdout"], "42\n", "{result}");
    assert_eq!(result["exit_code"], 3, "{result}");

    // A session lives across requests; a stopped run keeps its wire code.
    let (status, body) = call(
        "POST",
        &format!("{base}/goru/sessions"),
        Some(&json!({"timeout": "5s"})),
        Some("s3cret"),
    );
    assert_eq!(status, 201, "{body}");
    let id = json(&body)["session_id"].as_str().expect("an id").to_owned();
    let exec = format!("{base}/goru/sessions/{id}/exec");
    let run = |code: &str| call("POST", &exec, Some(&json!({"code": code})), Some("s3cret"));
    assert_eq!(run("x = 20").0, 200);
    assert_eq!(json(&run("print(x + 1)").1)["stdout"], "21\n");
    // The session's 5 s, shorter than the server's 20 s, is the server's
    // to enforce; it is reported as the timeout it is.
    let (status, body) = run("while True: pass");
    assert_eq!(
        (
            status,
            json(&body)["error_code"].clone(),
            json(&body)["error"].clone()
        ),
        (200, json!("timeout"), json!("timed out after 5s"))
    );
    let (status, body) = run("print(x)");
    assert_eq!(
        (status, json(&body)["error"]["code"].clone()),
        (410, json!("session_ended"))
    );

    // Unknown routes get goru's JSON answer only under its prefix.
    assert_eq!(call("GET", &format!("{base}/elsewhere"), None, None).0, 404);
    runtime.shutdown_timeout(Duration::from_secs(1));
}

/// The registry `goru serve` and `goru mcp` keep their sessions in, with
/// real JavaScript sessions: the cap (a slot counts while its session
/// starts), one checkout at a time, a cancelled call ending its session,
/// the node prefix, reaping after the TTL and closing everything.
#[test]
fn the_session_registry_bounds_and_reaps_real_sessions() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Instant;

    use goru::JavaScript;
    use goru_server::sessions::{SessionError, Sessions};

    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("goru-module-cache");
    let executor = Executor::builder().cache_dir(cache).build().expect("an executor");
    let start = || {
        executor
            .session_blocking(&JavaScript, RunOptions::new())
            .expect("a session")
    };
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let ttl = Duration::from_secs(60);
    let sessions = Sessions::<u32>::new(2, ttl, Some("node-7"));

    let first = sessions.reserve().expect("a slot");
    let second = sessions.reserve().expect("a second slot");
    assert_eq!(sessions.reserve().err(), Some(SessionError::TooMany(2)));
    drop(second); // never filled: its slot is given back
    let a = first.fill(start(), 1).expect("an id");
    assert!(a.starts_with("node-7.") && a.len() == "node-7.".len() + 32, "{a}");
    let b = sessions
        .reserve()
        .expect("the slot given back")
        .fill(start(), 2)
        .expect("an id");
    assert_ne!(a, b);
    assert_eq!(sessions.len(), 2);

    let checkout = sessions.checkout(&a, || false).expect("session a");
    assert_eq!(checkout.about, 1);
    let result = runtime
        .block_on(checkout.session.run("let n = 6 * 7; console.log(n)"))
        .expect("a run");
    assert_eq!(result.stdout_lossy(), "42\n");
    assert_eq!(sessions.checkout(&a, || false).err(), Some(SessionError::Busy));
    drop(checkout);
    let again = sessions.checkout(&a, || false).expect("free again");
    let result = runtime
        .block_on(again.session.run("console.log(n + 1)"))
        .expect("a run");
    assert_eq!(result.stdout_lossy(), "43\n", "state kept between checkouts");
    drop(again);

    // A call cancelled while it holds the session has ended it.
    let cancelled = Arc::new(AtomicBool::new(false));
    let flag = cancelled.clone();
    let held = sessions
        .checkout(&b, move || flag.load(Ordering::SeqCst))
        .expect("session b");
    cancelled.store(true, Ordering::SeqCst);
    assert_eq!(
        sessions.checkout(&b, || false).err(),
        Some(SessionError::Cancelled)
    );
    assert!(!held.session.is_open(), "the registry closed it");
    drop(held);
    assert_eq!(sessions.checkout(&b, || false).err(), Some(SessionError::Unknown));
    assert_eq!(sessions.len(), 1);

    // Idle past the TTL: reaped; in use: kept.
    assert!(sessions.reap(Instant::now()).is_empty());
    assert_eq!(sessions.reap(Instant::now() + ttl * 2), [a.as_str()]);
    assert!(sessions.is_empty());
    assert!(!sessions.close(&a), "already gone");

    let c = sessions
        .reserve()
        .expect("a slot")
        .fill(start(), 3)
        .expect("an id");
    let kept = sessions.checkout(&c, || false).expect("session c");
    assert!(
        sessions.reap(Instant::now() + ttl * 2).is_empty(),
        "a running session is not idle"
    );
    assert_eq!(sessions.close_all(), 1);
    assert!(!kept.session.is_open());
}
