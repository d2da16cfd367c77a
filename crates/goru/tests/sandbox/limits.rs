//! Limits, both languages: timeout, memory, output (deep recursion: recursion.rs).

use std::time::{Duration, Instant};

use goru::{Error, GuestException, JavaScript, Language, Python, RunOptions};

use crate::common::executor;

fn assert_times_out(language: &dyn Language, code: &str) {
    let started = Instant::now();
    let err = executor()
        .run_blocking(language, code, RunOptions::new().timeout(Duration::from_secs(1)))
        .unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(err, Error::Timeout { limit, .. } if limit == Duration::from_secs(1)),
        "{err:?}"
    );
    // Not a speed target (see the benchmarks), only proof the guest was stopped.
    assert!(took < Duration::from_secs(10), "stopped only after {took:?}");
    // The executor is still usable.
    let next = executor().run_blocking(language, "", RunOptions::new()).unwrap();
    assert!(next.success());
}

#[test]
fn python_busy_loop_times_out() {
    assert_times_out(&Python, "while True: pass");
}

#[test]
fn js_busy_loop_times_out() {
    assert_times_out(&JavaScript, "for (;;) {}");
}

#[test]
fn python_sleep_times_out() {
    assert_times_out(&Python, "import time\ntime.sleep(60)");
}

#[test]
fn js_sleep_times_out() {
    assert_times_out(&JavaScript, "os.sleep(60000)");
}

/// A guest that allocates past a 64 MiB cap ends in a typed memory error or
/// in the guest's own out-of-memory exception.
fn assert_memory_capped(language: &dyn Language, code: &str, exception_kinds: &[&str]) {
    let options = RunOptions::new()
        .memory_bytes(64 << 20)
        .timeout(Duration::from_secs(60));
    match executor().run_blocking(language, code, options) {
        Err(Error::MemoryLimit { limit_bytes, .. }) => assert_eq!(limit_bytes, 64 << 20),
        Ok(result) => {
            let kind = result
                .exception
                .as_ref()
                .map(|e: &GuestException| e.kind.as_str());
            assert!(
                kind.is_some_and(|k| exception_kinds.contains(&k)),
                "expected one of {exception_kinds:?}, got {result:?}"
            );
        }
        Err(other) => panic!("expected a memory error, got {other:?}"),
    }
}

#[test]
fn python_big_allocation_hits_the_memory_cap() {
    assert_memory_capped(
        &Python,
        "b = bytearray(200 * 1024 * 1024)\nprint(len(b))",
        &["MemoryError"],
    );
}

#[test]
fn js_string_doubling_hits_the_memory_cap() {
    assert_memory_capped(
        &JavaScript,
        "let s = 'x'; for (;;) s += s;",
        &["InternalError", "RangeError"],
    );
}

#[test]
fn the_memory_cap_leaves_room_below_it() {
    let options = RunOptions::new().memory_bytes(64 << 20);
    let result = executor()
        .run_blocking(&Python, "b = bytearray(16 * 1024 * 1024)\nprint(len(b))", options)
        .unwrap();
    assert_eq!(result.stdout_lossy(), "16777216\n");
}

/// Floods a stream until the timeout; the output is cut at the cap and flagged.
fn assert_flood_is_cut(language: &dyn Language, code: &str, stderr: bool) {
    let cap = 64 * 1024;
    let options = RunOptions::new()
        .output_bytes(cap)
        .timeout(Duration::from_secs(1));
    let output = match executor().run_blocking(language, code, options) {
        Err(Error::Timeout { output, .. }) => *output,
        other => panic!("expected the flood to run into the timeout, got {other:?}"),
    };
    let (bytes, truncated) = if stderr {
        (&output.stderr, output.stderr_truncated)
    } else {
        (&output.stdout, output.stdout_truncated)
    };
    assert_eq!(bytes.len(), cap);
    assert!(truncated);
    assert!(
        bytes.iter().all(|&b| b == b'x' || b == b'\n'),
        "only the guest's bytes"
    );
}

#[test]
fn python_print_flood_is_cut_at_the_cap() {
    assert_flood_is_cut(&Python, "while True: print('x' * 1000)", false);
}

#[test]
fn python_os_write_flood_is_cut_at_the_cap() {
    assert_flood_is_cut(&Python, "import os\nwhile True: os.write(1, b'x' * 1000)", false);
}

#[test]
fn python_stderr_flood_is_cut_at_the_cap() {
    assert_flood_is_cut(
        &Python,
        "import sys\nwhile True: sys.stderr.write('x' * 1000)",
        true,
    );
}

#[test]
fn js_flood_is_cut_at_the_cap() {
    assert_flood_is_cut(
        &JavaScript,
        "const s = 'x'.repeat(1000); for (;;) std.out.puts(s)",
        false,
    );
    assert_flood_is_cut(
        &JavaScript,
        "const s = 'x'.repeat(1000); for (;;) std.err.puts(s)",
        true,
    );
}

#[test]
fn output_under_the_cap_is_not_flagged() {
    let result = executor()
        .run_blocking(&Python, "print('x' * 99)", RunOptions::new().output_bytes(100))
        .unwrap();
    assert_eq!(result.stdout().len(), 100);
    assert!(!result.output.stdout_truncated);
}
