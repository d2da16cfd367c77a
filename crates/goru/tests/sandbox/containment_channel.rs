//! Hostile guests against the host-call channel: requests whose replies are
//! never read, batches whose results would not fit in a reply, frames that
//! parse into far more than their size, and batches that would hold the
//! host's threads. Each asserts the host's promise: a typed error or a clean
//! guest exception, host memory bounded (peak RSS measured in a child
//! process), and other runs unaffected.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use goru::hostfn::Capabilities;
use goru::hostfn::fs::{Mount, MountMode};
use goru::hostfn::http::HttpConfig;
use goru::{
    CancelHandle, Error, HostError, HostFunctions, HostFuture, JavaScript, Limits, Python, RunOptions,
};
use serde_json::Value;

use crate::common::{executor, opts, run_ok};

fn granted(capabilities: &Capabilities) -> RunOptions {
    opts().host_functions(capabilities.open().expect("opening the capabilities"))
}

const FRAME_CAP: usize = 16 << 20;

#[test]
fn defaults_are_the_documented_ones() {
    let limits = Limits::default();
    assert_eq!(limits.host_frame_bytes, FRAME_CAP);
    assert_eq!(limits.host_calls_in_flight, 16);
}

#[test]
fn a_request_is_not_taken_before_the_last_reply_was_read() {
    let out = run_ok(
        &Python,
        "import os, errno\n\
         fd = os.open('/.goru/channel', os.O_RDWR)\n\
         frame = b'\\x0c\\x00\\x00\\x00{\"calls\":[]}'\n\
         print(os.write(fd, frame * 1000))\n\
         try:\n    os.write(fd, frame)\nexcept BlockingIOError as e:\n    print(e.errno == errno.EAGAIN)\n\
         size = int.from_bytes(os.read(fd, 4), 'little')\n\
         print(os.read(fd, size))\n\
         print(os.write(fd, frame))\n\
         print(os.read(fd, 100))",
        opts(),
    );
    assert_eq!(
        out,
        "16\nTrue\nb'{\"results\":[]}'\n16\nb'\\x0e\\x00\\x00\\x00{\"results\":[]}'\n"
    );
    // QuickJS's os.write returns minus the errno.
    let out = run_ok(
        &JavaScript,
        "const fd = os.open('/.goru/channel', os.O_RDWR);\n\
         const body = '{\"calls\":[]}';\n\
         const frame = new Uint8Array(16 * 100);\n\
         for (let f = 0; f < 100; f++) { frame[16 * f] = 12; for (let i = 0; i < 12; i++) frame[16 * f + 4 + i] = body.charCodeAt(i); }\n\
         console.log(os.write(fd, frame.buffer, 0, frame.length));\n\
         console.log(os.write(fd, frame.buffer, 0, 16));\n\
         const reply = new Uint8Array(18);\n\
         console.log(os.read(fd, reply.buffer, 0, 18));\n\
         console.log(os.write(fd, frame.buffer, 0, 16));",
        opts(),
    );
    // WASI's EAGAIN is 6.
    assert_eq!(out, "16\n-6\n18\n16\n");
}

#[test]
fn the_shims_keep_working_beside_a_guest_that_floods_the_channel() {
    let out = run_ok(
        &Python,
        "import os\n\
         from goru import kv\n\
         fd = os.open('/.goru/channel', os.O_RDWR)\n\
         frame = b'\\x0c\\x00\\x00\\x00{\"calls\":[]}'\n\
         refused = 0\n\
         for _ in range(1000):\n\
         \x20   try:\n\
         \x20       os.write(fd, frame * 1000)\n\
         \x20   except BlockingIOError:\n\
         \x20       refused += 1\n\
         print(refused)\n\
         os.read(fd, 18)\n\
         kv.set('a', 1)\n\
         print(kv.get('a'))",
        granted(&Capabilities::new().kv()),
    );
    assert_eq!(out, "999\n1\n");
}

