//! End-to-end tests of the HTTP capability against real servers on the loopback
//! interface: what is allowed reaches them, what is refused never connects.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use goru_hostfn::http::{HttpClient, HttpConfig, HttpError, HttpRequest, HttpResponse, Method};

/// A request as the test server received it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the test server answers.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    // Written verbatim instead of a well-formed response.
    raw: Option<Vec<u8>>,
    // Keep the connection open after writing, until the client goes away.
    hold: bool,
}

impl Reply {
    fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: body.into(),
            raw: None,
            hold: false,
        }
    }

    fn redirect(status: u16, location: &str) -> Self {
        Reply::new(status, "moved").header("Location", location)
    }

    fn raw(bytes: impl Into<Vec<u8>>, hold: bool) -> Self {
        Reply {
            raw: Some(bytes.into()),
            hold,
            ..Reply::new(200, "")
        }
    }

    fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

type Handler = Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

#[derive(Default)]
struct Log {
    accepted: usize,
    probes: usize,
    requests: Vec<Seen>,
}

const PROBE: &[u8] = b"PROBE\n";

/// A tiny HTTP/1.1 server on its own thread that records what it sees.
struct Server {
    addr: SocketAddr,
    log: Arc<Mutex<Log>>,
}

impl Server {
    fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Server {
        Server::on(TcpListener::bind("127.0.0.1:0").unwrap(), Some(Arc::new(handler)))
    }

    /// A server that accepts connections and never answers.
    fn silent() -> Server {
        Server::on(TcpListener::bind("127.0.0.1:0").unwrap(), None)
    }

    fn on(listener: TcpListener, handler: Option<Handler>) -> Server {
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Log::default()));
        let accept_log = Arc::clone(&log);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                accept_log.lock().unwrap().accepted += 1;
                let (log, handler) = (Arc::clone(&accept_log), handler.clone());
                thread::spawn(move || serve(stream, &log, handler.as_deref()));
            }
        });
        Server { addr, log }
    }

    fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The allow-list entry for this server.
    fn entry(&self) -> String {
        self.addr.to_string()
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Connections made to the server so far, not counting probes.
    ///
    /// Connections are accepted in order, so once a probe made now has been
    /// seen, every earlier connection has been counted too.
    fn connections(&self) -> usize {
        let before = self.log.lock().unwrap().probes;
        let mut probe = TcpStream::connect(self.addr).unwrap();
        probe.write_all(PROBE).unwrap();
        for _ in 0..500 {
            let log = self.log.lock().unwrap();
            if log.probes > before {
                return log.accepted - log.probes;
            }
            drop(log);
            thread::sleep(Duration::from_millis(10));
        }
        panic!("the probe was never seen");
    }

    fn requests(&self) -> Vec<Seen> {
        self.log.lock().unwrap().requests.clone()
    }
}

fn serve(stream: TcpStream, log: &Mutex<Log>, handler: Option<&(dyn Fn(&Seen) -> Reply + Send + Sync)>) {
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    if line.as_bytes() == PROBE {
        log.lock().unwrap().probes += 1;
        return;
    }
    let Some(handler) = handler else {
        // Silent: read whatever comes until the client gives up.
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
        return;
    };
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim_end().is_empty() {
            break;
        }
        if let Some((n, v)) = h.trim_end().split_once(':') {
            headers.push((n.trim().to_string(), v.trim().to_string()));
        }
    }
    let mut seen = Seen {
        method,
        target,
        headers,
        body: Vec::new(),
    };
    let length = seen
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    seen.body.resize(length, 0);
    let _ = reader.read_exact(&mut seen.body);
    log.lock().unwrap().requests.push(seen.clone());

    let reply = handler(&seen);
    let bytes = match &reply.raw {
        Some(raw) => raw.clone(),
        None => {
            let mut out = format!("HTTP/1.1 {} Test\r\n", reply.status).into_bytes();
            for (n, v) in &reply.headers {
                out.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
            }
            out.extend_from_slice(
                format!(
                    "Content-Length: {}\r\nConnection: close\r\n\r\n",
                    reply.body.len()
                )
                .as_bytes(),
            );
            if seen.method != "HEAD" {
                out.extend_from_slice(&reply.body);
            }
            out
        }
    };
    let mut stream = reader.into_inner();
    let _ = stream.write_all(&bytes);
    let _ = stream.flush();
    if reply.hold {
        let _ = std::io::copy(&mut stream, &mut std::io::sink());
    }
}

