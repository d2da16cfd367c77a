//! goru's process-wide tokio runtime: one for all executors, never one per call.

use std::sync::OnceLock;

use crate::Error;

/// The shared runtime's handle, creating the runtime on first use.
pub(super) fn shared() -> Result<tokio::runtime::Handle, Error> {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt.handle().clone());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("goru")
        .build()?;
    // Another thread may have won the race; its runtime is the one kept.
    Ok(RUNTIME.get_or_init(|| rt).handle().clone())
}
