//! Stopping guest code in the middle of a loop: a check of a host-owned stop flag at every loop header.
//! Also the host's handle on a guest's linear memory, for soft interrupts.
//!
//! A compile-time middleware adds one mutable `i32` global to every module
//! (exported to the host as [`STOP_GLOBAL`]) and makes every `loop` start with
//! `if (global.get $stop) unreachable`: one load and a branch per iteration.
//! To stop a run, the host sets that global from any thread, and the guest
//! traps at its next loop iteration. Guest code that does not loop finishes
//! on its own; runaway recursion overflows the stack.
//!
//! Why a global: the guest can read and write every byte of its own linear
//! memory (in CPython a few lines of bytecode tricks give that), so a flag in
//! linear memory can be cleared by the guest faster than the host sets it.
//! A defined global lives in the instance's `VMContext`, in host memory the
//! guest cannot address, and no instruction of the module can write it: the
//! module's own code was written before the global existed and `global.set`
//! needs its index.
//!
//! Why not wasmer's signal-based host interrupt: its handler treats a signal
//! that lands in host code running on the guest's stack (a host call's
//! prologue, a trap being built) as a wasm trap, allocating and abandoning
//! that code's locks. That deadlocked the process in our tests; this check
//! involves no signals at all.

use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use wasmer::sys::wasmparser::{BlockType, Operator};
use wasmer::sys::{FunctionMiddleware, MiddlewareError, MiddlewareReaderState, ModuleMiddleware};
use wasmer::{AsStoreMut, Extern, Instance, Memory};
use wasmer_types::{
    ExportIndex, GlobalIndex, GlobalInit, GlobalType, LocalFunctionIndex, ModuleInfo, Mutability, Type,
};
use wasmer_vm::{LinearMemory, MemoryStyle, VMMemoryDefinition};

use crate::Error;

/// The name under which every compiled module exports its stop global.
pub(crate) const STOP_GLOBAL: &str = "__goru_stop";

/// Adds the stop global to each module and the check to every loop.
///
/// The global's index is known only per module, so one module is compiled
/// at a time per engine (the module cache holds a lock around compiling).
#[derive(Debug, Default)]
pub(crate) struct LoopCheck {
    stop_global: Mutex<Option<GlobalIndex>>,
}

impl ModuleMiddleware for LoopCheck {
    fn transform_module_info(&self, info: &mut ModuleInfo) -> Result<(), MiddlewareError> {
        if info.exports.contains_key(STOP_GLOBAL) {
            return Err(MiddlewareError::new(
                "LoopCheck",
                format!("the module already exports `{STOP_GLOBAL}`"),
            ));
        }
        let index = info.globals.push(GlobalType::new(Type::I32, Mutability::Var));
        info.global_initializers.push(GlobalInit::I32Const(0));
        info.exports
            .insert(STOP_GLOBAL.to_owned(), ExportIndex::Global(index));
        *self.stop_global.lock().unwrap_or_else(PoisonError::into_inner) = Some(index);
        Ok(())
    }

    fn generate_function_middleware<'a>(
        &self,
        _: LocalFunctionIndex,
    ) -> Box<dyn FunctionMiddleware<'a> + 'a> {
        let stop_global = *self.stop_global.lock().unwrap_or_else(PoisonError::into_inner);
        Box::new(LoopCheckFunction { stop_global })
    }
}

#[derive(Debug)]
struct LoopCheckFunction {
    stop_global: Option<GlobalIndex>,
}

