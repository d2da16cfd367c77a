//! Granting a run Python packages: the packages directory shown read-only at
//! `/packages`, and `install_pkg` if the install policy allows it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use goru_core::{Error, Executor, RunOptions};
use goru_lang_python::PACKAGES_PATH;

use crate::{InstallFunction, normalize_name};

/// What the guest may install with `install_pkg(name, version=None)`.
///
/// ```
/// use goru_packages::InstallPolicy;
///
/// assert_eq!(InstallPolicy::default(), InstallPolicy::Nothing);
/// let only = InstallPolicy::only(["attrs", "Python_Dateutil"]);
/// assert!(only.allows("python-dateutil") && !only.allows("six"));
/// assert!(InstallPolicy::Any.allows("six"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum InstallPolicy {
    /// Nothing: the guest imports what is there (the default).
    #[default]
    Nothing,
    /// Any package, with its dependencies.
    Any,
    /// Only these packages (names compared the way the package index
    /// compares them: case, `-`, `_` and `.` do not matter), with their
    /// dependencies.
    Only(Vec<String>),
}

impl InstallPolicy {
    /// [`InstallPolicy::Only`] these names.
    pub fn only<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::Only(names.into_iter().map(Into::into).collect())
    }

    /// Whether the guest may ask for the package `name` (its dependencies
    /// come along whatever they are).
    pub fn allows(&self, name: &str) -> bool {
        match self {
            Self::Nothing => false,
            Self::Any => true,
            Self::Only(names) => {
                let wanted = normalize_name(name);
                names.iter().any(|allowed| normalize_name(allowed) == wanted)
            }
        }
    }
}

/// A packages directory on the host and what the guest may install into it,
/// to grant runs with [`Packages::grant`].
///
/// ```
/// use goru_packages::{InstallPolicy, Packages};
///
/// let packages = Packages::new("/srv/goru/packages", InstallPolicy::Any);
/// assert_eq!(packages.dir(), std::path::Path::new("/srv/goru/packages"));
/// assert_eq!(packages.install_policy(), &InstallPolicy::Any);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packages {
    dir: PathBuf,
    install: InstallPolicy,
}

impl Packages {
    /// Packages in the host directory `dir`, with this install policy.
    pub fn new(dir: impl Into<PathBuf>, install: InstallPolicy) -> Self {
        Self {
            dir: dir.into(),
            install,
        }
    }

    /// The host directory the guest sees at
    /// [`PACKAGES_PATH`](goru_lang_python::PACKAGES_PATH).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What the guest may install into [`Packages::dir`].
    pub fn install_policy(&self) -> &InstallPolicy {
        &self.install
    }

    /// `options` letting a Python run (or session) import these packages:
    /// [`Packages::dir`] appears read-only at
    /// [`PACKAGES_PATH`](goru_lang_python::PACKAGES_PATH) (on `sys.path`),
    /// and unless the policy is [`InstallPolicy::Nothing`] the guest may
    /// install into it with `install_pkg` ([`InstallFunction`], which
    /// byte-compiles what it installs with `executor`); it imports the
    /// package at once, in the same run or session. The host resolves and
    /// downloads; no package code runs on the host.
    ///
    /// Fails with [`Error::InvalidOption`] if the directory does not exist
    /// and installing is off, or if it cannot be created (with installing
    /// on, a missing directory is created).
    ///
    /// ```
    /// use goru_core::{Executor, RunOptions};
    /// use goru_packages::{InstallPolicy, Packages};
    ///
    /// # fn main() -> Result<(), goru_core::Error> {
    /// let executor = Executor::builder().build()?;
    /// let dir = tempfile::tempdir()?;
    /// let packages = Packages::new(dir.path(), InstallPolicy::Nothing);
    /// let options = packages.grant(RunOptions::new(), &executor)?;
    /// let dirs: Vec<_> = options.read_only_dirs().collect();
    /// assert_eq!(dirs, [("/packages", dir.path())]);
    /// # Ok(()) }
    /// ```
    pub fn grant(&self, options: RunOptions, executor: &Executor) -> Result<RunOptions, Error> {
        let dir = &self.dir;
        if !dir.is_dir() {
            if dir.exists() || self.install == InstallPolicy::Nothing {
                return Err(Error::InvalidOption(format!(
                    "the packages directory {} is not a directory",
                    dir.display()
                )));
            }
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::InvalidOption(format!("creating the packages directory {}: {e}", dir.display()))
            })?;
        }
        let options = options.read_only_dir(PACKAGES_PATH, dir.clone());
        Ok(match self.install {
            InstallPolicy::Nothing => options,
            _ => options.host_functions(Arc::new(InstallFunction::new(
                dir.clone(),
                self.install.clone(),
                executor.clone(),
            ))),
        })
    }
}
