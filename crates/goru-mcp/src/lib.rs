//! goru as a Model Context Protocol server: LLM agents run untrusted Python
//! and JavaScript in goru's WebAssembly sandbox through MCP tools. The
//! `goru mcp` command is this crate behind command-line flags; goru's
//! `docs/mcp.md` shows how to add it to an agent.
//!
//! The tools:
//! - `run_python`, `run_javascript`: one program in a fresh sandbox
//!   (`code`, optional `stdin` and `timeout` in seconds); the result holds
//!   stdout, stderr, the exit status and any uncaught exception, and is an
//!   error result (`isError`) after an exception, a non-zero exit or a stop
//!   at a limit (the output so far included);
//! - `session_create`, `session_run`, `session_close`: a live interpreter
//!   whose state persists between runs, run as REPL input (a final
//!   expression's value is printed); bounded in number and closed when idle;
//! - `install_package`: only when the server's packages policy allows
//!   installing.
//!
//! Each tool's description states what the code may reach and its limits,
//! so an agent knows before it calls. Wrong arguments and unknown tools are
//! JSON-RPC errors (-32602); `notifications/cancelled` stops the run at
//! once; a request with a progress token gets progress notifications while
//! it runs; a client that sets a log level gets `notifications/message` for
//! each run (never code or output). Built on the official Rust SDK, rmcp.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use goru::{Capabilities, Executor, Limits};
//! use goru_mcp::{CancellationToken, McpServer};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let server = McpServer::builder(Executor::builder().build()?)
//!     .limits(Limits::default().timeout(Duration::from_secs(10)).memory_bytes(128 << 20))
//!     .capabilities(Capabilities::new().kv())
//!     .build();
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8765").await?;
//! // Streamable HTTP at http://127.0.0.1:8765/mcp until the token is cancelled.
//! server.serve_http(listener, &[], CancellationToken::new()).await?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod builder;
mod grant;
mod handler;
mod logging;
mod outcome;
mod server;
mod sessions;
mod stdio;
mod tools;

pub use builder::McpServerBuilder;
pub use server::{HTTP_PATH, McpServer};
pub use stdio::MAX_LINE_BYTES;
/// The cancellation token [`McpServer::serve_http`] and
/// [`McpServer::router`] take.
pub use tokio_util::sync::CancellationToken;
