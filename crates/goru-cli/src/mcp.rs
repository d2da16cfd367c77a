//! `goru mcp`: the Model Context Protocol server of the goru-mcp crate
//! (tools in docs/mcp.md) behind the command line's flags, over stdio or
//! streamable HTTP.

pub mod args;

use std::time::Duration;

use anyhow::Context;
use goru::Limits;
use goru_mcp::{CancellationToken, McpServer};
use tokio::net::TcpListener;

use self::args::McpArgs;
use crate::failure::Failure;
use crate::run_args::CommonArgs;

/// The log directive of `goru mcp` when `RUST_LOG` is not set: goru's own
/// warnings, on stderr (stdout is the protocol's).
pub const DEFAULT_LOG: &str = "goru=warn";

/// How long the runtime may take to wind down after the server stopped.
const RUNTIME_SHUTDOWN: Duration = Duration::from_secs(1);

/// Serves until the client closes stdin (stdio) or SIGINT/SIGTERM (HTTP).
pub fn mcp(args: &McpArgs, common: &CommonArgs) -> Result<u8, Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("goru-mcp")
        .build()
        .context("starting the server's runtime")
        .map_err(Failure::Other)?;
    let server = server(args, common)?;
    let served = runtime.block_on(async move {
        match args.http {
            None => server.serve_stdio().await.context("serving stdio"),
            Some(address) => serve_http(&server, address).await,
        }
    });
    runtime.shutdown_timeout(RUNTIME_SHUTDOWN);
    served.map(|()| 0).map_err(Failure::Other)
}

/// The server the flags describe.
fn server(args: &McpArgs, common: &CommonArgs) -> Result<McpServer, Failure> {
    let run = &args.sandbox;
    let limits = Limits::default()
        .timeout(run.timeout)
        .memory_bytes(run.memory)
        .output_bytes(run.output_limit)
        .host_calls(run.grant.max_host_calls);
    let capabilities = run.grant.capabilities();
    // Mounts and the HTTP allow-list are checked now, not at the first call.
    capabilities.open().map_err(|e| Failure::Usage(e.to_string()))?;
    let mut builder = McpServer::builder(crate::run::executor(common)?)
        .limits(limits)
        .capabilities(capabilities)
        .max_sessions(args.max_sessions as usize)
        .session_ttl(args.session_ttl);
    if let Some(packages) = run.grant.packages() {
        if !packages.dir().is_dir() && *packages.install_policy() == goru::InstallPolicy::Nothing {
            return Err(Failure::Usage(format!(
                "--packages: {} is not a directory",
                packages.dir().display()
            )));
        }
        builder = builder.packages(packages);
    }
    Ok(builder.build())
}

async fn serve_http(server: &McpServer, address: std::net::SocketAddr) -> anyhow::Result<()> {
    let listener = TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address}"))?;
    let local = listener.local_addr().context("reading the listening address")?;
    if !local.ip().is_loopback() {
        eprintln!("goru mcp: warning: listening beyond loopback on {local}, without authentication");
    }
    // Printed, not logged: scripts and tests read it to learn the port.
    eprintln!("goru mcp listening on http://{local}{}", goru_mcp::HTTP_PATH);
    let allowed = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
        "[::1]".to_owned(),
        local.ip().to_string(),
    ];
    let shutdown = CancellationToken::new();
    let on_signal = shutdown.clone();
    tokio::spawn(async move {
        stop_signal().await;
        on_signal.cancel();
    });
    server
        .serve_http(listener, &allowed, shutdown)
        .await
        .context("serving HTTP")
}

/// SIGINT or SIGTERM.
async fn stop_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else {
            let _ = ctrl_c.await;
            return;
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
