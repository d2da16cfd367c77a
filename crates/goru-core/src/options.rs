//! Options for one run: limits, stdin, host functions and packages.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::{CancelHandle, HostFunctions, Limits, PackageInstall};

/// How one run is set up. Unset limits fall back to the executor's defaults
/// (see [`crate::ExecutorBuilder::default_limits`]).
///
/// ```
/// use goru_core::RunOptions;
/// use std::time::Duration;
///
/// let opts = RunOptions::new()
///     .timeout(Duration::from_secs(1))
///     .memory_bytes(64 << 20)
///     .stdin("line one\n");
/// assert_eq!(opts.stdin_bytes(), b"line one\n");
/// ```
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub(crate) timeout: Option<Duration>,
    pub(crate) memory_bytes: Option<u64>,
    pub(crate) output_bytes: Option<usize>,
    pub(crate) scratch_fs_bytes: Option<usize>,
    pub(crate) scratch_fs_entries: Option<usize>,
    pub(crate) open_files: Option<usize>,
    pub(crate) host_calls: Option<usize>,
    pub(crate) host_frame_bytes: Option<usize>,
    pub(crate) host_calls_in_flight: Option<usize>,
    pub(crate) host: Vec<Arc<dyn HostFunctions>>,
    pub(crate) stdin: Vec<u8>,
    pub(crate) cancel: Option<CancelHandle>,
    pub(crate) packages: Option<PathBuf>,
    pub(crate) package_install: PackageInstall,
}

impl RunOptions {
    /// Options with every limit at the executor's default and empty stdin.
    pub fn new() -> Self {
        Self::default()
    }

    /// Wall-clock limit for this run.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Memory cap for this run, in bytes.
    pub fn memory_bytes(mut self, bytes: u64) -> Self {
        self.memory_bytes = Some(bytes);
        self
    }

    /// Cap on each of stdout and stderr, in bytes.
    pub fn output_bytes(mut self, bytes: usize) -> Self {
        self.output_bytes = Some(bytes);
        self
    }

    /// Cap on the guest's in-memory scratch filesystem, in bytes.
    pub fn scratch_fs_bytes(mut self, bytes: usize) -> Self {
        self.scratch_fs_bytes = Some(bytes);
        self
    }

    /// Cap on the files and directories the guest may create in its scratch
    /// filesystem.
    pub fn scratch_fs_entries(mut self, entries: usize) -> Self {
        self.scratch_fs_entries = Some(entries);
        self
    }

    /// Cap on the descriptors the guest may have open at once.
    pub fn open_files(mut self, descriptors: usize) -> Self {
        self.open_files = Some(descriptors);
        self
    }

    /// Cap on the host calls this run may make.
    pub fn host_calls(mut self, calls: usize) -> Self {
        self.host_calls = Some(calls);
        self
    }

    /// Cap on one frame of the host-call channel, either way, in bytes (see
    /// [`Limits::host_frame_bytes`]).
    pub fn host_frame_bytes(mut self, bytes: usize) -> Self {
        self.host_frame_bytes = Some(bytes);
        self
    }

    /// Cap on the host calls of this run running at once (at least 1; see
    /// [`Limits::host_calls_in_flight`]).
    pub fn host_calls_in_flight(mut self, calls: usize) -> Self {
        self.host_calls_in_flight = Some(calls.max(1));
        self
    }

    /// Lets this run call `functions`. Providers added here are asked before
    /// earlier ones of this run, and all of them before the executor's
    /// (see [`crate::ExecutorBuilder::host_functions`]).
    pub fn host_functions(mut self, functions: Arc<dyn HostFunctions>) -> Self {
        self.host.insert(0, functions);
        self
    }

    /// Bytes the guest reads on stdin; after them it sees end of file.
    /// Without this the guest sees end of file at once, never the host's stdin.
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = bytes.into();
        self
    }

    /// Lets `handle` stop this run.
    pub fn cancel_handle(mut self, handle: CancelHandle) -> Self {
        self.cancel = Some(handle);
        self
    }

    /// Lets the guest import the packages in the host directory `dir`: it
    /// appears read-only at the language's
    /// [`packages_path`](crate::Language::packages_path) (Python: `/packages`,
    /// on `sys.path`). The guest can read it but never write, create, rename
    /// or delete anything there. The run fails with [`crate::Error::InvalidOption`]
    /// if the language has no packages, or if `dir` does not exist and
    /// package installation is off (with it on, `dir` is created).
    ///
    /// ```
    /// use goru_core::RunOptions;
    ///
    /// let opts = RunOptions::new().packages(".goru/python/packages");
    /// assert_eq!(opts.packages_dir(), Some(std::path::Path::new(".goru/python/packages")));
    /// ```
    pub fn packages(mut self, dir: impl Into<PathBuf>) -> Self {
        self.packages = Some(dir.into());
        self
    }

    /// Lets the guest install any package (Python: `install_pkg(name,
    /// version=None)`) into the [`RunOptions::packages`] directory; it can
    /// import it at once, in the same run or session. The host resolves and
    /// downloads; no package code runs on the host. `false` turns it off
    /// again (the default).
    ///
    /// ```
    /// use goru_core::{PackageInstall, RunOptions};
    ///
    /// let opts = RunOptions::new().packages("pkgs").package_install(true);
    /// assert_eq!(opts.package_install_policy(), &PackageInstall::Any);
    /// ```
    pub fn package_install(mut self, enabled: bool) -> Self {
        self.package_install = if enabled {
            PackageInstall::Any
        } else {
            PackageInstall::Disabled
        };
        self
    }

    /// Lets the guest install only these packages (and what they depend on)
    /// into the [`RunOptions::packages`] directory; see
    /// [`RunOptions::package_install`].
    ///
    /// ```
    /// use goru_core::{PackageInstall, RunOptions};
    ///
    /// let opts = RunOptions::new().packages("pkgs").allowed_packages(["attrs", "six"]);
    /// assert_eq!(
    ///     opts.package_install_policy(),
    ///     &PackageInstall::Only(vec!["attrs".into(), "six".into()])
    /// );
    /// ```
    pub fn allowed_packages<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.package_install = PackageInstall::Only(names.into_iter().map(Into::into).collect());
        self
    }

    /// The directory set with [`RunOptions::packages`].
    pub fn packages_dir(&self) -> Option<&std::path::Path> {
        self.packages.as_deref()
    }

    /// What the guest may install, see [`RunOptions::package_install`].
    pub fn package_install_policy(&self) -> &PackageInstall {
        &self.package_install
    }

    /// The stdin bytes set with [`RunOptions::stdin`].
    pub fn stdin_bytes(&self) -> &[u8] {
        &self.stdin
    }

    /// These options' limits laid over `defaults`.
    pub(crate) fn limits(&self, defaults: Limits) -> Limits {
        Limits {
            timeout: self.timeout.unwrap_or(defaults.timeout),
            memory_bytes: self.memory_bytes.unwrap_or(defaults.memory_bytes),
            output_bytes: self.output_bytes.unwrap_or(defaults.output_bytes),
            scratch_fs_bytes: self.scratch_fs_bytes.unwrap_or(defaults.scratch_fs_bytes),
            scratch_fs_entries: self.scratch_fs_entries.unwrap_or(defaults.scratch_fs_entries),
            open_files: self.open_files.unwrap_or(defaults.open_files),
            host_calls: self.host_calls.unwrap_or(defaults.host_calls),
            host_frame_bytes: self.host_frame_bytes.unwrap_or(defaults.host_frame_bytes),
            host_calls_in_flight: self.host_calls_in_flight.unwrap_or(defaults.host_calls_in_flight),
        }
    }
}
