//! Runs one hostile guest alone in a child process and measures the host there: peak RSS, CPU after the run.
//!
//! A test calls [`isolated`] with its own name. In the test process that
//! re-executes the test binary for that one test, with a marker in the
//! environment; in the child the body runs, then the child measures its own
//! figures with `getrusage` (peak resident set, CPU used while it sits idle
//! after the attack) and prints them for the parent, which checks them. So no
//! other test's threads or memory blur the figures.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The environment marker naming the test a child process runs.
const CHILD: &str = "GORU_ADVERSARIAL_CHILD";
/// How long a child may take in all before it counts as hung.
const CHILD_DEADLINE: Duration = Duration::from_secs(180);
/// How long the child sits idle after the attack while its CPU is measured.
const IDLE_WINDOW: Duration = Duration::from_millis(500);

/// What the host process spent on one attack.
#[derive(Debug, Clone, Copy)]
pub struct Spent {
    /// Peak resident set of the whole child process, in bytes.
    pub peak_rss: u64,
    /// CPU time the process used during [`IDLE_WINDOW`] after the attack.
    pub idle_cpu: Duration,
}

/// Default ceiling on the host's peak RSS for one hostile run at the default caps.
pub const RSS_CEILING: u64 = 700 << 20;
/// Ceiling on CPU used in the idle window: a guest still spinning would use all of it.
pub const IDLE_CPU_CEILING: Duration = Duration::from_millis(150);

/// Runs `body` in a child process of its own (`name` is the test's path as
/// the test harness lists it) and returns what the child spent.
pub fn isolated(name: &str, body: impl FnOnce()) -> Spent {
    if std::env::var(CHILD).as_deref() == Ok(name) {
        body();
        let before = process_cpu();
        std::thread::sleep(IDLE_WINDOW);
        let idle_cpu = process_cpu() - before;
        println!("GORU-SPENT {} {}", peak_rss_bytes(), idle_cpu.as_micros());
        return Spent {
            peak_rss: peak_rss_bytes(),
            idle_cpu,
        };
    }
    let mut child = Command::new(std::env::current_exe().expect("the test binary"))
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, name)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting the child test process");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for the child") {
            break status;
        }
        if started.elapsed() > CHILD_DEADLINE {
            let _ = child.kill();
            panic!("the child running {name} hung for {CHILD_DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (mut stdout, mut stderr) = (String::new(), String::new());
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(
        status.success(),
        "the child running {name} failed ({status}):\n{stdout}\n{stderr}"
    );
    // The harness prints "test NAME ... " on the same line before the report.
    let report = stdout
        .split_once("GORU-SPENT ")
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("the child running {name} reported nothing:\n{stdout}\n{stderr}"));
    let mut fields = report
        .split_whitespace()
        .map(|f| f.parse::<u64>().expect("a figure"));
    let spent = Spent {
        peak_rss: fields.next().unwrap(),
        idle_cpu: Duration::from_micros(fields.next().unwrap()),
    };
    eprintln!(
        "{name}: host peak RSS {} MiB, CPU after the run {:?}",
        spent.peak_rss >> 20,
        spent.idle_cpu
    );
    spent
}

/// [`isolated`], then the default promises: peak RSS under [`RSS_CEILING`],
/// nothing left running.
pub fn contained(name: &str, body: impl FnOnce()) -> Spent {
    let spent = isolated(name, body);
    if std::env::var(CHILD).is_err() {
        assert!(
            spent.peak_rss < RSS_CEILING,
            "{name}: host peak RSS {} MiB",
            spent.peak_rss >> 20
        );
        assert!(
            spent.idle_cpu < IDLE_CPU_CEILING,
            "{name}: {:?} of CPU used after the run: something is still running",
            spent.idle_cpu
        );
    }
    spent
}

/// The test's name as the harness knows it, from inside the test function.
#[macro_export]
macro_rules! test_name {
    ($f:ident) => {{
        let module = module_path!();
        let path = module.split_once("::").map_or("", |(_, rest)| rest);
        if path.is_empty() {
            stringify!($f).to_string()
        } else {
            format!("{path}::{}", stringify!($f))
        }
    }};
}

fn rusage() -> libc::rusage {
    // SAFETY: rusage is plain old data; all zeroes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills the struct we own; RUSAGE_SELF is always valid.
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) }, 0);
    usage
}

/// CPU time (user + system) this process has used.
pub fn process_cpu() -> Duration {
    let usage = rusage();
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Peak resident set of this process (getrusage reports KiB on Linux).
pub fn peak_rss_bytes() -> u64 {
    rusage().ru_maxrss as u64 * 1024
}
