//! A third-party language built on goru-core alone: a tiny WASI module in WAT.
//! Proves the `Language` trait is enough, and exercises the engine's limits
//! and caches without the big interpreters.

use std::sync::Arc;
use std::time::{Duration, Instant};

use goru_core::{CancelHandle, Error, Executor, Language, Program, RunOptions};

/// "Code" is a command word: `hello`, `exit:N`, `spin`, `grow:PAGES`, `cat`, `zzz` (sleep 10 s).
#[derive(Debug)]
struct Wat {
    wasm: Vec<u8>,
}

const MODULE: &str = r#"
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from wat\n")
  ;; No address of linear memory is reserved (see `Language`'s stop
  ;; contract): the iovec lives at 0, argv pointers at 1024, argv strings at
  ;; 2048; the command is argv[1].
  (func $arg1 (result i32)
    (drop (call $args_get (i32.const 1024) (i32.const 2048)))
    (i32.load (i32.const 1028)))
  (func $starts (param $p i32) (param $c i32) (result i32)
    (i32.eq (i32.load8_u (local.get $p)) (local.get $c)))
  (func $number (param $p i32) (result i32) (local $n i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (i32.load8_u (local.get $p))))
      (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10))
                             (i32.sub (i32.load8_u (local.get $p)) (i32.const 48))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $next)))
    (local.get $n))
  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start") (local $cmd i32) (local $n i32)
    (local.set $cmd (call $arg1))
    ;; h: hello
    (if (call $starts (local.get $cmd) (i32.const 104))
      (then (call $write (i32.const 1) (i32.const 16) (i32.const 15)) (return)))
    ;; e: exit:N
    (if (call $starts (local.get $cmd) (i32.const 101))
      (then (call $proc_exit (call $number (i32.add (local.get $cmd) (i32.const 5))))))
    ;; s: spin forever, clearing the low bytes of memory as it goes: the
    ;; stop signal is not in linear memory, so this cannot delay a stop
    (if (call $starts (local.get $cmd) (i32.const 115))
      (then (loop $forever (i64.store (i32.const 0) (i64.const 0)) (br $forever))))
    ;; g: grow:PAGES, trap if refused
    (if (call $starts (local.get $cmd) (i32.const 103))
      (then
        (if (i32.eq (memory.grow (call $number (i32.add (local.get $cmd) (i32.const 5)))) (i32.const -1))
          (then unreachable))
        (return)))
    ;; c: cat stdin to stdout
    (if (call $starts (local.get $cmd) (i32.const 99))
      (then
        (i32.store (i32.const 0) (i32.const 4096))
        (i32.store (i32.const 4) (i32.const 4096))
        (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
        (call $write (i32.const 1) (i32.const 4096) (i32.load (i32.const 8)))
        (return)))
    ;; z: sleep 10 s in one relative-clock subscription (at 8192, 48 bytes)
    (if (call $starts (local.get $cmd) (i32.const 122))
      (then
        (i64.store (i32.const 8216) (i64.const 10000000000))
        (drop (call $poll_oneoff (i32.const 8192) (i32.const 8448) (i32.const 1) (i32.const 8)))
        (return)))
    (call $proc_exit (i32.const 99)))
)
"#;

impl Wat {
    fn new() -> Self {
        Self {
            wasm: wasmer::wat2wasm(MODULE.as_bytes())
                .expect("valid WAT")
                .into_owned(),
        }
    }
}

impl Language for Wat {
    fn name(&self) -> &str {
        "wat-test"
    }

    fn wasm(&self) -> &[u8] {
        &self.wasm
    }

    fn program(&self, code: &str) -> Program {
        Program::new(["wat", code])
    }
}

fn executor() -> Executor {
    Executor::builder().disk_cache(false).build().expect("executor")
}

#[tokio::test]
async fn a_language_from_outside_the_crate_runs_as_a_trait_object() {
    let lang: Arc<dyn Language> = Arc::new(Wat::new());
    let result = executor()
        .run(lang.as_ref(), "hello", RunOptions::new())
        .await
        .unwrap();
    assert_eq!(result.stdout(), b"hello from wat\n");
    assert_eq!(result.exit_code, 0);
    assert!(result.success());
}

#[test]
fn exit_status_is_the_guests() {
    let result = executor()
        .run_blocking(&Wat::new(), "exit:7", RunOptions::new())
        .unwrap();
    assert_eq!(result.exit_code, 7);
    assert!(!result.success());
}

#[test]
fn stdin_is_what_the_caller_gave_and_nothing_else() {
    let exec = executor();
    let lang = Wat::new();
    let given = exec
        .run_blocking(&lang, "cat", RunOptions::new().stdin("abc\0def"))
        .unwrap();
    assert_eq!(given.stdout(), b"abc\0def");
    let none = exec.run_blocking(&lang, "cat", RunOptions::new()).unwrap();
    assert_eq!(none.stdout(), b"", "no stdin given means immediate end of file");
}

