//! Engine benchmarks: compiling the interpreters, loading them from the disk
//! cache, a stateless hello-world run, a CPU-bound loop in the guest, and
//! the cost of streaming a run's output as it is written; and, printed,
//! the p50 and p99 of a stateless run.
//!
//! `cargo bench -p goru --bench engine` (add `-- compile` etc. to pick one).

use std::time::Duration;

use criterion::{Criterion, criterion_group};
use goru::{Executor, JavaScript, Language, Python, RunOptions};

fn languages() -> [(&'static str, &'static dyn Language); 2] {
    [("python", &Python), ("js", &JavaScript)]
}

fn compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    group.sample_size(10).measurement_time(Duration::from_secs(60));
    for (name, language) in languages() {
        group.bench_function(name, |b| {
            b.iter(|| {
                let exec = Executor::builder().disk_cache(false).build().unwrap();
                exec.prepare(language).unwrap();
            })
        });
    }
    group.finish();
}

fn load_from_disk_cache(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("load_from_disk_cache");
    group.sample_size(20);
    for (name, language) in languages() {
        Executor::builder()
            .cache_dir(dir.path())
            .build()
            .unwrap()
            .prepare(language)
            .unwrap();
        group.bench_function(name, |b| {
            b.iter(|| {
                let exec = Executor::builder().cache_dir(dir.path()).build().unwrap();
                exec.prepare(language).unwrap();
            })
        });
    }
    group.finish();
}

/// A stateless hello world: from the snapshot (the default), and, for the
/// comparison, from scratch (`stateless_hello_from_scratch`).
fn hello_world(c: &mut Criterion) {
    for (group, snapshots) in [("stateless_hello", true), ("stateless_hello_from_scratch", false)] {
        let exec = Executor::builder()
            .snapshots(snapshots)
            .precompile(Python)
            .precompile(JavaScript)
            .build()
            .unwrap();
        let mut group = c.benchmark_group(group);
        for (name, language, code) in [
            ("python", &Python as &dyn Language, "print(1)"),
            ("js", &JavaScript, "console.log(1)"),
        ] {
            group.bench_function(name, |b| {
                b.iter(|| {
                    let result = exec.run_blocking(language, code, RunOptions::new()).unwrap();
                    assert_eq!(result.stdout(), b"1\n");
                })
            });
        }
        group.finish();
    }
}

fn cpu_loop(c: &mut Criterion) {
    let exec = Executor::builder()
        .precompile(Python)
        .precompile(JavaScript)
        .build()
        .unwrap();
    let mut group = c.benchmark_group("cpu_loop_1e7_additions");
    group.sample_size(10).measurement_time(Duration::from_secs(40));
    let cases: [(&str, &dyn Language, &str); 2] = [
        (
            "python",
            &Python,
            "s = 0\nfor i in range(10_000_000):\n    s += i\nprint(s)",
        ),
        (
            "js",
            &JavaScript,
            "let s = 0; for (let i = 0; i < 1e7; i++) s += i; console.log(s)",
        ),
    ];
    for (name, language, code) in cases {
        group.bench_function(name, |b| {
            b.iter(|| {
                let options = RunOptions::new().timeout(Duration::from_secs(120));
                let result = exec.run_blocking(language, code, options).unwrap();
                assert_eq!(result.stdout(), b"49999995000000\n");
            })
        });
    }
    group.finish();
}

/// A run that prints 1000 lines, flushing each: its output only collected,
/// then also streamed through an output channel that a thread drains, as
/// the CLI and `goru serve`'s streaming routes do.
fn output_streaming(c: &mut Criterion) {
    let exec = Executor::builder().precompile(Python).build().unwrap();
    let code = "for i in range(1000): print(i, flush=True)";
    let expected = (0..1000).map(|i| format!("{i}\n")).collect::<String>();
    let mut group = c.benchmark_group("output_1000_flushed_lines");
    group.sample_size(20);
    group.bench_function("collected", |b| {
        b.iter(|| {
            let result = exec.run_blocking(&Python, code, RunOptions::new()).unwrap();
            assert_eq!(result.stdout_lossy(), expected);
        })
    });
    group.bench_function("streamed", |b| {
        b.iter(|| {
            let (sender, mut receiver) = goru::output_channel();
            let drain = std::thread::spawn(move || {
                let mut bytes = 0;
                while let Some(chunk) = receiver.blocking_recv() {
                    bytes += chunk.bytes.len();
                }
                bytes
            });
            let result = exec
                .run_blocking(&Python, code, RunOptions::new().output(sender))
                .unwrap();
            assert_eq!(drain.join().unwrap(), expected.len());
            assert_eq!(result.stdout_lossy(), expected);
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    compile,
    load_from_disk_cache,
    hello_world,
    cpu_loop,
    output_streaming
);
/// Runs measured for the printed percentiles of a stateless run.
const PERCENTILE_RUNS: usize = 1000;

/// Printed, not timed by criterion: p50 and p99 of a stateless hello world
/// over [`PERCENTILE_RUNS`] runs one after the other (criterion reports
/// means; the fast-start targets are percentiles).
fn stateless_percentiles() {
    let exec = Executor::builder()
        .precompile(Python)
        .precompile(JavaScript)
        .build()
        .unwrap();
    for (name, language, code) in [
        ("python", &Python as &dyn Language, "print(1)"),
        ("js", &JavaScript, "console.log(1)"),
    ] {
        let mut times: Vec<Duration> = (0..PERCENTILE_RUNS)
            .map(|_| {
                let started = std::time::Instant::now();
                let result = exec.run_blocking(language, code, RunOptions::new()).unwrap();
                assert_eq!(result.stdout(), b"1\n");
                started.elapsed()
            })
            .collect();
        times.sort();
        let at = |p: usize| times[(PERCENTILE_RUNS * p / 100).min(PERCENTILE_RUNS - 1)];
        println!(
            "stateless_hello_percentiles/{name}: {PERCENTILE_RUNS} runs: p50 {:.2?}, p99 {:.2?}, max {:.2?}",
            at(50),
            at(99),
            times[PERCENTILE_RUNS - 1]
        );
    }
    println!();
}

// `criterion_main!` with the percentiles printed first when benchmarking
// with no filter or one naming them: `cargo test` runs this binary without
// `--bench`, and `--list` only names the benchmarks.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let benchmarking = args.iter().any(|arg| arg == "--bench") && !args.iter().any(|arg| arg == "--list");
    let filters: Vec<&String> = args.iter().filter(|arg| !arg.starts_with('-')).collect();
    if benchmarking
        && (filters.is_empty()
            || filters
                .iter()
                .any(|f| "stateless_hello_percentiles".contains(f.as_str())))
    {
        stateless_percentiles();
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
