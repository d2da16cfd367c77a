//! A load test of `goru serve` on loopback, bounded in count and time:
//! K client threads fire N stateless requests per language and report
//! requests/s and latency percentiles. Ignored by default; run with
//!
//! ```sh
//! cargo test -p goru-cli --test cli serve::load -- --ignored --nocapture
//! ```
//!
//! `GORU_LOAD_REQUESTS` (default 400 per language) and `GORU_LOAD_THREADS`
//! (default 4) change the shape; firing stops after 60 s whatever is left.

use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;

use super::Server;

/// Firing stops after this long per language, done or not.
const TIME_BOUND: Duration = Duration::from_secs(60);

/// What one language's load gave.
#[derive(Debug)]
struct Figures {
    sent: usize,
    ok: usize,
    refused: usize,
    failed: usize,
    wall: Duration,
    latencies: Vec<Duration>,
}

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

#[test]
#[ignore = "a load test: run explicitly with --ignored --nocapture"]
fn load() {
    let requests = env_count("GORU_LOAD_REQUESTS", 400);
    let threads = env_count("GORU_LOAD_THREADS", 4);
    let server = Server::start(&[]);
    println!(
        "goru serve load: {requests} stateless requests per language from {threads} threads, \
         server defaults (run slots = CPUs = {})",
        thread::available_parallelism().map_or(1, usize::from)
    );
    for (lang, code) in [
        ("python", "print(sum(range(1000)))"),
        ("js", "console.log([1, 2, 3].map(x => x * 2).join())"),
    ] {
        // One warm-up request: the first run of a language loads its module.
        server.execute(json!({"lang": lang, "code": code}));
        let figures = fire(&server.base, lang, code, requests, threads);
        report(lang, &figures);
        assert_eq!(figures.failed, 0, "{lang}: transport failures or wrong answers");
        assert!(figures.ok > 0, "{lang}: nothing succeeded");
    }
}

fn fire(base: &str, lang: &str, code: &str, requests: usize, threads: usize) -> Figures {
    let body = json!({"lang": lang, "code": code}).to_string();
    let url = format!("{base}/execute");
    let started = Instant::now();
    let deadline = started + TIME_BOUND;
    let workers: Vec<_> = (0..threads)
        .map(|worker| {
            let share = requests / threads + usize::from(worker < requests % threads);
            let (url, body) = (url.clone(), body.clone());
            thread::spawn(move || {
                // One agent per client: connections are kept alive, as a
                // real client would.
                let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build();
                let mut figures = Figures {
                    sent: 0,
                    ok: 0,
                    refused: 0,
                    failed: 0,
                    wall: Duration::ZERO,
                    latencies: Vec::with_capacity(share),
                };
                for _ in 0..share {
                    if Instant::now() > deadline {
                        break;
                    }
                    let sent = Instant::now();
                    let outcome = agent.post(&url).send_string(&body);
                    figures.sent += 1;
                    match outcome {
                        Ok(response) => {
                            let text = response.into_string().unwrap_or_default();
                            if text.contains(r#""exit_code":0"#) {
                                figures.ok += 1;
                                figures.latencies.push(sent.elapsed());
                            } else {
                                figures.failed += 1;
                            }
                        }
                        Err(ureq::Error::Status(503, _)) => figures.refused += 1,
                        Err(_) => figures.failed += 1,
                    }
                }
                figures
            })
        })
        .collect();
    let mut total = Figures {
        sent: 0,
        ok: 0,
        refused: 0,
        failed: 0,
        wall: Duration::ZERO,
        latencies: Vec::new(),
    };
    for worker in workers {
        let figures = worker.join().expect("a load thread");
        total.sent += figures.sent;
        total.ok += figures.ok;
        total.refused += figures.refused;
        total.failed += figures.failed;
        total.latencies.extend(figures.latencies);
    }
    total.wall = started.elapsed();
    total.latencies.sort();
    total
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn report(lang: &str, figures: &Figures) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let lat = &figures.latencies;
    println!(
        "{lang:>6}: {} sent, {} ok, {} refused (503), {} failed in {:.2} s = {:.1} req/s; \
         latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        figures.sent,
        figures.ok,
        figures.refused,
        figures.failed,
        figures.wall.as_secs_f64(),
        figures.ok as f64 / figures.wall.as_secs_f64(),
        ms(percentile(lat, 50.0)),
        ms(percentile(lat, 90.0)),
        ms(percentile(lat, 99.0)),
        ms(lat.last().copied().unwrap_or_default()),
    );
}
