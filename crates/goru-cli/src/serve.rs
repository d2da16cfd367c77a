//! `goru serve`: the HTTP/JSON service (routes and behaviour in docs/server.md).
//!
//! Checks the flags, compiles (or loads) the interpreters, then serves on
//! its own tokio runtime until SIGINT or SIGTERM. The guests themselves run
//! on goru's runtime, as for every other command.

mod admission;
mod api;
mod args;
mod auth;
mod body;
mod error;
mod execute;
mod ids;
mod options;
mod outcome;
mod request_log;
mod routes;
mod server;
mod session_routes;
mod sessions;
mod shutdown;
mod state;

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};

pub use args::{AFTER_HELP, ServeArgs};

use self::admission::Admission;
use self::options::RunDefaults;
use self::sessions::Sessions;
use self::state::{Config, Shared};
use crate::Failure;
use crate::cli::RunArgs;

/// The log directive of `goru serve` when `RUST_LOG` is not set: goru's own
/// events at info, one line per request; the libraries' stay quiet.
pub const DEFAULT_LOG: &str = "goru=info";

/// How long the runtime may take to wind down after the server stopped.
const RUNTIME_SHUTDOWN: Duration = Duration::from_secs(1);

/// Runs the service until it is told to stop; exit status 0 after a
/// graceful shutdown.
pub fn serve(args: &ServeArgs, run: &RunArgs) -> Result<u8, Failure> {
    if run.code.is_some() {
        return Err(Failure::Usage(
            "goru serve takes code over HTTP, not -c (see goru serve --help)".into(),
        ));
    }
    if run.stdin_file.is_some() {
        return Err(Failure::Usage(
            "goru serve takes stdin in each request, not --stdin-file (see goru serve --help)".into(),
        ));
    }
    let token = match &args.token {
        Some(token) if token.trim().is_empty() => {
            return Err(Failure::Usage("--token (or GORU_TOKEN) is empty".into()));
        }
        token => token.clone(),
    };
    let executor = crate::run::executor(run)?;
    let defaults = RunDefaults::from_args(run, &executor).map_err(Failure::Usage)?;
    // Compiled (or loaded from the disk cache) before the first request, so
    // no request pays for it and a broken build fails at start-up.
    for name in goru::language_names() {
        let language =
            goru::language_by_name(name).ok_or_else(|| Failure::Other(anyhow!("no language {name}")))?;
        executor
            .prepare(language)
            .map_err(|e| Failure::Other(anyhow!(e).context(format!("preparing {name}"))))?;
    }

    let state = Arc::new(Shared::new(
        executor,
        Config {
            token,
            max_body: args.max_body,
        },
        defaults,
        Sessions::new(args.max_sessions as usize, args.session_ttl),
        Admission::new(args.max_concurrent(), args.queue_wait, args.max_queue),
    ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("goru-serve")
        .build()
        .context("starting the server's runtime")
        .map_err(Failure::Other)?;
    let served = runtime.block_on(server::run(state, args.listen, args.grace));
    runtime.shutdown_timeout(RUNTIME_SHUTDOWN);
    served.map(|()| 0).map_err(Failure::Other)
}
