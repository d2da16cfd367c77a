//! The thread a guest runs on: its own OS thread, never a pool thread, and never a panic out of it.
//!
//! Guests do not run on tokio's blocking pool: sync host calls run there, and
//! a guest that floods the host with slow calls could otherwise fill the pool
//! and make every other run wait for a thread. A thread per running guest is
//! bounded by how many runs the embedder starts at once (`goru serve`'s run
//! slots), and its start costs microseconds against a run's milliseconds.

use std::panic::AssertUnwindSafe;

use crate::{Error, RunResult};

/// Size of a guest thread's native stack. wasmer runs guest code on stacks
/// of its own; this one holds the host side (WASI calls, our overrides).
const STACK_BYTES: usize = 8 << 20;

/// Runs `guest` on a new thread inside `handle`'s runtime context (WASI
/// code may ask for the current runtime).
pub(crate) fn spawn<F>(handle: &tokio::runtime::Handle, guest: F) -> Result<(), Error>
where
    F: FnOnce() + Send + 'static,
{
    let handle = handle.clone();
    std::thread::Builder::new()
        .name("goru-guest".into())
        .stack_size(STACK_BYTES)
        .spawn(move || {
            let _runtime = handle.enter();
            guest();
        })
        .map(drop)
        .map_err(|e| Error::Setup(format!("starting the guest thread: {e}")))
}

/// `f()`, with a panic turned into [`Error::HostPanic`] and logged.
pub(crate) fn catch_panic<F>(f: F) -> Result<RunResult, Error>
where
    F: FnOnce() -> Result<RunResult, Error>,
{
    // Unwind safety: what the closure shares with other threads (the run's
    // control, sinks and budgets) is behind locks and atomics, and the
    // instance it owns is dropped by the unwinding itself.
    std::panic::catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic with no message".to_owned());
        tracing::error!(%message, "the sandbox host panicked during a run; the run is ended");
        Err(Error::HostPanic(message))
    })
}