impl<'a> FunctionMiddleware<'a> for LoopCheckFunction {
    fn feed(
        &mut self,
        operator: Operator<'a>,
        state: &mut MiddlewareReaderState<'a>,
    ) -> Result<(), MiddlewareError> {
        let is_loop = matches!(operator, Operator::Loop { .. });
        state.push_operator(operator);
        if is_loop {
            let Some(global) = self.stop_global else {
                return Err(MiddlewareError::new("LoopCheck", "no stop global in this module"));
            };
            state.extend([
                Operator::GlobalGet {
                    global_index: global.as_u32(),
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

/// The host's handle on one instance's stop global.
#[derive(Debug)]
pub(crate) struct StopFlag(NonNull<u32>);

// SAFETY: the pointer is only written through `raise`, with an atomic store,
// and only while the owning `RunControl` holds the flag, which the guest
// thread withdraws before the instance is dropped.
unsafe impl Send for StopFlag {}

impl StopFlag {
    /// The stop global of `instance`, whose store is `store`.
    ///
    /// # Safety
    /// [`StopFlag::raise`] must not be called once `store` (which owns the
    /// instance and so the global's storage) is dropped.
    pub(crate) unsafe fn of(store: &mut impl AsStoreMut, instance: &Instance) -> Result<Self, Error> {
        let global = instance
            .exports
            .get_global(STOP_GLOBAL)
            .map_err(|e| Error::Setup(format!("the module has no stop global: {e}")))?;
        let vm = Extern::Global(global.clone()).to_vm_extern().unwrap_sys();
        let wasmer::sys::vm::VMExtern::Global(handle) = vm else {
            return Err(Error::Setup("the stop global is not a global".into()));
        };
        let definition = handle.get(store.objects_mut().as_sys()).vmglobal();
        // The definition's first bytes hold the value; an `i32` global is read
        // by compiled code as the low 4 bytes (little-endian on every target
        // wasmer's sys backend supports).
        Ok(Self(definition.cast::<u32>()))
    }

    /// Sets the flag; the guest traps at its next loop iteration.
    pub(crate) fn raise(&self) {
        // SAFETY: see `of`: the global is alive. Compiled code reads it with
        // plain loads; a racing aligned store is benign on every target wasmer
        // supports.
        unsafe { AtomicU32::from_ptr(self.0.as_ptr()).store(1, Ordering::Release) }
    }
}

/// The host's handle on one instance's linear memory, for soft interrupts:
/// aligned word stores from any thread while the guest runs.
#[derive(Debug)]
pub(crate) struct GuestMemory(NonNull<VMMemoryDefinition>);

// SAFETY: as `StopFlag`: used only while the owning `RunControl` holds it,
// which the guest thread withdraws before the instance is dropped.
unsafe impl Send for GuestMemory {}

impl GuestMemory {
    /// The exported memory of `instance`, if it is a static memory (its
    /// base never moves: wasmer reserves the whole bound up front); `None`
    /// otherwise, and the run has no soft interrupts.
    ///
    /// # Safety
    /// [`GuestMemory::store`] must not be called once `store` is dropped.
    pub(crate) unsafe fn of(store: &mut impl AsStoreMut, memory: &Memory) -> Option<Self> {
        let vm = Extern::Memory(memory.clone()).to_vm_extern().unwrap_sys();
        let wasmer::sys::vm::VMExtern::Memory(handle) = vm else {
            return None;
        };
        let memory = handle.get(store.objects_mut().as_sys());
        if !matches!(memory.style(), MemoryStyle::Static) {
            return None;
        }
        Some(Self(memory.vmmemory()))
    }

    /// Stores `value` at the guest address `address`; false if it is not
    /// 4-aligned or not inside the memory.
    pub(crate) fn store(&self, address: u32, value: u32) -> bool {
        let definition = self.0.as_ptr();
        // SAFETY: see `of`: the definition is alive. Its length grows (on
        // the guest thread) but never shrinks, and its base never moves
        // (static memory); both are read as the compiled code reads them.
        let (base, length) = unsafe {
            let length = AtomicUsize::from_ptr(&raw mut (*definition).current_length).load(Ordering::Acquire);
            ((*definition).base, length)
        };
        let offset = address as usize;
        if !offset.is_multiple_of(4) || offset.checked_add(4).is_none_or(|end| end > length) {
            return false;
        }
        // SAFETY: in bounds and aligned (checked above). The guest's code
        // reads and writes its memory with plain accesses; a racing aligned
        // store is benign on every target wasmer supports, and it only
        // changes the guest's own memory.
        unsafe { AtomicU32::from_ptr(base.add(offset).cast::<u32>()).store(value, Ordering::Release) }
        true
    }
}
