//! `goru serve`: the HTTP/JSON service of the goru-server crate (routes and
//! behaviour in docs/server.md) behind the command line's flags.
//!
//! Checks the flags, compiles (or loads) the interpreters, then serves on
//! its own tokio runtime until SIGINT or SIGTERM. The guests themselves run
//! on goru's runtime, as for every other command.

pub mod args;

use std::time::Duration;

use anyhow::{Context, anyhow};
use goru_server::{BuildError, Server};
use tokio::net::TcpListener;

use self::args::ServeArgs;
use crate::failure::Failure;
use crate::run_args::CommonArgs;

/// The log directive of `goru serve` when `RUST_LOG` is not set: goru's own
/// events at info, one line per request; the libraries' stay quiet.
pub const DEFAULT_LOG: &str = "goru=info";

/// How long the runtime may take to wind down after the server stopped.
const RUNTIME_SHUTDOWN: Duration = Duration::from_secs(1);

/// Runs the service until it is told to stop; exit status 0 after a
/// graceful shutdown.
pub fn serve(args: &ServeArgs, common: &CommonArgs) -> Result<u8, Failure> {
    let server = server(args, common)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("goru-serve")
        .build()
        .context("starting the server's runtime")
        .map_err(Failure::Other)?;
    let mut listen = args.listen;
    if let Some(port) = args.port {
        listen.set_port(port);
    }
    let served = runtime.block_on(async move {
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let address = listener.local_addr().context("reading the listening address")?;
        // Printed, not logged: scripts and tests read it to learn the port.
        eprintln!("goru serve listening on http://{address}");
        server.serve(listener).await.context("serving")
    });
    runtime.shutdown_timeout(RUNTIME_SHUTDOWN);
    served.map(|()| 0).map_err(Failure::Other)
}

/// The server the flags describe; a usage failure for flags that cannot
/// work, before anything listens.
fn server(args: &ServeArgs, common: &CommonArgs) -> Result<Server, Failure> {
    let run = &args.sandbox;
    if matches!(&args.token, Some(token) if token.trim().is_empty()) {
        return Err(Failure::Usage("--token (or GORU_TOKEN) is empty".into()));
    }
    let limits = run.limits();
    let executor = crate::run::executor(common)?;
    let with_packages = match run.grant.packages() {
        Some(packages) => packages
            .grant(limits.clone(), &executor)
            .map_err(|e| Failure::Usage(format!("--packages: {e}")))?,
        None => limits.clone(),
    };
    let mut builder = Server::builder(executor)
        .package_run_options(with_packages)
        .run_options(limits)
        .capabilities(run.grant.capabilities())
        .timeout(run.timeout)
        .max_body_bytes(args.max_body)
        .max_sessions(args.max_sessions as usize)
        .session_ttl(args.session_ttl)
        .queue_wait(args.queue_wait)
        .max_queue(args.max_queue)
        .grace(args.grace)
        .metrics_open(args.metrics_open);
    if let Some(token) = &args.token {
        builder = builder.token(token.clone());
    }
    if let Some(language) = args.lang {
        builder = builder.default_language(language);
    }
    if let Some(node) = &args.node_id {
        builder = builder.node_id(node.clone());
    }
    if let Some(runs) = args.max_concurrent {
        builder = builder.max_concurrent(runs as usize);
    }
    builder.build().map_err(|error| match error {
        BuildError::Capabilities(error) => Failure::Usage(error.to_string()),
        error @ BuildError::NodeId(_) => Failure::Usage(format!("--{error}")),
        other => Failure::Other(anyhow!(other)),
    })
}
