//! goru-hostfn: the capabilities a sandboxed guest can be granted.
//!
//! Every capability is closed until the embedder grants it: HTTP to an
//! allow-list of hosts ([`http`]) and directories mounted with a mode
//! ([`fs`]).
#![deny(missing_docs)]

pub mod fs;
pub mod http;
pub mod kv;
