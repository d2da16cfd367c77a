//! The host-call channel: custom host functions, batching, framing and limits,
//! through the real shims of both languages.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use goru::{HostError, HostFunctions, HostFuture, JavaScript, Python, RunOptions};
use serde_json::Value;

use crate::common::{executor, opts, run_ok};

/// Test functions: `echo` returns its args; `sleep` waits `ms` then returns
/// them; `fail` fails with the kind and message it is given; `boom` panics.
/// Counts calls, and how many `sleep` calls were in flight at once: calls
/// that reach the host one frame at a time never overlap.
#[derive(Debug, Default)]
struct TestFunctions {
    calls: AtomicUsize,
    stats: Arc<Concurrency>,
}

#[derive(Debug, Default)]
struct Concurrency {
    in_flight: AtomicUsize,
    most: AtomicUsize,
}

impl HostFunctions for TestFunctions {
    fn call(&self, name: &str, args: Value) -> Option<HostFuture> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let future: HostFuture = match name {
            "echo" => Box::pin(async move { Ok(args) }),
            "sleep" => {
                let stats = self.stats.clone();
                Box::pin(async move {
                    let now = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    stats.most.fetch_max(now, Ordering::SeqCst);
                    let ms = args.get("ms").and_then(Value::as_u64).unwrap_or(0);
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    stats.in_flight.fetch_sub(1, Ordering::SeqCst);
                    Ok(args)
                })
            }
            "fail" => Box::pin(async move {
                let field = |k: &str| args.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                Err(HostError::new(field("kind"), field("message")))
            }),
            "boom" => Box::pin(async move { panic!("the host function blew up") }),
            _ => return None,
        };
        Some(future)
    }
}

fn with_functions() -> (Arc<TestFunctions>, RunOptions) {
    let functions = Arc::new(TestFunctions::default());
    let options = opts().host_functions(functions.clone());
    (functions, options)
}

#[test]
fn python_calls_a_custom_function_with_keyword_arguments() {
    let (_, options) = with_functions();
    let out = run_ok(
        &Python,
        "r = call('echo', id='123', n=[1, 2.5, None], s='é😀\\x00')\nprint(r['id'], r['n'], r['s'] == 'é😀\\x00')",
        options,
    );
    assert_eq!(out, "123 [1, 2.5, None] True\n");
}

#[test]
fn javascript_calls_a_custom_function_with_an_object() {
    let (_, options) = with_functions();
    let out = run_ok(
        &JavaScript,
        "const r = call('echo', {id: '123', n: [1, 2.5, null], s: 'é😀\\u0000'});\
         console.log(r.id, JSON.stringify(r.n), r.s === 'é😀\\u0000');",
        options,
    );
    assert_eq!(out, "123 [1,2.5,null] true\n");
}

#[test]
fn the_seed_low_level_name_works_in_both_languages() {
    let (_, options) = with_functions();
    assert_eq!(
        run_ok(&Python, "print(_goru_call('echo', {'a': 1})['a'])", options),
        "1\n"
    );
    let (_, options) = with_functions();
    assert_eq!(
        run_ok(&JavaScript, "console.log(_goru_call('echo', {a: 1}).a)", options),
        "1\n"
    );
}

#[test]
fn host_errors_become_guest_exceptions_with_their_kind() {
    let (_, options) = with_functions();
    let out = run_ok(
        &Python,
        "from goru import HostError\n\
         try:\n    call('fail', kind='not_found', message='no such user')\n\
         except FileNotFoundError as e:\n    print(type(e).__name__, e.kind, e, isinstance(e, HostError))",
        options,
    );
    assert_eq!(out, "NotFoundError not_found no such user True\n");
    let (_, options) = with_functions();
    let out = run_ok(
        &JavaScript,
        "try { call('fail', {kind: 'quota', message: 'over quota'}); } \
         catch (e) { console.log(e instanceof HostError, e.kind, e.message); }",
        options,
    );
    assert_eq!(out, "true quota over quota\n");
}

