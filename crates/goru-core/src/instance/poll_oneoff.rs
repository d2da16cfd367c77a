//! Our `poll_oneoff`: fixes wasmer-wasix's zero-timeout reading and keeps sleeps inside the deadline.
//!
//! wasmer-wasix 0.704 reads a relative clock subscription with timeout 0 as
//! "wait forever" (WASIX's convention); in WASI preview 1 it means "do not
//! wait", and CPython relies on that (`select.select([], [], [], 0)`, and so
//! `import socket`/`asyncio`). We rewrite such timeouts to 1 ns before
//! calling the original.
//!
//! The stop flag (see `interrupt.rs`) cannot stop a guest parked inside a host call, so a
//! sleep is also cut to the time left before the deadline, and a pure sleep
//! is slept in short slices so that cancellation is seen promptly. Absolute
//! clock subscriptions (CPython's `time.sleep` uses them) are turned into
//! relative ones for the call, so they are bounded the same way.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmer::{Extern, Function, FunctionEnv, FunctionEnvMut, Imports, Memory, RuntimeError, Store, Value};

use super::control::RunControl;

/// Size of a WASI preview 1 `subscription`.
const SUBSCRIPTION_SIZE: u64 = 48;
/// Offset of the tag (`u8`, 0 = clock).
const TAG_OFFSET: u64 = 8;
/// Offset of the clock id (`u32`).
const CLOCK_ID_OFFSET: u64 = 16;
/// Offset of the clock timeout (`u64`, nanoseconds).
const TIMEOUT_OFFSET: u64 = 24;
/// Offset of the clock flags (`u16`, bit 0 = absolute time).
const FLAGS_OFFSET: u64 = 40;
const TAG_CLOCK: u8 = 0;
/// Size of a WASI preview 1 `event`.
const EVENT_SIZE: u64 = 32;
/// `errno::fault`.
const ERRNO_FAULT: i32 = 21;
const FLAG_ABSTIME: u16 = 1;
/// Longest slice a pure sleep is cut into.
const SLEEP_SLICE: Duration = Duration::from_millis(20);

/// The trap raised when a host-side wait sees the run was stopped.
#[derive(Debug, thiserror::Error)]
#[error("run stopped by the host")]
pub(crate) struct Stopped;

pub(crate) struct PollEnv {
    memory: Option<Memory>,
    original: Function,
    control: Arc<RunControl>,
}

/// Replaces `poll_oneoff` in `imports`; call
/// [`set_memory`] once the instance exists.
pub(crate) fn install(
    store: &mut Store,
    imports: &mut Imports,
    control: Arc<RunControl>,
) -> Option<FunctionEnv<PollEnv>> {
    const MODULE: &str = "wasi_snapshot_preview1";
    let Some(Extern::Function(original)) = imports.get_export(MODULE, "poll_oneoff") else {
        return None;
    };
    let env = FunctionEnv::new(
        store,
        PollEnv {
            memory: None,
            original,
            control,
        },
    );
    let wrapper = Function::new_typed_with_env(store, &env, poll_oneoff);
    imports.define(MODULE, "poll_oneoff", wrapper);
    Some(env)
}

pub(crate) fn set_memory(store: &mut Store, env: &FunctionEnv<PollEnv>, memory: Memory) {
    env.as_mut(store).memory = Some(memory);
}

impl std::fmt::Debug for PollEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PollEnv").finish_non_exhaustive()
    }
}

/// A clock subscription as the guest wrote it.
#[derive(Debug, Clone, Copy)]
struct ClockSub {
    at: u64,
    userdata: u64,
    clock_id: u32,
    timeout: u64,
    flags: u16,
}

impl ClockSub {
    fn read(view: &wasmer::MemoryView<'_>, at: u64) -> Result<Option<Self>, wasmer::MemoryAccessError> {
        let mut tag = [0u8; 1];
        view.read(at + TAG_OFFSET, &mut tag)?;
        if tag[0] != TAG_CLOCK {
            return Ok(None);
        }
        let mut userdata = [0u8; 8];
        view.read(at, &mut userdata)?;
        let mut id = [0u8; 4];
        let mut timeout = [0u8; 8];
        let mut flags = [0u8; 2];
        view.read(at + CLOCK_ID_OFFSET, &mut id)?;
        view.read(at + TIMEOUT_OFFSET, &mut timeout)?;
        view.read(at + FLAGS_OFFSET, &mut flags)?;
        Ok(Some(Self {
            at,
            userdata: u64::from_le_bytes(userdata),
            clock_id: u32::from_le_bytes(id),
            timeout: u64::from_le_bytes(timeout),
            flags: u16::from_le_bytes(flags),
        }))
    }

    /// How long this subscription waits from now.
    fn wait_nanos(&self) -> u64 {
        if self.flags & FLAG_ABSTIME == 0 {
            self.timeout
        } else {
            self.timeout.saturating_sub(clock_now(self.clock_id))
        }
    }

    /// Writes a relative timeout of `nanos` (at least 1: 0 means "forever"
    /// to wasmer-wasix and "now" to WASI).
    fn write_relative(&self, view: &wasmer::MemoryView<'_>, nanos: u64) {
        let _ = view.write(self.at + TIMEOUT_OFFSET, &nanos.max(1).to_le_bytes());
        let _ = view.write(
            self.at + FLAGS_OFFSET,
            &(self.flags & !FLAG_ABSTIME).to_le_bytes(),
        );
    }

