//! docs/openapi.yaml against the live server with schemathesis (from PyPI,
//! pinned, in a venv this test makes in a temp dir, once per test process):
//! every operation, JSON and MessagePack bodies, positive and negative data,
//! a bounded number of examples, a fixed seed. Any 5xx, any answer that
//! does not match the schema, any schema-violating request accepted fails it.

use std::path::Path;
use std::process::Command;

use super::Server;

const SCHEMATHESIS: &str = "schemathesis==4.32.5";
const MSGPACK: &str = "msgpack==1.2.4";
/// Hooks that teach schemathesis MessagePack.
const HOOKS: &str = include_str!("schemathesis_msgpack.py");
/// Examples per operation and phase: enough to reach every field and
/// error path, few enough for CI.
const MAX_EXAMPLES: &str = "20";

fn run(command: &mut Command, what: &str) -> String {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{what} failed ({}):\n{text}", out.status);
    text
}

/// A venv with schemathesis in `dir`; its `st` command.
fn install(dir: &Path) -> std::path::PathBuf {
    let venv = dir.join("venv");
    run(
        Command::new("python3").args(["-m", "venv"]).arg(&venv),
        "python3 -m venv",
    );
    run(
        Command::new(venv.join("bin/pip")).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            SCHEMATHESIS,
            MSGPACK,
        ]),
        "pip install schemathesis",
    );
    std::fs::write(dir.join("goru_msgpack.py"), HOOKS).expect("writing the hooks");
    venv.join("bin/st")
}

#[test]
fn openapi_schema_holds_against_the_live_server() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let st = install(dir.path());
    // Enough slots and patience that no request is refused for load (503 is
    // a server error to schemathesis); short runs, so no example hangs.
    let server = Server::start(&[
        "--token",
        "schema-t0ken",
        "--timeout",
        "5s",
        "--max-concurrent",
        "2",
        "--queue-wait",
        "60s",
    ]);
    let report = run(
        Command::new(&st)
            .current_dir(dir.path())
            .env("PYTHONPATH", dir.path())
            .env("SCHEMATHESIS_HOOKS", "goru_msgpack")
            .arg("run")
            .arg(format!("{}/openapi.json", server.base))
            .args(["-H", "Authorization: Bearer schema-t0ken"])
            // All checks but one: whether every schema-valid request is
            // accepted. The schema cannot say the server's --timeout (a
            // larger timeout is a 400) nor "at least 1 ms" in a pattern.
            .args(["--checks", "all", "--exclude-checks", "positive_data_acceptance"])
            .args(["--max-examples", MAX_EXAMPLES, "--workers", "1", "--seed", "1"]),
        "schemathesis",
    );
    assert!(report.contains("passed"), "{report}");
    // The examples went through the token to real runs.
    let log = server.log();
    assert!(
        log.contains("route=/execute lang=python outcome=ok"),
        "no example ran code: {log}"
    );
}