#[test]
fn unknown_functions_and_panicking_handlers_fail_only_their_call() {
    let (_, options) = with_functions();
    let out = run_ok(
        &Python,
        "for name in ('nope', 'boom'):\n    try:\n        call(name)\n    except Exception as e:\n        print(e.kind, e)\n\
         print(call('echo', ok=1))",
        options,
    );
    assert_eq!(
        out,
        "unknown_function no host function named \"nope\"\nfailed host function \"boom\" panicked\n{'ok': 1}\n"
    );
}

#[test]
fn without_host_functions_calls_fail_cleanly() {
    let result = executor().run_blocking(&Python, "call('echo')", opts()).unwrap();
    assert_eq!(result.exit_code, 1);
    let exception = result.exception.expect("an exception report");
    assert_eq!(exception.kind, "UnknownFunctionError");
}

#[test]
fn python_gathered_async_calls_reach_the_host_as_one_batch_and_run_concurrently() {
    let (functions, options) = with_functions();
    let out = run_ok(
        &Python,
        "import asyncio\n\
         async def main():\n    return await asyncio.gather(*(async_call('sleep', ms=100, i=i) for i in range(10)))\n\
         rs = asyncio.run(main())\nprint([r['i'] for r in rs])\n\
         print(run_async(async_call('echo', a=1))['a'], [r['i'] for r in run_async(async_call('echo', i=1), async_call('echo', i=2))])",
        options,
    );
    assert_eq!(out, "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n1 [1, 2]\n");
    assert_eq!(functions.calls.load(Ordering::SeqCst), 13);
    assert_eq!(
        functions.stats.most.load(Ordering::SeqCst),
        10,
        "the ten sleeps overlapped"
    );
}

#[test]
fn javascript_promise_all_and_run_async_batch_their_calls() {
    let (functions, options) = with_functions();
    let out = run_ok(
        &JavaScript,
        "const ps = []; for (let i = 0; i < 10; i++) ps.push(asyncCall('sleep', {ms: 100, i}));\n\
         Promise.all(ps).then(rs => console.log(JSON.stringify(rs.map(r => r.i))))\n\
           .then(() => runAsync(asyncCall('echo', {i: 1}), () => asyncCall('echo', {i: 2})))\n\
           .then(rs => console.log(rs.map(r => r.i).join(',')));",
        options,
    );
    assert_eq!(out, "[0,1,2,3,4,5,6,7,8,9]\n1,2\n");
    assert_eq!(functions.calls.load(Ordering::SeqCst), 12);
    assert_eq!(
        functions.stats.most.load(Ordering::SeqCst),
        10,
        "the ten sleeps overlapped"
    );
}

#[test]
fn user_output_that_imitates_frames_is_returned_untouched() {
    // A real frame's bytes, NULs and a lone length prefix, on both streams,
    // interleaved with real host calls.
    let code = "import sys\n\
        fake = (25).to_bytes(4, 'little') + b'{\"calls\":[{\"fn\":\"echo\"}]}'\n\
        for stream in (sys.stdout.buffer, sys.stderr.buffer):\n\
        \x20   stream.write(fake + b'\\x00\\x00\\xff\\xfe' + b'\\x05\\x00\\x00\\x00')\n\
        \x20   stream.flush()\n\
        \x20   assert call('echo', x=1) == {'x': 1}\n";
    let (functions, options) = with_functions();
    let result = executor().run_blocking(&Python, code, options).unwrap();
    assert!(result.success(), "{}", result.stderr_lossy());
    let mut expected = 25u32.to_le_bytes().to_vec();
    expected.extend_from_slice(b"{\"calls\":[{\"fn\":\"echo\"}]}\0\0\xff\xfe\x05\0\0\0");
    assert_eq!(result.stdout(), expected.as_slice());
    assert_eq!(result.output.stderr, expected);
    assert_eq!(
        functions.calls.load(Ordering::SeqCst),
        2,
        "only the real calls reached the host"
    );

    let (_, options) = with_functions();
    let out = run_ok(
        &JavaScript,
        "std.out.puts('\\u0000{\"calls\":[]}\\u0000'); std.out.flush(); call('echo', {}); std.out.puts('end');",
        options,
    );
    assert_eq!(out, "\0{\"calls\":[]}\0end");
}