/// Python that sends `calls` (a Python expression for a list of awaitables)
/// as one batch and prints how many results were `ok` (their lengths summed)
/// and how many `limit` errors came back, with the first such message.
fn tally(setup: &str, calls: &str) -> String {
    format!(
        "from goru import run_async\n{setup}\n\
         async def one(c):\n\
         \x20   try:\n\
         \x20       return len(await c)\n\
         \x20   except Exception as e:\n\
         \x20       return (e.kind, str(e))\n\
         results = run_async(*[one(c) for c in {calls}])\n\
         ok = [r for r in results if isinstance(r, int)]\n\
         limit = [r for r in results if not isinstance(r, int) and r[0] == 'limit']\n\
         print(len(ok), sum(ok), len(limit), len(ok) + len(limit) == len(results))\n\
         print(limit[0][1] if limit else '')"
    )
}

fn parse_tally(out: &str) -> (usize, usize, usize, String) {
    let (counts, message) = out.split_once('\n').unwrap();
    let fields: Vec<&str> = counts.split(' ').collect();
    assert_eq!(fields[3], "True", "a result neither ok nor limit: {out}");
    let n = |i: usize| fields[i].parse::<usize>().unwrap();
    (n(0), n(1), n(2), message.trim_end().to_string())
}

#[test]
fn kv_results_past_the_reply_cap_get_limit_errors() {
    let cap = 1 << 20;
    let out = run_ok(
        &Python,
        &tally(
            "from goru import kv\nkv.set('v', 'x' * 65000)",
            "[kv.async_get('v') for _ in range(200)]",
        ),
        granted(&Capabilities::new().kv()).host_frame_bytes(cap),
    );
    let (ok, ok_bytes, limited, message) = parse_tally(&out);
    assert_eq!(ok + limited, 200);
    assert_eq!(ok, cap / 65_010, "as many as fit: {out}");
    assert!(ok_bytes <= cap);
    assert_eq!(
        message,
        format!("the results of this batch passed the {cap}-byte limit on a host-call reply")
    );
}

#[test]
fn fs_results_past_the_reply_cap_get_limit_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.txt"), "y".repeat(1 << 20)).unwrap();
    let grant = Capabilities::new().mount(Mount::new("/data", dir.path(), MountMode::ReadOnly));
    let code = tally(
        "from goru import fs",
        "[fs.async_read_text('/data/big.txt') for _ in range(10)]",
    );
    let out = run_ok(&Python, &code, granted(&grant).host_frame_bytes(3 << 20));
    let (ok, _, limited, _) = parse_tally(&out);
    assert_eq!((ok, limited), (2, 8), "{out}");
    // JavaScript gets the same errors.
    let out = run_ok(
        &JavaScript,
        "Promise.allSettled(Array.from({length: 10}, () => fs.asyncReadText('/data/big.txt')))\n\
         .then(rs => console.log(rs.filter(r => r.status === 'fulfilled').length,\n\
         \x20 rs.filter(r => r.status === 'rejected' && r.reason.kind === 'limit').length));",
        granted(&grant).host_frame_bytes(3 << 20),
    );
    assert_eq!(out, "2 8\n");
}

#[test]
fn arguments_that_parse_into_far_more_than_their_size_are_refused() {
    let cap = 64 << 10;
    let code = "import os, json\n\
         fd = os.open('/.goru/channel', os.O_RDWR)\n\
         def send(args):\n\
         \x20   body = b'{\"calls\":[{\"fn\":\"kv_get\",\"args\":' + args + b'}]}'\n\
         \x20   os.write(fd, len(body).to_bytes(4, 'little') + body)\n\
         \x20   size = int.from_bytes(os.read(fd, 4), 'little')\n\
         \x20   reply = json.loads(os.read(fd, size))\n\
         \x20   e = reply.get('error') or reply['results'][0]['error']\n\
         \x20   print(e['kind'], e['message'])\n\
         send(b'[' + b'{\"\":0},' * 9000 + b'0]')\n\
         send(b'\"' + b'x' * 60000 + b'\"')";
    let out = run_ok(&Python, code, opts().host_frame_bytes(cap));
    assert_eq!(
        out,
        format!(
            "limit the host-call arguments would take more than {} bytes of host memory once parsed\n\
             not_granted the kv capability was not granted to this run\n",
            2 * cap
        )
    );
}

