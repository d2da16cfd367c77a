//! Host-call channel benchmarks: a synchronous round trip, a gathered batch of
//! 100 async calls, a lone awaited async call, and a key-value `get`, in
//! Python and JavaScript.
//!
//! `cargo bench -p goru --bench host_calls --profile dev` (add `-- sync_call`
//! etc. to pick one group).
//!
//! A run costs ~100 ms of interpreter start-up in Python (~3 ms in JS), far
//! more than one call, so each benchmark runs one guest program that makes
//! many calls in a loop, and the same program with no loop passes; the time
//! reported is the difference, `t_N - t_0`: what the N passes cost, start-up
//! taken out. Divide by the calls (criterion's throughput line counts them)
//! for the cost of one; `docs/benchmarks.md` has figures.
//!
//! Every program makes one call before its loop, so `t_0` carries the one-time
//! cost of the first call too: in Python that imports `json` (and `re`),
//! 60–75 ms, which would otherwise be charged to the loop.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use goru::{Capabilities, Executor, HostFunctions, JavaScript, Language, Python, Registry, RunOptions};

/// Synchronous calls (and kv gets) per timed run.
const CALLS: usize = 1000;
/// Async calls gathered into one batch.
const BATCH: usize = 100;
/// Batches per timed run of `async_batch_100`.
const BATCHES: usize = 20;
/// Async calls awaited one by one per timed run of `lone_async_call`.
const LONE: usize = 1000;

/// One executor for every group: building it loads both interpreters, which
/// is setup, not what is measured.
fn executor() -> &'static Executor {
    static EXECUTOR: OnceLock<Executor> = OnceLock::new();
    EXECUTOR.get_or_init(|| {
        Executor::builder()
            .precompile(Python)
            .precompile(JavaScript)
            .build()
            .unwrap()
    })
}

/// `echo` returns its arguments: an async handler, so a call costs the
/// channel and the runtime, not a hop to the blocking pool.
fn echo() -> Arc<dyn HostFunctions> {
    let mut registry = Registry::new();
    registry.register_async("echo", |args| async move { Ok(args) });
    Arc::new(registry)
}

/// Options for every run: a timeout far above any iteration, so a stuck
/// guest fails the benchmark instead of hanging it.
fn options(functions: Arc<dyn HostFunctions>) -> RunOptions {
    RunOptions::new()
        .timeout(Duration::from_secs(60))
        .host_functions(functions)
}

/// A group sized for iterations of 0.1 to 1 s of wall time: flat sampling,
/// because Python's start-up makes every iteration long. Criterion plans with
/// the reported differences, so a Python benchmark takes several times
/// `measurement_time` of wall time (start-up runs twice per iteration).
fn group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group
}

/// Runs `code` and fails the benchmark unless it printed `expected`: a guest
/// that errors out must not be timed as if it worked.
fn run_checked(language: &dyn Language, code: &str, options: &RunOptions, expected: &str) {
    let result = executor()
        .run_blocking(language, code, options.clone())
        .unwrap_or_else(|e| panic!("the run failed: {e}\n{code}"));
    assert!(
        result.success() && result.stdout() == expected.as_bytes(),
        "expected {expected:?}, got exit {} with stdout {:?} and stderr {:?}\n{code}",
        result.exit_code,
        result.stdout_lossy(),
        result.stderr_lossy(),
    );
}

/// The guest program for `n` loop passes.
type Program = fn(usize) -> String;

/// Benchmarks `program(passes)` less `program(0)` in both languages; a
/// program prints `n * per_pass`, the calls it made in its loop.
fn bench_both(
    group: &mut BenchmarkGroup<'_, WallTime>,
    options: &RunOptions,
    passes: usize,
    per_pass: usize,
    python: Program,
    js: Program,
) {
    bench(
        group,
        options,
        passes,
        per_pass,
        &[("python", &Python, python), ("js", &JavaScript, js)],
    );
}