/// Answers every request with its method, target and body.
fn echo(seen: &Seen) -> Reply {
    let mut body = format!("{} {}\n", seen.method, seen.target).into_bytes();
    body.extend_from_slice(&seen.body);
    Reply::new(200, body)
}

fn client(entries: &[String]) -> HttpClient {
    config(entries).build()
}

fn config(entries: &[String]) -> ConfigBuilder {
    ConfigBuilder(
        entries
            .iter()
            .fold(HttpConfig::new(), |c, e| c.allow_host(e.clone())),
    )
}

struct ConfigBuilder(HttpConfig);

impl ConfigBuilder {
    fn with(self, f: impl FnOnce(HttpConfig) -> HttpConfig) -> Self {
        ConfigBuilder(f(self.0))
    }

    fn build(self) -> HttpClient {
        HttpClient::new(self.0).unwrap()
    }
}

fn get(url: impl Into<String>) -> HttpRequest {
    HttpRequest::new(Method::Get, url)
}

fn with_body(method: Method, url: impl Into<String>, body: &[u8]) -> HttpRequest {
    HttpRequest {
        body: Some(body.to_vec()),
        ..HttpRequest::new(method, url)
    }
}

fn ok(client: &HttpClient, req: &HttpRequest) -> HttpResponse {
    client
        .request(req)
        .unwrap_or_else(|e| panic!("{} {}: {e:?}", req.method, req.url))
}

fn refused(client: &HttpClient, req: &HttpRequest) -> HttpError {
    match client.request(req) {
        Ok(resp) => panic!("{} {} was not refused: {resp:?}", req.method, req.url),
        Err(e) => e,
    }
}

#[test]
fn get_sends_headers_and_lowercases_response_headers() {
    let server = Server::start(|seen| {
        echo(seen)
            .header("X-Custom-Header", "A")
            .header("Set-Cookie", "a=1")
            .header("Set-Cookie", "b=2")
    });
    let client = client(&[server.entry()]);
    let mut req = get(server.url("/path?q=1&r=%20"));
    req.headers.push(("X-Test".into(), "yes".into()));
    req.headers.push(("Authorization".into(), "Bearer t".into()));
    let resp = ok(&client, &req);

    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, b"GET /path?q=1&r=%20\n");
    assert!(!resp.truncated);
    assert_eq!(resp.url, server.url("/path?q=1&r=%20"));
    assert_eq!(resp.header("x-custom-header"), Some("A"));
    assert!(
        resp.headers.iter().all(|(n, _)| *n == n.to_lowercase()),
        "{:?}",
        resp.headers
    );
    assert!(
        resp.headers
            .contains(&("x-custom-header".to_string(), "A".to_string()))
    );
    let cookies: Vec<_> = resp
        .headers
        .iter()
        .filter(|(n, _)| n == "set-cookie")
        .map(|(_, v)| v)
        .collect();
    assert_eq!(cookies, ["a=1", "b=2"]);

    let seen = &server.requests()[0];
    assert_eq!(seen.header("x-test"), Some("yes"));
    assert_eq!(seen.header("authorization"), Some("Bearer t"));
    assert_eq!(seen.header("host"), Some(server.entry().as_str()));
    assert_eq!(server.connections(), 1);
}

#[test]
fn methods_with_a_body_reach_the_server() {
    let server = Server::start(echo);
    let client = client(&[server.entry()]);
    for method in [Method::Post, Method::Put, Method::Patch, Method::Delete] {
        let body = format!("body of {method}");
        let resp = ok(
            &client,
            &with_body(method, server.url("/items/1"), body.as_bytes()),
        );
        assert_eq!(resp.status, 200);
        assert_eq!(resp.body, format!("{method} /items/1\n{body}").into_bytes());
    }
    let methods: Vec<_> = server.requests().into_iter().map(|s| s.method).collect();
    assert_eq!(methods, ["POST", "PUT", "PATCH", "DELETE"]);
}

