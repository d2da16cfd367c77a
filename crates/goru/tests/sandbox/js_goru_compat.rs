//! goru's (Go) JavaScript test cases, ported: what code written for goru
//! expects of the guest API (`_goru_call`, kv, mutators returning "ok",
//! flushAsync, HTTPResponse).

use std::sync::Arc;
use std::time::Duration;

use goru::hostfn::Capabilities;
use goru::{Error, JavaScript, Registry};
use serde_json::{Value, json};

use crate::common::{executor, js, opts, run_ok};

#[test]
fn basic_execution_and_computation() {
    assert_eq!(js("console.log(\"hello\")").trim(), "hello");
    assert_eq!(
        js("const sum = [1,2,3,4,5].reduce((a,b) => a + b, 0);\nconsole.log(sum);").trim(),
        "15"
    );
}

#[test]
fn a_busy_loop_times_out() {
    let err = executor()
        .run_blocking(
            &JavaScript,
            "while(true){}",
            opts().timeout(Duration::from_secs(2)),
        )
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
}

#[test]
fn a_custom_host_function_is_called_with_goru_call() {
    let mut registry = Registry::new();
    registry.register("greet", |args: Value| {
        Ok(json!(format!("Hello, {}!", args["name"].as_str().unwrap_or("?"))))
    });
    let out = run_ok(
        &JavaScript,
        "const greeting = _goru_call(\"greet\", {name: \"World\"});\nconsole.log(greeting);",
        opts().host_functions(Arc::new(registry)),
    );
    assert_eq!(out.trim(), "Hello, World!");
}

#[test]
fn kv_basics_and_mutators_return_ok() {
    let kv = || opts().host_functions(Capabilities::new().kv().open().unwrap());
    assert_eq!(
        run_ok(&JavaScript, "kv.set(\"js_key\", {value: 42});\nconst result = kv.get(\"js_key\");\nconsole.log(result.value);", kv()).trim(),
        "42"
    );
    assert_eq!(
        run_ok(
            &JavaScript,
            "console.log(kv.set('a', 1), kv.delete('a'), kv.get('a', 'dflt'));\n\
             kv.asyncSet('b', 2).then(r => console.log(r)).then(() => kv.asyncDelete('b')).then(r => console.log(r));",
            kv()
        ),
        "ok ok dflt\nok\nok\n"
    );
}

#[test]
fn fs_mutators_return_ok() {
    let dir = tempfile::tempdir().unwrap();
    let grant = Capabilities::new()
        .mount(goru::hostfn::fs::Mount::new(
            "/data",
            dir.path(),
            goru::hostfn::fs::MountMode::ReadWriteCreate,
        ))
        .open()
        .unwrap();
    let out = run_ok(
        &JavaScript,
        "console.log(fs.mkdir('/data/d'), fs.writeText('/data/d/a.txt', 'x'), fs.writeJson('/data/b.json', {a: 1}), fs.remove('/data/d/a.txt'))",
        opts().host_functions(grant),
    );
    assert_eq!(out, "ok ok ok ok\n");
}

#[test]
fn flush_async_sends_the_queued_calls_at_once() {
    let out = run_ok(
        &JavaScript,
        "const p = Promise.all([kv.asyncSet('a', 1), kv.asyncSet('b', 2)]);\n\
         console.log('before', kv.get('a'));\n\
         flushAsync();\n\
         console.log('after', kv.get('a'), kv.get('b'));\n\
         p.then(rs => console.log(JSON.stringify(rs)));",
        opts().host_functions(Capabilities::new().kv().open().unwrap()),
    );
    assert_eq!(out, "before null\nafter 1 2\n[\"ok\",\"ok\"]\n");
}

#[test]
fn http_response_is_goru_s_class() {
    let out = js(
        "const r = new HTTPResponse({status: 404, headers: [['content-type', 'a'], ['set-cookie', 'x'], ['set-cookie', 'y']], body: '{\"k\": 1}', url: 'u'});\n\
                  console.log(r.statusCode, r.ok, r.text, r.json().k, r.headers.get('Content-Type'), r.headers['SET-COOKIE'], JSON.stringify(r.headers))",
    );
    assert_eq!(
        out,
        "404 false {\"k\": 1} 1 a x, y {\"content-type\":\"a\",\"set-cookie\":\"x, y\"}\n"
    );
}
