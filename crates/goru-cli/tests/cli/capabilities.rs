//! The capability flags: each grants what it says, and each limit flag is applied.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use super::{Outcome, goru};

fn ok(out: &Outcome) -> String {
    assert_eq!(out.status, Some(0), "{out:?}");
    out.stdout()
}

/// Prints `kind message` of the HostError `expr` raises.
fn py_error(expr: &str) -> String {
    format!("try:\n    {expr}\nexcept Exception as e:\n    print(e.kind, e)")
}

#[test]
fn kv_is_granted_by_the_flag_only() {
    let out = goru(&["-c", &py_error("kv.set('a', 1)")]);
    assert_eq!(
        ok(&out),
        "not_granted the kv capability was not granted to this run\n"
    );
    let out = goru(&["--kv", "-c", "kv.set('a', [1]); print(kv.get('a'), kv.keys())"]);
    assert_eq!(ok(&out), "[1] ['a']\n");
    let out = goru(&[
        "run",
        "--kv",
        "-l",
        "js",
        "-c",
        "kv.set('a', 2); console.log(kv_get('a'))",
    ]);
    assert_eq!(ok(&out), "2\n");
}

#[test]
fn kv_limit_flags_are_applied() {
    let code = [
        py_error("kv.set('a', 1); kv.set('b', 1)"),
        py_error("kv.set('k' * 9, 1)"),
        py_error("kv.set('v', 'x' * 20)"),
    ]
    .join("\n");
    let out = goru(&[
        "--kv",
        "--kv-max-entries",
        "1",
        "--kv-max-key-size",
        "8",
        "--kv-max-value-size",
        "16",
        "-c",
        &code,
    ]);
    assert_eq!(
        ok(&out),
        "limit kv: the store is full (1 entries)\n\
         limit kv: key of 9 bytes is over the 8-byte limit\n\
         limit kv: value of 22 bytes is over the 16-byte limit\n"
    );
    let out = goru(&[
        "--kv",
        "--kv-max-total-size",
        "10",
        "-c",
        &py_error("kv.set('a', 'x' * 10)"),
    ]);
    assert_eq!(ok(&out), "limit kv: the store is full (10 bytes)\n");
}

#[test]
fn mounts_honour_their_modes() {
    let ro = tempfile::tempdir().unwrap();
    let rw = tempfile::tempdir().unwrap();
    let rwc = tempfile::tempdir().unwrap();
    std::fs::write(ro.path().join("in.txt"), "input").unwrap();
    std::fs::write(rw.path().join("old.txt"), "old").unwrap();
    let mount =
        |at: &str, dir: &tempfile::TempDir, mode: &str| format!("{at}:{}:{mode}", dir.path().display());
    let code = [
        "print(fs.read_text('/ro/in.txt'), fs.listdir('/rw')[0]['name'])".to_string(),
        py_error("fs.write_text('/ro/in.txt', 'x')"),
        "fs.write_text('/rw/old.txt', 'new')".into(),
        py_error("fs.write_text('/rw/fresh.txt', 'x')"),
        py_error("fs.mkdir('/rw/d')"),
        "fs.mkdir('/rwc/d'); fs.write_text('/rwc/d/f.txt', 'made'); print('created')".into(),
        py_error("fs.read_text('/rwc/../ro/in.txt')"),
    ]
    .join("\n");
    let out = goru(&[
        "--mount",
        &mount("/ro", &ro, "ro"),
        "--mount",
        &mount("/rw", &rw, "rw"),
        "--mount",
        &mount("/rwc", &rwc, "rwc"),
        "-c",
        &code,
    ]);
    let stdout = ok(&out);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "input old.txt");
    assert!(lines[1].starts_with("permission_denied "), "{stdout}");
    assert!(lines[2].starts_with("permission_denied "), "{stdout}");
    assert!(lines[3].starts_with("permission_denied "), "{stdout}");
    assert_eq!(lines[4], "created");
    assert!(lines[5].starts_with("invalid_path "), "{stdout}");
    assert_eq!(lines.len(), 6);
    for dir in [&ro, &rw, &rwc] {
        assert!(
            !stdout.contains(dir.path().to_str().unwrap()),
            "a host path leaked: {stdout}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(ro.path().join("in.txt")).unwrap(),
        "input"
    );
    assert_eq!(std::fs::read_to_string(rw.path().join("old.txt")).unwrap(), "new");
    assert!(!rw.path().join("fresh.txt").exists());
    assert_eq!(
        std::fs::read_to_string(rwc.path().join("d/f.txt")).unwrap(),
        "made"
    );
}

