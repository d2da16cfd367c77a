//! Session benchmarks: one run in a live session, creating and closing a
//! session, and the memory ten idle sessions hold, in Python and JavaScript.
//!
//! `cargo bench -p goru --bench sessions --profile dev` (add `-- session_run`
//! etc. to pick one group; the memory figures are printed first either way).
//! `cargo test` runs each benchmark once and skips the memory figures.
//!
//! The memory figures are not timings, so criterion does not take them: before
//! the groups run, `main` reads the process's `VmRSS` with the executor built
//! and warmed up, starts ten sessions that each run `x = 1` and stay idle, and
//! reads it again. `docs/benchmarks.md` has figures.

use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, criterion_group};
use goru::{Executor, JavaScript, Language, Python, RunOptions, Session};

/// Idle sessions held at once for the memory figure.
const IDLE_SESSIONS: usize = 10;

/// Both interpreters loaded before anything is measured: loading one is
/// setup, not what is measured.
fn executor() -> Executor {
    Executor::builder()
        .precompile(Python)
        .precompile(JavaScript)
        .build()
        .unwrap()
}

/// Each language with the statement that sets `x`, a fresh session's first
/// run, and the one that increments it.
fn cases() -> [(&'static str, &'static dyn Language, &'static str, &'static str); 2] {
    [
        ("python", &Python, "x = 1", "x += 1"),
        ("js", &JavaScript, "var x = 1", "x += 1"),
    ]
}

fn start(exec: &Executor, language: &dyn Language) -> Session {
    exec.session_blocking(language, RunOptions::new())
        .unwrap_or_else(|e| panic!("starting a {} session failed: {e}", language.name()))
}

/// Runs `code` in `session`, failing the benchmark unless it succeeded: a run
/// that raised must not be timed as if it worked.
fn run_checked(session: &Session, code: &str) {
    let result = session
        .run_blocking(code)
        .unwrap_or_else(|e| panic!("{code:?} failed: {e}"));
    assert!(
        result.success(),
        "{code:?} exited {}: {}",
        result.exit_code,
        result.stderr_lossy()
    );
}

/// One run in a session that is already up: the request to the waiting
/// guest, the code compiled and run there, and the result back. Compare with
/// `stateless_hello` in the engine benchmarks, which starts an interpreter
/// for every run.
fn session_run(c: &mut Criterion) {
    let exec = executor();
    let mut group = c.benchmark_group("session_run");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5));
    for (name, language, setup, step) in cases() {
        let session = start(&exec, language);
        run_checked(&session, setup);
        group.bench_function(name, |b| b.iter(|| run_checked(&session, step)));
        session.close();
    }
    group.finish();
}

/// Starting a session until its guest waits for code, then closing it.
/// `close` only tells the guest to exit: its instance is torn down on its own
/// thread, overlapping the next iteration, as it would in a server that opens
/// and closes sessions back to back.
fn session_create(c: &mut Criterion) {
    let exec = executor();
    let mut group = c.benchmark_group("session_create");
    // Flat sampling: a Python session takes ~0.2 s to start, too long for the
    // growing iteration counts of criterion's default plan.
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(10));
    for (name, language, _, _) in cases() {
        group.bench_function(name, |b| b.iter(|| start(&exec, language).close()));
    }
    group.finish();
}

/// A field of `/proc/self/status` given in kB, in MiB.
fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("reading /proc/self/status");
    let kb: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"));
    kb / 1024.0
}

fn rss_mib() -> f64 {
    status_mib("VmRSS")
}

/// Waits until `VmRSS` holds still for half a second (at most 10 s): closed
/// sessions free their memory on their own threads after `close` returns, and
/// a baseline read while they do would be too high.
fn settle() -> f64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = rss_mib();
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let now = rss_mib();
        if (now - last).abs() < 0.5 || Instant::now() > deadline {
            return now;
        }
        last = now;
    }
}

/// Prints the resident memory that [`IDLE_SESSIONS`] idle sessions of each
/// language add to the process, with the first session's share apart from
/// the rest (it may carry one-time costs), and what is left once they are
/// closed.
fn idle_session_memory() {
    let exec = executor();
    // One stateless run of each: whatever the first run sets up once (runtime
    // threads, lazily built host state) is not a session's.
    for (_, language, setup, _) in cases() {
        let result = exec.run_blocking(language, setup, RunOptions::new()).unwrap();
        assert!(result.success(), "{}", result.stderr_lossy());
    }
    println!(
        "idle_sessions_rss: VmRSS of this process holding {IDLE_SESSIONS} idle sessions, each after `x = 1`"
    );
    // JS first: closed sessions do not give all their memory back to the
    // system, and what JS leaves behind is too little to matter to Python's
    // baseline, unlike the other way round.
    for (name, language, setup, _) in cases().into_iter().rev() {
        let before = settle();
        let mut after_each = Vec::with_capacity(IDLE_SESSIONS);
        let sessions: Vec<Session> = (0..IDLE_SESSIONS)
            .map(|_| {
                let session = start(&exec, language);
                run_checked(&session, setup);
                after_each.push(rss_mib());
                session
            })
            .collect();
        let after = settle();
        let total = after - before;
        let first = after_each[0] - before;
        let rest = (after_each[IDLE_SESSIONS - 1] - after_each[0]) / (IDLE_SESSIONS - 1) as f64;
        println!(
            "idle_sessions_rss/{name}: {before:.1} MiB before, {after:.1} MiB after: \
             +{total:.1} MiB for {IDLE_SESSIONS} sessions, {:.1} MiB per session \
             (first +{first:.1}, each later one +{rest:.1})",
            total / IDLE_SESSIONS as f64,
        );
        for session in &sessions {
            session.close();
        }
        drop(sessions);
        println!("idle_sessions_rss/{name}: {:.1} MiB once closed", settle());
    }
    println!();
}

criterion_group!(benches, session_run, session_create);

// `criterion_main!` with the memory figures printed first, when benchmarking:
// `cargo test` runs this binary without `--bench`, to check each benchmark
// once, and `--list` only names them; neither needs the figures.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|arg| arg == "--bench") && !args.iter().any(|arg| arg == "--list") {
        idle_session_memory();
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
