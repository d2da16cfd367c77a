//! The guest's `install_pkg(name, version=None)`: the run's policy is checked,
//! then the host installer puts the package into the run's packages directory.

use goru_core::{Executor, HostError, HostFunctions, HostFuture, PackageInstall, Packages, host_error_kinds};
use serde_json::Value;

use super::{InstallError, Installer, Requirement, normalize_name};

/// The host function behind the guest's `install_pkg`.
pub const INSTALL_FUNCTION: &str = "install_pkg";

/// Serves [`INSTALL_FUNCTION`] for one run or session. Every Python run
/// gets one, so it only holds what it was given: the installer (which reads
/// the environment) is made when the guest actually installs.
#[derive(Debug)]
pub(crate) struct PackageFunctions {
    packages: Option<Packages>,
    executor: Executor,
}

impl PackageFunctions {
    pub(crate) fn new(packages: Option<Packages>, executor: Executor) -> Self {
        Self { packages, executor }
    }
}

impl HostFunctions for PackageFunctions {
    fn call(&self, name: &str, args: Value) -> Option<HostFuture> {
        if name != INSTALL_FUNCTION {
            return None;
        }
        let packages = self.packages.clone();
        let executor = self.executor.clone();
        Some(Box::pin(async move { install(packages, executor, args).await }))
    }
}

async fn install(packages: Option<Packages>, executor: Executor, args: Value) -> Result<Value, HostError> {
    let not_enabled = || HostError::not_granted("package installation is not enabled for this run");
    let packages = packages.ok_or_else(not_enabled)?;
    if *packages.install() == PackageInstall::Disabled {
        return Err(not_enabled());
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
    if let PackageInstall::Only(allowed) = packages.install() {
        let wanted = requirement.normalized_name();
        if !allowed.iter().any(|name| normalize_name(name) == wanted) {
            return Err(HostError::not_granted(format!(
                "package {:?} is not among the packages this run may install",
                requirement.name()
            )));
        }
    }
    let installer = Installer::new()
        .bytecode(executor)
        .progress(|line| tracing::debug!(target: "goru::packages", "{line}"));
    let installed = installer
        .install(packages.dir(), &[requirement])
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
