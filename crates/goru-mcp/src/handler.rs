//! The MCP server proper: `tools/list` and `tools/call`, with cancellation,
//! progress and logging around every run. One handler per connection (per
//! MCP session over HTTP); they share the executor, grant and sessions.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use goru::packages::InstallFunction;
use goru::{Executor, HostFunctions, Language};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ErrorCode, ErrorData, Implementation,
    ListToolsResult, PaginatedRequestParams, ProgressNotificationParam, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::grant::Grant;
use crate::logging::{ClientLog, Level};
use crate::outcome::{self, done, failure, refused};
use crate::sessions::{SessionError, Sessions, refusal};
use crate::tools::{self, InstallArgs, RunArgs, SessionCloseArgs, SessionCreateArgs, SessionRunArgs};

/// What every connection of one server shares.
#[derive(Debug)]
pub struct Shared {
    pub executor: Executor,
    pub grant: Grant,
    pub sessions: Arc<Sessions<()>>,
    /// How often a run with a progress token reports progress.
    pub progress_every: Duration,
}

/// One connection's handler.
#[derive(Debug, Clone)]
pub struct Handler {
    shared: Arc<Shared>,
    log: ClientLog,
}

/// How the server introduces itself.
const INSTRUCTIONS: &str = "goru runs untrusted Python and JavaScript in a WebAssembly sandbox. \
Use run_python / run_javascript for one-off programs and session_create + session_run when \
state must persist between steps. Each tool's description says what the code may reach and \
the limits of a run.";

