//! Python packages for the goru sandbox: a host directory the guest imports
//! from, the guest's `install_pkg`, and the installer behind it (pure-Python
//! wheels with their dependencies; listing and removing them too).
//!
//! # Granting a run packages
//!
//! The engine knows no packages: to it a packages directory is one read-only
//! directory ([`goru_core::RunOptions::read_only_dir`]) and `install_pkg` one
//! host function among others. [`Packages`] lays both onto a run's options,
//! as goru-hostfn's capabilities are: the
//! directory appears read-only at [`goru_lang_python::PACKAGES_PATH`]
//! (`/packages`, on the guest's `sys.path`), and, if its [`InstallPolicy`]
//! allows, the guest may have the host install more there. Without that
//! grant `install_pkg` fails in the guest as not granted (`PermissionError`).
//!
//! ```no_run
//! use goru_core::{Executor, RunOptions};
//! use goru_lang_python::Python;
//! use goru_packages::{InstallPolicy, Packages};
//!
//! # fn main() -> Result<(), goru_core::Error> {
//! let executor = Executor::builder().build()?;
//! let packages = Packages::new(".goru/python/packages", InstallPolicy::only(["six"]));
//! let options = packages.grant(RunOptions::new(), &executor)?;
//! let result = executor.run_blocking(&Python, "install_pkg('six'); import six", options)?;
//! assert!(result.success());
//! # Ok(()) }
//! ```
//!
//! # Installing
//!
//! The guest's CPython is 3.12 on `wasm32-wasi`, so only pure-Python wheels
//! (`py3-none-any`) can work there. The [`Installer`] asks the machine's own
//! pip (`python3 -m pip`, or `$GORU_PYTHON`) to resolve and download wheels
//! for CPython 3.12 on *any* platform; pip never builds anything and no
//! package code runs on the host. A package that exists only as
//! platform-specific wheels (a C extension such as MarkupSafe) is refused
//! with [`InstallError::NotPurePython`], which names it.
//!
//! Requirements are parsed by [`Requirement`], a strict subset of PEP 508
//! (name, extras, version specifier): this is the trust boundary for names
//! that come from sandboxed code, so URLs, paths, environment markers and
//! pip options are refused.
//!
//! ```no_run
//! use goru_packages::{self as packages, Installer, Requirement};
//! use std::path::Path;
//!
//! # async fn demo() -> Result<(), packages::InstallError> {
//! let dir = Path::new(".goru/python/packages");
//! let reqs = [Requirement::parse("python-dateutil==2.9.0.post0")?];
//! let installed = Installer::new().install(dir, &reqs).await?;
//! // python-dateutil and its dependency six
//! assert_eq!(installed.len(), 2);
//! for dist in packages::installed(dir)? {
//!     println!("{} {}", dist.name, dist.version);
//! }
//! packages::remove(dir, "six")?;
//! # Ok(()) }
//! ```
//!
//! # Where this crate sits
//!
//! goru-packages depends on goru-lang-python, never the other way: the
//! installer byte-compiles what it installs with the guest's own CPython
//! (a sandboxed run of [`goru_lang_python::Python`]), and it puts packages
//! where the guest's shim looks for them
//! ([`goru_lang_python::PACKAGES_PATH`]). goru-lang-python only has the
//! guest side: the path on `sys.path` and `install_pkg` as a host call. So a
//! build with Python but without packages has no pip driving, process
//! spawning, CSV or wheel handling in it. pip itself is run by
//! [`goru_interpreters::pip`], which also fetches goru's interpreters.
#![deny(missing_docs)]

mod bytecode;
mod error;
mod grant;
mod host;
mod installer;
mod requirement;
mod site;
mod wheel;

pub use error::InstallError;
pub use grant::{InstallPolicy, Packages};
pub use host::{INSTALL_FUNCTION, InstallFunction};
pub use installer::Installer;
pub use requirement::{Requirement, RequirementError, normalize_name};
pub use site::{Distribution, installed, remove, unmanaged};
