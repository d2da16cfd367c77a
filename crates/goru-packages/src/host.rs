//! The guest's `install_pkg(name, version=None)` as a host-function
//! provider: the policy is checked, then the installer puts the package
//! into the packages directory.

use std::path::PathBuf;

use goru_core::{Executor, HostError, HostFunctions, HostFuture, host_error_kinds};
use serde_json::Value;

use crate::{InstallError, InstallPolicy, Installer, Requirement};

/// The host function behind the guest's `install_pkg`.
pub const INSTALL_FUNCTION: &str = "install_pkg";

/// Serves [`INSTALL_FUNCTION`]: installs what the policy allows into one
/// packages directory. [`crate::Packages::grant`] adds one to a run; add it
/// yourself (with [`goru_core::RunOptions::host_functions`]) to share one
/// among runs or to serve it from an executor. The installer (which reads
/// the environment) is made only when the guest actually installs.
///
/// ```
/// use std::sync::Arc;
/// use goru_core::{Executor, RunOptions};
/// use goru_packages::{InstallFunction, InstallPolicy};
///
/// # fn main() -> Result<(), goru_core::Error> {
/// let executor = Executor::builder().build()?;
/// let install = InstallFunction::new("/srv/goru/packages", InstallPolicy::Any, executor);
/// let options = RunOptions::new()
///     .read_only_dir(goru_lang_python::PACKAGES_PATH, "/srv/goru/packages")
///     .host_functions(Arc::new(install));
/// # let _ = options;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct InstallFunction {
    dir: PathBuf,
    policy: InstallPolicy,
    executor: Executor,
}

impl InstallFunction {
    /// Installs into `dir` (created if missing) what `policy` allows (with
    /// [`InstallPolicy::Nothing`], every call is refused as not granted),
    /// byte-compiled by `executor` (see [`Installer::bytecode`]).
    pub fn new(dir: impl Into<PathBuf>, policy: InstallPolicy, executor: Executor) -> Self {
        Self {
            dir: dir.into(),
            policy,
            executor,
        }
    }
}

impl HostFunctions for InstallFunction {
    fn call(&self, name: &str, args: Value) -> Option<HostFuture> {
        if name != INSTALL_FUNCTION {
            return None;
        }
        let dir = self.dir.clone();
        let policy = self.policy.clone();
        let executor = self.executor.clone();
        Some(Box::pin(
            async move { install(dir, policy, executor, args).await },
        ))
    }
}

async fn install(
    dir: PathBuf,
    policy: InstallPolicy,
    executor: Executor,
    args: Value,
) -> Result<Value, HostError> {
    if policy == InstallPolicy::Nothing {
        return Err(HostError::not_granted(
            "package installation is not enabled for this run",
        ));
    }
    let name = args
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| HostError::invalid_argument("the package name must be a string"))?;
    let version = match args.get("version") {
        None | Some(Value::Null) => None,
        Some(Value::String(version)) => Some(version.as_str()),
        Some(_) => {
            return Err(HostError::invalid_argument(
                "the version must be a string or None",
            ));
        }
    };
    let requirement = Requirement::from_name_version(name, version)
        .map_err(|e| HostError::invalid_argument(e.to_string()))?;
    if !policy.allows(requirement.name()) {
        return Err(HostError::not_granted(format!(
            "package {:?} is not among the packages this run may install",
            requirement.name()
        )));
    }
    let installer = Installer::new()
        .bytecode(executor)
        .progress(|line| tracing::debug!(target: "goru::packages", "{line}"));
    let installed = installer
        .install(&dir, &[requirement])
        .await
        .map_err(guest_error)?;
    serde_json::to_value(installed).map_err(|e| HostError::failed(e.to_string()))
}

/// What the guest is told: the package-level reasons in full, host-side
/// failures only in the host's log (they may name host paths).
fn guest_error(error: InstallError) -> HostError {
    match error {
        InstallError::NotPurePython { .. } => {
            HostError::new(host_error_kinds::UNSUPPORTED, error.to_string())
        }
        InstallError::Resolution { .. } | InstallError::InvalidRequirement(_) => {
            HostError::failed(error.to_string())
        }
        other => {
            tracing::warn!(error = %other, "installing a package for the guest failed");
            HostError::failed("the host could not install the package (details are in the host's log)")
        }
    }
}