impl Handler {
    /// A handler for one connection.
    pub fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            log: ClientLog::default(),
        }
    }

    async fn run(
        &self,
        language: &'static dyn Language,
        tool: &str,
        args: Value,
        ctx: &RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let args: RunArgs = arguments(tool, args)?;
        let timeout = seconds(tool, args.timeout)?;
        let stdin = args.stdin.unwrap_or_default().into_bytes();
        let shared = &self.shared;
        let options = match shared.grant.options(language, timeout, stdin, &shared.executor) {
            Ok(options) => options,
            Err(error) => return Ok(failure(&error)),
        };
        let started = Instant::now();
        let limit = timeout.unwrap_or(shared.grant.limits.timeout);
        let outcome = self
            .watch(ctx, limit, shared.executor.run(language, &args.code, options))
            .await?;
        let elapsed = started.elapsed();
        self.log_run(ctx, tool, &outcome, elapsed).await;
        Ok(outcome::run_result(outcome, elapsed))
    }

    async fn session_create(
        &self,
        args: Value,
        ctx: &RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let args: SessionCreateArgs = arguments(tools::SESSION_CREATE, args)?;
        let timeout = seconds(tools::SESSION_CREATE, args.timeout)?;
        let language = args.language.language();
        let shared = &self.shared;
        let slot = match shared.sessions.reserve() {
            Ok(slot) => slot,
            Err(error) => return Ok(refused(refusal(error))),
        };
        let options = match shared
            .grant
            .options(language, timeout, Vec::new(), &shared.executor)
        {
            Ok(options) => options,
            Err(error) => return Ok(failure(&error)),
        };
        let limit = timeout.unwrap_or(shared.grant.limits.timeout);
        let session = match self
            .watch(ctx, limit, shared.executor.session(language, options))
            .await?
        {
            Ok(session) => session,
            Err(error) => return Ok(outcome::run_result(Err(error), Duration::ZERO)),
        };
        let id = match slot.fill(session, ()) {
            Ok(id) => id,
            Err(error) => return Ok(refused(refusal(error))),
        };
        let name = language.name();
        self.log
            .send(
                ctx,
                Level::Info,
                json!({"event": "session_created", "language": name, "open": shared.sessions.len()}),
            )
            .await;
        Ok(done(
            format!("session_id: {id}\nA {name} session is running; pass this session_id to session_run."),
            json!({"session_id": id, "language": name}),
        ))
    }

    async fn session_run(
        &self,
        args: Value,
        ctx: &RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let args: SessionRunArgs = arguments(tools::SESSION_RUN, args)?;
        let shared = &self.shared;
        let call = ctx.ct.clone();
        let checkout = match shared
            .sessions
            .checkout(&args.session_id, move || call.is_cancelled())
        {
            Ok(checkout) => checkout,
            Err(error) => return Ok(refused(refusal(error))),
        };
        let started = Instant::now();
        let outcome = self
            .watch(
                ctx,
                shared.grant.limits.timeout,
                checkout.session.run_repl(&args.code),
            )
            .await?;
        let elapsed = started.elapsed();
        let ended = !checkout.session.is_open();
        drop(checkout);
        self.log_run(ctx, tools::SESSION_RUN, &outcome, elapsed).await;
        let mut result = match outcome {
            Err(error) if error.output().is_none() => failure(&error),
            other => outcome::run_result(other, elapsed),
        };
        if ended {
            shared.sessions.close(&args.session_id);
            result = with_note(
                result,
                "The session has ended and its state is gone; start a new one with session_create.",
            );
        }
        Ok(result)
    }

    async fn session_close(
        &self,
        args: Value,
        ctx: &RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let args: SessionCloseArgs = arguments(tools::SESSION_CLOSE, args)?;
        if !self.shared.sessions.close(&args.session_id) {
            return Ok(refused(refusal(SessionError::Unknown)));
        }
        self.log
            .send(
                ctx,
                Level::Info,
                json!({"event": "session_closed", "open": self.shared.sessions.len()}),
            )
            .await;
        Ok(done("The session is closed.", json!({"closed": true})))
    }

    async fn install(
        &self,
        args: Value,
        ctx: &RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let args: InstallArgs = arguments(tools::INSTALL_PACKAGE, args)?;
        let Some(packages) = self
            .shared
            .grant
            .packages
            .as_ref()
            .filter(|_| self.shared.grant.installs())
        else {
            return Err(unknown_tool(tools::INSTALL_PACKAGE));
        };
        let function = InstallFunction::new(
            packages.dir(),
            packages.install_policy().clone(),
            self.shared.executor.clone(),
        );
        let call = function
            .call(
                goru::packages::INSTALL_FUNCTION,
                json!({"name": args.name, "version": args.version}),
            )
            .ok_or_else(|| ErrorData::internal_error("the installer is missing", None))?;
        // pip takes its time; the run timeout is no measure of it.
        let installed = self.watch(ctx, Duration::ZERO, call).await?;
        match installed {
            Ok(installed) => {
                let names: Vec<String> = installed
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|d| {
                        format!(
                            "{} {}",
                            d["name"].as_str().unwrap_or("?"),
                            d["version"].as_str().unwrap_or("?")
                        )
                    })
                    .collect();
                self.log
                    .send(ctx, Level::Info, json!({"event": "installed", "packages": names}))
                    .await;
                Ok(done(
                    format!(
                        "Installed: {}. Python runs and sessions can import it now.",
                        names.join(", ")
                    ),
                    json!({"installed": installed}),
                ))
            }
            Err(error) => {
                self.log
                    .send(
                        ctx,
                        Level::Warning,
                        json!({"event": "install_failed", "kind": error.kind()}),
                    )
                    .await;
                Ok(refused(format!("not installed: {}", error.message())))
            }
        }
    }

    /// Awaits `work` unless the client cancels the request (then `work` is
    /// dropped, which stops a run at once), sending progress every
    /// [`Shared::progress_every`] if the request asked for it (`total` is
    /// `limit` in seconds, when there is one).
    async fn watch<T>(
        &self,
        ctx: &RequestContext<RoleServer>,
        limit: Duration,
        work: impl Future<Output = T>,
    ) -> Result<T, ErrorData> {
        let token = ctx.meta.get_progress_token();
        let started = Instant::now();
        let mut ticks = tokio::time::interval_at(
            tokio::time::Instant::now() + self.shared.progress_every,
            self.shared.progress_every,
        );
        let mut work = std::pin::pin!(work);
        loop {
            tokio::select! {
                done = &mut work => return Ok(done),
                () = ctx.ct.cancelled() => {
                    tracing::info!(target: "goru::mcp", "call cancelled by the client");
                    return Err(ErrorData::new(ErrorCode::INTERNAL_ERROR, "cancelled by the client", None));
                }
                _ = ticks.tick(), if token.is_some() => {
                    let Some(token) = token.clone() else { continue };
                    let elapsed = started.elapsed().as_secs_f64();
                    let mut progress = ProgressNotificationParam::new(token, elapsed)
                        .with_message(format!("running for {elapsed:.0} s"));
                    if !limit.is_zero() {
                        progress = progress.with_total(limit.as_secs_f64());
                    }
                    let _ = ctx.peer.notify_progress(progress).await;
                }
            }
        }
    }

    /// Tells the client (if it listens) how a run ended: no code, no output.
    async fn log_run<T>(
        &self,
        ctx: &RequestContext<RoleServer>,
        tool: &str,
        outcome: &Result<T, goru::Error>,
        elapsed: Duration,
    ) {
        let duration_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        let (level, ended) = match outcome {
            Ok(_) => (Level::Info, "finished"),
            Err(error) if error.kind().is_stop() => (Level::Warning, error.kind().as_str()),
            Err(error) => (Level::Error, error.kind().as_str()),
        };
        tracing::info!(target: "goru::mcp", tool, ended, duration_ms, "run");
        self.log
            .send(
                ctx,
                level,
                json!({"event": "run", "tool": tool, "ended": ended, "duration_ms": duration_ms}),
            )
            .await;
    }
}