/// `hang` never returns and counts its starts; `nap` sleeps `ms` and records
/// how many naps ran at once.
#[derive(Debug, Default)]
struct Slow {
    started: AtomicUsize,
    naps: Arc<Naps>,
}

#[derive(Debug, Default)]
struct Naps {
    now: AtomicUsize,
    most: AtomicUsize,
}

impl HostFunctions for Slow {
    fn call(&self, name: &str, args: Value) -> Option<HostFuture> {
        match name {
            "hang" => {
                self.started.fetch_add(1, Ordering::SeqCst);
                Some(Box::pin(std::future::pending()))
            }
            "nap" => {
                let naps = self.naps.clone();
                let now = naps.now.fetch_add(1, Ordering::SeqCst) + 1;
                naps.most.fetch_max(now, Ordering::SeqCst);
                let ms = args.get("ms").and_then(Value::as_u64).unwrap_or(0);
                Some(Box::pin(async move {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    naps.now.fetch_sub(1, Ordering::SeqCst);
                    Ok::<Value, HostError>(Value::Null)
                }))
            }
            _ => None,
        }
    }
}

#[test]
fn a_batch_runs_at_most_host_calls_in_flight_calls_at_once() {
    let slow = Arc::new(Slow::default());
    let code = "from goru import async_call, run_async\n\
                run_async(*[async_call('nap', ms=20) for _ in range(60)])\nprint('done')";
    let out = run_ok(
        &Python,
        code,
        opts().host_functions(slow.clone()).host_calls_in_flight(4),
    );
    assert_eq!(out, "done\n");
    assert_eq!(slow.naps.most.load(Ordering::SeqCst), 4);

    let slow = Arc::new(Slow::default());
    run_ok(&Python, code, opts().host_functions(slow.clone()));
    assert_eq!(
        slow.naps.most.load(Ordering::SeqCst),
        Limits::default().host_calls_in_flight
    );
}

#[test]
fn queued_calls_never_start_once_the_run_stopped() {
    let slow = Arc::new(Slow::default());
    let err = executor()
        .run_blocking(
            &JavaScript,
            "runAsync(...Array.from({length: 100}, () => asyncCall('hang', {})))",
            opts()
                .host_functions(slow.clone())
                .host_calls_in_flight(4)
                .timeout(Duration::from_millis(500)),
        )
        .expect_err("the run must time out");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(slow.started.load(Ordering::SeqCst), 4);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        slow.started.load(Ordering::SeqCst),
        4,
        "a call started after the run stopped"
    );
}

/// A loopback TCP server that accepts connections and never answers.
struct Silent {
    port: u16,
    streams: Arc<Mutex<Vec<TcpStream>>>,
}

