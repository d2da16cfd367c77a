//! The flags of `goru serve`: where it listens, who may call it, and how much
//! work it takes on at once. The limit and capability flags are `goru run`'s.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;

use goru_server::units;

use crate::run_args::{SandboxArgs, parse_language};

/// Shown after the options in `goru serve --help`.
pub const AFTER_HELP: &str = "\
Routes (JSON or MessagePack bodies; all in docs/server.md):
  POST   /execute             {code, lang?, timeout?, stdin?}  -> run result
  POST   /sessions            {lang?, timeout?, stdin?}        -> 201 {session_id, lang}
  POST   /sessions/{id}/exec  {code, repl?, timeout?}          -> run result
  POST   /execute/stream, /sessions/{id}/exec/stream           -> NDJSON: output
                                as the guest writes it, then the run result
  DELETE /sessions/{id}                                        -> 204
  GET    /health              (no token needed)                -> {status: \"ok\", ...}
  GET    /metrics             Prometheus text format
  GET    /openapi.json        the API's OpenAPI description
A run result is {stdout, stderr, output, exit_code, duration_ms, truncated,
error?, error_code?, exception?}; errors are {error: {code, message}} with a
stable code.

Examples:
  goru serve
  GORU_TOKEN=$(openssl rand -hex 32) goru serve --kv --timeout 10s --memory 128MiB
  curl -s localhost:8080/execute -d '{\"code\": \"print(6 * 7)\"}'

Listening beyond loopback: set a token and put a TLS reverse proxy in front.

Environment:
  GORU_TOKEN      the bearer token (as --token, and out of sight of ps)
  GORU_NODE_ID    this server's name in a fleet (as --node-id)
  GORU_CACHE_DIR  where compiled interpreters are cached (as --cache-dir)
  RUST_LOG        the log filter; goru serve logs at goru=info without it";

/// How the service is exposed and bounded. Every default is written in
/// docs/server.md.
#[derive(Debug, Args)]
#[command(next_help_heading = "Service")]
pub struct ServeArgs {
    /// Address and port to listen on. The default is loopback only; port 0
    /// picks a free port (printed on start).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080", value_parser = crate::cli::parse_address)]
    pub listen: SocketAddr,

    /// goru's (Go) `--port N` / `-p N`: `--listen` on port N of its address
    /// (loopback unless `--listen` says otherwise). Hidden; see
    /// docs/coming-from-goru.md.
    #[arg(long, short = 'p', value_name = "PORT", hide = true)]
    pub port: Option<u16>,

    /// Require `Authorization: Bearer TOKEN` on every route but /health.
    #[arg(long, value_name = "TOKEN", env = "GORU_TOKEN", hide_env_values = true)]
    pub token: Option<String>,

    /// Largest request body; a larger one is refused with 413.
    #[arg(long, value_name = "SIZE", default_value = "1MiB", value_parser = units::parse_size_usize)]
    pub max_body: usize,

    /// Most sessions open at once. Each holds a live interpreter, up to
    /// --memory, until it is deleted or idles past --session-ttl.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_sessions: u32,

    /// A session unused for this long is closed.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = units::parse_duration)]
    pub session_ttl: Duration,

    /// Most runs (and session start-ups) going at once [default: the number
    /// of CPUs].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_concurrent: Option<u32>,

    /// How long a request waits for a free run slot before it is refused
    /// with 503 and Retry-After; 0 refuses at once.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_wait)]
    pub queue_wait: Duration,

    /// Most requests waiting for a run slot at once; more are refused with 503.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub max_queue: usize,

    /// On SIGINT or SIGTERM, how long running work may go on before it is
    /// cancelled.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = units::parse_duration)]
    pub grace: Duration,

    /// Serve /metrics without the token (for a scraper on a trusted network).
    #[arg(long)]
    pub metrics_open: bool,

    /// This server's name in a fleet: session ids start with `NAME.`, so a
    /// proxy can route a session's requests to it (docs/deploy.md).
    #[arg(long, value_name = "NAME", env = "GORU_NODE_ID")]
    pub node_id: Option<String>,

    /// The language of a request that names none: python (py) or js
    /// (javascript) [default: python].
    #[arg(short = 'l', long = "lang", value_name = "LANG", value_parser = parse_language, help_heading = "Runs")]
    pub lang: Option<&'static dyn goru::Language>,

    #[command(flatten, next_help_heading = "Runs")]
    pub sandbox: SandboxArgs,
}

/// A duration that may be zero (`0` alone: no waiting).
fn parse_wait(text: &str) -> Result<Duration, String> {
    if text.trim().trim_end_matches(|c: char| c.is_ascii_alphabetic()) == "0" {
        return Ok(Duration::ZERO);
    }
    units::parse_duration(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_wait_is_allowed() {
        assert_eq!(parse_wait("0"), Ok(Duration::ZERO));
        assert_eq!(parse_wait("0ms"), Ok(Duration::ZERO));
        assert_eq!(parse_wait("200ms"), Ok(Duration::from_millis(200)));
        assert!(parse_wait("soon").is_err());
    }
}