impl ServerHandler for Handler {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(crate::logging::capabilities())
            .with_server_info(Implementation::new("goru", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    #[expect(
        deprecated,
        reason = "MCP logging is deprecated upstream, yet what clients of earlier revisions use"
    )]
    async fn set_level(
        &self,
        request: rmcp::model::SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.log.set(request.level);
        Ok(())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools::list(&self.shared.grant)))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let args = Value::Object(request.arguments.unwrap_or_default());
        let ctx = &context;
        let result = match request.name.as_ref() {
            tools::RUN_PYTHON => self.run(&goru::Python, tools::RUN_PYTHON, args, ctx).await,
            tools::RUN_JAVASCRIPT => {
                self.run(&goru::JavaScript, tools::RUN_JAVASCRIPT, args, ctx)
                    .await
            }
            tools::SESSION_CREATE => self.session_create(args, ctx).await,
            tools::SESSION_RUN => self.session_run(args, ctx).await,
            tools::SESSION_CLOSE => self.session_close(args, ctx).await,
            tools::INSTALL_PACKAGE if self.shared.grant.installs() => self.install(args, ctx).await,
            other => Err(unknown_tool(other)),
        };
        result.map(CallToolResponse::from)
    }
}

fn unknown_tool(name: &str) -> ErrorData {
    ErrorData::invalid_params(
        format!("unknown tool {name:?} (tools/list names the tools)"),
        None,
    )
}

/// The tool's arguments, or an invalid-params error saying what is wrong.
fn arguments<T: DeserializeOwned>(tool: &str, args: Value) -> Result<T, ErrorData> {
    serde_json::from_value(args)
        .map_err(|e| ErrorData::invalid_params(format!("bad arguments for {tool}: {e}"), None))
}

/// A timeout argument in seconds as a duration.
fn seconds(tool: &str, timeout: Option<f64>) -> Result<Option<Duration>, ErrorData> {
    match timeout {
        None => Ok(None),
        Some(secs) => Duration::try_from_secs_f64(secs)
            .ok()
            .filter(|d| !d.is_zero())
            .map(Some)
            .ok_or_else(|| {
                ErrorData::invalid_params(
                    format!("bad arguments for {tool}: timeout must be a positive number of seconds"),
                    None,
                )
            }),
    }
}

/// `result` with a last line of text added.
fn with_note(mut result: CallToolResult, note: &str) -> CallToolResult {
    result.content.push(rmcp::model::ContentBlock::text(note));
    if let Some(Value::Object(map)) = &mut result.structured_content {
        map.insert("note".into(), Value::String(note.into()));
    } else if result.structured_content.is_none() {
        let mut map = Map::new();
        map.insert("note".into(), Value::String(note.into()));
        result.structured_content = Some(Value::Object(map));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_must_be_positive() {
        assert_eq!(seconds("t", None).expect("none"), None);
        assert_eq!(
            seconds("t", Some(1.5)).expect("ok"),
            Some(Duration::from_millis(1500))
        );
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e300] {
            let error = seconds("t", Some(bad)).expect_err("refused");
            assert_eq!(error.code, ErrorCode::INVALID_PARAMS, "{bad}");
        }
    }
}
