//! The server's life: listen, announce the address, serve until SIGINT or
//! SIGTERM, then drain — no new work, running work given the grace period,
//! what is left cancelled, every session closed.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, anyhow};
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::state::AppState;
use super::{routes, sessions, shutdown};

/// How long answers of cancelled work may take to go out after the grace
/// period; a cancelled guest stops within milliseconds.
const AFTER_CANCEL: Duration = Duration::from_secs(3);

/// Serves on `listen` until a signal, then shuts down within about `grace`.
pub async fn run(state: AppState, listen: SocketAddr, grace: Duration) -> anyhow::Result<()> {
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let address = listener.local_addr().context("reading the listening address")?;
    // Printed, not logged: scripts and tests read it to learn the port.
    eprintln!("goru serve listening on http://{address}");
    tracing::info!(
        %address,
        token = state.config.token.is_some(),
        max_body = state.config.max_body,
        "listening"
    );

    let reaper = tokio::spawn(sessions::reap_forever(state.sessions.clone()));
    let (stop, stopped) = watch::channel(false);
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
        signal = shutdown::signal() => signal,
        ended = &mut server => {
            reaper.abort();
            state.sessions.close_all();
            return match ended {
                Ok(Ok(())) => Err(anyhow!("the server stopped on its own")),
                Ok(Err(error)) => Err(anyhow!(error).context("serving")),
                Err(error) => Err(anyhow!("the server task failed: {error}")),
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
    let _ = stop.send(true);

    let drained = tokio::select! {
        finished = tokio::time::timeout(grace, &mut server) => finished.is_ok(),
        signal = shutdown::signal() => {
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
    reaper.abort();
    let sessions = state.sessions.close_all();
    tracing::info!(sessions_closed = sessions, "stopped");
    Ok(())
}