#[test]
fn head_gets_headers_and_no_body() {
    let server = Server::start(|seen| echo(seen).header("X-Head", "1"));
    let resp = ok(
        &client(&[server.entry()]),
        &HttpRequest::new(Method::Head, server.url("/")),
    );
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("x-head"), Some("1"));
    assert!(resp.body.is_empty());
    assert_eq!(server.requests()[0].method, "HEAD");
}

#[test]
fn error_statuses_are_responses() {
    let server = Server::start(|seen| match seen.target.as_str() {
        "/missing" => Reply::new(404, "no such thing").header("X-Why", "gone"),
        _ => Reply::new(500, "broken"),
    });
    let client = client(&[server.entry()]);
    let resp = ok(&client, &get(server.url("/missing")));
    assert_eq!((resp.status, resp.body.as_slice()), (404, &b"no such thing"[..]));
    assert_eq!(resp.header("x-why"), Some("gone"));
    let resp = ok(&client, &get(server.url("/other")));
    assert_eq!((resp.status, resp.body.as_slice()), (500, &b"broken"[..]));
}

#[test]
fn response_bodies_are_cut_at_the_limit() {
    let server = Server::start(|seen| match seen.target.as_str() {
        "/huge" => Reply::new(200, vec![b'y'; 4 << 20]),
        _ => Reply::new(200, vec![b'x'; 100]),
    });
    let at = |limit: usize| {
        config(&[server.entry()])
            .with(|c| c.max_body_bytes(limit))
            .build()
    };

    let resp = ok(&at(10), &get(server.url("/")));
    assert_eq!((resp.body, resp.truncated), (vec![b'x'; 10], true));
    let resp = ok(&at(99), &get(server.url("/")));
    assert_eq!((resp.body.len(), resp.truncated), (99, true));
    let resp = ok(&at(100), &get(server.url("/")));
    assert_eq!((resp.body.len(), resp.truncated), (100, false));
    let resp = ok(&at(0), &get(server.url("/")));
    assert_eq!((resp.body.len(), resp.truncated), (0, true));
    let resp = ok(&at(16), &get(server.url("/huge")));
    assert_eq!((resp.body, resp.truncated), (vec![b'y'; 16], true));
}

#[test]
fn request_bodies_over_the_limit_are_refused() {
    let server = Server::start(echo);
    let client = config(&[server.entry()]).with(|c| c.max_body_bytes(4)).build();
    let err = refused(&client, &with_body(Method::Post, server.url("/"), b"12345"));
    assert_eq!(err, HttpError::BodyTooLarge { size: 5, limit: 4 });
    assert_eq!(err.kind(), "limit");
    assert_eq!(server.connections(), 0);
    // At the limit is fine (the echoed response is then cut to the same limit).
    let resp = ok(&client, &with_body(Method::Post, server.url("/"), b"1234"));
    assert!(resp.truncated);
    assert_eq!(server.requests()[0].body, b"1234");
}

#[test]
fn long_urls_are_refused_before_anything_else() {
    let server = Server::start(echo);
    let client = config(&[server.entry()]).with(|c| c.max_url_length(40)).build();
    let long = server.url(&format!("/{}", "a".repeat(40)));
    assert_eq!(refused(&client, &get(long)), HttpError::UrlTooLong { limit: 40 });
    // Even a URL that would fail for other reasons fails on its length.
    let bad = format!("ftp://{}/{}", "x".repeat(40), "\\");
    assert_eq!(refused(&client, &get(bad)).kind(), "limit");
    assert_eq!(server.connections(), 0);
    assert_eq!(ok(&client, &get(server.url("/short"))).status, 200);
}

#[test]
fn only_http_and_https_are_allowed() {
    let server = Server::start(echo);
    let client = client(&[server.entry()]);
    let port = server.port();
    for url in [
        format!("ftp://127.0.0.1:{port}/"),
        format!("gopher://127.0.0.1:{port}/"),
        format!("ws://127.0.0.1:{port}/"),
        "file:///etc/passwd".to_string(),
        "data:text/plain,hi".to_string(),
    ] {
        let err = refused(&client, &get(url.clone()));
        assert!(
            matches!(err, HttpError::SchemeNotAllowed { .. }),
            "{url}: {err:?}"
        );
        assert_eq!(err.kind(), "not_allowed");
    }
    assert_eq!(server.connections(), 0);
}

