//! What one run's scratch filesystem may hold: bytes of file contents and
//! entries the guest made (files, directories), both counted before anything
//! is allocated.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// The budget of one scratch filesystem, shared by its tree and open files.
#[derive(Debug)]
pub(crate) struct Quota {
    bytes_limit: u64,
    bytes: AtomicU64,
    entries_limit: usize,
    entries: AtomicUsize,
    /// Set when a write was refused for lack of space, so that the `fd_write`
    /// wrapper can tell the guest `ENOSPC` (wasmer-wasix turns every write
    /// error into `EIO`).
    refused_write: AtomicBool,
}

impl Quota {
    pub(crate) fn new(bytes: u64, entries: usize) -> Self {
        Self {
            bytes_limit: bytes,
            bytes: AtomicU64::new(0),
            entries_limit: entries,
            entries: AtomicUsize::new(0),
            refused_write: AtomicBool::new(false),
        }
    }

    /// Takes `want` bytes, or as many as are left if that is at least
    /// `least`; returns how many were taken.
    pub(crate) fn take_bytes(&self, least: u64, want: u64) -> Option<u64> {
        let mut used = self.bytes.load(Ordering::Relaxed);
        loop {
            let left = self.bytes_limit.saturating_sub(used);
            let take = want.min(left);
            if take < least {
                return None;
            }
            match self
                .bytes
                .compare_exchange_weak(used, used + take, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return Some(take),
                Err(actual) => used = actual,
            }
        }
    }

    pub(crate) fn release_bytes(&self, bytes: u64) {
        let _ = self
            .bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                Some(used.saturating_sub(bytes))
            });
    }

    /// Counts one more entry, if the limit allows it.
    pub(crate) fn add_entry(&self) -> bool {
        self.entries
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < self.entries_limit).then_some(n + 1)
            })
            .is_ok()
    }

    pub(crate) fn remove_entry(&self) {
        let _ = self
            .entries
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                Some(n.saturating_sub(1))
            });
    }

    pub(crate) fn note_refused_write(&self) {
        self.refused_write.store(true, Ordering::Relaxed);
    }

    /// Whether a write was refused for space since the last call.
    pub(crate) fn take_refused_write(&self) -> bool {
        self.refused_write.swap(false, Ordering::Relaxed)
    }

    #[cfg(test)]
    pub(crate) fn bytes_used(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}
