//! Packages a run may import: a host directory the guest sees read-only, and
//! whether the guest may ask the host to install more into it.

use std::path::{Path, PathBuf};

use crate::{Error, Language, RunOptions};

/// Whether the guest may install packages (Python's `install_pkg`), set with
/// [`crate::RunOptions::package_install`] or
/// [`crate::RunOptions::allowed_packages`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PackageInstall {
    /// The guest may not install anything (the default).
    #[default]
    Disabled,
    /// The guest may install any package (with its dependencies).
    Any,
    /// The guest may install only these packages (names, compared the way
    /// the language's package index compares them), with their dependencies.
    Only(Vec<String>),
}

/// A run's packages directory and install policy, as handed to
/// [`crate::Language::package_functions`].
///
/// ```
/// use goru_core::{PackageInstall, Packages};
///
/// let packages = Packages::new("/srv/goru/packages", PackageInstall::Any);
/// assert_eq!(packages.dir(), std::path::Path::new("/srv/goru/packages"));
/// assert_eq!(packages.install(), &PackageInstall::Any);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packages {
    dir: PathBuf,
    install: PackageInstall,
}

impl Packages {
    /// Packages in `dir` (on the host), with this install policy.
    pub fn new(dir: impl Into<PathBuf>, install: PackageInstall) -> Self {
        Self {
            dir: dir.into(),
            install,
        }
    }

    /// The host directory the guest sees (read-only) at the language's
    /// [`crate::Language::packages_path`].
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What the guest may install into [`Packages::dir`].
    pub fn install(&self) -> &PackageInstall {
        &self.install
    }
}

/// The packages of a run with `options`, checked: the language must have a
/// packages path, installing needs a directory, and the directory must exist
/// (it is created when the guest may install into it).
pub(crate) fn for_run(language: &dyn Language, options: &RunOptions) -> Result<Option<Packages>, Error> {
    let install = &options.package_install;
    let Some(dir) = &options.packages else {
        if *install != PackageInstall::Disabled {
            return Err(Error::InvalidOption(
                "package installation needs a packages directory (RunOptions::packages)".into(),
            ));
        }
        return Ok(None);
    };
    if language.packages_path().is_none() {
        return Err(Error::InvalidOption(format!(
            "the {} language has no packages directory",
            language.name()
        )));
    }
    if !dir.is_dir() {
        if dir.exists() || *install == PackageInstall::Disabled {
            return Err(Error::InvalidOption(format!(
                "the packages directory {} is not a directory",
                dir.display()
            )));
        }
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::InvalidOption(format!("creating the packages directory {}: {e}", dir.display()))
        })?;
    }
    Ok(Some(Packages::new(dir.clone(), install.clone())))
}
