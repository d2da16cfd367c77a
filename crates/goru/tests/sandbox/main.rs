//! Integration tests against the real interpreters: one test binary, so the
//! compiled modules are loaded once per process (and from the shared disk
//! cache after the first process).

mod capabilities;
mod common;
mod concurrency;
mod containment_channel;
mod containment_fs;
mod exit_status;
mod host_calls;
mod invalid_code;
mod isolation;
mod javascript;
mod limits;
mod packages;
mod packages_install;
mod python;
mod read_only_dirs;
mod recursion;
mod sessions;
mod streaming;
mod stubs;
