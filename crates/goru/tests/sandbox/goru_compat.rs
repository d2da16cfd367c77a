//! Code written for goru (Go) runs unchanged: its guest API test cases
//! (executor/executor_test.go, hostfunc/fs_test.go, hostfunc/kv.go's
//! replies), ported, plus the names and behaviours those tests rely on.

use goru::hostfn::fs::{Mount, MountMode};
use goru::{Capabilities, Python};

use crate::capabilities::{EchoServer, granted};
use crate::common::{opts, py, run_ok};

/// goru's TestFilesystemDenied: with nothing mounted, a read raises an
/// error that `except RuntimeError` catches.
#[test]
fn a_denied_host_call_is_a_runtime_error() {
    let out = py(
        "try:\n    fs.read_text('/etc/passwd')\n    print('FAIL: should have failed')\n\
         except RuntimeError as e:\n    print(f'OK: {e.kind}', isinstance(e, HostError), isinstance(e, PermissionError))",
    );
    assert_eq!(out, "OK: not_granted True True\n");
}

/// goru's TestFSExists: a path outside every mount does not exist.
#[test]
fn fs_exists_is_false_outside_every_mount() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("exists.txt"), "").unwrap();
    let grant = Capabilities::new().mount(Mount::new("/data", dir.path(), MountMode::ReadOnly));
    let out = run_ok(
        &Python,
        "print(fs.exists('/data/exists.txt'), fs.exists('/data/nope.txt'), fs.exists('/etc/passwd'), fs_exists('/'))",
        granted(&grant),
    );
    assert_eq!(out, "True False False False\n");
}

/// goru's TestPythonTimeNow, and its `time_now()`.
#[test]
fn time_now_and_time_time_are_host_time() {
    let out = py("import time\n\
         for now in (time.time(), time_now()):\n\
         \x20   print('OK' if 1577836800 < now < 4102444800 else f'FAIL: {now}')\n\
         import goru\nprint(goru.time_now() <= time.time())");
    assert_eq!(out, "OK\nOK\nTrue\n");
}

/// goru's mutators reply "ok" (hostfunc/kv.go, hostfunc/fs.go).
#[test]
fn mutators_return_ok() {
    // The calls of one run_async batch run concurrently: the async remove
    // takes a file written before the batch, never one written in it.
    let dir = tempfile::tempdir().unwrap();
    let grant = Capabilities::new()
        .kv()
        .mount(Mount::new("/out", dir.path(), MountMode::ReadWriteCreate));
    let out = run_ok(
        &Python,
        "print(kv.set('a', 1), kv.delete('a'), kv_set('b', 2), kv_delete('b'))\n\
         print(fs.mkdir('/out/d'), fs.write_text('/out/d/f.txt', 'x'), fs.write_json('/out/j.json', [1]))\n\
         print(fs.remove('/out/d/f.txt'), fs_write('/out/g.txt', 'y'), fs_mkdir('/out/e'), fs_remove('/out/e'))\n\
         print(run_async(kv.async_set('c', 3), fs.async_write_text('/out/h.txt', 'z'), fs.async_remove('/out/g.txt')))",
        granted(&grant),
    );
    assert_eq!(out, "ok ok ok ok\nok ok ok\nok ok ok ok\n['ok', 'ok', 'ok']\n");
}

/// goru hands Go's canonical header names (`Content-Type`) to the guest;
/// ours are lower-case, and lookups ignore case either way.
#[test]
fn response_headers_are_case_insensitive() {
    let server = EchoServer::start();
    let grant = Capabilities::new().allow_host(format!("127.0.0.1:{}", server.port));
    let out = run_ok(
        &Python,
        &format!(
            "r = http.get('http://127.0.0.1:{}/')\n\
             h = r.headers\n\
             print(h['Content-Type'], h['content-type'], h.get('X-ECHO'), 'X-Echo' in h, h.get('Nope', '-'))\n\
             print(sorted(k for k in h if k.startswith('x-')), isinstance(h, dict))",
            server.port
        ),
        granted(&grant),
    );
    assert_eq!(out, "text/plain text/plain yes True -\n['x-echo'] True\n");
}

/// goru's session globals include `HTTPResponse`, the response class.
#[test]
fn http_response_is_the_response_class() {
    let server = EchoServer::start();
    let grant = Capabilities::new().allow_host(format!("127.0.0.1:{}", server.port));
    let code = format!(
        "import goru\n\
         r = http.get('http://127.0.0.1:{}/')\n\
         print(isinstance(r, HTTPResponse), goru.HTTPResponse is goru.Response, isinstance(1, HTTPResponse))\n\
         made = HTTPResponse({{'status': 201, 'headers': {{'A': 'b'}}, 'body': '{{}}'}})\n\
         print(made.status_code, made.ok, made.headers['a'], made.json())",
        server.port
    );
    let out = run_ok(&Python, &code, granted(&grant));
    assert_eq!(out, "True True False\n201 True b {}\n");
    let session = crate::common::executor()
        .session_blocking(&Python, opts().host_functions(grant.open().unwrap()))
        .unwrap();
    let result = session.run_blocking("print(HTTPResponse.__name__)").unwrap();
    assert_eq!(result.stdout_lossy(), "Response\n");
}