#[test]
fn user_stdin_is_read_between_host_calls() {
    let (_, options) = with_functions();
    let out = run_ok(
        &Python,
        "import sys\nfor line in sys.stdin:\n    print(call('echo', line=line.strip())['line'].upper())",
        options.stdin("alpha\nbeta\n"),
    );
    assert_eq!(out, "ALPHA\nBETA\n");
    let (_, options) = with_functions();
    let out = run_ok(
        &JavaScript,
        "let line; while ((line = std.in.getline()) !== null) console.log(call('echo', {line}).line + '!');",
        options.stdin("alpha\nbeta\n"),
    );
    assert_eq!(out, "alpha!\nbeta!\n");
}

#[test]
fn frames_over_the_cap_are_refused_and_the_channel_keeps_working() {
    let (functions, options) = with_functions();
    let out = run_ok(
        &Python,
        "try:\n    call('echo', s='x' * 5000)\nexcept Exception as e:\n    print(e.kind, e)\nprint(call('echo', s='ok')['s'])",
        options.host_frame_bytes(1024),
    );
    let (refusal, rest) = out.split_once('\n').unwrap();
    assert!(refusal.starts_with("limit host-call frame of 50"), "{refusal}");
    assert!(
        refusal.ends_with("bytes is over the 1024-byte limit"),
        "{refusal}"
    );
    assert_eq!(rest, "ok\n");
    assert_eq!(
        functions.calls.load(Ordering::SeqCst),
        1,
        "the oversized call never ran"
    );
}

#[test]
fn the_number_of_host_calls_per_run_is_capped() {
    let (functions, options) = with_functions();
    let out = run_ok(
        &JavaScript,
        "for (let i = 0; i < 5; i++) { try { call('echo', {i}); console.log('ok', i); } \
         catch (e) { console.log(e.kind, e.message); } }",
        options.host_calls(3),
    );
    assert_eq!(
        out,
        "ok 0\nok 1\nok 2\nlimit this run has used up its host calls\nlimit this run has used up its host calls\n"
    );
    assert_eq!(functions.calls.load(Ordering::SeqCst), 3);
}

#[test]
fn malformed_frames_get_a_protocol_error() {
    let (functions, options) = with_functions();
    let out = run_ok(
        &Python,
        "import os, json\nfd = os.open('/.goru/channel', os.O_RDWR)\n\
         for body in (b'not json', b'{\"calls\": 3}', b'\\xff\\xfe'):\n\
         \x20   os.write(fd, len(body).to_bytes(4, 'little') + body)\n\
         \x20   size = int.from_bytes(os.read(fd, 4), 'little')\n\
         \x20   print(json.loads(os.read(fd, size))['error']['kind'])\n\
         print(os.read(fd, 10))\n\
         print(call('echo', a=1))",
        options,
    );
    assert_eq!(out, "protocol\nprotocol\nprotocol\nb''\n{'a': 1}\n");
    assert_eq!(functions.calls.load(Ordering::SeqCst), 1);
}

#[test]
fn a_run_blocked_in_a_host_call_still_times_out() {
    let cases: [(&dyn goru::Language, &str); 2] = [
        (&Python, "call('sleep', ms=600000)"),
        (&JavaScript, "call('sleep', {ms: 600000})"),
    ];
    for (language, code) in cases {
        let (_, options) = with_functions();
        let err = executor()
            .run_blocking(language, code, options.timeout(Duration::from_millis(500)))
            .expect_err("the run must time out");
        assert!(
            matches!(err, goru::Error::Timeout { .. }),
            "{}: {err}",
            language.name()
        );
    }
}

static NAPPING: AtomicUsize = AtomicUsize::new(0);
static MOST_NAPPING: AtomicUsize = AtomicUsize::new(0);

