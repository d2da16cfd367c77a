//! A language of your own on `goru-core` alone: any WASI command module
//! becomes a sandboxed interpreter by implementing `Language`. This one is a
//! few lines of WAT that print their "code" (argv\[1\]) back.
//!
//! `cargo run -p goru-examples --example custom_language`

use std::time::Duration;

use goru_core::{Error, Executor, Language, Program, RunOptions};

/// Writes argv[1] and a newline to stdout. It uses the low bytes of its
/// memory for the argument vector and the iovec: a module owns all of its
/// memory, goru reserves none of it.
const ECHO: &str = r#"
(module
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 512) "\n")
  (func $strlen (param $p i32) (result i32) (local $n i32)
    (block $end (loop $next
      (br_if $end (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $n))
  (func (export "_start") (local $arg i32)
    (drop (call $args_get (i32.const 1024) (i32.const 2048)))
    (local.set $arg (i32.load (i32.const 1028)))
    ;; two iovecs at 0: the argument, then the newline
    (i32.store (i32.const 0) (local.get $arg))
    (i32.store (i32.const 4) (call $strlen (local.get $arg)))
    (i32.store (i32.const 8) (i32.const 512))
    (i32.store (i32.const 12) (i32.const 1))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 2) (i32.const 16)))))
"#;

#[derive(Debug)]
struct Echo {
    wasm: Vec<u8>,
}

impl Language for Echo {
    fn name(&self) -> &str {
        "echo"
    }

    fn wasm(&self) -> &[u8] {
        &self.wasm
    }

    fn program(&self, code: &str) -> Program {
        Program::new(["echo", code])
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let echo = Echo {
        wasm: wat::parse_str(ECHO)?,
    };
    let executor = Executor::builder().build()?;
    let options = RunOptions::new()
        .timeout(Duration::from_secs(1))
        .memory_bytes(1 << 20);
    let result = executor.run_blocking(&echo, "hello from a custom language", options)?;
    print!("{}", result.stdout_lossy());
    // The engine checks code the same way for every language: a NUL cannot
    // travel in a command line, so such code is refused before any start.
    match executor.run_blocking(&echo, "nul\0byte", RunOptions::new()) {
        Err(Error::InvalidCode(reason)) => println!("refused: {reason}"),
        other => println!("unexpected: {other:?}"),
    }
    Ok(())
}