#[test]
fn hosts_not_on_the_list_are_refused_without_connecting() {
    let server = Server::start(echo);
    let port = server.port();
    let client = client(&[format!("allowed.example:{port}")]);
    let cases = [
        (
            format!("http://127.0.0.1:{port}/?x=allowed.example"),
            "not_allowed",
        ),
        (
            format!("http://127.0.0.1:{port}/allowed.example:{port}"),
            "not_allowed",
        ),
        (
            format!("http://evil.example:{port}/?x=allowed.example:{port}"),
            "not_allowed",
        ),
        (
            format!("http://allowed.example.127.0.0.1.nip.io:{port}/"),
            "not_allowed",
        ),
        (
            format!("http://allowed.example.evil.example:{port}/"),
            "not_allowed",
        ),
        (format!("http://evilallowed.example:{port}/"), "not_allowed"),
        (
            format!("http://127.0.0.1:{port}#@allowed.example:{port}/"),
            "not_allowed",
        ),
        (
            format!("http://127.0.0.1:{port}?@allowed.example:{port}/"),
            "not_allowed",
        ),
        (
            format!("http://allowed.example:{port}@127.0.0.1:{port}/"),
            "not_allowed",
        ),
        (format!("http://allowed.example@127.0.0.1:{port}/"), "not_allowed"),
        (format!("http://user:pass@allowed.example:{port}/"), "not_allowed"),
        (
            format!("http://127.0.0.1:{port}\\@allowed.example:{port}/"),
            "invalid_url",
        ),
        (
            format!("http://127.0.0.1:{port}\\\\@allowed.example:{port}/"),
            "invalid_url",
        ),
        (format!("http:127.0.0.1:{port}/"), "invalid_url"),
        (format!("http:\\\\127.0.0.1:{port}/"), "invalid_url"),
        (format!("http://127.0.0.1:{port}\t/"), "invalid_url"),
        (format!("//127.0.0.1:{port}/"), "invalid_url"),
    ];
    for (url, kind) in &cases {
        let err = refused(&client, &get(url.clone()));
        assert_eq!(err.kind(), *kind, "{url}: {err:?}");
    }
    let credentials = refused(&client, &get(format!("http://allowed.example@127.0.0.1:{port}/")));
    assert_eq!(credentials, HttpError::CredentialsInUrl);
    let host = refused(
        &client,
        &get(format!("http://127.0.0.1:{port}#@allowed.example:{port}/")),
    );
    assert_eq!(
        host,
        HttpError::HostNotAllowed {
            host: "127.0.0.1".into(),
            port
        }
    );
    assert_eq!(server.connections(), 0);
}

#[test]
fn ports_must_match_the_entry() {
    let server = Server::start(echo);
    let port = server.port();
    let url = server.url("/");
    // No port in the entry: only 80 for http.
    let err = refused(&client(&["127.0.0.1".into()]), &get(url.clone()));
    assert_eq!(
        err,
        HttpError::HostNotAllowed {
            host: "127.0.0.1".into(),
            port
        }
    );
    let other = if port == 65535 { 1 } else { port + 1 };
    let err = refused(&client(&[format!("127.0.0.1:{other}")]), &get(url.clone()));
    assert_eq!(err.kind(), "not_allowed");
    assert_eq!(server.connections(), 0);
    assert_eq!(ok(&client(&[format!("127.0.0.1:{port}")]), &get(url)).status, 200);
}

#[test]
fn ipv4_addresses_in_unusual_forms_are_refused() {
    let server = Server::start(echo);
    let port = server.port();
    let client = client(&[server.entry()]);
    for host in [
        "2130706433",
        "0x7f000001",
        "0x7f.0.0.1",
        "0177.0.0.1",
        "127.1",
        "127.0.1",
        "127.0.0.1.",
        "%31%32%37.0.0.1",
    ] {
        let url = format!("http://{host}:{port}/");
        let err = refused(&client, &get(url.clone()));
        assert!(matches!(err, HttpError::InvalidUrl { .. }), "{url}: {err:?}");
        assert_eq!(err.kind(), "invalid_url");
    }
    assert_eq!(server.connections(), 0);
    assert_eq!(ok(&client, &get(format!("http://127.0.0.1:{port}/"))).status, 200);
}

