//! Mounted host directories, reached through cap-std so the guest cannot escape them.
//!
//! The embedder grants directories as [`Mount`]s: a host directory, the absolute virtual path
//! where the guest sees it, and a [`MountMode`]. A [`Filesystem`] opens each host directory
//! once and serves the guest's operations on virtual paths:
//!
//! - a guest path is parsed lexically first: it must be absolute, free of NUL bytes and no
//!   longer than [`FsConfig::max_path_length`]; `.` is dropped, and a `..` may not climb above
//!   the root of the mount the path ends up in;
//! - the mount with the longest matching prefix, compared on whole components, serves it;
//! - the rest of the path goes, relative, to that mount's `cap_std::fs::Dir`, which refuses
//!   any resolution (symlinks included) leading outside the directory;
//! - errors name only the guest's virtual path, never a host path.
//!
//! ```
//! use goru_hostfn::fs::{Filesystem, FsConfig, Mount};
//!
//! let dir = tempfile::tempdir().unwrap();
//! std::fs::write(dir.path().join("in.txt"), "hello").unwrap();
//! let spec = format!("/data:{}:ro", dir.path().display());
//! let fs = Filesystem::new(vec![Mount::parse(&spec).unwrap()], FsConfig::new()).unwrap();
//!
//! assert_eq!(fs.read_text("/data/in.txt").unwrap(), "hello");
//! assert_eq!(fs.write("/data/in.txt", b"bye").unwrap_err().kind(), "permission_denied");
//! assert_eq!(fs.read("/data/../etc/passwd").unwrap_err().kind(), "not_found");
//! ```

mod config;
#[cfg(all(test, unix))]
mod containment_proptests;
mod error;
mod filesystem;
mod mount;
mod ops;
mod path;
#[cfg(test)]
mod resolve_proptests;

pub use config::FsConfig;
pub use error::FsError;
pub use filesystem::Filesystem;
pub use mount::{Mount, MountMode};
pub use ops::{DirEntry, Stat};
