//! goru-hostfn: the capabilities a sandboxed guest can be granted.
//!
//! Every capability is closed until the embedder grants it: a key-value store
//! ([`kv`]), HTTP to an allow-list of hosts ([`http`]) and directories mounted
//! with a mode ([`fs`]). [`Capabilities`] says what one run is granted and
//! turns it into the host functions the guest calls; [`Registry`] holds the
//! embedder's own functions. Both plug into goru-core as
//! [`goru_core::HostFunctions`].
//!
//! ```no_run
//! # fn demo(python: &dyn goru_core::Language) -> Result<(), Box<dyn std::error::Error>> {
//! use goru_core::{Executor, RunOptions};
//! use goru_hostfn::{Capabilities, Registry};
//! use serde_json::{json, Value};
//! use std::sync::Arc;
//!
//! let mut registry = Registry::new();
//! registry.register("greet", |args: Value| Ok(json!(format!("hi {}", args["name"]))));
//! let executor = Executor::builder().host_functions(Arc::new(registry)).build()?;
//!
//! let grant = Capabilities::new().kv().allow_host("api.example.com");
//! let options = RunOptions::new().host_functions(grant.open()?);
//! let result = executor.run_blocking(python, "kv.set('a', 1); print(call('greet', name='Ann'))", options)?;
//! # let _ = result; Ok(()) }
//! ```
#![deny(missing_docs)]

mod args;
mod capabilities;
pub mod fs;
pub mod http;
pub mod kv;
mod registry;

pub use capabilities::{Capabilities, CapabilityError, Granted};
pub use registry::{MAX_BLOCKING_CALLS, Registry};