impl Silent {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let streams = Arc::new(Mutex::new(Vec::new()));
        let held = streams.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                held.lock().unwrap().push(stream);
            }
        });
        Self { port, streams }
    }

    fn connections(&self) -> usize {
        self.streams.lock().unwrap().len()
    }

    /// Waits (a minute at most) until `n` connections came in.
    fn await_connections(&self, n: usize) {
        let give_up = Instant::now() + Duration::from_secs(60);
        while self.connections() < n {
            assert!(
                Instant::now() < give_up,
                "only {} connections",
                self.connections()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        // Ends the requests still waiting, and the host threads they hold.
        for stream in self.streams.lock().unwrap().drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}

#[test]
fn a_run_flooding_a_silent_host_holds_few_threads_and_starves_no_one() {
    let server = Silent::start();
    let http_timeout = Duration::from_secs(20);
    let grant = Capabilities::new().http_config(
        HttpConfig::new()
            .allow_host(format!("127.0.0.1:{}", server.port))
            .timeout(http_timeout),
    );
    let cancel = CancelHandle::new();
    let flood = format!(
        "from goru import http, run_async\n\
         run_async(*[http.async_get('http://127.0.0.1:{}/') for _ in range(2000)])",
        server.port
    );
    let options = granted(&grant)
        .timeout(Duration::from_secs(300))
        .cancel_handle(cancel.clone());
    let flooding = std::thread::spawn(move || executor().run_blocking(&Python, &flood, options));
    let in_flight = Limits::default().host_calls_in_flight;
    server.await_connections(in_flight);

    let started = Instant::now();
    let out = run_ok(&Python, "print(1)", opts());
    let waited = started.elapsed();
    assert_eq!(out, "1\n");
    // No call of the flood can have ended yet: each waits `http_timeout`.
    assert!(waited < http_timeout, "another run waited {waited:?}");
    assert!(!flooding.is_finished());
    assert_eq!(
        server.connections(),
        in_flight,
        "calls beyond the per-run cap ran"
    );

    cancel.cancel();
    let err = flooding.join().unwrap().expect_err("the flood was cancelled");
    assert!(matches!(err, Error::Cancelled { .. }), "{err:?}");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        server.connections(),
        in_flight,
        "a queued call started after the stop"
    );
}

#[test]
fn a_blocked_http_call_gives_up_when_its_run_is_over() {
    let server = Silent::start();
    let grant = Capabilities::new().http_config(
        HttpConfig::new()
            .allow_host(format!("127.0.0.1:{}", server.port))
            .timeout(Duration::from_secs(600)),
    );
    let code = format!(
        "from goru import http\nhttp.get('http://127.0.0.1:{}/')",
        server.port
    );
    let err = executor()
        .run_blocking(&Python, &code, granted(&grant).timeout(Duration::from_secs(1)))
        .expect_err("the run must time out");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    server.await_connections(1);
    let mut stream = server.streams.lock().unwrap()[0].try_clone().unwrap();
    // Far less than the HTTP timeout: the request ends with its run.
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut request = Vec::new();
    stream
        .read_to_end(&mut request)
        .expect("the host closes the connection once the run is over");
    assert!(request.starts_with(b"GET / HTTP/1.1\r\n"));
}

/// The scenario a child process runs (see [`memory_child`]).
const SCENARIO: &str = "GORU_CHANNEL_MEMORY_SCENARIO";

/// The peak RSS growth of the child running `scenario`, and its report.
fn in_child(scenario: &str) -> (u64, String) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "containment_channel::memory_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(SCENARIO, scenario)
        // glibc raises its mmap threshold after the first large free and then
        // keeps freed multi-MiB blocks in each thread's arena; fixed, RSS
        // follows what goru holds rather than what the allocator caches.
        .env("MALLOC_MMAP_THRESHOLD_", "131072")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed\n{stdout}\n{stderr}");
    let report = stdout
        .lines()
        .find_map(|l| l.split_once("scenario: ").map(|(_, report)| report))
        .unwrap_or_else(|| panic!("the child did not report\n{stdout}\n{stderr}"));
    let (grown, outcome) = report.split_once(' ').unwrap();
    (grown.parse().unwrap(), outcome.to_string())
}

/// Peak resident memory of this process so far.
fn max_rss_bytes() -> u64 {
    // SAFETY: rusage is plain old data; all zeroes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills the struct we own; RUSAGE_SELF is always valid.
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) }, 0);
    u64::try_from(usage.ru_maxrss).unwrap() * 1024
}

#[test]
#[ignore = "runs in the child process of the memory tests"]
fn memory_child() {
    let Ok(scenario) = std::env::var(SCENARIO) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.txt"), "y".repeat(10 << 20)).unwrap();
    let grant = Capabilities::new()
        .kv()
        .mount(Mount::new("/data", dir.path(), MountMode::ReadOnly));
    let (code, memory) = scenario_of(&scenario);
    let options = || {
        granted(&grant)
            .memory_bytes(memory)
            .timeout(Duration::from_secs(20))
    };
    // The baseline includes an instance's own machinery.
    executor()
        .run_blocking(&Python, "import goru, asyncio", options())
        .unwrap();
    let before = max_rss_bytes();
    let outcome = match executor().run_blocking(&Python, code, options()) {
        Ok(result) => format!("{:?} {}", result.exit_code, result.stdout_lossy().trim_end()),
        Err(e) => format!("error {e}"),
    };
    println!("scenario: {} {outcome}", max_rss_bytes().saturating_sub(before));
}

