//! The filesystem capability's error type, and the translation of host I/O errors into it.

use std::io;
use std::path::PathBuf;

/// Why a filesystem operation failed.
///
/// Errors returned by [`Filesystem`](super::Filesystem)'s operations are meant to be shown to
/// the guest: their messages name only the guest's virtual path and never a host path or the
/// text of an underlying [`io::Error`]. Only [`FsError::MountOpen`], which
/// [`Filesystem::new`](super::Filesystem::new) returns to the embedder, names a host path.
///
/// [`FsError::kind`] gives a short stable code for each error, suitable for mapping to guest
/// exceptions.
///
/// ```
/// use goru_hostfn::fs::FsError;
///
/// let err = FsError::NotFound { path: "/data/missing.txt".into() };
/// assert_eq!(err.kind(), "not_found");
/// assert_eq!(err.to_string(), "/data/missing.txt: no such file or directory");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FsError {
    /// The path lies under no mount. The message does not list the mounts.
    #[error("{path}: no such file or directory (no mount covers this path)")]
    NoMount {
        /// The guest's path.
        path: String,
    },
    /// The file or directory does not exist.
    #[error("{path}: no such file or directory")]
    NotFound {
        /// The guest's path.
        path: String,
    },
    /// The mount's mode forbids the operation, the path leads outside its mount, or the host
    /// refused access.
    #[error("{path}: permission denied ({reason})")]
    PermissionDenied {
        /// The guest's path.
        path: String,
        /// Why, in a few words.
        reason: &'static str,
    },
    /// The path is malformed: not absolute, contains a NUL byte, climbs out of its mount, ...
    #[error("{path:?}: invalid path ({reason})")]
    InvalidPath {
        /// The guest's path.
        path: String,
        /// Why, in a few words.
        reason: &'static str,
    },
    /// The path has more characters than [`FsConfig::max_path_length`](super::FsConfig::max_path_length)
    /// allows. The path itself is not repeated, since it may be huge.
    #[error("path is too long ({len} characters, the limit is {limit})")]
    PathTooLong {
        /// The path's length in characters.
        len: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The file is larger than [`FsConfig::max_read_bytes`](super::FsConfig::max_read_bytes).
    #[error("{path}: the file is larger than the read limit of {limit} bytes")]
    ReadTooLarge {
        /// The guest's path.
        path: String,
        /// The configured limit.
        limit: u64,
    },
    /// The data is larger than [`FsConfig::max_write_bytes`](super::FsConfig::max_write_bytes).
    #[error("{path}: {len} bytes exceed the write limit of {limit} bytes")]
    WriteTooLarge {
        /// The guest's path.
        path: String,
        /// The size of the refused write.
        len: u64,
        /// The configured limit.
        limit: u64,
    },
    /// Something that is not a directory already exists at the path.
    #[error("{path}: already exists")]
    AlreadyExists {
        /// The guest's path.
        path: String,
    },
    /// The path, or one of its parents, is not a directory.
    #[error("{path}: not a directory")]
    NotADirectory {
        /// The guest's path.
        path: String,
    },
    /// The operation needs a file but the path is a directory.
    #[error("{path}: is a directory")]
    IsADirectory {
        /// The guest's path.
        path: String,
    },
    /// The directory to remove is not empty.
    #[error("{path}: directory not empty")]
    NotEmpty {
        /// The guest's path.
        path: String,
    },
    /// The file's content is not valid UTF-8.
    #[error("{path}: the file is not valid UTF-8")]
    InvalidUtf8 {
        /// The guest's path.
        path: String,
    },
    /// Any other host I/O failure, described only by its [`io::ErrorKind`].
    #[error("{path}: I/O error ({kind})")]
    Io {
        /// The guest's path.
        path: String,
        /// The kind of the host error; its text carries no host path.
        kind: io::ErrorKind,
    },
    /// A mount given to the embedder's configuration is malformed.
    #[error("invalid mount {spec:?}: {reason}")]
    InvalidMount {
        /// The mount as given: a virtual path or a `virtual:host:mode` spec.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A mount mode is not one of `ro`, `rw` or `rwc`.
    #[error("invalid mount mode {mode:?}: expected ro, rw or rwc")]
    InvalidMode {
        /// The mode as given.
        mode: String,
    },
    /// A mount's host directory could not be opened. For the embedder only: names the host path.
    #[error("cannot open host directory {} for mount {virtual_path}: {error}", .host_path.display())]
    MountOpen {
        /// The mount's virtual path.
        virtual_path: String,
        /// The host directory.
        host_path: PathBuf,
        /// The host's error.
        #[source]
        error: io::Error,
    },
}

impl FsError {
    /// A short stable code for the error: `"not_found"`, `"permission_denied"`,
    /// `"invalid_path"`, `"limit"`, `"exists"`, `"not_a_directory"`, `"is_a_directory"`,
    /// `"not_empty"`, `"invalid_data"` or `"io"`.
    ///
    /// Configuration errors ([`FsError::InvalidMount`], [`FsError::InvalidMode`]) report
    /// `"invalid_path"`; [`FsError::MountOpen`] reports the code of its host error.
    pub fn kind(&self) -> &'static str {
        match self {
            FsError::NoMount { .. } | FsError::NotFound { .. } => "not_found",
            FsError::PermissionDenied { .. } => "permission_denied",
            FsError::InvalidPath { .. }
            | FsError::PathTooLong { .. }
            | FsError::InvalidMount { .. }
            | FsError::InvalidMode { .. } => "invalid_path",
            FsError::ReadTooLarge { .. } | FsError::WriteTooLarge { .. } => "limit",
            FsError::AlreadyExists { .. } => "exists",
            FsError::NotADirectory { .. } => "not_a_directory",
            FsError::IsADirectory { .. } => "is_a_directory",
            FsError::NotEmpty { .. } => "not_empty",
            FsError::InvalidUtf8 { .. } => "invalid_data",
            FsError::Io { .. } => "io",
            FsError::MountOpen { error, .. } => match error.kind() {
                io::ErrorKind::NotFound => "not_found",
                io::ErrorKind::PermissionDenied => "permission_denied",
                io::ErrorKind::NotADirectory => "not_a_directory",
                _ => "io",
            },
        }
    }

    /// Translates a host error met while working on the guest's `path`.
    ///
    /// Only the error's kind survives: an `io::Error`'s text may one day carry a host path,
    /// and the guest must never see one.
    pub(crate) fn from_io(err: &io::Error, path: &str) -> FsError {
        let path = path.to_owned();
        match err.kind() {
            io::ErrorKind::NotFound => FsError::NotFound { path },
            // cap-std reports an escape as a PermissionDenied error of its own making, so the
            // absence of an errno tells it apart from the host refusing access.
            io::ErrorKind::PermissionDenied if err.raw_os_error().is_none() => FsError::PermissionDenied {
                path,
                reason: "the path leads outside its mount",
            },
            io::ErrorKind::PermissionDenied => FsError::PermissionDenied {
                path,
                reason: "denied by the host",
            },
            io::ErrorKind::ReadOnlyFilesystem => FsError::PermissionDenied {
                path,
                reason: "the host filesystem is read-only",
            },
            io::ErrorKind::AlreadyExists => FsError::AlreadyExists { path },
            io::ErrorKind::NotADirectory => FsError::NotADirectory { path },
            io::ErrorKind::IsADirectory => FsError::IsADirectory { path },
            io::ErrorKind::DirectoryNotEmpty => FsError::NotEmpty { path },
            io::ErrorKind::InvalidFilename => FsError::InvalidPath {
                path,
                reason: "a name is too long",
            },
            kind => FsError::Io { path, kind },
        }
    }
}