#[test]
fn fs_limit_flags_are_applied() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.txt"), "0123456789").unwrap();
    let code = [
        py_error("fs.read_text('/d/big.txt')"),
        py_error("fs.write_text('/d/out.txt', 'x' * 6)"),
        py_error("fs.exists('/d/' + 'p' * 40)"),
    ]
    .join("\n");
    let spec = format!("/d:{}:rwc", dir.path().display());
    let out = goru(&[
        "--mount",
        &spec,
        "--fs-max-read",
        "5",
        "--fs-max-write",
        "5",
        "--fs-max-path-length",
        "32",
        "-c",
        &code,
    ]);
    let stdout = ok(&out);
    let kinds: Vec<&str> = stdout.lines().map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(kinds, ["limit", "limit", "invalid_path"], "{stdout}");
    assert!(!dir.path().join("out.txt").exists());
}

#[test]
fn bad_mounts_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    for spec in [
        format!("/x:{}:ro", missing.display()),
        format!("/x:{}:rx", dir.path().display()),
        format!("relative:{}:ro", dir.path().display()),
        "no-colons".to_string(),
    ] {
        let out = goru(&["--mount", &spec, "-c", "print(1)"]);
        assert_eq!(out.status, Some(2), "{spec}: {out:?}");
        assert_eq!(out.goru_lines().len(), 1, "{spec}: {out:?}");
        assert!(out.stdout.is_empty());
    }
}

/// Answers every request with `hello world` and its method; one thread per
/// connection, for as long as the test process lives.
fn http_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let mut header = String::new();
                while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                    header.clear();
                }
                if line.contains("/slow") {
                    std::thread::sleep(std::time::Duration::from_secs(5));
                }
                let body = "hello world";
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    port
}

#[test]
fn allow_host_grants_that_host_only() {
    let port = http_server();
    let url = format!("http://127.0.0.1:{port}/");
    let out = goru(&["-c", &py_error(&format!("http.get('{url}')"))]);
    assert_eq!(
        ok(&out),
        "not_granted the http capability was not granted to this run\n"
    );

    let allowed = format!("127.0.0.1:{port}");
    let code = format!(
        "print(http.get('{url}').text)\n{}\n{}",
        py_error(&format!("http.get('http://127.0.0.1:{}/')", port.wrapping_add(1))),
        py_error("http.get('http://localhost/')"),
    );
    let stdout = ok(&goru(&[
        "--allow-host",
        "example.org",
        "--allow-host",
        &allowed,
        "-c",
        &code,
    ]));
    let kinds: Vec<&str> = stdout.lines().map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(kinds, ["hello", "not_allowed", "not_allowed"], "{stdout}");

    let js = format!("console.log(http.get('{url}').text)");
    assert_eq!(
        ok(&goru(&["-l", "js", "--allow-host", &allowed, "-c", &js])),
        "hello world\n"
    );
}

