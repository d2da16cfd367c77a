//! Mounts: a host directory, the virtual path where the guest sees it, and what the guest may do there.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::error::FsError;
use super::path::mount_point_components;

/// What the guest may do under a mount.
///
/// Each mode allows everything the previous one does:
///
/// | mode | guest may |
/// |------|-----------|
/// | `ro`  | read files, list directories, test existence, stat |
/// | `rw`  | also overwrite existing files and remove files and empty directories |
/// | `rwc` | also create files and directories |
///
/// ```
/// use goru_hostfn::fs::MountMode;
///
/// let mode: MountMode = "rwc".parse().unwrap();
/// assert_eq!(mode, MountMode::ReadWriteCreate);
/// assert_eq!(mode.to_string(), "rwc");
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
    pub(crate) fn allows_write(self) -> bool {
        matches!(self, MountMode::ReadWrite | MountMode::ReadWriteCreate)
    }

    pub(crate) fn allows_create(self) -> bool {
        self == MountMode::ReadWriteCreate
    }
}

impl FromStr for MountMode {
    type Err = FsError;

    fn from_str(s: &str) -> Result<Self, FsError> {
        match s {
            "ro" => Ok(MountMode::ReadOnly),
            "rw" => Ok(MountMode::ReadWrite),
            "rwc" => Ok(MountMode::ReadWriteCreate),
            _ => Err(FsError::InvalidMode { mode: s.to_owned() }),
        }
    }
}

impl fmt::Display for MountMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MountMode::ReadOnly => "ro",
            MountMode::ReadWrite => "rw",
            MountMode::ReadWriteCreate => "rwc",
        })
    }
}

/// A host directory made visible to the guest at a virtual path, with a [`MountMode`].
///
/// Building a `Mount` checks nothing; [`Filesystem::new`](super::Filesystem::new) validates the
/// virtual path and opens the host directory.
///
/// ```
/// use goru_hostfn::fs::{Mount, MountMode};
///
/// let mount = Mount::new("/data", "/srv/data", MountMode::ReadOnly);
/// assert_eq!(mount.virtual_path(), "/data");
///
/// // The CLI form: the host path may itself contain ':'.
/// let mount = Mount::parse("/out:/tmp/a:b:rwc").unwrap();
/// assert_eq!(mount.host_path(), std::path::Path::new("/tmp/a:b"));
/// assert_eq!(mount.mode(), MountMode::ReadWriteCreate);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    virtual_path: String,
    host_path: PathBuf,
    mode: MountMode,
}

impl Mount {
    /// A mount of `host_path` at `virtual_path` with `mode`.
    pub fn new(virtual_path: impl Into<String>, host_path: impl Into<PathBuf>, mode: MountMode) -> Self {
        Mount {
            virtual_path: virtual_path.into(),
            host_path: host_path.into(),
            mode,
        }
    }

    /// Parses the CLI form `virtual:host:mode`, e.g. `/data:./input:ro`.
    ///
    /// The virtual path ends at the first `:` and the mode starts after the last, so the host
    /// path may contain `:`. The virtual path is validated as [`Filesystem::new`](super::Filesystem::new)
    /// would; the host path is not opened.
    pub fn parse(spec: &str) -> Result<Mount, FsError> {
        let invalid = |reason: &str| FsError::InvalidMount {
            spec: spec.to_owned(),
            reason: reason.to_owned(),
        };
        let (virtual_path, rest) = spec
            .split_once(':')
            .ok_or_else(|| invalid("expected virtual:host:mode"))?;
        let (host_path, mode) = rest
            .rsplit_once(':')
            .ok_or_else(|| invalid("expected virtual:host:mode"))?;
        if host_path.is_empty() {
            return Err(invalid("the host path is empty"));
        }
        let mode = mode.parse()?;
        mount_point_components(virtual_path)?;
        Ok(Mount::new(virtual_path, host_path, mode))
    }

    /// Where the guest sees the directory, e.g. `/data`.
    pub fn virtual_path(&self) -> &str {
        &self.virtual_path
    }

    /// The host directory.
    pub fn host_path(&self) -> &Path {
        &self.host_path
    }

    /// What the guest may do under the mount.
    pub fn mode(&self) -> MountMode {
        self.mode
    }
}