#[test]
fn localhost_is_refused_because_it_resolves_to_loopback() {
    let server = Server::start(echo);
    let port = server.port();
    let client = client(&[format!("localhost:{port}")]);
    let err = refused(&client, &get(format!("http://localhost:{port}/")));
    assert_eq!(
        err,
        HttpError::AddressRefused {
            host: "localhost".into()
        }
    );
    assert_eq!(err.kind(), "not_allowed");
    // Nor does a name on the list allow the address it resolves to.
    let err = refused(&client, &get(format!("http://127.0.0.1:{port}/")));
    assert_eq!(err.kind(), "not_allowed");
    assert_eq!(server.connections(), 0);
}

#[test]
fn the_ipv6_loopback_needs_its_own_entry() {
    let Ok(listener) = TcpListener::bind("[::1]:0") else {
        // No IPv6 here: the refusal does not need a server to be checked.
        let err = refused(&client(&["127.0.0.1:8080".into()]), &get("http://[::1]:8080/"));
        assert_eq!(err.kind(), "not_allowed");
        return;
    };
    let server = Server::on(listener, Some(Arc::new(echo)));
    let port = server.port();
    let v4_only = client(&[format!("127.0.0.1:{port}"), format!("localhost:{port}")]);
    for url in [
        format!("http://[::1]:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
    ] {
        let err = refused(&v4_only, &get(url.clone()));
        assert!(matches!(err, HttpError::HostNotAllowed { .. }), "{url}: {err:?}");
    }
    assert_eq!(server.connections(), 0);
    let v6 = client(&[format!("[::1]:{port}")]);
    let resp = ok(&v6, &get(format!("http://[::1]:{port}/six")));
    assert_eq!(resp.body, b"GET /six\n");
}

#[test]
fn redirects_within_the_allowed_host_are_followed() {
    let server = Server::start(|seen| match seen.target.as_str() {
        "/start" => Reply::redirect(302, "/middle?x=1"),
        "/middle?x=1" => Reply::redirect(301, "end"),
        _ => echo(seen),
    });
    let resp = ok(&client(&[server.entry()]), &get(server.url("/start")));
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, b"GET /end\n");
    assert_eq!(resp.url, server.url("/end"));
    let targets: Vec<_> = server.requests().into_iter().map(|s| s.target).collect();
    assert_eq!(targets, ["/start", "/middle?x=1", "/end"]);
}

#[test]
fn redirects_to_hosts_not_on_the_list_are_refused() {
    let b = Server::start(echo);
    let b_url = b.url("/stolen");
    let a = Server::start(move |_| Reply::redirect(302, &b_url));
    let err = refused(&client(&[a.entry()]), &get(a.url("/")));
    assert_eq!(
        err,
        HttpError::HostNotAllowed {
            host: "127.0.0.1".into(),
            port: b.port()
        }
    );
    assert_eq!(a.requests().len(), 1);
    assert_eq!(b.connections(), 0);
}

#[test]
fn redirects_to_internal_names_and_odd_forms_are_refused() {
    let b = Server::start(echo);
    let b_port = b.port();
    let a = Server::start(move |seen| match seen.target.as_str() {
        "/localhost" => Reply::redirect(302, &format!("http://localhost:{b_port}/")),
        "/decimal" => Reply::redirect(302, &format!("http://2130706433:{b_port}/")),
        "/backslash" => Reply::redirect(302, &format!("/\\127.0.0.1:{b_port}/")),
        _ => Reply::redirect(302, &format!("ftp://127.0.0.1:{b_port}/")),
    });
    let client = client(&[a.entry(), format!("localhost:{b_port}")]);
    let err = refused(&client, &get(a.url("/localhost")));
    assert_eq!(
        err,
        HttpError::AddressRefused {
            host: "localhost".into()
        }
    );
    assert_eq!(refused(&client, &get(a.url("/decimal"))).kind(), "invalid_url");
    assert_eq!(refused(&client, &get(a.url("/backslash"))).kind(), "invalid_url");
    assert_eq!(refused(&client, &get(a.url("/ftp"))).kind(), "not_allowed");
    assert_eq!(b.connections(), 0);
}

