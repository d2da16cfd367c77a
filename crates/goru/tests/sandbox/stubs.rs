//! goru.pyi and goru.d.ts declare exactly the guest API the shims install.

use std::collections::BTreeSet;

use crate::common::{js, py};

/// Names the guest reports, as `scope.name` lines (`.name` for globals).
fn names(out: &str) -> BTreeSet<String> {
    out.lines().map(str::to_string).collect()
}

/// Declared names: `def name(` / `function name(` / `name(` members and
/// `name:` attributes, grouped under their class or object by indentation.
fn declared(stub: &str, scopes: &[(&str, &str)]) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    // `None` inside a type that is not part of the API (typed dicts, options).
    let mut scope = Some(String::new());
    for line in stub.lines().filter(|line| !line.trim().is_empty()) {
        let indented = line.starts_with("  ");
        let text = line.trim();
        if !indented {
            scope = match scopes.iter().find(|(opener, _)| text.starts_with(opener)) {
                Some((_, name)) => Some((*name).to_string()),
                None if text.contains('{') || text.ends_with(':') => None,
                None => Some(String::new()),
            };
        }
        let is_class = text.trim_start_matches("declare ").starts_with("class ");
        let text = text
            .trim_start_matches("declare ")
            .trim_start_matches("readonly ")
            .trim_start_matches("async ")
            .trim_start_matches("def ")
            .trim_start_matches("function ")
            .trim_start_matches("const ")
            .trim_start_matches("class ");
        let name: String = text
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let rest = &text[name.len()..];
        // `name(`, `name<`, `name:`, or a module-level alias `name = other`.
        let alias = !indented && rest.starts_with(" = ");
        if name.is_empty() || !(is_class || alias || rest.starts_with(['(', '<', ':'])) {
            continue;
        }
        if name.starts_with('_') && name != "_goru_call" {
            continue;
        }
        let in_scope = match (&scope, indented) {
            (_, false) => "",
            (Some(scope), true) => scope.as_str(),
            (None, true) => continue,
        };
        found.insert(format!("{in_scope}.{name}"));
    }
    found
}

#[test]
fn goru_pyi_matches_the_python_api() {
    let out = py("import goru\n\
        for n in goru.__all__ + ['Response', 'Headers']:\n    print('.' + n)\n\
        for scope, obj in (('kv', goru.kv), ('http', goru.http), ('fs', goru.fs), ('Response', goru.Response)):\n\
        \x20   for n in dir(obj):\n\
        \x20       if not n.startswith('_'):\n            print(scope + '.' + n)");
    let mut api = names(&out);
    // Response's attributes are set per instance; they are in the stub as `name:`.
    for attr in ["status_code", "headers", "text", "url", "truncated", "ok"] {
        api.insert(format!("Response.{attr}"));
    }
    api.insert("HostError.kind".into());
    let stub = declared(
        goru::python::GORU_PYI,
        &[
            ("class _Kv", "kv"),
            ("class _Http", "http"),
            ("class _Fs", "fs"),
            ("class Response", "Response"),
            ("class HostError", "HostError"),
        ],
    );
    let stub: BTreeSet<String> = stub
        .into_iter()
        // Module-level type aliases and typed-dict fields of the stub are not API names.
        .filter(|n| {
            ![".JSON", ".DirEntry", ".Stat", ".Installed"].contains(&n.as_str()) && !n.contains("__init__")
        })
        .collect();
    let declared_only: Vec<_> = stub.difference(&api).collect();
    let missing: Vec<_> = api.difference(&stub).collect();
    assert!(missing.is_empty(), "in goru.py but not in goru.pyi: {missing:?}");
    assert!(
        declared_only.is_empty(),
        "in goru.pyi but not in goru.py: {declared_only:?}"
    );
}

#[test]
fn goru_d_ts_matches_the_javascript_api() {
    let out = js(
        "const g = ['HostError', 'HTTPResponse', 'call', '_goru_call', 'asyncCall', 'runAsync', 'flushAsync', 'time_now',\n\
        'kv', 'http', 'fs', 'kv_get', 'kv_set', 'kv_delete', 'http_get', 'fs_read', 'fs_write', 'fs_list', 'fs_exists',\n\
        'fs_stat', 'fs_mkdir', 'fs_remove', 'console', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval',\n\
        'setImmediate', 'clearImmediate', 'queueMicrotask', 'structuredClone', 'TextEncoder', 'TextDecoder', 'atob', 'btoa'];\n\
        for (const n of Object.getOwnPropertyNames(globalThis)) if (g.includes(n)) console.log('.' + n);\n\
        for (const [scope, obj] of [['kv', kv], ['http', http], ['fs', fs], ['console', console]]) for (const n of Object.keys(obj)) console.log(scope + '.' + n);\n\
        const r = new HTTPResponse({ status: 200, headers: [], body: '', url: '' });\n\
        for (const n of Object.keys(r).concat(Object.getOwnPropertyNames(HTTPResponse.prototype))) if (n !== 'constructor') console.log('HTTPResponse.' + n);",
    );
    let mut api = names(&out);
    assert_eq!(
        api.iter().filter(|n| n.starts_with('.')).count(),
        35,
        "every global is installed: {api:?}"
    );
    api.insert("HostError.kind".into());
    let stub = declared(
        goru::js::GORU_D_TS,
        &[
            ("declare const kv", "kv"),
            ("declare const http", "http"),
            ("declare const fs", "fs"),
            ("declare class HTTPResponse", "HTTPResponse"),
            ("interface GoruConsole", "console"),
            ("declare class HostError", "HostError"),
        ],
    );
    let stub: BTreeSet<String> = stub
        .into_iter()
        .filter(|n| n != "HostError.constructor")
        .collect();
    let declared_only: Vec<_> = stub.difference(&api).collect();
    let missing: Vec<_> = api.difference(&stub).collect();
    assert!(missing.is_empty(), "in goru.js but not in goru.d.ts: {missing:?}");
    assert!(
        declared_only.is_empty(),
        "in goru.d.ts but not in goru.js: {declared_only:?}"
    );
}
