//! Integration tests against the real interpreters: one test binary, so the
//! compiled modules are loaded once per process (and from the shared disk
//! cache after the first process).

mod capabilities;
mod common;
mod concurrency;
mod containment_channel;
mod containment_fs;
mod containment_mounts;
mod exit_status;
mod goru_compat;
mod host_calls;
mod invalid_code;
mod isolation;
mod javascript;
mod js_console;
mod js_errors;
mod js_globals;
mod js_goru_compat;
mod js_modules;
mod limits;
mod mounts;
mod packages;
mod packages_install;
mod python;
mod read_only_dirs;
mod recursion;
mod sessions;
mod soft_interrupts;
mod streaming;
mod stubs;
