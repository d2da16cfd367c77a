//! [`ServerBuilder`]: the settings of a [`Server`], every default written
//! down, checked once when the server is built.

use std::sync::Arc;
use std::time::Duration;

use goru::{Capabilities, CapabilityError, Executor, Language, RunOptions};

use crate::admission::Admission;
use crate::metrics::Metrics;
use crate::options::RunDefaults;
use crate::server::Server;
use crate::sessions::Sessions;
use crate::state::{Config, Shared};

/// Builds a [`Server`]; made by [`Server::builder`]. Each setting has a
/// default that suits a single machine serving trusted clients on loopback.
///
/// ```no_run
/// use std::time::Duration;
///
/// use goru::{Capabilities, Executor, RunOptions};
/// use goru_server::Server;
///
/// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let server = Server::builder(Executor::builder().build()?)
///     .run_options(RunOptions::new().memory_bytes(64 << 20).output_bytes(64 << 10))
///     .capabilities(Capabilities::new().kv())
///     .timeout(Duration::from_secs(5))
///     .max_concurrent(4)
///     .max_sessions(16)
///     .build()?;
/// # Ok(()) }
/// ```
pub struct ServerBuilder {
    executor: Executor,
    run_options: RunOptions,
    package_run_options: Option<RunOptions>,
    capabilities: Capabilities,
    timeout: Duration,
    default_language: Option<&'static dyn Language>,
    token: Option<String>,
    max_body_bytes: usize,
    max_sessions: usize,
    session_ttl: Duration,
    max_concurrent: Option<usize>,
    queue_wait: Duration,
    max_queue: usize,
    grace: Duration,
    metrics_open: bool,
    node_id: Option<String>,
}

/// Why a [`Server`] could not be built.
///
/// ```no_run
/// use goru::{Capabilities, Executor};
/// use goru::hostfn::fs::Mount;
/// use goru_server::{BuildError, Server};
///
/// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let mount = Mount::parse("/data:/no/such/dir:ro")?;
/// let built = Server::builder(Executor::builder().build()?)
///     .capabilities(Capabilities::new().mount(mount))
///     .build();
/// assert!(matches!(built, Err(BuildError::Capabilities(_))));
/// # Ok(()) }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The capabilities cannot be granted (a mounted directory is missing).
    #[error(transparent)]
    Capabilities(#[from] CapabilityError),
    /// An interpreter did not compile or load.
    #[error("preparing {language}")]
    Prepare {
        /// The language's name.
        language: &'static str,
        /// What went wrong.
        #[source]
        source: goru::Error,
    },
    /// No language was named with [`ServerBuilder::default_language`] and
    /// this build has none to fall back to.
    #[error("no default language in this build: name one")]
    NoLanguage,
    /// The node id is not 1 to 63 ASCII letters, digits and `-`.
    #[error("node id {0:?}: use 1 to 63 ASCII letters, digits and '-'")]
    NodeId(String),
}

impl Server {
    /// A builder of a server that runs code on `executor`.
    ///
    /// ```no_run
    /// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let executor = goru::Executor::builder().build()?;
    /// let server = goru_server::Server::builder(executor).max_sessions(8).build()?;
    /// # Ok(()) }
    /// ```
    pub fn builder(executor: Executor) -> ServerBuilder {
        ServerBuilder::new(executor)
    }
}

impl ServerBuilder {
    fn new(executor: Executor) -> Self {
        Self {
            executor,
            run_options: RunOptions::new(),
            package_run_options: None,
            capabilities: Capabilities::new(),
            timeout: Duration::from_secs(30),
            default_language: None,
            token: None,
            max_body_bytes: 1 << 20,
            max_sessions: 64,
            session_ttl: Duration::from_secs(600),
            max_concurrent: None,
            queue_wait: Duration::from_secs(5),
            max_queue: 64,
            grace: Duration::from_secs(10),
            metrics_open: false,
            node_id: None,
        }
    }

    /// The options every run and session starts from: its limits (memory,
    /// output, host calls, ...). Each request sets its own timeout and stdin,
    /// and gets a fresh grant of [`ServerBuilder::capabilities`]. Default:
    /// [`RunOptions::new`], the executor's limits.
    ///
    /// ```no_run
    /// # fn demo(builder: goru_server::ServerBuilder) {
    /// let builder = builder.run_options(goru::RunOptions::new().memory_bytes(64 << 20));
    /// # }
    /// ```
    pub fn run_options(mut self, options: RunOptions) -> Self {
        self.run_options = options;
        self
    }

