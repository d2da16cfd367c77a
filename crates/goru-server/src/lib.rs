//! goru's HTTP/JSON service as a library: run untrusted Python and
//! JavaScript for any program that speaks HTTP, statelessly (`POST
//! /execute`) or in sessions whose globals persist across execs. The routes,
//! the run result and the error codes are described in goru's
//! `docs/server.md` and `docs/openapi.yaml`; the `goru serve` command is this
//! crate behind command-line flags.
//!
//! A [`Server`] is built from an [`Executor`](goru::Executor) with a
//! [`ServerBuilder`]: the limits and capabilities of every run, the bearer
//! token, the run slots and the session bounds. Then either mount its
//! [`Server::router`] into an axum application of your own, or let
//! [`Server::serve`] run it with a graceful shutdown.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use axum::routing::get;
//! use goru::{Executor, RunOptions};
//! use goru_server::Server;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let server = Server::builder(Executor::builder().build()?)
//!     .run_options(RunOptions::new().memory_bytes(128 << 20))
//!     .timeout(Duration::from_secs(10))
//!     .token("s3cret")
//!     .build()?;
//! // goru's API next to routes of your own.
//! let app = axum::Router::new()
//!     .route("/version", get(|| async { "my app 1.0" }))
//!     .merge(server.router());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! Idle sessions are closed by a task that starts with the first session
//! and stops when the server is dropped; [`Server::serve`] also cancels the
//! work still running when its grace period ends. Errors answered to
//! clients never carry host details: those go to the log ([`tracing`],
//! under the `goru_server` target), which never records code, stdin or
//! output.
//!
//! Two modules serve other front ends too (`goru mcp` uses both): [`units`],
//! sizes and durations as goru writes them, and [`sessions`], the bounded
//! registry of open sessions with its idle reaper.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod admission;
mod api;
mod auth;
mod body;
mod builder;
mod error;
mod execute;
mod ids;
mod metrics;
mod openapi;
mod options;
mod outcome;
mod request_log;
mod routes;
mod server;
mod session_routes;
pub mod sessions;
mod shutdown;
mod state;
mod stream;
pub mod units;
mod wire;

pub use builder::{BuildError, ServerBuilder};
pub use server::Server;
