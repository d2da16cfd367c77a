//! goru's process-wide tokio runtime: one for all executors, never one per call.

use std::sync::OnceLock;

use crate::Error;

type Slot = OnceLock<Result<tokio::runtime::Runtime, String>>;

/// The shared runtime's handle, creating the runtime on first use.
pub(super) fn shared() -> Result<tokio::runtime::Handle, Error> {
    static RUNTIME: Slot = OnceLock::new();
    handle_in(&RUNTIME)
}

/// The runtime in `slot`, built inside `get_or_init`: racing first callers
/// build exactly one, so no loser's runtime is ever dropped inside an async
/// context (which panics).
fn handle_in(slot: &Slot) -> Result<tokio::runtime::Handle, Error> {
    let built = slot.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("goru")
            .build()
            .map_err(|e| e.to_string())
    });
    match built {
        Ok(rt) => Ok(rt.handle().clone()),
        Err(e) => Err(Error::Setup(format!("starting goru's tokio runtime: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Many first callers at once, each inside an async context, as tests
    /// and services start executors: none panics, one runtime is built.
    #[test]
    fn racing_first_callers_share_one_runtime() {
        for _ in 0..20 {
            let slot: &'static Slot = Box::leak(Box::new(OnceLock::new()));
            let barrier = std::sync::Barrier::new(8);
            std::thread::scope(|scope| {
                let joins: Vec<_> = (0..8)
                    .map(|_| {
                        scope.spawn(|| {
                            let local = tokio::runtime::Builder::new_current_thread().build().unwrap();
                            local.block_on(async {
                                barrier.wait();
                                handle_in(slot).unwrap();
                            })
                        })
                    })
                    .collect();
                for join in joins {
                    join.join().expect("a first caller panicked");
                }
            });
            assert!(matches!(slot.get(), Some(Ok(_))));
        }
    }
}
