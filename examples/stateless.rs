//! Stateless runs: one executor, a Python and a JavaScript run, and what a
//! run that outlives its timeout returns.
//!
//! `cargo run -p goru-examples --example stateless`

use std::time::Duration;

use goru::{Error, Executor, JavaScript, Python, RunOptions};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Build once: the engine, and the interpreters compiled (or loaded from
    // the disk cache). Clones share everything.
    let executor = Executor::builder()
        .precompile(Python)
        .precompile(JavaScript)
        .build()?;
    let options = || RunOptions::new().timeout(Duration::from_secs(5));

    let python = executor
        .run(
            &Python,
            "import sys\nprint(sum(range(10)))\nsys.exit(3)",
            options(),
        )
        .await?;
    println!(
        "python: {:?}, exit status {}",
        python.stdout_lossy(),
        python.exit_code
    );

    let js = executor
        .run(
            &JavaScript,
            "console.log([1, 2, 3].map(x => x * 2).join(','))",
            options(),
        )
        .await?;
    println!("js: {:?}", js.stdout_lossy());

    // An uncaught exception is a result, not an error: the guest ran to its end.
    let failed = executor.run(&Python, "1 / 0", options()).await?;
    if let Some(exception) = &failed.exception {
        println!("python raised {}: {}", exception.kind, exception.message);
    }

    // A run the host had to stop is an error that carries the output so far.
    let spin = "print('spinning', flush=True)\nwhile True: pass";
    let short = RunOptions::new().timeout(Duration::from_millis(500));
    match executor.run(&Python, spin, short).await {
        Err(Error::Timeout { limit, output }) => {
            println!(
                "stopped after {limit:?} with {:?}",
                String::from_utf8_lossy(&output.stdout)
            );
        }
        other => println!("unexpected: {other:?}"),
    }
    Ok(())
}