/// Benchmarks `program(passes)` less `program(0)` for each case.
///
/// The two runs alternate, so the drift of a shared machine (start-up alone
/// moved by 30 % within a minute there) falls on both alike instead of
/// skewing the difference, as separately timed benchmarks would.
fn bench(
    group: &mut BenchmarkGroup<'_, WallTime>,
    options: &RunOptions,
    passes: usize,
    per_pass: usize,
    cases: &[(&str, &dyn Language, Program)],
) {
    let calls = passes * per_pass;
    group.throughput(Throughput::Elements(calls as u64));
    for &(name, language, program) in cases {
        let (with_calls, without) = (program(passes), program(0));
        let expected = format!("{calls}\n");
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let (mut with_time, mut without_time) = (Duration::ZERO, Duration::ZERO);
                for _ in 0..iters {
                    let start = Instant::now();
                    run_checked(language, &without, options, "0\n");
                    without_time += start.elapsed();
                    let start = Instant::now();
                    run_checked(language, &with_calls, options, &expected);
                    with_time += start.elapsed();
                }
                with_time.saturating_sub(without_time)
            })
        });
    }
}

fn sync_call(c: &mut Criterion) {
    let options = options(echo());
    let mut group = group(c, "sync_call");
    // The result is used, so the reply is decoded and checked, as a real
    // caller would. The first call is the one-time warm-up (see the top).
    bench_both(
        &mut group,
        &options,
        CALLS,
        1,
        |n| {
            format!(
                "call('echo')\nn = 0\n\
                 for i in range({n}):\n    n += call('echo', i=i)['i'] == i\n\
                 print(n)"
            )
        },
        |n| {
            format!(
                "call('echo');\nlet n = 0;\n\
                 for (let i = 0; i < {n}; i++) n += call('echo', {{i}}).i === i ? 1 : 0;\n\
                 console.log(n);"
            )
        },
    );
    group.finish();
}

fn async_batch(c: &mut Criterion) {
    let options = options(echo());
    let mut group = group(c, "async_batch_100");
    // One event loop for all batches, and asyncio imported without calls too:
    // both are start-up costs, not the batch's; so is the first call.
    bench_both(
        &mut group,
        &options,
        BATCHES,
        BATCH,
        |n| {
            format!(
                "call('echo')\n\
                 import asyncio\n\
                 async def main():\n    \
                     n = 0\n    \
                     for _ in range({n}):\n        \
                         n += len(await asyncio.gather(*(async_call('echo', i=i) for i in range({BATCH}))))\n    \
                     return n\n\
                 print(asyncio.run(main()))"
            )
        },
        |n| {
            format!(
                "call('echo');\n\
                 (async () => {{\n  \
                   let n = 0;\n  \
                   for (let r = 0; r < {n}; r++) {{\n    \
                     const calls = [];\n    \
                     for (let i = 0; i < {BATCH}; i++) calls.push(asyncCall('echo', {{i}}));\n    \
                     n += (await Promise.all(calls)).length;\n  \
                   }}\n  \
                   console.log(n);\n\
                 }})();"
            )
        },
    );
    group.finish();
}

/// An async call awaited alone: a batch of one, so what it costs beyond a
/// sync call is the event loop's turn before the batch is sent. JavaScript
/// only: in Python the calls cost less than its start-up varies by.
fn lone_async_call(c: &mut Criterion) {
    let options = options(echo());
    let mut group = group(c, "lone_async_call");
    let js: Program = |n| {
        format!(
            "call('echo');\n\
             (async () => {{\n  \
               let n = 0;\n  \
               for (let i = 0; i < {n}; i++) n += Object.keys(await asyncCall('echo', {{i}})).length;\n  \
               console.log(n);\n\
             }})();"
        )
    };
    bench(&mut group, &options, LONE, 1, &[("js", &JavaScript, js)]);
    group.finish();
}

fn kv_get(c: &mut Criterion) {
    // One store for every run; each program sets the key before reading it,
    // which is also its warm-up call.
    let options = options(Capabilities::new().kv().open().unwrap());
    let mut group = group(c, "kv_get");
    bench_both(
        &mut group,
        &options,
        CALLS,
        1,
        |n| format!("kv.set('k', 1)\nn = 0\nfor _ in range({n}):\n    n += kv.get('k')\nprint(n)"),
        |n| {
            format!(
                "kv.set('k', 1);\nlet n = 0;\n\
                 for (let i = 0; i < {n}; i++) n += kv.get('k');\n\
                 console.log(n);"
            )
        },
    );
    group.finish();
}

criterion_group!(benches, sync_call, async_batch, lone_async_call, kv_get);
criterion_main!(benches);
