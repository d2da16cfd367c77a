//! Per-run resource limits and their defaults.

use std::time::Duration;

/// Bounds on one run. Every field has a default, listed on it.
///
/// ```
/// use goru_core::Limits;
/// use std::time::Duration;
///
/// let limits = Limits::default()
///     .timeout(Duration::from_secs(2))
///     .memory_bytes(64 << 20);
/// assert_eq!(limits.output_bytes, 1 << 20);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Wall-clock time a run may take. Default: 30 s.
    pub timeout: Duration,
    /// Linear memory the guest may grow to, in bytes (rounded down to 64 KiB
    /// wasm pages). Default: 256 MiB.
    pub memory_bytes: u64,
    /// Bytes kept of each of stdout and stderr; the rest is dropped and the
    /// result flagged truncated. Default: 1 MiB.
    pub output_bytes: usize,
    /// Bytes the guest may store in its in-memory scratch filesystem (`/tmp`):
    /// the sum of its files' sizes, sparse or not. A write or truncate past it
    /// fails with `ENOSPC`. Default: 16 MiB.
    pub scratch_fs_bytes: usize,
    /// Files and directories the guest may create in its scratch filesystem;
    /// one more fails with `ENOSPC`. Default: 10 000.
    pub scratch_fs_entries: usize,
    /// Descriptors the guest may have open at once, besides stdio and the
    /// filesystem root; one more `open` fails with `EMFILE`. Default: 1024.
    pub open_files: usize,
    /// Host calls a run may make (each call of a batch counts). Default: 10 000.
    pub host_calls: usize,
    /// Largest frame on the host-call channel, in bytes, either way: a
    /// request over it is refused unread, and the results of one batch may
    /// fill a reply up to it (a call whose result would not fit gets a
    /// `limit` error instead). A request's arguments may also take at most
    /// twice this in host memory once parsed. Default: 16 MiB (room for a
    /// 10 MiB file through `fs`).
    pub host_frame_bytes: usize,
    /// Host calls of a run running at once; the other calls of a batch wait,
    /// unstarted, and never start if the run stops first. Default: 16.
    pub host_calls_in_flight: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            memory_bytes: 256 << 20,
            output_bytes: 1 << 20,
            scratch_fs_bytes: 16 << 20,
            scratch_fs_entries: 10_000,
            open_files: 1024,
            host_calls: 10_000,
            host_frame_bytes: 16 << 20,
            host_calls_in_flight: 16,
        }
    }
}

impl Limits {
    /// Sets [`Limits::timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets [`Limits::memory_bytes`].
    pub fn memory_bytes(mut self, bytes: u64) -> Self {
        self.memory_bytes = bytes;
        self
    }

    /// Sets [`Limits::output_bytes`].
    pub fn output_bytes(mut self, bytes: usize) -> Self {
        self.output_bytes = bytes;
        self
    }

    /// Sets [`Limits::scratch_fs_bytes`].
    pub fn scratch_fs_bytes(mut self, bytes: usize) -> Self {
        self.scratch_fs_bytes = bytes;
        self
    }

    /// Sets [`Limits::scratch_fs_entries`].
    pub fn scratch_fs_entries(mut self, entries: usize) -> Self {
        self.scratch_fs_entries = entries;
        self
    }

    /// Sets [`Limits::open_files`].
    pub fn open_files(mut self, descriptors: usize) -> Self {
        self.open_files = descriptors;
        self
    }

    /// Sets [`Limits::host_calls`].
    pub fn host_calls(mut self, calls: usize) -> Self {
        self.host_calls = calls;
        self
    }

    /// Sets [`Limits::host_frame_bytes`].
    pub fn host_frame_bytes(mut self, bytes: usize) -> Self {
        self.host_frame_bytes = bytes;
        self
    }

    /// Sets [`Limits::host_calls_in_flight`] (at least 1).
    pub fn host_calls_in_flight(mut self, calls: usize) -> Self {
        self.host_calls_in_flight = calls.max(1);
        self
    }

    /// The memory limit in 64 KiB wasm pages (at least one).
    pub(crate) fn memory_pages(&self) -> u32 {
        u32::try_from(self.memory_bytes >> 16).unwrap_or(u32::MAX).max(1)
    }
}
