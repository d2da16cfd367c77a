//! The memory cap: wasmer `Tunables` that bound every linear memory a run creates.
//!
//! Tunables belong to the engine, which all runs share, while the cap is per
//! run. Memories are created synchronously inside `Instance::new` on the
//! run's own thread, so the run's budget is handed over in a thread-local for
//! exactly that call ([`with_budget`]).

use std::cell::RefCell;
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use wasmer::sys::{BaseTunables, Tunables};
use wasmer_types::{MemoryType, Pages, TableType};
use wasmer_vm::{
    LinearMemory, MemoryError, MemoryStyle, TableStyle, VMMemory, VMMemoryDefinition, VMTable,
    VMTableDefinition,
};

/// One run's memory cap, and whether the guest ever ran into it.
#[derive(Debug)]
pub(crate) struct MemoryBudget {
    limit: Pages,
    hit: AtomicBool,
}

impl MemoryBudget {
    pub(crate) fn new(limit_pages: u32) -> Arc<Self> {
        Arc::new(Self {
            limit: Pages(limit_pages),
            hit: AtomicBool::new(false),
        })
    }

    /// True once a grow was refused because of the cap.
    pub(crate) fn was_hit(&self) -> bool {
        self.hit.load(Ordering::Relaxed)
    }

    /// Records a refused grow, as a guest that ran into the cap would.
    #[cfg(test)]
    pub(crate) fn mark_hit(&self) {
        self.hit.store(true, Ordering::Relaxed);
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<MemoryBudget>>> = const { RefCell::new(None) };
}

/// Runs `f` (an instantiation) with `budget` applied to the memories it creates.
pub(crate) fn with_budget<R>(budget: &Arc<MemoryBudget>, f: impl FnOnce() -> R) -> R {
    struct Reset(Option<Arc<MemoryBudget>>);
    impl Drop for Reset {
        fn drop(&mut self) {
            let previous = self.0.take();
            CURRENT.with(|c| *c.borrow_mut() = previous);
        }
    }
    let previous = CURRENT.with(|c| c.borrow_mut().replace(budget.clone()));
    let _reset = Reset(previous);
    f()
}

/// Engine tunables: wasmer's defaults, plus the per-run memory cap.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CappedTunables;

impl CappedTunables {
    fn cap(memory: VMMemory, budget: Option<Arc<MemoryBudget>>) -> VMMemory {
        match budget {
            Some(budget) => VMMemory(Box::new(CappedMemory {
                inner: memory,
                budget,
            })),
            None => memory,
        }
    }

    fn capped_type(ty: &MemoryType, budget: Option<&Arc<MemoryBudget>>) -> MemoryType {
        let mut ty = *ty;
        if let Some(budget) = budget {
            let max = ty.maximum.map_or(budget.limit, |m| m.min(budget.limit));
            ty.maximum = Some(max.max(ty.minimum));
        }
        ty
    }
}

/// The budget a memory of type `ty` is created under, noting a memory that
/// starts out bigger than the cap.
fn budget_for(ty: &MemoryType) -> Option<Arc<MemoryBudget>> {
    let budget = CURRENT.with(|c| c.borrow().clone());
    if let Some(b) = &budget
        && ty.minimum > b.limit
    {
        b.hit.store(true, Ordering::Relaxed);
    }
    budget
}

impl Tunables for CappedTunables {
    // The style is baked into compiled code, so it must not depend on the cap.
    fn memory_style(&self, memory: &MemoryType) -> MemoryStyle {
        BaseTunables::new().memory_style(memory)
    }

    fn table_style(&self, table: &TableType) -> TableStyle {
        BaseTunables::new().table_style(table)
    }

    fn create_host_memory(&self, ty: &MemoryType, style: &MemoryStyle) -> Result<VMMemory, MemoryError> {
        let budget = budget_for(ty);
        let memory =
            BaseTunables::new().create_host_memory(&Self::capped_type(ty, budget.as_ref()), style)?;
        Ok(Self::cap(memory, budget))
    }

    unsafe fn create_vm_memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
        vm_definition_location: NonNull<VMMemoryDefinition>,
    ) -> Result<VMMemory, MemoryError> {
        let budget = budget_for(ty);
        let capped = Self::capped_type(ty, budget.as_ref());
        // SAFETY: the caller's guarantee on `vm_definition_location` is passed on unchanged.
        let memory = unsafe { BaseTunables::new().create_vm_memory(&capped, style, vm_definition_location)? };
        Ok(Self::cap(memory, budget))
    }

    fn create_host_table(&self, ty: &TableType, style: &TableStyle) -> Result<VMTable, String> {
        BaseTunables::new().create_host_table(ty, style)
    }

    unsafe fn create_vm_table(
        &self,
        ty: &TableType,
        style: &TableStyle,
        vm_definition_location: NonNull<VMTableDefinition>,
    ) -> Result<VMTable, String> {
        // SAFETY: the caller's guarantee on `vm_definition_location` is passed on unchanged.
        unsafe { BaseTunables::new().create_vm_table(ty, style, vm_definition_location) }
    }
}

/// A linear memory that refuses to grow past the run's cap and records it.
#[derive(Debug)]
struct CappedMemory {
    inner: VMMemory,
    budget: Arc<MemoryBudget>,
}

impl LinearMemory for CappedMemory {
    fn ty(&self) -> MemoryType {
        self.inner.ty()
    }

    fn size(&self) -> Pages {
        self.inner.size()
    }

    fn style(&self) -> MemoryStyle {
        self.inner.style()
    }

    fn grow(&mut self, delta: Pages) -> Result<Pages, MemoryError> {
        let current = self.inner.size();
        if current.0.saturating_add(delta.0) > self.budget.limit.0 {
            self.budget.hit.store(true, Ordering::Relaxed);
            return Err(MemoryError::CouldNotGrow {
                current,
                attempted_delta: delta,
            });
        }
        self.inner.grow(delta)
    }

    fn grow_at_least(&mut self, min_size: u64) -> Result<(), MemoryError> {
        if min_size > u64::from(self.budget.limit.0) << 16 {
            self.budget.hit.store(true, Ordering::Relaxed);
            return Err(MemoryError::CouldNotGrow {
                current: self.inner.size(),
                attempted_delta: Pages(0),
            });
        }
        self.inner.grow_at_least(min_size)
    }

    fn reset(&mut self) -> Result<(), MemoryError> {
        self.inner.reset()
    }

    fn vmmemory(&self) -> NonNull<VMMemoryDefinition> {
        self.inner.vmmemory()
    }

    fn try_clone(&self) -> Result<Box<dyn LinearMemory + Send + Sync + 'static>, MemoryError> {
        Err(MemoryError::UnsupportedOperation {
            message: "goru does not clone capped memories".to_string(),
        })
    }

    fn copy(&self) -> Result<Box<dyn LinearMemory + Send + Sync + 'static>, MemoryError> {
        Ok(Box::new(CappedMemory {
            inner: VMMemory(self.inner.copy()?),
            budget: self.budget.clone(),
        }))
    }
}