#[test]
fn redirect_loops_stop_at_the_limit() {
    let server = Server::start(|_| Reply::redirect(307, "/again"));
    let client = config(&[server.entry()]).with(|c| c.max_redirects(3)).build();
    let err = refused(&client, &get(server.url("/")));
    assert_eq!(
        err,
        HttpError::Redirect {
            reason: "too many redirects"
        }
    );
    assert_eq!(err.kind(), "redirect");
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn with_no_redirects_allowed_the_3xx_is_the_response() {
    let server = Server::start(|_| Reply::redirect(302, "/elsewhere"));
    let client = config(&[server.entry()]).with(|c| c.max_redirects(0)).build();
    let resp = ok(&client, &get(server.url("/")));
    assert_eq!(resp.status, 302);
    assert_eq!(resp.header("location"), Some("/elsewhere"));
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn redirects_change_the_method_as_browsers_do() {
    let server = Server::start(|seen| match seen.target.strip_prefix("/r") {
        Some(code) => Reply::redirect(code.parse().unwrap(), "/landing"),
        None => echo(seen),
    });
    let client = client(&[server.entry()]);
    let cases = [
        (Method::Post, 303, "GET", false),
        (Method::Put, 303, "GET", false),
        (Method::Head, 303, "HEAD", false),
        (Method::Post, 301, "GET", false),
        (Method::Post, 302, "GET", false),
        (Method::Put, 302, "PUT", true),
        (Method::Delete, 301, "DELETE", true),
        (Method::Post, 307, "POST", true),
        (Method::Patch, 308, "PATCH", true),
    ];
    for (method, code, expected, keeps_body) in cases {
        let mut req = with_body(method, server.url(&format!("/r{code}")), b"payload");
        req.headers.push(("Content-Type".into(), "text/plain".into()));
        ok(&client, &req);
        let landing = server.requests().pop().unwrap();
        assert_eq!(landing.target, "/landing");
        assert_eq!(landing.method, expected, "{method} after {code}");
        if keeps_body {
            assert_eq!(landing.body, b"payload", "{method} after {code}");
            assert_eq!(landing.header("content-type"), Some("text/plain"));
        } else {
            assert!(landing.body.is_empty(), "{method} after {code}");
            assert_eq!(landing.header("content-type"), None, "{method} after {code}");
        }
    }
}

#[test]
fn credentials_do_not_follow_a_redirect_to_another_origin() {
    let b = Server::start(echo);
    let b_url = b.url("/landing");
    let a = Server::start(move |seen| match seen.target.as_str() {
        "/away" => Reply::redirect(302, &b_url),
        "/stay" => Reply::redirect(302, "/landing"),
        _ => echo(seen),
    });
    let client = client(&[a.entry(), b.entry()]);
    let request = |url: String| {
        let mut req = get(url);
        req.headers.push(("Authorization".into(), "Bearer secret".into()));
        req.headers.push(("Cookie".into(), "session=1".into()));
        req.headers.push(("X-Other".into(), "kept".into()));
        req
    };

    ok(&client, &request(a.url("/away")));
    let landed = &b.requests()[0];
    assert_eq!(landed.target, "/landing");
    assert_eq!(landed.header("authorization"), None);
    assert_eq!(landed.header("cookie"), None);
    assert_eq!(landed.header("x-other"), Some("kept"));

    ok(&client, &request(a.url("/stay")));
    let landed = a.requests().pop().unwrap();
    assert_eq!(landed.target, "/landing");
    assert_eq!(landed.header("authorization"), Some("Bearer secret"));
    assert_eq!(landed.header("cookie"), Some("session=1"));
}

const PROXY_CHILD: &str = "GORU_HTTP_TEST_PROXY_CHILD";
const PROXY_VARS: [&str; 6] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
];

// Environment variables are process-wide (and changing them while other
// threads run is unsound), so the client runs in a child test process that
// starts with the proxy variables set.
#[test]
fn proxies_from_the_environment_are_ignored() {
    let proxy = Server::start(|_| Reply::new(200, "from the proxy"));
    let mut child = Command::new(std::env::current_exe().unwrap());
    child.args([
        "--exact",
        "proxy_env_child",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    for var in PROXY_VARS {
        child.env(var, proxy.url(""));
    }
    child
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env(PROXY_CHILD, "1");
    let out = child.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("test proxy_env_child ... ok"),
        "child did not run\n{stdout}"
    );
    assert_eq!(proxy.connections(), 0);
}

#[test]
#[ignore = "runs in the child process of proxies_from_the_environment_are_ignored"]
fn proxy_env_child() {
    if std::env::var_os(PROXY_CHILD).is_none() {
        return;
    }
    for var in PROXY_VARS {
        assert!(std::env::var_os(var).is_some(), "{var} not set");
    }
    let target = Server::start(|_| Reply::new(200, "direct"));
    let resp = ok(&client(&[target.entry()]), &get(target.url("/")));
    assert_eq!(resp.body, b"direct");
    assert_eq!(target.connections(), 1);
}

#[test]
fn a_server_that_never_answers_times_out() {
    let server = Server::silent();
    let client = config(&[server.entry()])
        .with(|c| c.timeout(Duration::from_millis(300)))
        .build();
    let err = refused(&client, &get(server.url("/")));
    assert_eq!(err, HttpError::Timeout);
    assert_eq!(err.kind(), "timeout");
}

#[test]
fn a_body_that_stalls_times_out() {
    let server =
        Server::start(|_| Reply::raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..", true));
    let client = config(&[server.entry()])
        .with(|c| c.timeout(Duration::from_millis(300)))
        .build();
    assert_eq!(refused(&client, &get(server.url("/"))), HttpError::Timeout);
}

#[test]
fn headers_that_subvert_the_request_are_refused() {
    let server = Server::start(echo);
    let client = client(&[server.entry()]);
    let with_header = |name: &str, value: &str| {
        let mut req = get(server.url("/"));
        req.headers.push((name.into(), value.into()));
        req
    };
    for name in [
        "Host",
        "transfer-encoding",
        "Content-Length",
        "Connection",
        "Proxy-Authorization",
        "Proxy-Foo",
    ] {
        let err = refused(&client, &with_header(name, "x"));
        assert_eq!(err, HttpError::ForbiddenHeader { name: name.into() });
        assert_eq!(err.kind(), "invalid_header");
    }
    for (name, value) in [
        ("X-A", "1\r\nHost: evil"),
        ("X-A", "1\nX-B: 2"),
        ("X-A\r\nHost", "evil"),
        ("X A", "1"),
    ] {
        let err = refused(&client, &with_header(name, value));
        assert!(
            matches!(err, HttpError::InvalidHeader { .. }),
            "{name:?}: {err:?}"
        );
        assert_eq!(err.kind(), "invalid_header");
    }
    assert_eq!(server.connections(), 0);
}

#[test]
fn bad_allow_list_entries_fail_the_client() {
    for entry in [
        "",
        "http://example.com",
        "example.com/path",
        "example.com:0",
        "[::1",
        "127.1",
        "user@host",
    ] {
        let err = HttpClient::new(HttpConfig::new().allow_host(entry)).unwrap_err();
        assert_eq!(
            err,
            HttpError::InvalidAllowEntry {
                entry: entry.into(),
                reason: reason_of(&err)
            }
        );
        assert_eq!(err.kind(), "config");
    }
}

fn reason_of(err: &HttpError) -> &'static str {
    match err {
        HttpError::InvalidAllowEntry { reason, .. } => reason,
        other => panic!("not an entry error: {other:?}"),
    }
}

#[test]
fn unreachable_and_broken_servers_are_connection_errors() {
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let err = refused(
        &client(&[format!("127.0.0.1:{port}")]),
        &get(format!("http://127.0.0.1:{port}/")),
    );
    assert_eq!(err.kind(), "connection", "{err:?}");

    let garbage = Server::start(|_| Reply::raw("this is not HTTP\r\n\r\n", false));
    let err = refused(&client(&[garbage.entry()]), &get(garbage.url("/")));
    assert!(matches!(err, HttpError::Connection { .. }), "{err:?}");
    assert_eq!(garbage.requests().len(), 1);
}

#[test]
fn one_client_serves_several_threads() {
    let server = Server::start(echo);
    let client = client(&[server.entry()]);
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let (client, url) = (client.clone(), server.url(&format!("/t{i}")));
            thread::spawn(move || client.request(&get(url)).map(|r| r.body))
        })
        .collect();
    for (i, handle) in handles.into_iter().enumerate() {
        assert_eq!(
            handle.join().unwrap().unwrap(),
            format!("GET /t{i}\n").into_bytes()
        );
    }
    assert_eq!(server.connections(), 4);
}
