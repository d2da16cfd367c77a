//! Host functions of your own: the guest calls `call("name", **args)` and
//! your Rust code answers. Arguments arrive as typed structs (a mismatch is
//! an `invalid_argument` error in the guest, naming the field); errors you
//! return reach the guest as exceptions with their kind.
//!
//! `cargo run -p goru-examples --example host_function`

use std::sync::Arc;
use std::time::Duration;

use goru::{Executor, HostError, JavaScript, Python, Registry, RunOptions};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Lookup {
    id: u32,
}

#[derive(Serialize)]
struct User {
    id: u32,
    name: &'static str,
}

const PYTHON: &str = r#"
print(call("get_user", id=1))
try:
    call("get_user", id=7)
except HostError as error:
    print(f"{error.kind}: {error}")
try:
    call("get_user", id="one")
except HostError as error:
    print(f"{error.kind}: {error}")
"#;

const JAVASCRIPT: &str = r#"
const user = call("get_user", { id: 2 });
console.log(user.name);
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut registry = Registry::new();
    registry.register_typed("get_user", |Lookup { id }| match id {
        1 => Ok(User { id, name: "Alice" }),
        2 => Ok(User { id, name: "Bob" }),
        _ => Err(HostError::new("not_found", format!("no user {id}"))),
    });
    // For every run of this executor; RunOptions::host_functions adds
    // providers to one run only.
    let executor = Executor::builder()
        .host_functions(Arc::new(registry))
        .precompile(Python)
        .precompile(JavaScript)
        .build()?;
    let options = || RunOptions::new().timeout(Duration::from_secs(5)).host_calls(100);

    let python = executor.run_blocking(&Python, PYTHON, options())?;
    print!("{}", python.stdout_lossy());
    let js = executor.run_blocking(&JavaScript, JAVASCRIPT, options())?;
    print!("{}", js.stdout_lossy());
    Ok(())
}
