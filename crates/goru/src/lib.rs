//! goru runs untrusted Python and JavaScript inside a WebAssembly sandbox.
//!
//! Nothing the guest does reaches the host unless the embedder grants it:
//! no host filesystem, no network, no host environment, no host stdin. Every
//! run is bounded in wall-clock time, memory and output.
//!
//! ```no_run
//! # #[cfg(feature = "python")]
//! # fn main() -> Result<(), goru::Error> {
//! use goru::{Executor, Python, RunOptions};
//! use std::time::Duration;
//!
//! let executor = Executor::builder().precompile(Python).build()?;
//! let options = RunOptions::new().timeout(Duration::from_secs(2));
//! let result = executor.run_blocking(&Python, "print(2 ** 10)", options)?;
//! assert_eq!(result.stdout_lossy(), "1024\n");
//! # Ok(()) }
//! # #[cfg(not(feature = "python"))]
//! # fn main() {}
//! ```
//!
//! Features, all on by default: `python` (CPython 3.12, [`python`]), `js`
//! (QuickJS-NG, [`js`]), `hostfn` (the capabilities, [`hostfn`]) and
//! `packages` (Python packages and `install_pkg`, implies `python`).
#![deny(missing_docs)]

pub use goru_core::{
    CancelHandle, Compiler, Error, ErrorKind, Executor, ExecutorBuilder, GuestException, HOST_CHANNEL_PATH,
    HostDir, HostError, HostFunctions, HostFuture, Invocation, Language, Limits, Main, MountMode, Output,
    OutputChunk, OutputReceiver, OutputSender, OutputStream, Program, RunOptions, RunResult,
    SESSION_NEXT_FUNCTION, Session, SessionEnd, SessionRun, Terminal, TrapKind, check_code,
    host_call_deadline, host_error_kinds, output_channel,
};
/// The capabilities: key-value store, HTTP, mounted directories.
#[cfg(feature = "hostfn")]
pub use goru_hostfn as hostfn;
#[cfg(feature = "hostfn")]
pub use goru_hostfn::{Capabilities, CapabilityError, Granted, Registry};
/// QuickJS-NG's crate: the interpreter module and the guest API's type
/// declarations ([`js::GORU_D_TS`]).
#[cfg(feature = "js")]
pub use goru_lang_js as js;
#[cfg(feature = "js")]
pub use goru_lang_js::{JavaScript, JavaScriptFile};
/// CPython's crate.
#[cfg(feature = "python")]
pub use goru_lang_python as python;
#[cfg(feature = "python")]
pub use goru_lang_python::Python;
/// Python packages: [`packages::Packages`] grants a run a packages directory
/// (and `install_pkg`); [`packages::Installer`] installs, lists and removes
/// the pure-Python packages the guest may import.
#[cfg(feature = "packages")]
pub use goru_packages as packages;
#[cfg(feature = "packages")]
pub use goru_packages::{InstallPolicy, Packages};

/// The built-in language called `name`: `python` (or `py`), `js` (or
/// `javascript`). `None` for unknown names and languages not compiled in.
///
/// ```
/// # #[cfg(feature = "python")]
/// assert_eq!(goru::language_by_name("py").map(|l| l.name()), Some("python"));
/// assert!(goru::language_by_name("cobol").is_none());
/// ```
pub fn language_by_name(name: &str) -> Option<&'static dyn Language> {
    match name.to_ascii_lowercase().as_str() {
        #[cfg(feature = "python")]
        "python" | "py" | "python3" => Some(&Python),
        #[cfg(feature = "js")]
        "js" | "javascript" | "mjs" => Some(&JavaScript),
        _ => None,
    }
}

/// The built-in language for a file name's extension (`.py`, `.js`, `.mjs`).
///
/// ```
/// # #[cfg(feature = "js")]
/// assert_eq!(goru::language_for_path("main.js".as_ref()).map(|l| l.name()), Some("js"));
/// assert!(goru::language_for_path("notes.txt".as_ref()).is_none());
/// ```
pub fn language_for_path(path: &std::path::Path) -> Option<&'static dyn Language> {
    language_by_name(path.extension()?.to_str()?)
}

/// Names accepted by [`language_by_name`] in this build, canonical ones first.
pub fn language_names() -> &'static [&'static str] {
    &[
        #[cfg(feature = "python")]
        "python",
        #[cfg(feature = "js")]
        "js",
    ]
}
