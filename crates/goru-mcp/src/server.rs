//! [`McpServer`]: serving the tools over stdio, any byte stream, or
//! streamable HTTP.

use std::sync::{Arc, Once};

use goru::Executor;
use rmcp::ServiceExt;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::builder::{McpServerBuilder, spawn_reaper};
use crate::handler::{Handler, Shared};
use crate::stdio::LineTransport;

/// The path of the MCP endpoint in [`McpServer::router`].
pub const HTTP_PATH: &str = "/mcp";

/// An MCP server whose tools run code in goru's sandbox. Cheap to clone;
/// clones share the executor and the open sessions.
///
/// ```no_run
/// use goru::Executor;
/// use goru_mcp::McpServer;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let server = McpServer::builder(Executor::builder().build()?).build();
/// server.serve_stdio().await?; // until the client closes stdin
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct McpServer {
    shared: Arc<Shared>,
    reaper: Arc<Once>,
}

impl McpServer {
    /// Starts building a server around `executor`; see [`McpServerBuilder`].
    pub fn builder(executor: Executor) -> McpServerBuilder {
        McpServerBuilder::new(executor)
    }

    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        let server = Self {
            shared,
            reaper: Arc::new(Once::new()),
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            server.start_reaper();
        }
        server
    }

    fn start_reaper(&self) {
        self.reaper.call_once(|| spawn_reaper(&self.shared));
    }

    /// Serves one client over stdin and stdout until stdin ends (the
    /// client closed it); stdout then carries nothing but protocol messages.
    pub async fn serve_stdio(&self) -> std::io::Result<()> {
        self.serve_io(tokio::io::stdin(), tokio::io::stdout()).await
    }

    /// Serves one client reading newline-delimited JSON-RPC from `reader`
    /// and writing to `writer`, until `reader` ends; then every session of
    /// the server is closed (a stdio server has one client; serve several
    /// byte streams from clones of one server only if they may share
    /// sessions, and end together).
    pub async fn serve_io<R, W>(&self, reader: R, writer: W) -> std::io::Result<()>
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        self.start_reaper();
        let handler = Handler::new(self.shared.clone());
        let running = handler
            .serve(LineTransport::new(reader, writer))
            .await
            .map_err(std::io::Error::other)?;
        let ended = running.waiting().await;
        let closed = self.shared.sessions.close_all();
        tracing::info!(target: "goru::mcp", ?ended, closed, "client gone");
        Ok(())
    }

    /// The streamable HTTP endpoint at [`HTTP_PATH`] as an axum router, to
    /// serve or to merge into an application. It answers requests whose
    /// `Host` is one of `allowed_hosts` (names or `host:port`; the loopback
    /// names when empty), which stops DNS-rebinding attacks from web pages.
    /// Cancelling `shutdown` ends its open streams.
    pub fn router(&self, allowed_hosts: &[String], shutdown: CancellationToken) -> axum::Router {
        self.start_reaper();
        let mut config = StreamableHttpServerConfig::default().with_cancellation_token(shutdown);
        if !allowed_hosts.is_empty() {
            config = config.with_allowed_hosts(allowed_hosts.iter().cloned());
        }
        let shared = self.shared.clone();
        let service = StreamableHttpService::new(
            move || Ok(Handler::new(shared.clone())),
            LocalSessionManager::default().into(),
            config,
        );
        axum::Router::new().nest_service(HTTP_PATH, service)
    }

    /// Serves [`McpServer::router`] on `listener` until `shutdown` is
    /// cancelled, then closes every session.
    pub async fn serve_http(
        &self,
        listener: TcpListener,
        allowed_hosts: &[String],
        shutdown: CancellationToken,
    ) -> std::io::Result<()> {
        let router = self.router(allowed_hosts, shutdown.child_token());
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await;
        self.shared.sessions.close_all();
        served
    }

    /// Sessions open now.
    pub fn open_sessions(&self) -> usize {
        self.shared.sessions.len()
    }
}
