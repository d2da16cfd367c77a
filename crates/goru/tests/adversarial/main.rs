//! Hostile guests, one module per attack class, each checking the host's
//! promise: a typed error or a clean guest exception, within a bounded time,
//! with the host's memory bounded and nothing left running afterwards.
//!
//! Each attack runs alone in a child process (see `child.rs`), so its
//! figures are its own. docs/security-model.md lists the classes and bounds.

mod child;
mod guest;
mod js_event_loop;
mod memory_writer;
mod panics;
mod resources;
mod session_frames;
mod snapshots;
mod streams;
