//! Instances restored from a snapshot share nothing with each other: not
//! memory, not files, not random state, and the limits hold for them.
//!
//! Every Python run and session starts from the executor's snapshot of an
//! initialised CPython (its memory mapped copy-on-write), so these guests
//! try to see another run's memory through their own, with full read access
//! to it (`OWN_MEMORY`).

use std::time::Duration;

use goru::{Error, Executor, Python, RunOptions};

use crate::child::contained;
use crate::guest::{OWN_MEMORY, executor};
use crate::test_name;

/// A secret only the host and run A know. Run B gets it in two halves, one
/// reversed, and never joins them, so the whole secret is in B's memory
/// only if it came from A. B scans up to a fresh 1 MiB allocation (the heap
/// grows upwards, so that is about the top of its memory; reading past the
/// memory's end would trap).
const SECRET: &str = "goru-snapshot-secret-7f3a9c1e5b";

fn writer(hold: Duration) -> String {
    format!(
        "import time\nsecret = {SECRET:?}\nkeep = [secret * 64 for _ in range(64)]\nopen('/tmp/secret', 'w').write(secret)\nprint('written', flush=True)\ntime.sleep({})\n",
        hold.as_secs_f64()
    )
}

fn scanner() -> String {
    let (first, second) = SECRET.split_at(SECRET.len() / 2);
    let second_reversed: String = second.chars().rev().collect();
    format!(
        "{OWN_MEMORY}\nimport os\nfirst = {first:?}.encode()\nsecond = bytes(reversed({second_reversed:?}.encode()))\nprobe = bytes(1 << 20)\ntop = id(probe) + (1 << 20)\nfound = 0\nat = MEM.find(first, 0, top)\nwhile at != -1:\n    if MEM[at + len(first):at + len(first) + len(second)] == second:\n        found += 1\n    at = MEM.find(first, at + 1, top)\nprint('found', found, 'file', os.path.exists('/tmp/secret'))\n"
    )
}

fn scan(exec: &Executor) -> String {
    let result = exec
        .run_blocking(
            &Python,
            &scanner(),
            RunOptions::new().timeout(Duration::from_secs(60)),
        )
        .expect("the scan runs");
    assert_eq!(result.exit_code, 0, "{}", result.stderr_lossy());
    result.stdout_lossy().into_owned()
}

#[test]
fn a_run_cannot_find_an_earlier_runs_secret_in_its_memory_or_files() {
    contained(
        &test_name!(a_run_cannot_find_an_earlier_runs_secret_in_its_memory_or_files),
        || {
            let exec = executor();
            let written = exec
                .run_blocking(&Python, &writer(Duration::ZERO), RunOptions::new())
                .unwrap();
            assert_eq!(written.stdout_lossy(), "written\n", "{}", written.stderr_lossy());
            assert_eq!(scan(&exec), "memory: owned\nfound 0 file False\n");
        },
    );
}

#[test]
fn a_run_cannot_find_a_concurrent_runs_secret_in_its_memory() {
    contained(
        &test_name!(a_run_cannot_find_a_concurrent_runs_secret_in_its_memory),
        || {
            let exec = executor();
            // Both from the same snapshot: A holds the secret in its pages
            // while B reads every byte of its own memory.
            let holder = {
                let exec = exec.clone();
                std::thread::spawn(move || {
                    exec.run_blocking(&Python, &writer(Duration::from_secs(3)), RunOptions::new())
                })
            };
            std::thread::sleep(Duration::from_millis(500));
            assert_eq!(scan(&exec), "memory: owned\nfound 0 file False\n");
            let held = holder.join().unwrap().unwrap();
            assert_eq!(held.stdout_lossy(), "written\n");
        },
    );
}

#[test]
fn a_session_cannot_find_another_sessions_secret() {
    contained(&test_name!(a_session_cannot_find_another_sessions_secret), || {
        let exec = executor();
        let options = || RunOptions::new().timeout(Duration::from_secs(60));
        let holder = exec.session_blocking(&Python, options()).unwrap();
        let written = holder.run_blocking(&writer(Duration::ZERO)).unwrap();
        assert_eq!(written.stdout_lossy(), "written\n");
        let scanner_session = exec.session_blocking(&Python, options()).unwrap();
        let scanned = scanner_session.run_blocking(&scanner()).unwrap();
        assert_eq!(scanned.stdout_lossy(), "memory: owned\nfound 0 file False\n");
        // The holder still has its secret: what it wrote was its own.
        let kept = holder
            .run_blocking("print(keep[0][:len(secret)] == secret)")
            .unwrap();
        assert_eq!(kept.stdout_lossy(), "True\n");
    });
}

#[test]
fn random_state_is_fresh_in_every_run() {
    contained(&test_name!(random_state_is_fresh_in_every_run), || {
        let exec = executor();
        let code = "import random, os\nprint(random.random(), os.urandom(8).hex(), random.Random().random())";
        let outputs: Vec<String> = (0..3)
            .map(|_| {
                let result = exec.run_blocking(&Python, code, RunOptions::new()).unwrap();
                result.stdout_lossy().into_owned()
            })
            .collect();
        assert_ne!(outputs[0], outputs[1]);
        assert_ne!(outputs[1], outputs[2]);
        assert_ne!(outputs[0], outputs[2]);
    });
}

#[test]
fn the_memory_cap_binds_an_instance_restored_from_the_snapshot() {
    contained(
        &test_name!(the_memory_cap_binds_an_instance_restored_from_the_snapshot),
        || {
            let exec = executor();
            let options = RunOptions::new().memory_bytes(48 << 20);
            let fits = exec
                .run_blocking(&Python, "x = bytearray(16 << 20)\nprint(len(x))", options.clone())
                .unwrap();
            assert_eq!(fits.stdout_lossy(), "16777216\n", "{}", fits.stderr_lossy());
            let err = exec
                .run_blocking(&Python, "x = bytearray(64 << 20)\nprint('not refused')", options)
                .unwrap_err();
            assert!(matches!(err, Error::MemoryLimit { .. }), "{err:?}");
        },
    );
}

#[test]
fn a_cap_below_the_snapshot_starts_from_scratch_and_fails_as_before() {
    contained(
        &test_name!(a_cap_below_the_snapshot_starts_from_scratch_and_fails_as_before),
        || {
            // CPython's memory after start-up is over 11 MiB; under an 8 MiB
            // cap no snapshot fits and the interpreter cannot start at all.
            let err = executor()
                .run_blocking(&Python, "print(1)", RunOptions::new().memory_bytes(8 << 20))
                .unwrap_err();
            assert!(matches!(err, Error::MemoryLimit { .. }), "{err:?}");
        },
    );
}

#[test]
fn with_snapshots_off_every_run_and_session_starts_from_scratch() {
    contained(
        &test_name!(with_snapshots_off_every_run_and_session_starts_from_scratch),
        || {
            let cache = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("goru-module-cache");
            let exec = Executor::builder()
                .cache_dir(cache)
                .snapshots(false)
                .build()
                .expect("building the executor");
            let result = exec
                .run_blocking(&Python, "import sys\nprint(sys.argv)", RunOptions::new())
                .unwrap();
            assert_eq!(result.stdout_lossy(), "['-c']\n", "{}", result.stderr_lossy());
            let session = exec.session_blocking(&Python, RunOptions::new()).unwrap();
            session.run_blocking("x = 41").unwrap();
            assert_eq!(
                session.run_blocking("print(x + 1)").unwrap().stdout_lossy(),
                "42\n"
            );
        },
    );
}