    /// The options of runs and sessions in a language that has packages
    /// (Python), in place of [`ServerBuilder::run_options`]: those plus a
    /// packages directory and what the guest may install. Languages without
    /// packages never get them. Default: the same as `run_options`.
    ///
    /// ```no_run
    /// # fn demo(builder: goru_server::ServerBuilder, executor: &goru::Executor) -> Result<(), goru::Error> {
    /// use goru::packages::{InstallPolicy, Packages};
    ///
    /// let limits = goru::RunOptions::new().memory_bytes(64 << 20);
    /// let packages = Packages::new(".goru/python/packages", InstallPolicy::Nothing);
    /// let builder = builder
    ///     .run_options(limits.clone())
    ///     .package_run_options(packages.grant(limits, executor)?);
    /// # Ok(()) }
    /// ```
    pub fn package_run_options(mut self, options: RunOptions) -> Self {
        self.package_run_options = Some(options);
        self
    }

    /// What the guest may reach: each stateless run gets a fresh grant (an
    /// empty key-value store), each session one for its whole life. Default:
    /// nothing.
    ///
    /// ```no_run
    /// # fn demo(builder: goru_server::ServerBuilder) {
    /// let builder = builder.capabilities(goru::Capabilities::new().kv());
    /// # }
    /// ```
    pub fn capabilities(mut self, capabilities: Capabilities) -> Self {
        self.capabilities = capabilities;
        self
    }

    /// The timeout of a run (and of a session's start-up) whose request
    /// names none, and the most a request may ask for. Default: 30 s.
    ///
    /// ```no_run
    /// # fn demo(builder: goru_server::ServerBuilder) {
    /// let builder = builder.timeout(std::time::Duration::from_secs(5));
    /// # }
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The language of requests that name none. Default: Python.
    ///
    /// ```no_run
    /// # fn demo(builder: goru_server::ServerBuilder) {
    /// let builder = builder.default_language(&goru::JavaScript);
    /// # }
    /// ```
    pub fn default_language(mut self, language: &'static dyn Language) -> Self {
        self.default_language = Some(language);
        self
    }

    /// Requires `Authorization: Bearer TOKEN` on every route but `/health`
    /// (compared in constant time). Default: no token.
    ///
    /// ```no_run
    /// # fn demo(builder: goru_server::ServerBuilder) {
    /// let builder = builder.token("s3cret");
    /// # }
    /// ```
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The largest request body; a larger one is refused with 413. Default:
    /// 1 MiB.
    ///
    /// ```no_run
    /// # fn demo(builder: goru_server::ServerBuilder) {
    /// let builder = builder.max_body_bytes(256 << 10);
    /// # }
    /// ```
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Most sessions open at once; each holds a live interpreter. Default: 64.
    ///
    /// ```no_run
    /// # fn demo(builder: goru_server::ServerBuilder) {
    /// let builder = builder.max_sessions(8);
    /// # }
    /// ```
    pub fn max_sessions(mut self, sessions: usize) -> Self {
        self.max_sessions = sessions;
        self
    }

    /// A session unused for this long is closed. Default: 10 minutes.
    ///
    /// ```no_run
    /// # fn demo(builder: goru_server::ServerBuilder) {
    /// let builder = builder.session_ttl(std::time::Duration::from_secs(60));
    /// # }
    /// ```
    pub fn session_ttl(mut self, ttl: Duration) -> Self {
        self.session_ttl = ttl;
        self
    }

    /// Run slots: most runs (and session start-ups) going at once. Default:
    /// the number of CPUs the process may use.
    ///
    /// ```no_run
    /// # fn demo(builder: goru_server::ServerBuilder) {
    /// let builder = builder.max_concurrent(4);
    /// # }
    /// ```
    pub fn max_concurrent(mut self, runs: usize) -> Self {
        self.max_concurrent = Some(runs);
        self
    }

    /// How long a request waits for a run slot before it is refused with
    /// 503 `saturated` and `Retry-After`; zero refuses at once. Default: 5 s.
    ///
    /// ```no_run
    /// # fn demo(builder: goru_server::ServerBuilder) {
    /// let builder = builder.queue_wait(std::time::Duration::ZERO);
    /// # }
    /// ```
    pub fn queue_wait(mut self, wait: Duration) -> Self {
        self.queue_wait = wait;
        self
    }

    /// Most requests waiting for a run slot at once; more are refused with
    /// 503 at once. Default: 64.
    ///
    /// ```no_run
    /// # fn demo(builder: goru_server::ServerBuilder) {
    /// let builder = builder.max_queue(16);
    /// # }
    /// ```
    pub fn max_queue(mut self, requests: usize) -> Self {
        self.max_queue = requests;
        self
    }

