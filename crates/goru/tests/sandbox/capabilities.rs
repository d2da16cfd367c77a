//! The capabilities through the real shims: kv, http, fs and time, granted
//! per run and never leaking into another run.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use goru::hostfn::Capabilities;
use goru::hostfn::fs::{Mount, MountMode};
use goru::{JavaScript, Python, RunOptions};

use crate::common::{opts, run_ok};

pub fn granted(capabilities: &Capabilities) -> RunOptions {
    opts().host_functions(capabilities.open().expect("opening the capabilities"))
}

#[test]
fn python_kv_round_trips_json_values() {
    let out = run_ok(
        &Python,
        "kv.set('user', {'name': 'Alice', 'tags': [1, 2.5, None, True]})\n\
         print(kv.get('user'), kv.get('missing'), kv.get('missing', 7))\n\
         print(kv_set('n', 1), kv_get('n'), kv_get('nope'), kv_delete('n'), sorted(kv.keys()))\n\
         kv.delete('user'); print(kv.keys())",
        granted(&Capabilities::new().kv()),
    );
    assert_eq!(
        out,
        "{'name': 'Alice', 'tags': [1, 2.5, None, True]} None 7\nok 1 None ok ['user']\n[]\n"
    );
}

#[test]
fn javascript_kv_round_trips_json_values_and_async_variants() {
    let out = run_ok(
        &JavaScript,
        "kv.set('user', {name: 'Alice'}); console.log(JSON.stringify(kv.get('user')), kv.get('x'), kv.get('x', 3));\n\
         console.log(kv_set('n', 1), kv_get('n'), kv_get('nope'), kv_delete('n'), JSON.stringify(kv.keys()));\n\
         kv.asyncSet('a', [1]).then(() => kv.asyncGet('a')).then(v => console.log(JSON.stringify(v)));",
        granted(&Capabilities::new().kv()),
    );
    assert_eq!(out, "{\"name\":\"Alice\"} null 3\nok 1 null ok [\"user\"]\n[1]\n");
}

#[test]
fn kv_limits_reach_the_guest_as_exceptions() {
    let grant = Capabilities::new().kv_config(goru::hostfn::kv::KvConfig::new().max_entries(1));
    let out = run_ok(
        &Python,
        "kv.set('a', 1)\ntry:\n    kv.set('b', 2)\nexcept Exception as e:\n    print(e.kind, e)\n\
         try:\n    kv.set('k' * 300, 1)\nexcept Exception as e:\n    print(e.kind, e)",
        granted(&grant),
    );
    assert_eq!(
        out,
        "limit kv: the store is full (1 entries)\nlimit kv: key of 300 bytes is over the 256-byte limit\n"
    );
}

#[test]
fn a_grant_never_leaks_into_the_next_run() {
    let with_kv = Capabilities::new().kv();
    assert_eq!(
        run_ok(
            &Python,
            "kv.set('secret', 1); print(kv.get('secret'))",
            granted(&with_kv)
        ),
        "1\n"
    );
    // A fresh grant is a fresh store.
    assert_eq!(
        run_ok(&Python, "print(kv.get('secret'))", granted(&with_kv)),
        "None\n"
    );
    // Without the grant, whether other capabilities are granted or none at all.
    for options in [granted(&Capabilities::new().allow_host("example.com")), opts()] {
        let out = run_ok(
            &Python,
            "for f in (lambda: kv.get('secret'), lambda: kv_set('a', 1), lambda: fs.read_text('/data/x'),\n\
             \x20         lambda: http.get('http://not-allowed.invalid/')):\n\
             \x20   try:\n        f()\n    except PermissionError as e:\n        print(type(e).__name__, e.kind, e)",
            options,
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            "NotGrantedError not_granted the kv capability was not granted to this run"
        );
        assert_eq!(lines[1], lines[0]);
        assert_eq!(
            lines[2],
            "NotGrantedError not_granted the fs capability was not granted to this run"
        );
        assert_eq!(lines.len(), 4, "{out}");
    }
    let out = run_ok(
        &JavaScript,
        "try { kv.get('a') } catch (e) { console.log(e.kind, e.message) }\n\
         kv.asyncGet('a').catch(e => console.log(e.kind))",
        opts(),
    );
    assert_eq!(
        out,
        "not_granted the kv capability was not granted to this run\nnot_granted\n"
    );
}