/// The guest code of a scenario, and the guest's memory cap.
fn scenario_of(name: &str) -> (&'static str, u64) {
    match name {
        "unread_frames" => (UNREAD_FRAMES, 64 << 20),
        "kv_batch" => (KV_BATCH, 192 << 20),
        "fs_batch" => (FS_BATCH, 128 << 20),
        "parse_bomb" => (PARSE_BOMB, 128 << 20),
        other => panic!("no scenario {other}"),
    }
}

/// 1 GiB of `{"calls":[]}` frames, never reading a reply (1.65 GB of host
/// memory at a 32 MiB guest before replies had to be read).
const UNREAD_FRAMES: &str = "import os\n\
    fd = os.open('/.goru/channel', os.O_RDWR)\n\
    chunk = b'\\x0c\\x00\\x00\\x00{\"calls\":[]}' * 262144\n\
    refused = 0\n\
    for _ in range(256):\n\
    \x20   try:\n\
    \x20       os.write(fd, chunk)\n\
    \x20   except BlockingIOError:\n\
    \x20       refused += 1\n\
    print(refused)";

/// 9,990 `kv_get` of a 64 KiB value in one batch (2.7 GB before results
/// were counted as they arrived).
const KV_BATCH: &str = "from goru import kv, run_async\n\
    kv.set('v', 'x' * 65000)\n\
    async def one():\n\
    \x20   try:\n\
    \x20       return len(await kv.async_get('v'))\n\
    \x20   except Exception as e:\n\
    \x20       return e.kind\n\
    results = run_async(*[one() for _ in range(9990)])\n\
    print(sum(1 for r in results if r == 65000), results.count('limit'))";

/// 100 `fs_read` of a 10 MiB file in one batch (4.6 GB before).
const FS_BATCH: &str = "from goru import fs, run_async\n\
    async def one():\n\
    \x20   try:\n\
    \x20       return len(await fs.async_read_text('/data/big.txt'))\n\
    \x20   except Exception as e:\n\
    \x20       return e.kind\n\
    results = run_async(*[one() for _ in range(100)])\n\
    print(sum(1 for r in results if r == 10 << 20), results.count('limit'))";

/// One 16 MiB frame of tiny objects, which parsed would take 1.5 GB.
const PARSE_BOMB: &str = "import os, json\n\
    fd = os.open('/.goru/channel', os.O_RDWR)\n\
    body = b'{\"calls\":[{\"fn\":\"f\",\"args\":[' + b'{\"\":0},' * 2390000 + b'0]}]}'\n\
    os.write(fd, len(body).to_bytes(4, 'little') + body)\n\
    del body\n\
    size = int.from_bytes(os.read(fd, 4), 'little')\n\
    print(json.loads(os.read(fd, size))['error']['kind'])";

/// Runs `scenario` in a child and checks its outcome, and that the host's
/// peak RSS grew by less than the guest's memory cap plus `channel_mib`, the
/// channel's worst case for that scenario at the default limits (see
/// docs/security-model.md).
fn assert_bounded(scenario: &str, channel_mib: u64, expected: &str) {
    let (grown, outcome) = in_child(scenario);
    let memory = scenario_of(scenario).1;
    assert_eq!(outcome, expected, "{scenario}");
    eprintln!("{scenario}: peak RSS grew by {} MiB", grown >> 20);
    assert!(
        grown < memory + (channel_mib << 20),
        "{scenario}: peak RSS grew by {} MiB",
        grown >> 20
    );
}

#[test]
fn unread_frames_do_not_pile_up_in_host_memory() {
    // One frame being received.
    assert_bounded("unread_frames", 16, "0 255");
}

#[test]
fn a_kv_batch_bigger_than_a_reply_stays_bounded() {
    // The request, the reply, one result written in vain and the errors.
    assert_bounded("kv_batch", 64, "0 258 9732");
}

#[test]
fn an_fs_batch_bigger_than_a_reply_stays_bounded() {
    // 16 reads of 10 MiB in flight, the reply and one result in vain.
    assert_bounded("fs_batch", 16 * 10 + 48, "0 1 99");
}

#[test]
fn a_frame_that_parses_into_gigabytes_is_refused() {
    // The frame and the parse budget.
    assert_bounded("parse_bomb", 48, "0 limit");
}
