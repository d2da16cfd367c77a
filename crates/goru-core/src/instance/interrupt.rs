//! Stopping guest code in the middle of a loop: a check at every loop header.
//!
//! A compile-time middleware makes every `loop` start with
//! `if (i32.load8_u (i32.const 0)) unreachable`: one byte load and a branch
//! per iteration. To stop a run, the host sets that byte (address 0 of the
//! guest's memory, which C programs never use: it is the NULL address) from
//! any thread, and the guest traps at its next loop iteration. Guest code that
//! does not loop finishes on its own; runaway recursion overflows the stack.
//!
//! Why not wasmer's signal-based host interrupt: its handler treats a signal
//! that lands in host code running on the guest's stack (a host call's
//! prologue, a trap being built) as a wasm trap, allocating and abandoning
//! that code's locks. That deadlocked the process in our tests; this check
//! involves no signals at all.

use std::sync::atomic::{AtomicU8, Ordering};

use wasmer::sys::wasmparser::{BlockType, MemArg, Operator};
use wasmer::sys::{FunctionMiddleware, MiddlewareError, MiddlewareReaderState, ModuleMiddleware};
use wasmer_types::LocalFunctionIndex;

/// Guest address of the stop flag.
pub(crate) const FLAG_ADDRESS: u64 = 0;

/// Adds the stop check to every loop of every function.
#[derive(Debug, Default)]
pub(crate) struct LoopCheck;

impl ModuleMiddleware for LoopCheck {
    fn generate_function_middleware<'a>(
        &self,
        _: LocalFunctionIndex,
    ) -> Box<dyn FunctionMiddleware<'a> + 'a> {
        Box::new(LoopCheckFunction)
    }
}

#[derive(Debug)]
struct LoopCheckFunction;

impl<'a> FunctionMiddleware<'a> for LoopCheckFunction {
    fn feed(
        &mut self,
        operator: Operator<'a>,
        state: &mut MiddlewareReaderState<'a>,
    ) -> Result<(), MiddlewareError> {
        let is_loop = matches!(operator, Operator::Loop { .. });
        state.push_operator(operator);
        if is_loop {
            state.extend([
                Operator::I32Const {
                    value: FLAG_ADDRESS as i32,
                },
                Operator::I32Load8U {
                    memarg: MemArg {
                        align: 0,
                        max_align: 0,
                        offset: 0,
                        memory: 0,
                    },
                },
                Operator::If {
                    blockty: BlockType::Empty,
                },
                Operator::Unreachable,
                Operator::End,
            ]);
        }
        Ok(())
    }
}

/// The host's handle on one instance's stop flag.
#[derive(Debug)]
pub(crate) struct StopFlag(*mut u8);

// SAFETY: the pointer is only written through `raise`, with an atomic byte
// store, and only while the owning `RunControl` says the instance is alive.
unsafe impl Send for StopFlag {}

impl StopFlag {
    /// The flag in the memory whose base address is `base`.
    ///
    /// # Safety
    /// `base` must point to a live linear memory of at least one page whose
    /// base does not move (wasmer's static memory style), and [`StopFlag::raise`]
    /// must not be called after that memory is freed.
    pub(crate) unsafe fn new(base: *mut u8) -> Self {
        Self(base.wrapping_add(FLAG_ADDRESS as usize))
    }

    /// Sets the flag; the guest traps at its next loop iteration.
    pub(crate) fn raise(&self) {
        // SAFETY: see `new`: the byte is in a live memory. The guest reads it
        // with plain loads; a racing byte store is benign on every target wasmer supports.
        unsafe { AtomicU8::from_ptr(self.0).store(1, Ordering::Release) }
    }
}