/// A directory with `in.txt` and `data.json`, mounted read-only at /in, and an
/// empty one mounted read-write-create at /out.
fn mounted() -> (tempfile::TempDir, tempfile::TempDir, Capabilities) {
    let input = tempfile::tempdir().unwrap();
    std::fs::write(input.path().join("in.txt"), "héllo").unwrap();
    std::fs::write(input.path().join("data.json"), "{\"n\": [1, 2]}").unwrap();
    let output = tempfile::tempdir().unwrap();
    let grant = Capabilities::new()
        .mount(Mount::new("/in", input.path(), MountMode::ReadOnly))
        .mount(Mount::new("/out", output.path(), MountMode::ReadWriteCreate));
    (input, output, grant)
}

#[test]
fn python_reads_and_writes_mounted_directories() {
    let (input, output, grant) = mounted();
    let out = run_ok(
        &Python,
        "print(fs.read_text('/in/in.txt'), fs.read_json('/in/data.json')['n'], fs_read('/in/in.txt'))\n\
         print([(e['name'], e['is_dir'], e['size']) for e in fs.listdir('/in')])\n\
         print(fs.exists('/in/in.txt'), fs.exists('/in/nope'), fs_stat('/in/in.txt')['size'])\n\
         fs.mkdir('/out/sub'); fs.write_json('/out/sub/r.json', {'ok': True}, indent=1); fs_write('/out/t.txt', 'ü')\n\
         try:\n    fs.write_text('/in/in.txt', 'overwritten')\nexcept PermissionError as e:\n    print(e.kind)\n\
         try:\n    fs.read_text('/in/../../etc/passwd')\nexcept Exception as e:\n    print(e.kind)\n\
         print(open('/in/in.txt').read(), open('/out/t.txt').read())",
        granted(&grant),
    );
    assert_eq!(
        out,
        "héllo [1, 2] héllo\n[('data.json', False, 13), ('in.txt', False, 6)]\nTrue False 6\n\
         permission_denied\ninvalid_path\nhéllo ü\n"
    );
    assert_eq!(
        std::fs::read_to_string(input.path().join("in.txt")).unwrap(),
        "héllo"
    );
    assert_eq!(
        std::fs::read_to_string(output.path().join("sub/r.json")).unwrap(),
        "{\n \"ok\": true\n}"
    );
    assert_eq!(std::fs::read_to_string(output.path().join("t.txt")).unwrap(), "ü");
}

#[test]
fn javascript_reads_and_writes_mounted_directories() {
    let (_input, output, grant) = mounted();
    let out = run_ok(
        &JavaScript,
        "console.log(fs.readText('/in/in.txt'), fs.readJson('/in/data.json').n.length, fs.exists('/in/x'));\n\
         fs.writeJson('/out/o.json', {a: 1}); fs.mkdir('/out/d'); fs.remove('/out/d');\n\
         console.log(JSON.stringify(fs.listdir('/out').map(e => e.name)));\n\
         try { fs.remove('/in/in.txt') } catch (e) { console.log(e.kind, e.message.includes('/tmp')) }\n\
         fs.asyncReadText('/in/in.txt').then(t => console.log('async', t));",
        granted(&grant),
    );
    assert_eq!(
        out,
        "héllo 2 false\n[\"o.json\"]\npermission_denied false\nasync héllo\n"
    );
    assert_eq!(
        std::fs::read_to_string(output.path().join("o.json")).unwrap(),
        "{\"a\":1}"
    );
}

/// A loopback HTTP server answering every request with the method and body
/// it got; counts connections.
pub struct EchoServer {
    pub port: u16,
    connections: Arc<AtomicUsize>,
}

impl EchoServer {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let seen = connections.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                seen.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut request_line = String::new();
                    reader.read_line(&mut request_line).unwrap();
                    let mut length = 0;
                    loop {
                        let mut line = String::new();
                        reader.read_line(&mut line).unwrap();
                        if line.trim().is_empty() {
                            break;
                        }
                        if let Some((name, value)) = line.split_once(':')
                            && name.eq_ignore_ascii_case("content-length")
                        {
                            length = value.trim().parse().unwrap();
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    let method = request_line.split(' ').next().unwrap_or("").to_string();
                    let reply = format!("{method} {}", String::from_utf8_lossy(&body));
                    let status = if request_line.contains("/missing") {
                        "404 Not Found"
                    } else {
                        "200 OK"
                    };
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nX-Echo: yes\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                        reply.len()
                    );
                });
            }
        });
        Self { port, connections }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

