//! Mounts: a host directory, the virtual path where the guest sees it, and what the guest may do there.

use std::path::{Path, PathBuf};

pub use goru_core::MountMode;

use super::error::FsError;
use super::path::mount_point_components;

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
        let mode = mode.parse().map_err(|_| FsError::InvalidMode {
            mode: mode.to_owned(),
        })?;
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