/// An executor whose every run may call the functions of goru's seed example,
/// registered once: `get_user` (sync), `send_email` (sync, checks its
/// arguments) and `nap` (sync, blocks its thread for 100 ms).
fn registry_executor() -> goru::Executor {
    use goru::Registry;
    use serde_json::json;

    let mut registry = Registry::new();
    registry
        .register("get_user", |args: Value| {
            let id = args["id"]
                .as_str()
                .ok_or_else(|| HostError::invalid_argument("`id` must be a string"))?;
            Ok(json!({"id": id, "name": "Alice", "email": "alice@example.com"}))
        })
        .register("send_email", |args: Value| match args["to"].as_str() {
            Some(to) if to.contains('@') => Ok(json!("sent")),
            _ => Err(HostError::new("bad_address", "`to` is not an e-mail address")),
        })
        .register("nap", |_| {
            let now = NAPPING.fetch_add(1, Ordering::SeqCst) + 1;
            MOST_NAPPING.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(100));
            NAPPING.fetch_sub(1, Ordering::SeqCst);
            Ok(json!("rested"))
        })
        .register_async("echo", |args| async move { Ok(args) });
    goru::Executor::builder()
        .cache_dir(crate::common::cache_dir())
        .host_functions(Arc::new(registry))
        .build()
        .expect("building the executor")
}

#[test]
fn registered_functions_serve_goru_seed_examples_in_both_languages() {
    let executor = registry_executor();
    let py = executor
        .run_blocking(
            &Python,
            "user = _goru_call('get_user', {'id': '123'})\nprint(user['name'])\n\
             print(_goru_call('send_email', {'to': 'alice@example.com', 'subject': 'Hello', 'body': 'Welcome!'}))\n\
             try:\n    call('send_email', to='nobody')\nexcept HostError as e:\n    print(e.kind, e)\n\
             try:\n    call('get_user', id=5)\nexcept ValueError as e:\n    print(e.kind, e)",
            opts(),
        )
        .unwrap();
    assert_eq!(
        py.stdout_lossy(),
        "Alice\nsent\nbad_address `to` is not an e-mail address\ninvalid_argument `id` must be a string\n"
    );
    let js = executor
        .run_blocking(
            &JavaScript,
            "const user = _goru_call('get_user', {id: '123'}); console.log(user.name, user.email);",
            opts(),
        )
        .unwrap();
    assert_eq!(js.stdout_lossy(), "Alice alice@example.com\n");
}

#[test]
fn blocking_registered_functions_of_one_batch_run_side_by_side() {
    // Ten 100 ms naps on the blocking pool, all asleep at once.
    let executor = registry_executor();
    let result = executor
        .run_blocking(
            &Python,
            "import asyncio\nasync def main():\n    return await asyncio.gather(*(async_call('nap') for _ in range(10)))\n\
             print(asyncio.run(main()).count('rested'))",
            opts(),
        )
        .unwrap();
    assert_eq!(result.stdout_lossy(), "10\n");
    assert_eq!(MOST_NAPPING.load(Ordering::SeqCst), 10);
}

#[test]
fn a_run_s_own_functions_come_before_the_executor_s() {
    let executor = registry_executor();
    let (functions, options) = with_functions();
    let result = executor
        .run_blocking(
            &Python,
            "print(call('echo', by='run')['by'], call('get_user', id='7')['id'])",
            options,
        )
        .unwrap();
    assert_eq!(result.stdout_lossy(), "run 7\n");
    assert_eq!(
        functions.calls.load(Ordering::SeqCst),
        2,
        "the run's provider was asked first"
    );
}

#[test]
fn a_run_blocked_in_a_host_call_can_be_cancelled() {
    let cancel = goru::CancelHandle::new();
    let (_, options) = with_functions();
    let canceller = {
        let cancel = cancel.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            cancel.cancel();
        })
    };
    let err = executor()
        .run_blocking(
            &JavaScript,
            "console.log('waiting'); call('sleep', {ms: 600000})",
            options.cancel_handle(cancel),
        )
        .expect_err("the run must be cancelled");
    canceller.join().unwrap();
    let goru::Error::Cancelled { output } = err else {
        panic!("expected Cancelled, got {err}")
    };
    assert_eq!(output.stdout, b"waiting\n");
}
