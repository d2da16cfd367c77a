//! Capabilities: nothing outside the sandbox is reachable unless granted.
//! This run may use a key-value store, one mounted directory and HTTP to one
//! host; everything else is refused inside the guest.
//!
//! `cargo run -p goru-examples --example capabilities`

use std::time::Duration;

use goru::hostfn::fs::{Mount, MountMode};
use goru::hostfn::http::HttpConfig;
use goru::{Capabilities, Executor, Python, RunOptions};
use serde_json::json;

const GUEST: &str = r#"
kv.set("greeting", fs.read_text("/data/in.txt").strip().upper())
fs.write_text("/data/out.txt", kv.get("greeting") + "\n")
try:
    http.get("https://example.org/")
except HostError as error:
    print("http refused:", error.kind)
try:
    open("/etc/passwd").read()
except OSError as error:
    print("host files are not there:", type(error).__name__)
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("in.txt"), "hello from the host\n")?;

    let granted = Capabilities::new()
        .kv()
        .mount(Mount::new("/data", dir.path(), MountMode::ReadWriteCreate))
        .http_config(
            HttpConfig::new()
                .allow_host("api.example.com")
                .timeout(Duration::from_secs(5)),
        )
        .open()?; // checks the grant: the directory exists, the allow-list parses

    let executor = Executor::builder().precompile(Python).build()?;
    let options = RunOptions::new()
        .timeout(Duration::from_secs(10))
        .host_functions(granted.clone());
    let result = executor.run_blocking(&Python, GUEST, options)?;
    print!("{}", result.stdout_lossy());
    assert!(result.success(), "{}", result.stderr_lossy());

    // The embedder sees what the guest stored and wrote.
    let store = granted.kv_store().expect("kv was granted");
    assert_eq!(store.get("greeting")?, Some(json!("HELLO FROM THE HOST")));
    println!(
        "out.txt: {:?}",
        std::fs::read_to_string(dir.path().join("out.txt"))?
    );
    Ok(())
}