    /// Once [`Server::serve`] is told to stop, how long running work may go
    /// on before it is cancelled. Default: 10 s.
    ///
    /// ```no_run
    /// # fn demo(builder: goru_server::ServerBuilder) {
    /// let builder = builder.grace(std::time::Duration::from_secs(2));
    /// # }
    /// ```
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Serves `/metrics` without the token (for a scraper inside a trusted
    /// network); the counters tell the load, never code or output. Default:
    /// `/metrics` wants the token like every route but `/health`.
    ///
    /// ```no_run
    /// # fn demo(builder: goru_server::ServerBuilder) {
    /// let builder = builder.token("s3cret").metrics_open(true);
    /// # }
    /// ```
    pub fn metrics_open(mut self, open: bool) -> Self {
        self.metrics_open = open;
        self
    }

    /// Names this server in a fleet: every session id starts with `NAME.`,
    /// so a proxy in front of several servers can send a session's requests
    /// to the server that holds it (see docs/deploy.md); `/health` reports
    /// it. 1 to 63 ASCII letters, digits and `-`. Default: no name.
    ///
    /// ```no_run
    /// # fn demo(builder: goru_server::ServerBuilder) {
    /// let builder = builder.node_id("n1");
    /// # }
    /// ```
    pub fn node_id(mut self, name: impl Into<String>) -> Self {
        self.node_id = Some(name.into());
        self
    }

    /// The server. Checks that the capabilities can be granted (a mount
    /// that does not exist fails here, not in the first request) and
    /// compiles or loads every interpreter, so no request pays for it and a
    /// broken build fails at start-up.
    ///
    /// ```no_run
    /// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = goru_server::Server::builder(goru::Executor::builder().build()?).build()?;
    /// # Ok(()) }
    /// ```
    pub fn build(self) -> Result<Server, BuildError> {
        if let Some(node) = &self.node_id
            && !valid_node_id(node)
        {
            return Err(BuildError::NodeId(node.clone()));
        }
        self.capabilities.open()?;
        let default_language = match self.default_language {
            Some(language) => language,
            None => goru::language_names()
                .first()
                .and_then(|name| goru::language_by_name(name))
                .ok_or(BuildError::NoLanguage)?,
        };
        for name in goru::language_names() {
            let language = goru::language_by_name(name).ok_or(BuildError::NoLanguage)?;
            self.executor
                .prepare(language)
                .map_err(|source| BuildError::Prepare {
                    language: language.name(),
                    source,
                })?;
        }
        let metrics = Metrics::new();
        let defaults = RunDefaults {
            with_packages: self
                .package_run_options
                .unwrap_or_else(|| self.run_options.clone()),
            base: self.run_options,
            capabilities: self.capabilities,
            max_timeout: self.timeout,
            default_language,
            metrics: metrics.clone(),
        };
        let max_concurrent = self
            .max_concurrent
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
        let state = Shared::new(
            self.executor,
            Config {
                token: self.token,
                max_body: self.max_body_bytes,
                grace: self.grace,
                metrics_open: self.metrics_open,
                node_id: self.node_id.clone(),
            },
            defaults,
            Sessions::new(self.max_sessions, self.session_ttl, self.node_id.as_deref()),
            Admission::new(max_concurrent, self.queue_wait, self.max_queue, metrics.clone()),
            metrics,
        );
        Ok(Server::new(Arc::new(state)))
    }
}

impl std::fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token stays out of debug output, as it stays out of the log.
        f.debug_struct("ServerBuilder")
            .field("run_options", &self.run_options)
            .field("package_run_options", &self.package_run_options)
            .field("timeout", &self.timeout)
            .field("default_language", &self.default_language.map(|l| l.name()))
            .field("token", &self.token.as_ref().map(|_| "…"))
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_sessions", &self.max_sessions)
            .field("session_ttl", &self.session_ttl)
            .field("max_concurrent", &self.max_concurrent)
            .field("queue_wait", &self.queue_wait)
            .field("max_queue", &self.max_queue)
            .field("grace", &self.grace)
            .field("metrics_open", &self.metrics_open)
            .field("node_id", &self.node_id)
            .finish_non_exhaustive()
    }
}

/// A node id: what a proxy can match in a session id, and a DNS label's
/// characters (a pod or host name fits).
fn valid_node_id(name: &str) -> bool {
    (1..=63).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::valid_node_id;

    #[test]
    fn node_ids() {
        assert!(valid_node_id("n1") && valid_node_id("goru-0"));
        assert!(!valid_node_id("") && !valid_node_id("a.b") && !valid_node_id(&"x".repeat(64)));
        assert!(!valid_node_id("nœud") && !valid_node_id("a b"));
    }
}
