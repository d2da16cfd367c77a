//! Limits on what a guest may move through the filesystem capability in one call.

use goru_core::HostDir;

/// Limits applied to every filesystem operation.
///
/// ```
/// use goru_hostfn::fs::FsConfig;
///
/// let config = FsConfig::new().max_read_bytes(1 << 20).max_path_length(1024);
/// assert_eq!(config.read_limit(), 1 << 20);
/// assert_eq!(config.write_limit(), 10 * 1024 * 1024);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsConfig {
    max_read_bytes: u64,
    max_write_bytes: u64,
    max_path_length: usize,
}

impl FsConfig {
    /// The defaults: reads and writes of at most 10 MiB, paths of at most 4096 characters.
    pub fn new() -> Self {
        // The same defaults as a mount reached through ordinary file APIs.
        FsConfig {
            max_read_bytes: HostDir::DEFAULT_MAX_READ_BYTES,
            max_write_bytes: HostDir::DEFAULT_MAX_WRITE_BYTES,
            max_path_length: HostDir::DEFAULT_MAX_PATH_LENGTH,
        }
    }

    /// Sets the largest file, in bytes, that a read may return.
    pub fn max_read_bytes(mut self, bytes: u64) -> Self {
        self.max_read_bytes = bytes;
        self
    }

    /// Sets the most bytes a single write may store.
    pub fn max_write_bytes(mut self, bytes: u64) -> Self {
        self.max_write_bytes = bytes;
        self
    }

    /// Sets the longest guest path accepted, in characters (not bytes).
    pub fn max_path_length(mut self, chars: usize) -> Self {
        self.max_path_length = chars;
        self
    }

    /// The largest file, in bytes, that a read may return.
    pub fn read_limit(&self) -> u64 {
        self.max_read_bytes
    }

    /// The most bytes a single write may store.
    pub fn write_limit(&self) -> u64 {
        self.max_write_bytes
    }

    /// The longest guest path accepted, in characters.
    pub fn path_length_limit(&self) -> usize {
        self.max_path_length
    }
}

impl Default for FsConfig {
    fn default() -> Self {
        FsConfig::new()
    }
}
