//! Isolation: what the guest must not see or reach.

use std::io::Read;
use std::net::TcpListener;
use std::time::Duration;

use goru::{JavaScript, Python};

use crate::common::{js, py, run};

#[test]
fn host_environment_variables_do_not_leak() {
    assert!(std::env::var_os("PATH").is_some(), "the test process has a PATH");
    let env = py("import os\nprint(sorted(os.environ))");
    assert!(!env.contains("'PATH'"), "{env}");
    assert!(!env.contains("'HOME'"), "{env}");
    let env = js("console.log(JSON.stringify(Object.keys(std.getenviron())))");
    assert!(!env.contains("\"PATH\""), "{env}");
}

#[test]
fn the_filesystem_is_a_private_scratch_space() {
    let root = py("import os\nprint(sorted(os.listdir('/')))");
    for host_dir in ["home", "root", "proc", "sys", "var", "boot"] {
        assert!(!root.contains(&format!("'{host_dir}'")), "{host_dir} in {root}");
    }
    assert_eq!(py("import os\nprint(os.listdir('/etc'))"), "[]\n");
    let result = run(&Python, "open('/etc/passwd').read()").unwrap();
    assert_eq!(
        result.exception.map(|e| e.kind).as_deref(),
        Some("FileNotFoundError")
    );
    let result = run(
        &JavaScript,
        "const f = std.open('/etc/hostname', 'r'); console.log(f === null)",
    )
    .unwrap();
    assert_eq!(result.stdout_lossy(), "true\n");
}

#[test]
fn files_written_in_one_run_are_gone_in_the_next() {
    assert_eq!(
        py("open('/tmp/x', 'w').write('hi')\nprint(open('/tmp/x').read())"),
        "hi\n"
    );
    let result = run(&Python, "open('/tmp/x').read()").unwrap();
    assert_eq!(
        result.exception.map(|e| e.kind).as_deref(),
        Some("FileNotFoundError")
    );
}

#[test]
fn the_scratch_filesystem_is_bounded() {
    let code = "try:\n    with open('/tmp/big', 'wb') as f:\n        for _ in range(64):\n            f.write(b'x' * (1 << 20))\n    print('wrote it all')\nexcept OSError as e:\n    print('refused')";
    assert_eq!(py(code), "refused\n");
}

#[test]
fn sockets_cannot_reach_the_host() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let code = format!(
        "import socket\ntry:\n    s = socket.socket()\n    s.settimeout(2)\n    s.connect(('127.0.0.1', {port}))\n    print('connected')\nexcept OSError as e:\n    print('refused')"
    );
    assert_eq!(py(&code), "refused\n");
    std::thread::sleep(Duration::from_millis(100));
    assert!(listener.accept().is_err(), "nothing connected to the host");
}

#[test]
fn the_host_stdin_is_never_read() {
    // Whatever the test harness's stdin is, the guest sees an empty stream.
    let mut probe = [0u8; 0];
    let _ = std::io::stdin().read(&mut probe);
    assert_eq!(py("import sys\nprint(repr(sys.stdin.read()))"), "''\n");
    assert_eq!(js("console.log(std.in.getline())"), "null\n");
}

#[test]
fn the_interpreters_import_nothing_but_wasi() {
    for wasm in [goru::python::PYTHON_WASM, goru::js::QUICKJS_WASM] {
        let mut modules = std::collections::BTreeSet::new();
        for payload in wasmer::wasmparser::Parser::new(0).parse_all(wasm) {
            if let wasmer::wasmparser::Payload::ImportSection(reader) = payload.unwrap() {
                for import in reader.into_imports() {
                    modules.insert(import.unwrap().module.to_string());
                }
            }
        }
        assert_eq!(
            modules.into_iter().collect::<Vec<_>>(),
            ["wasi_snapshot_preview1"]
        );
    }
}