    /// Puts back what the guest wrote.
    fn restore(&self, view: &wasmer::MemoryView<'_>) {
        let _ = view.write(self.at + TIMEOUT_OFFSET, &self.timeout.to_le_bytes());
        let _ = view.write(self.at + FLAGS_OFFSET, &self.flags.to_le_bytes());
    }
}

fn poll_oneoff(
    mut env: FunctionEnvMut<'_, PollEnv>,
    subs: i32,
    events: i32,
    nsubs: i32,
    nevents: i32,
) -> Result<i32, RuntimeError> {
    let (data, mut store) = env.data_and_store_mut();
    let control = data.control.clone();
    let original = data.original.clone();
    let Some(memory) = data.memory.clone() else {
        return Err(RuntimeError::new("poll_oneoff called before the memory was set"));
    };
    let base = u64::from(subs as u32);
    let count = u64::from(nsubs as u32);
    let mut clocks = Vec::new();
    let mut only_clocks = count > 0;
    {
        let view = memory.view(&store);
        for i in 0..count {
            match ClockSub::read(&view, base + i * SUBSCRIPTION_SIZE) {
                Ok(Some(sub)) => clocks.push(sub),
                Ok(None) => only_clocks = false,
                Err(_) => return Ok(ERRNO_FAULT),
            }
        }
    }
    if only_clocks {
        let view = memory.view(&store);
        return sleep_on_clocks(
            &view,
            &clocks,
            u64::from(events as u32),
            u64::from(nevents as u32),
            &control,
        );
    }

    // File descriptors are involved: let wasmer-wasix wait, with every clock
    // made relative, non-zero, and no later than the deadline.
    let remaining = u64::try_from(control.remaining().as_nanos()).unwrap_or(u64::MAX);
    {
        let view = memory.view(&store);
        for sub in &clocks {
            sub.write_relative(&view, sub.wait_nanos().min(remaining));
        }
    }
    let args = [
        Value::I32(subs),
        Value::I32(events),
        Value::I32(nsubs),
        Value::I32(nevents),
    ];
    let result = original.call(&mut store, &args);
    let view = memory.view(&store);
    for sub in &clocks {
        sub.restore(&view);
    }
    let errno = result?.first().and_then(Value::i32).unwrap_or(0);
    if control.must_end_wait() {
        return Err(stopped());
    }
    Ok(errno)
}

/// `poll_oneoff` with clock subscriptions only: a sleep. Done here rather than
/// in wasmer-wasix so it can be cut at the deadline, or on cancel, within
/// [`SLEEP_SLICE`], and end early on a soft interrupt.
fn sleep_on_clocks(
    view: &wasmer::MemoryView<'_>,
    clocks: &[ClockSub],
    events: u64,
    nevents: u64,
    control: &RunControl,
) -> Result<i32, RuntimeError> {
    let started = Instant::now();
    let waits: Vec<Duration> = clocks
        .iter()
        .map(|c| Duration::from_nanos(c.wait_nanos()))
        .collect();
    let shortest = waits.iter().copied().min().unwrap_or_default();
    let woken = loop {
        if control.must_end_wait() {
            return Err(stopped());
        }
        // A soft interrupt wakes the sleep as if its time had come (WASI's
        // libc turns any error of a sleep into ENOTSUP, not EINTR): the
        // interpreter then sees its pending signal.
        let interrupted = control.take_pending_interrupt();
        let left = shortest.saturating_sub(started.elapsed());
        if interrupted || left.is_zero() {
            break interrupted;
        }
        std::thread::sleep(
            left.min(SLEEP_SLICE)
                .min(control.remaining().max(Duration::from_millis(1))),
        );
    };
    let elapsed = started.elapsed();
    let mut written = 0u64;
    for (sub, wait) in clocks.iter().zip(&waits) {
        if *wait > elapsed && !(woken && *wait == shortest) {
            continue;
        }
        let mut event = [0u8; EVENT_SIZE as usize];
        event[..8].copy_from_slice(&sub.userdata.to_le_bytes()); // error 0, type 0 (clock)
        if view.write(events + written * EVENT_SIZE, &event).is_err() {
            return Ok(ERRNO_FAULT);
        }
        written += 1;
    }
    if view.write(nevents, &(written as u32).to_le_bytes()).is_err() {
        return Ok(ERRNO_FAULT);
    }
    Ok(0)
}

/// The trap that ends a guest stopped while it waited.
fn stopped() -> RuntimeError {
    RuntimeError::user(Box::new(Stopped))
}

/// Nanoseconds since an arbitrary origin on `clock_id`, as wasmer-wasix
/// reports them to the guest (`clock_gettime` with the matching clock).
fn clock_now(clock_id: u32) -> u64 {
    let id = match clock_id {
        0 => libc::CLOCK_REALTIME,
        1 => libc::CLOCK_MONOTONIC,
        2 => libc::CLOCK_PROCESS_CPUTIME_ID,
        _ => libc::CLOCK_THREAD_CPUTIME_ID,
    };
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec we own.
    if unsafe { libc::clock_gettime(id, &mut ts) } != 0 {
        return 0;
    }
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}
