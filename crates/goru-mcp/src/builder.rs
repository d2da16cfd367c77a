//! [`McpServerBuilder`]: the limits, capabilities, packages and session
//! bounds of an MCP server, each with its default.

use std::sync::Arc;
use std::time::Duration;

use goru::{Capabilities, Executor, Limits, Packages};

use crate::grant::Grant;
use crate::handler::Shared;
use crate::server::McpServer;
use crate::sessions::{self, Sessions};

/// Builds an [`McpServer`]; made by [`McpServer::builder`].
///
/// ```
/// use std::time::Duration;
///
/// use goru::{Capabilities, Executor, Limits};
/// use goru_mcp::McpServer;
///
/// # fn main() -> Result<(), goru::Error> {
/// let server = McpServer::builder(Executor::builder().build()?)
///     .limits(Limits::default().timeout(Duration::from_secs(10)))
///     .capabilities(Capabilities::new().kv())
///     .max_sessions(8)
///     .build();
/// # let _ = server;
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use]
pub struct McpServerBuilder {
    executor: Executor,
    grant: Grant,
    progress_every: Duration,
}

impl McpServerBuilder {
    pub(crate) fn new(executor: Executor) -> Self {
        Self {
            grant: Grant {
                limits: executor.default_limits(),
                capabilities: Capabilities::new(),
                packages: None,
                max_sessions: 16,
                session_ttl: Duration::from_secs(600),
            },
            executor,
            progress_every: Duration::from_secs(1),
        }
    }

    /// The limits of every run and session (a session's timeout applies to
    /// each of its runs); a tool call may ask for a shorter timeout, never a
    /// longer one. The tool descriptions state them. Default: the
    /// executor's default limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.grant.limits = limits;
        self
    }

    /// What the code may reach, granted afresh to every run and session (a
    /// new, empty key-value store each). Default: nothing.
    pub fn capabilities(mut self, capabilities: Capabilities) -> Self {
        self.grant.capabilities = capabilities;
        self
    }

    /// The packages directory Python runs and sessions import from; if its
    /// policy allows installing, the `install_package` tool (and the
    /// guest's `install_pkg`) install into it. Default: none.
    pub fn packages(mut self, packages: Packages) -> Self {
        self.grant.packages = Some(packages);
        self
    }

    /// Most sessions open at once (across all clients). Default: 16.
    pub fn max_sessions(mut self, sessions: usize) -> Self {
        self.grant.max_sessions = sessions.max(1);
        self
    }

    /// A session unused for this long is closed. Default: 10 minutes.
    pub fn session_ttl(mut self, ttl: Duration) -> Self {
        self.grant.session_ttl = ttl;
        self
    }

    /// How often a call whose request carries a progress token reports
    /// progress while it runs. Default: 1 s.
    pub fn progress_every(mut self, period: Duration) -> Self {
        self.progress_every = period.max(Duration::from_millis(10));
        self
    }

    /// The server. Starts the task that closes idle sessions on the current
    /// tokio runtime if there is one, else when the server is first served.
    pub fn build(self) -> McpServer {
        let sessions = Sessions::new(self.grant.max_sessions, self.grant.session_ttl, None);
        let shared = Arc::new(Shared {
            executor: self.executor,
            grant: self.grant,
            sessions,
            progress_every: self.progress_every,
        });
        McpServer::new(shared)
    }
}

/// Starts the reaper of `shared`'s sessions on the current runtime.
pub(crate) fn spawn_reaper(shared: &Shared) {
    tokio::spawn(sessions::reap_forever(Arc::downgrade(&shared.sessions)));
}
