//! [`Server`]: goru's API as an axum router, and the server's life when it
//! serves on its own — serve until told to stop, then drain: no new work,
//! running work given the grace period, what is left cancelled, every
//! session closed.

use std::future::Future;
use std::io;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::state::AppState;
use crate::{routes, shutdown};

/// How long answers of cancelled work may take to go out after the grace
/// period; a cancelled guest stops within milliseconds.
const AFTER_CANCEL: Duration = Duration::from_secs(3);

/// goru's HTTP API over one [`Executor`](goru::Executor), made with
/// [`Server::builder`]: its settings, open sessions and
/// run slots. Cloning it is cheap and shares all of them.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let server = goru_server::Server::builder(goru::Executor::builder().build()?).build()?;
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// server.serve(listener).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Server {
    state: AppState,
}

impl Server {
    pub(crate) fn new(state: AppState) -> Self {
        Self { state }
    }

    /// The whole API (`/execute`, `/sessions...`, `/health`, JSON answers
    /// for unknown routes and methods), with its own layers: the request
    /// log, the token check and the body cap. Merge it into an application
    /// of your own or [`nest`](axum::Router::nest) it under a prefix; every
    /// router made from one server shares its sessions and run slots.
    ///
    /// ```no_run
    /// # fn demo(server: goru_server::Server) {
    /// let app = axum::Router::new()
    ///     .route("/", axum::routing::get(|| async { "hello" }))
    ///     .nest("/goru", server.router());
    /// # }
    /// ```
    pub fn router(&self) -> axum::Router {
        routes::router(self.state.clone())
    }

    /// Serves the API on `listener` until SIGINT or SIGTERM (Ctrl-C off
    /// Unix), then shuts down gracefully: new work is refused, running work
    /// has the [grace period](crate::ServerBuilder::grace), then what is left is
    /// cancelled and every session closed. A second signal cuts the grace
    /// period short.
    ///
    /// ```no_run
    /// # async fn demo(server: goru_server::Server) -> std::io::Result<()> {
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// println!("listening on {}", listener.local_addr()?);
    /// server.serve(listener).await
    /// # }
    /// ```
    pub async fn serve(self, listener: TcpListener) -> io::Result<()> {
        self.serve_until(listener, shutdown::signal).await
    }

    /// Like [`Server::serve`], stopping when a future made by `stop`
    /// finishes instead of on a signal: the first one starts the shutdown,
    /// a second one (made as the grace period begins) cuts it short. Each
    /// gives the reason the log records.
    ///
    /// ```no_run
    /// # async fn demo(server: goru_server::Server) -> std::io::Result<()> {
    /// let (stop, stopped) = tokio::sync::watch::channel(false);
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let serving = tokio::spawn(server.serve_until(listener, move || {
    ///     let mut stopped = stopped.clone();
    ///     async move {
    ///         let _ = stopped.wait_for(|stop| *stop).await;
    ///         "asked to stop"
    ///     }
    /// }));
    /// stop.send_replace(true);
    /// serving.await??;
    /// # Ok(()) }
    /// ```
    pub async fn serve_until<F, S>(self, listener: TcpListener, mut stop: F) -> io::Result<()>
    where
        F: FnMut() -> S,
        S: Future<Output = &'static str>,
    {
        let state = self.state;
        let address = listener.local_addr()?;
        tracing::info!(
            %address,
            token = state.config.token.is_some(),
            max_body = state.config.max_body,
            "listening"
        );
        let grace = state.config.grace;
        let (stop_serving, stopped) = watch::channel(false);
        let app = routes::router(state.clone());
        let mut server = tokio::spawn(
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let mut stopped = stopped;
                    let _ = stopped.wait_for(|stop| *stop).await;
                })
                .into_future(),
        );

        let signal = tokio::select! {
            signal = stop() => signal,
            ended = &mut server => {
                state.sessions.close_all();
                return match ended {
                    Ok(Ok(())) => Err(io::Error::other("the server stopped on its own")),
                    Ok(Err(error)) => Err(error),
                    Err(error) => Err(io::Error::other(format!("the server task failed: {error}"))),
                };
            }
        };
        tracing::info!(
            signal,
            ?grace,
            running = state.admission.running(),
            sessions = state.sessions.len(),
            "shutting down: refusing new work, letting running work finish"
        );
        state.start_draining();
        let _ = stop_serving.send(true);

        let drained = tokio::select! {
            finished = tokio::time::timeout(grace, &mut server) => finished.is_ok(),
            signal = stop() => {
                tracing::info!(signal, "second signal: not waiting for the grace period");
                false
            }
        };
        if !drained {
            let runs = state.runs.cancel_all();
            let sessions = state.sessions.close_all();
            tracing::warn!(runs, sessions, "cancelled the work still running");
            if tokio::time::timeout(AFTER_CANCEL, &mut server).await.is_err() {
                tracing::warn!("connections still open after cancelling; closing them");
                server.abort();
            }
        }
        let sessions = state.sessions.close_all();
        tracing::info!(sessions_closed = sessions, "stopped");
        Ok(())
    }
}
