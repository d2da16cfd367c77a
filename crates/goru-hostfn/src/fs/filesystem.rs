//! The set of opened mounts, and the resolution of a guest path to a mount and a path inside it.

use std::fmt;
use std::path::PathBuf;

use cap_std::ambient_authority;
use cap_std::fs::Dir;

use super::config::FsConfig;
use super::error::FsError;
use super::mount::{Mount, MountMode};
use super::path::{mount_point_components, parse_guest_path};

/// The guest's view of the host filesystem: a set of mounts, each a host directory opened once.
///
/// Every operation resolves the guest's virtual path
/// to the mount with the longest matching prefix and then works through that mount's
/// [`cap_std::fs::Dir`], which never resolves a path, `..` or symlink, to anything outside it.
///
/// ```
/// use goru_hostfn::fs::{Filesystem, FsConfig, Mount, MountMode};
///
/// let dir = tempfile::tempdir().unwrap();
/// let fs = Filesystem::new(vec![Mount::new("/data", dir.path(), MountMode::ReadWriteCreate)], FsConfig::new())
///     .unwrap();
/// fs.write("/data/hello.txt", b"hi").unwrap();
/// assert_eq!(fs.read_text("/data/hello.txt").unwrap(), "hi");
/// assert_eq!(fs.read("/etc/passwd").unwrap_err().kind(), "not_found");
/// ```
pub struct Filesystem {
    pub(super) mounts: Vec<OpenMount>,
    pub(super) config: FsConfig,
}

/// A mount whose host directory is open.
pub(super) struct OpenMount {
    pub(super) virtual_path: String,
    components: Vec<String>,
    pub(super) mode: MountMode,
    pub(super) dir: Dir,
}

/// A guest path resolved to its mount.
pub(super) struct Resolved<'a> {
    pub(super) mount: &'a OpenMount,
    /// Relative to the mount's directory, never absolute; `.` for the mount's root.
    pub(super) relative: PathBuf,
    /// The last component of the normalised virtual path.
    pub(super) name: String,
}

impl OpenMount {
    /// Matches whole components, so `/data` covers `/data/x` but not `/database`.
    fn is_prefix_of(&self, components: &[&str]) -> bool {
        components.len() >= self.components.len()
            && self
                .components
                .iter()
                .zip(components)
                .all(|(mine, theirs)| mine == theirs)
    }
}

impl Resolved<'_> {
    pub(super) fn is_mount_root(&self) -> bool {
        self.relative.as_os_str() == "."
    }
}

impl Filesystem {
    /// Validates the mounts and opens each host directory.
    ///
    /// Virtual paths must be absolute, normalised, not `/`, and distinct; one may lie under
    /// another, and then the longer one wins. Errors go to the embedder and may name host paths.
    pub fn new(mounts: Vec<Mount>, config: FsConfig) -> Result<Self, FsError> {
        let mut opened: Vec<OpenMount> = Vec::with_capacity(mounts.len());
        for mount in mounts {
            let components = mount_point_components(mount.virtual_path())?;
            if opened.iter().any(|m| m.components == components) {
                return Err(FsError::InvalidMount {
                    spec: mount.virtual_path().to_owned(),
                    reason: "the virtual path is mounted twice".to_owned(),
                });
            }
            let dir = Dir::open_ambient_dir(mount.host_path(), ambient_authority()).map_err(|error| {
                FsError::MountOpen {
                    virtual_path: mount.virtual_path().to_owned(),
                    host_path: mount.host_path().to_owned(),
                    error,
                }
            })?;
            opened.push(OpenMount {
                virtual_path: mount.virtual_path().to_owned(),
                components,
                mode: mount.mode(),
                dir,
            });
        }
        Ok(Filesystem {
            mounts: opened,
            config,
        })
    }

    /// The virtual paths and modes of the mounts, in the order they were given.
    pub fn mounts(&self) -> impl Iterator<Item = (&str, MountMode)> {
        self.mounts.iter().map(|m| (m.virtual_path.as_str(), m.mode))
    }

    /// The limits in force.
    pub fn config(&self) -> &FsConfig {
        &self.config
    }

    /// Finds the mount for a guest path and the path relative to that mount's directory.
    pub(super) fn resolve(&self, path: &str) -> Result<Resolved<'_>, FsError> {
        let parsed = parse_guest_path(path, self.config.path_length_limit())?;
        let mount = self
            .mounts
            .iter()
            .filter(|m| m.is_prefix_of(&parsed.components))
            .max_by_key(|m| m.components.len())
            .ok_or_else(|| FsError::NoMount {
                path: path.to_owned(),
            })?;
        let depth = mount.components.len();
        if !parsed.stays_within(depth) {
            return Err(FsError::InvalidPath {
                path: path.to_owned(),
                reason: "`..` leaves the mount",
            });
        }
        let inside = &parsed.components[depth..];
        let relative = if inside.is_empty() {
            PathBuf::from(".")
        } else {
            PathBuf::from(inside.join("/"))
        };
        // Mount points have at least one component, so a path under a mount has a last one.
        let name = parsed
            .components
            .last()
            .map_or_else(String::new, |n| (*n).to_owned());
        Ok(Resolved {
            mount,
            relative,
            name,
        })
    }
}

// The host paths are left out: a Debug dump may end up where the guest can read it.
impl fmt::Debug for Filesystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Filesystem")
            .field("mounts", &self.mounts().collect::<Vec<_>>())
            .field("config", &self.config)
            .finish()
    }
}
