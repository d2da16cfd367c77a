//! Sessions: one interpreter kept alive across runs, REPL-style values, and
//! what happens to a session whose run times out.
//!
//! `cargo run -p goru-examples --example sessions`

use std::time::Duration;

use goru::{Error, Executor, Python, RunOptions};

fn main() -> Result<(), Error> {
    let executor = Executor::builder().precompile(Python).build()?;
    // The timeout applies to each run (and to the start-up); the memory cap to
    // the interpreter's whole life.
    let options = RunOptions::new()
        .timeout(Duration::from_secs(2))
        .memory_bytes(128 << 20);
    let session = executor.session_blocking(&Python, options)?;

    session.run_blocking("import math\nradius = 2")?;
    let area = session.run_blocking("print(round(math.pi * radius ** 2, 3))")?;
    println!("area: {}", area.stdout_lossy().trim());

    // REPL mode shows the value of a final expression, as the interactive
    // interpreter does.
    println!(
        "repl: {}",
        session.run_repl_blocking("radius * 10")?.stdout_lossy().trim()
    );
    println!("complete? {}", session.check_complete_blocking("def f():")?);

    // A guest exception is reported in the result; the session goes on.
    let raised = session.run_blocking("undefined_name")?;
    println!("raised: {:?}", raised.exception.map(|e| e.kind));

    // A run that has to be stopped ends the session: its state is gone.
    match session.run_blocking("while True: pass") {
        Err(Error::Timeout { .. }) => println!("timed out; session open: {}", session.is_open()),
        other => println!("unexpected: {other:?}"),
    }
    match session.run_blocking("print(radius)") {
        Err(Error::SessionEnded { reason }) => println!("later runs: session ended ({reason:?})"),
        other => println!("unexpected: {other:?}"),
    }
    Ok(())
}
