//! goru-core: the engine that runs WASI interpreters inside a wasmer sandbox.
//!
//! It knows no language, and no capability beyond the names of the standard
//! capabilities' functions ([`protocol`]). A [`Language`] hands it a
//! prebuilt WASI command module and tells it how to run a piece of code; the
//! [`Executor`] compiles that module once (memory and disk cache), then gives
//! every run a fresh, isolated instance bounded in time, memory and output.
//!
//! ```no_run
//! # async fn demo(lang: &dyn goru_core::Language) -> Result<(), goru_core::Error> {
//! use goru_core::{Executor, RunOptions};
//! use std::time::Duration;
//!
//! let executor = Executor::builder().build()?;
//! let result = executor
//!     .run(lang, "print(1 + 1)", RunOptions::new().timeout(Duration::from_secs(5)))
//!     .await?;
//! assert_eq!(result.stdout_lossy(), "2\n");
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod cache;
mod code;
mod error;
mod executor;
mod host;
mod host_dir;
mod instance;
mod language;
mod limits;
mod options;
mod output;
pub mod protocol;
mod result;
mod session;
mod soft_interrupt;

pub use code::check_code;
pub use error::{Error, ErrorKind, SessionEnd, TrapKind};
pub use executor::{CancelHandle, Compiler, Executor, ExecutorBuilder};
pub use host::{HostError, HostFunctions, HostFuture, host_call_deadline};
pub use host_dir::{HostDir, MountMode, UnknownMountMode};
pub use language::{Invocation, Language, Main, Program};
pub use limits::Limits;
pub use options::{RunOptions, Terminal};
pub use output::{OutputChunk, OutputReceiver, OutputSender, OutputStream, output_channel};
pub use result::{GuestException, Output, RunResult};
// The protocol's best-known names, at the root as well.
pub use protocol::{HOST_CHANNEL_PATH, SESSION_NEXT_FUNCTION, kinds as host_error_kinds};
pub use session::{Session, SessionRun};
pub use soft_interrupt::{InterruptKind, SoftInterrupt};