#[test]
fn an_endless_loop_is_stopped_at_the_deadline_and_the_executor_stays_usable() {
    let exec = executor();
    let lang = Wat::new();
    exec.prepare(&lang).unwrap();
    let started = Instant::now();
    let err = exec
        .run_blocking(
            &lang,
            "spin",
            RunOptions::new().timeout(Duration::from_millis(300)),
        )
        .unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(err, Error::Timeout { limit, .. } if limit == Duration::from_millis(300)),
        "{err:?}"
    );
    assert!(took < Duration::from_secs(5), "stopped only after {took:?}");
    let next = exec.run_blocking(&lang, "hello", RunOptions::new()).unwrap();
    assert_eq!(next.stdout(), b"hello from wat\n");
}

/// The stop global's export name is the host's: a module that exports it
/// itself is refused rather than left unstoppable.
#[test]
fn a_module_exporting_the_stop_global_is_refused() {
    let wasm = wasmer::wat2wasm(
        br#"(module (global (export "__goru_stop") (mut i32) (i32.const 0)) (func (export "_start")))"#,
    )
    .unwrap()
    .into_owned();
    let lang = Wat { wasm };
    let err = executor().prepare(&lang).unwrap_err();
    assert!(err.to_string().contains("__goru_stop"), "{err}");
}

/// A shared memory could block in `memory.atomic.wait` forever, out of the
/// stop's reach: modules that use threads are refused at compile time.
#[test]
fn a_module_that_could_wait_on_shared_memory_is_refused() {
    let wasm = wasmer::wat2wasm(
        br#"(module
          (memory 1 1 shared)
          (func (export "_start")
            (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))))"#,
    )
    .unwrap()
    .into_owned();
    let lang = Wat { wasm };
    let err = executor().prepare(&lang).unwrap_err();
    assert!(matches!(err, Error::Compile { .. }), "{err:?}");
    let err = executor()
        .run_blocking(&lang, "", RunOptions::new().timeout(Duration::from_secs(1)))
        .unwrap_err();
    assert!(matches!(err, Error::Compile { .. }), "{err:?}");
}

#[test]
fn a_host_side_sleep_is_cut_at_the_deadline() {
    let exec = executor();
    let err = exec
        .run_blocking(
            &Wat::new(),
            "zzz",
            RunOptions::new().timeout(Duration::from_millis(300)),
        )
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
}

#[tokio::test]
async fn a_cancel_handle_stops_a_sleeping_guest() {
    let exec = executor();
    let cancel = CancelHandle::new();
    let run = {
        let exec = exec.clone();
        let options = RunOptions::new().cancel_handle(cancel.clone());
        tokio::spawn(async move { exec.run(&Wat::new(), "zzz", options).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    cancel.cancel();
    let err = run.await.unwrap().unwrap_err();
    assert!(matches!(err, Error::Cancelled { .. }), "{err:?}");
}

#[test]
fn growing_past_the_memory_cap_is_a_typed_memory_error() {
    let exec = executor();
    let lang = Wat::new();
    // 64 MiB cap = 1024 pages; the module starts with 1.
    let ok = exec.run_blocking(&lang, "grow:1000", RunOptions::new().memory_bytes(64 << 20));
    assert!(ok.is_ok(), "{ok:?}");
    let err = exec
        .run_blocking(&lang, "grow:2000", RunOptions::new().memory_bytes(64 << 20))
        .unwrap_err();
    assert!(
        matches!(err, Error::MemoryLimit { limit_bytes, .. } if limit_bytes == 64 << 20),
        "{err:?}"
    );
}

#[test]
fn a_corrupt_or_foreign_cache_file_is_ignored_and_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let lang = Wat::new();
    let build = || Executor::builder().cache_dir(dir.path()).build().unwrap();

    build().prepare(&lang).unwrap();
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "one cache file: {files:?}");
    let file = &files[0];
    let good = std::fs::read(file).unwrap();

    let damaged: [(&str, Vec<u8>); 4] = [
        ("truncated", good[..good.len() / 2].to_vec()),
        ("bit flip", {
            let mut b = good.clone();
            let last = b.len() - 1;
            b[last] ^= 0x55;
            b
        }),
        ("garbage", b"definitely not a module".to_vec()),
        ("empty", Vec::new()),
    ];
    for (what, bytes) in damaged {
        std::fs::write(file, &bytes).unwrap();
        let exec = build();
        let result = exec.run_blocking(&lang, "hello", RunOptions::new());
        assert_eq!(result.unwrap().stdout(), b"hello from wat\n", "{what}");
        assert_eq!(std::fs::read(file).unwrap(), good, "{what}: the file was rebuilt");
    }
}

#[test]
fn concurrent_processes_style_writers_do_not_corrupt_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let lang = Wat::new();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let exec = Executor::builder().cache_dir(dir.path()).build().unwrap();
                exec.prepare(&lang).unwrap();
            });
        }
    });
    let exec = Executor::builder().cache_dir(dir.path()).build().unwrap();
    let result = exec.run_blocking(&lang, "hello", RunOptions::new()).unwrap();
    assert_eq!(result.stdout(), b"hello from wat\n");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "no temporary files left behind: {names:?}");
}