#[test]
fn http_limit_flags_are_applied() {
    let port = http_server();
    let allowed = format!("127.0.0.1:{port}");
    let code = format!(
        "r = http.get('http://{allowed}/')\nprint(r.text, r.truncated)\n{}\n{}",
        py_error(&format!("http.get('http://{allowed}/' + 'a' * 50)")),
        py_error(&format!("http.get('http://{allowed}/slow')")),
    );
    let out = goru(&[
        "--allow-host",
        &allowed,
        "--http-max-body",
        "5",
        "--http-max-url-length",
        "40",
        "--http-timeout",
        "300ms",
        "-c",
        &code,
    ]);
    let stdout = ok(&out);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "hello True");
    assert!(lines[1].starts_with("limit "), "{stdout}");
    assert!(lines[2].starts_with("timeout "), "{stdout}");
}

#[test]
fn max_host_calls_is_applied() {
    let code = format!("kv.set('a', 1)\nkv.get('a')\n{}", py_error("kv.get('a')"));
    let out = goru(&["--kv", "--max-host-calls", "2", "-c", &code]);
    assert_eq!(ok(&out), "limit this run has used up its host calls\n");
}

#[test]
fn packages_flag_mounts_a_read_only_import_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("greeting.py"), "TEXT = 'hello from /packages'\n").unwrap();
    let packages = dir.path().to_str().unwrap();
    let out = goru(&[
        "--packages",
        packages,
        "-c",
        "import greeting; print(greeting.TEXT)",
    ]);
    assert_eq!(ok(&out), "hello from /packages\n");
    let out = goru(&[
        "--packages",
        packages,
        "-c",
        "try:\n    open('/packages/new.py', 'w')\nexcept PermissionError:\n    print('refused')",
    ]);
    assert_eq!(ok(&out), "refused\n");
    assert!(!dir.path().join("new.py").exists());
    // Without the flag the module is not there.
    let out = goru(&["-c", "import greeting"]);
    assert_eq!(out.status, Some(1), "{out:?}");
    assert!(out.stderr.contains("ModuleNotFoundError"), "{out:?}");
}

#[test]
fn package_install_flags_need_a_packages_directory_and_python() {
    let out = goru(&["--package-install", "-c", "1"]);
    assert_eq!(out.status, Some(2), "{out:?}");
    assert!(out.stderr.contains("--packages <DIR>"), "{out:?}");
    let out = goru(&["--allow-package", "six", "-c", "1"]);
    assert_eq!(out.status, Some(2), "{out:?}");
    let dir = tempfile::tempdir().unwrap();
    let packages = dir.path().to_str().unwrap();
    let out = goru(&[
        "--packages",
        packages,
        "--allow-package",
        "six",
        "--package-install",
        "-c",
        "1",
    ]);
    assert_eq!(out.status, Some(2), "{out:?}");
    let out = goru(&["--packages", packages, "-l", "js", "-c", "1"]);
    assert_eq!(out.status, Some(1), "{out:?}");
    assert!(
        out.stderr.contains("js language has no packages directory"),
        "{out:?}"
    );
}

#[test]
fn install_pkg_follows_the_package_flags() {
    let dir = tempfile::tempdir().unwrap();
    let packages = dir.path().to_str().unwrap();
    let out = goru(&["--packages", packages, "-c", &py_error("install_pkg('six')")]);
    assert_eq!(
        ok(&out),
        "not_granted the package install capability was not granted to this run\n"
    );
    let out = goru(&[
        "--packages",
        packages,
        "--allow-package",
        "attrs",
        "-c",
        &py_error("install_pkg('six')"),
    ]);
    assert_eq!(
        ok(&out),
        "not_granted package \"six\" is not among the packages this run may install\n"
    );
    // A real install from the package index, through the machine's pip.
    let out = goru(&[
        "--packages",
        packages,
        "--allow-package",
        "six",
        "--timeout",
        "180s",
        "-c",
        "print(install_pkg('six', '1.16.0')); import six; print(six.__version__)",
    ]);
    assert_eq!(ok(&out), "[{'name': 'six', 'version': '1.16.0'}]\n1.16.0\n");
    assert!(dir.path().join("six.py").is_file());
}
