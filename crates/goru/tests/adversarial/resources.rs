//! The host's own resources while guests misbehave: CPU after a timeout, and
//! resident memory under a memory cap. These run guests in the test process
//! itself, serialised; the other attacks of this binary run in child
//! processes, so they do not disturb these process-wide figures.

use std::sync::Mutex;
use std::time::Duration;

use goru::{Error, Executor, JavaScript, Language, Python, RunOptions};

static SERIAL: Mutex<()> = Mutex::new(());

fn executor() -> Executor {
    let cache = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("goru-module-cache");
    Executor::builder().cache_dir(cache).build().expect("executor")
}

/// CPU time (user + system) this process has used.
fn process_cpu() -> Duration {
    // SAFETY: rusage is plain old data; all zeroes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills the struct we own; RUSAGE_SELF is always valid.
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) }, 0);
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Peak resident set size of this process, from /proc.
fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

/// Current resident set size of this process, from /proc.
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

fn assert_stops_burning_cpu(language: &dyn Language, code: &str) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let exec = executor();
    exec.prepare(language).unwrap();
    let options = || RunOptions::new().timeout(Duration::from_secs(1));
    let err = exec.run_blocking(language, code, options()).unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_idle_after();
    // The same inside a session (which a Python run survives, interrupted).
    let session = exec.session_blocking(language, options()).unwrap();
    let err = session.run_blocking(code).unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_idle_after();
}

fn assert_idle_after() {
    let before = process_cpu();
    std::thread::sleep(Duration::from_secs(1));
    let burnt = process_cpu() - before;
    // A guest still spinning would burn about a full second here.
    assert!(
        burnt < Duration::from_millis(300),
        "{burnt:?} of CPU used after the timeout"
    );
}

#[test]
fn a_timed_out_python_loop_stops_using_cpu() {
    assert_stops_burning_cpu(&Python, "while True: pass");
}

#[test]
fn a_timed_out_js_loop_stops_using_cpu() {
    assert_stops_burning_cpu(&JavaScript, "for (;;) {}");
}

#[test]
fn an_ended_session_gives_its_memory_back() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let exec = executor();
    let session = exec
        .session_blocking(&Python, RunOptions::new().timeout(Duration::from_secs(2)))
        .unwrap();
    session
        .run_blocking("b = bytearray(150 * 1024 * 1024)\nfor i in range(0, len(b), 4096): b[i] = 1")
        .unwrap();
    let holding = rss_bytes();
    let err = session
        .run_blocking(crate::guest::IGNORES_INTERRUPTS)
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    let released = holding.saturating_sub(rss_bytes());
    assert!(released > 100 << 20, "only {} MiB released", released >> 20);
}

#[test]
fn resident_memory_stays_near_the_cap() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let exec = executor();
    exec.prepare(&Python).unwrap();
    exec.prepare(&JavaScript).unwrap();
    // Warm up so the baseline includes the instance machinery itself.
    exec.run_blocking(&Python, "pass", RunOptions::new()).unwrap();
    let baseline = peak_rss_bytes();
    let options = || {
        RunOptions::new()
            .memory_bytes(64 << 20)
            .timeout(Duration::from_secs(60))
    };
    let _ = exec.run_blocking(&Python, "b = bytearray(200 * 1024 * 1024)", options());
    let _ = exec.run_blocking(&JavaScript, "let s = 'x'; for (;;) s += s;", options());
    let grown = peak_rss_bytes().saturating_sub(baseline);
    // Without the cap Python alone would touch 200 MiB.
    assert!(grown < 150 << 20, "peak RSS grew by {} MiB", grown >> 20);
}