#[test]
fn python_http_reaches_an_allowed_host_only() {
    let server = EchoServer::start();
    let grant = Capabilities::new().allow_host(format!("127.0.0.1:{}", server.port));
    let base = format!("http://127.0.0.1:{}", server.port);
    let code = format!(
        "r = http.get('{base}/a')\nprint(r.status_code, r.ok, r.text, r.headers['x-echo'])\n\
         r = http.post('{base}/b', json={{'k': 'é'}})\nprint(r.status_code, r.text)\n\
         print(http.put('{base}/c', body='x').text, http.patch('{base}/c', body='y').text, http.delete('{base}/c').text)\n\
         print(http.get('{base}/missing').status_code, http_get('{base}/s'))\n\
         try:\n    http.get('http://localhost:{port}/')\nexcept PermissionError as e:\n    print(e.kind)\n\
         try:\n    http.get('http://127.0.0.1:{other}/')\nexcept PermissionError as e:\n    print(e.kind)",
        port = server.port,
        other = server.port.wrapping_add(1),
    );
    let out = run_ok(&Python, &code, granted(&grant));
    assert_eq!(
        out,
        "200 True GET  yes\n200 POST {\"k\": \"\\u00e9\"}\nPUT x PATCH y DELETE \n\
         404 {'status': 200, 'body': 'GET '}\nnot_allowed\nnot_allowed\n"
    );
    assert_eq!(server.connections(), 7, "the refused requests never connected");
}

#[test]
fn javascript_http_gathers_async_requests() {
    let server = EchoServer::start();
    let grant = Capabilities::new().allow_host(format!("127.0.0.1:{}", server.port));
    let code = format!(
        "const base = 'http://127.0.0.1:{port}';\n\
         const r = http.post(base + '/x', {{json: {{a: 1}}}}); console.log(r.statusCode, r.text, r.ok);\n\
         Promise.all([http.asyncGet(base + '/1'), http.asyncDelete(base + '/2')])\n\
           .then(rs => console.log(rs.map(r => r.text).join('|')));\n\
         http.asyncGet('http://evil.example/').catch(e => console.log(e.kind));",
        port = server.port
    );
    let out = run_ok(&JavaScript, &code, granted(&grant));
    // All three async requests went out in one batch; the refusal settles first.
    assert_eq!(out, "200 POST {\"a\":1} true\nnot_allowed\nGET |DELETE \n");
    assert_eq!(server.connections(), 3);
}

#[test]
fn guest_clocks_report_host_time() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let py: f64 = run_ok(&Python, "import time; print(time.time())", opts())
        .trim()
        .parse()
        .unwrap();
    let js: f64 = run_ok(&JavaScript, "console.log(time_now())", opts())
        .trim()
        .parse()
        .unwrap();
    for guest in [py, js] {
        assert!((guest - now).abs() < 120.0, "guest clock {guest} vs host {now}");
    }
}

#[test]
fn javascript_responses_are_goru_http_responses_with_case_insensitive_headers() {
    let server = EchoServer::start();
    let grant = Capabilities::new().allow_host(format!("127.0.0.1:{}", server.port));
    let code = format!(
        "const r = http.get('http://127.0.0.1:{port}/h');\n\
         console.log(r instanceof HTTPResponse, r.statusCode, r.ok, r.headers.get('Content-Type'), r.headers.get('x-missing'));\n\
         console.log(r.headers['X-Echo'], r.headers['x-echo'], 'CONTENT-TYPE' in r.headers, Object.keys(r.headers).sort().join());\n\
         http.asyncGet('http://127.0.0.1:{port}/m').then(r => console.log(r instanceof HTTPResponse, r.text));",
        port = server.port
    );
    assert_eq!(
        run_ok(&JavaScript, &code, granted(&grant)),
        "true 200 true text/plain null\nyes yes true connection,content-length,content-type,x-echo\ntrue GET \n"
    );
}
