//! goru's own log on stderr: the `RUST_LOG` filter, and the one library
//! event that is never written because it would quote the user's code.

use std::io::IsTerminal;

use tracing::Metadata;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::{FilterFn, LevelFilter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// wasmer-wasix logs the guest's whole argv at debug level when the guest
/// reads it; goru passes the user's code in argv, and code is never logged
/// (docs/server.md), whatever `RUST_LOG` asks for.
const QUOTES_GUEST_ARGV: &str = "wasmer_wasix::syscalls::wasi::args_get";

/// `RUST_LOG` sets goru's own log, on stderr; without it the log is what
/// the `default` directive says (off, but for `goru serve`).
pub fn init(default: &str) {
    let default = default.parse().unwrap_or_else(|_| LevelFilter::OFF.into());
    let filter = EnvFilter::builder()
        .with_default_directive(default)
        .from_env_lossy();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .finish()
        .with(FilterFn::new(may_be_written))
        .try_init();
}

/// Whether an event or span may reach the log at all.
fn may_be_written(metadata: &Metadata<'_>) -> bool {
    !(metadata.is_event() && metadata.target() == QUOTES_GUEST_ARGV)
}
