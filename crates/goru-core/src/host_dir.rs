//! Host directories shown in the guest's filesystem, where its ordinary file
//! APIs (`open()`, `os.listdir`, `std.open`) reach them: the directory, the
//! guest path, what the guest may do there ([`MountMode`]) and size limits.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// What the guest may do under a mounted directory.
///
/// Each mode allows everything the previous one does:
///
/// | mode | guest may |
/// |------|-----------|
/// | `ro`  | read files, list directories, test existence, stat |
/// | `rw`  | also overwrite existing files and remove files and empty directories |
/// | `rwc` | also create (and rename) files and directories |
///
/// No mode lets the guest make links: a symlink or hard link could name a
/// file outside the directory.
///
/// ```
/// use goru_core::MountMode;
///
/// let mode: MountMode = "rwc".parse().unwrap();
/// assert_eq!(mode, MountMode::ReadWriteCreate);
/// assert_eq!(mode.to_string(), "rwc");
/// assert!(mode.allows_write() && mode.allows_create());
/// assert!("rx".parse::<MountMode>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MountMode {
    /// `ro`: read only.
    ReadOnly,
    /// `rw`: read, overwrite existing files, remove.
    ReadWrite,
    /// `rwc`: read, write, remove, and create files and directories.
    ReadWriteCreate,
}

impl MountMode {
    /// Whether existing files may be changed and entries removed (`rw`, `rwc`).
    pub fn allows_write(self) -> bool {
        matches!(self, MountMode::ReadWrite | MountMode::ReadWriteCreate)
    }

    /// Whether new files and directories may be made (`rwc`).
    pub fn allows_create(self) -> bool {
        self == MountMode::ReadWriteCreate
    }

    /// The mode's short name: `ro`, `rw` or `rwc`.
    pub fn as_str(self) -> &'static str {
        match self {
            MountMode::ReadOnly => "ro",
            MountMode::ReadWrite => "rw",
            MountMode::ReadWriteCreate => "rwc",
        }
    }
}

/// A mode name other than `ro`, `rw` and `rwc`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown mount mode {0:?} (expected ro, rw or rwc)")]
pub struct UnknownMountMode(pub String);

impl FromStr for MountMode {
    type Err = UnknownMountMode;

    fn from_str(s: &str) -> Result<Self, UnknownMountMode> {
        match s {
            "ro" => Ok(MountMode::ReadOnly),
            "rw" => Ok(MountMode::ReadWrite),
            "rwc" => Ok(MountMode::ReadWriteCreate),
            _ => Err(UnknownMountMode(s.to_owned())),
        }
    }
}

impl fmt::Display for MountMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A host directory the guest sees at a guest path, through its ordinary
/// file APIs, with a [`MountMode`] and size limits. Give it to a run with
/// [`crate::RunOptions::host_dir`], or from a host-function provider with
/// [`crate::HostFunctions::host_dirs`] (the fs capability does).
///
/// Every access goes through a `cap_std` directory handle, so no path, `..`
/// or symlink reaches anything outside the directory. Only directories and
/// regular files are shown. Limits: a read past `max_read_bytes` of a file
/// fails; a file may not grow past `max_write_bytes`; guest paths under the
/// directory are at most `max_path_length` characters; each file or
/// directory the guest creates counts as one of the run's host calls
/// ([`crate::Limits::host_calls`]), so a run creates a bounded number.
///
/// ```
/// use goru_core::{HostDir, MountMode};
///
/// let dir = HostDir::new("/out", "./results", MountMode::ReadWriteCreate).max_write_bytes(1 << 20);
/// assert_eq!(dir.guest_path(), "/out");
/// assert_eq!(dir.mode(), MountMode::ReadWriteCreate);
/// assert_eq!(dir.write_limit(), 1 << 20);
/// assert_eq!(dir.read_limit(), 10 << 20);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostDir {
    guest_path: String,
    host_path: PathBuf,
    mode: MountMode,
    max_read_bytes: u64,
    max_write_bytes: u64,
    max_path_length: usize,
}

impl HostDir {
    /// How far into a file the guest may read, unless set: 10 MiB. (The
    /// filesystem capability's calls default to the same limits.)
    pub const DEFAULT_MAX_READ_BYTES: u64 = 10 << 20;
    /// The largest size a file may reach through the guest's writes, unless
    /// set: 10 MiB.
    pub const DEFAULT_MAX_WRITE_BYTES: u64 = 10 << 20;
    /// The longest guest path accepted, in characters, unless set: 4096.
    pub const DEFAULT_MAX_PATH_LENGTH: usize = 4096;

    /// `host_path` shown at `guest_path` with `mode`; reads and writes of at
    /// most 10 MiB per file, paths of at most 4096 characters.
    pub fn new(guest_path: impl Into<String>, host_path: impl Into<PathBuf>, mode: MountMode) -> Self {
        Self {
            guest_path: guest_path.into(),
            host_path: host_path.into(),
            mode,
            max_read_bytes: Self::DEFAULT_MAX_READ_BYTES,
            max_write_bytes: Self::DEFAULT_MAX_WRITE_BYTES,
            max_path_length: Self::DEFAULT_MAX_PATH_LENGTH,
        }
    }

    /// Sets how far into a file the guest may read.
    pub fn max_read_bytes(mut self, bytes: u64) -> Self {
        self.max_read_bytes = bytes;
        self
    }

    /// Sets the largest size a file may reach through the guest's writes.
    pub fn max_write_bytes(mut self, bytes: u64) -> Self {
        self.max_write_bytes = bytes;
        self
    }

    /// Sets the longest guest path accepted, in characters.
    pub fn max_path_length(mut self, chars: usize) -> Self {
        self.max_path_length = chars;
        self
    }

    /// Where the guest sees the directory.
    pub fn guest_path(&self) -> &str {
        &self.guest_path
    }

    /// The host directory.
    pub fn host_path(&self) -> &Path {
        &self.host_path
    }

    /// What the guest may do there.
    pub fn mode(&self) -> MountMode {
        self.mode
    }

    /// How far into a file the guest may read.
    pub fn read_limit(&self) -> u64 {
        self.max_read_bytes
    }

    /// The largest size a file may reach through the guest's writes.
    pub fn write_limit(&self) -> u64 {
        self.max_write_bytes
    }

    /// The longest guest path accepted, in characters.
    pub fn path_length_limit(&self) -> usize {
        self.max_path_length
    }
}
