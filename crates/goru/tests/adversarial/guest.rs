//! Hostile guest code shared by the attack modules, and the executor they run on.

use std::time::Duration;

use goru::{Executor, JavaScript, Python, RunOptions, Session};

/// One executor per process (each attack runs in a child process of its own).
pub fn executor() -> Executor {
    let cache = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("goru-module-cache");
    Executor::builder()
        .cache_dir(cache)
        .precompile(Python)
        .precompile(JavaScript)
        .build()
        .expect("building the executor")
}

/// A Python session on a fresh executor, each run bounded by `timeout`.
pub fn python_session(timeout: Duration) -> Session {
    executor()
        .session_blocking(&Python, RunOptions::new().timeout(timeout))
        .expect("starting a Python session")
}

/// The timeout attacks run under: long enough for CPython to start on a
/// loaded machine, short enough for the suite.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// The most a stopped run may take past its timeout before its caller has
/// the answer (the host's promise).
pub const STOP_BOUND: Duration = Duration::from_millis(250);

/// How long a session run at its timeout is given to unwind from the soft
/// interrupt before it is stopped hard.
pub const SOFT_GRACE: Duration = Duration::from_millis(250);

/// Python that ignores the soft interrupt (it catches every exception and
/// goes on), so only the hard stop ends it.
pub const IGNORES_INTERRUPTS: &str =
    "while True:\n    try:\n        n = 0\n        while True: n += 1\n    except BaseException: pass\n";

/// Python that gets read and write access to all of its own linear memory,
/// as `MEM` (a bytearray whose buffer starts at address 0), by ordinary
/// CPython means: a code object whose `LOAD_CONST` index points past its
/// constants, at a pointer to a fake `bytearray` header built in a `bytes`.
/// Assumed possible for any guest; nothing in the host may rely on guest
/// memory. Prints `memory: owned` once it has checked the access works.
pub const OWN_MEMORY: &str = r#"
import dis, struct

def _own_memory():
    # wasm32: every field 4 bytes. bytearray: refcnt, type, size, alloc,
    # bytes, start, exports. bytes: refcnt, type, size, hash, then the data.
    header = struct.pack("<iIiiIIi", 1 << 24, id(bytearray), 0x7FFFFFFF, 0x7FFFFFFF, 0, 0, 0)
    fake_at = id(header) + 16
    consts = (None,)
    items_at = id(consts) + 12
    keep = [header, consts]
    for _ in range(100000):
        pointer = struct.pack("<I", fake_at)
        keep.append(pointer)
        gap = id(pointer) + 16 - items_at
        if gap > 0 and gap % 4 == 0:
            break
    index = gap // 4
    ops = [dis.opmap["RESUME"], 0]
    for shift in (24, 16, 8):
        ops += [dis.opmap["EXTENDED_ARG"], (index >> shift) & 0xFF]
    ops += [dis.opmap["LOAD_CONST"], index & 0xFF, dis.opmap["RETURN_VALUE"], 0]
    code = (lambda: None).__code__.replace(co_code=bytes(ops), co_consts=consts)
    mem = eval(code)
    keep.append(mem)
    assert bytes(mem[fake_at + 4:fake_at + 8]) == struct.pack("<I", id(bytearray))
    return mem, keep

MEM, _KEEP = _own_memory()
print("memory: owned", flush=True)
"#;
