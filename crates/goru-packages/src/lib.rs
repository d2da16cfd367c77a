//! Python packages for the guest: installing pure-Python wheels (with their
//! dependencies) into a host directory the guest imports from, listing and
//! removing them.
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
//! use goru_lang_python::packages::{self, Installer, Requirement};
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

mod bytecode;
mod error;
pub(crate) mod host;
mod installer;
mod pip;
mod requirement;
mod site;
mod wheel;

pub use error::InstallError;
pub use installer::Installer;
pub use requirement::{Requirement, RequirementError, normalize_name};
pub use site::{Distribution, installed, remove};
