//! The flags of `goru mcp`: the transport and the session bounds. The
//! limit and capability flags are `goru run`'s.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use goru_server::units;

use crate::run_args::SandboxArgs;

/// Shown after the options in `goru mcp --help`.
pub const AFTER_HELP: &str = "\
Tools: run_python, run_javascript (code, stdin?, timeout?), session_create
(language, timeout?), session_run (session_id, code), session_close
(session_id), and install_package (name, version?) with --package-install or
--allow-package. Each tool's description tells the agent what is granted.

Agent configuration (see docs/mcp.md):
  {\"mcpServers\": {\"goru\": {\"command\": \"goru\", \"args\": [\"mcp\", \"--timeout\", \"10s\"]}}}

Examples:
  goru mcp                                   # stdio, as agents launch it
  goru mcp --kv --mount /data:./input:ro     # grant a store and a directory
  goru mcp --http 127.0.0.1:8765             # streamable HTTP at /mcp

stdout carries only protocol messages; goru's own log goes to stderr
(RUST_LOG, default goru=warn) and, at the level the client sets, to the
client as MCP log messages.";

/// How `goru mcp` is reached and bounded.
#[derive(Debug, Args)]
#[command(next_help_heading = "MCP")]
pub struct McpArgs {
    /// Serve streamable HTTP at http://ADDR/mcp instead of stdio. Keep it on
    /// loopback: there is no authentication.
    #[arg(long, value_name = "ADDR", value_parser = crate::cli::parse_address)]
    pub http: Option<SocketAddr>,

    /// Most sessions open at once; each holds a live interpreter (up to
    /// --memory) until closed or idle past --session-ttl.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_sessions: u32,

    /// A session unused for this long is closed.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = units::parse_duration)]
    pub session_ttl: Duration,

    #[command(flatten, next_help_heading = "Runs")]
    pub sandbox: SandboxArgs,
}
