//! The tools: their names, argument types (whose JSON Schemas the client
//! sees) and the descriptions an agent reads to decide how to call them.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::grant::Grant;

/// Runs Python statelessly.
pub const RUN_PYTHON: &str = "run_python";
/// Runs JavaScript statelessly.
pub const RUN_JAVASCRIPT: &str = "run_javascript";
/// Starts a session.
pub const SESSION_CREATE: &str = "session_create";
/// Runs code in a session.
pub const SESSION_RUN: &str = "session_run";
/// Closes a session.
pub const SESSION_CLOSE: &str = "session_close";
/// Installs a Python package (only when the server allows installing).
pub const INSTALL_PACKAGE: &str = "install_package";

/// The arguments of `run_python` and `run_javascript`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunArgs {
    /// The program's source code. Print what you want to see: only stdout
    /// and stderr come back.
    pub code: String,
    /// Text the program reads on its standard input (empty if omitted).
    #[serde(default)]
    pub stdin: Option<String>,
    /// Wall-clock limit in seconds (fractions allowed). At most, and by
    /// default, the server's limit.
    #[serde(default)]
    #[schemars(range(min = 0.001))]
    pub timeout: Option<f64>,
}

/// The languages a session may be started in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SessionLanguage {
    /// CPython 3.12.
    #[serde(alias = "py")]
    Python,
    /// QuickJS-NG (ES2023).
    #[serde(alias = "js")]
    Javascript,
}

impl SessionLanguage {
    /// goru's language.
    pub fn language(self) -> &'static dyn goru::Language {
        match self {
            SessionLanguage::Python => &goru::Python,
            SessionLanguage::Javascript => &goru::JavaScript,
        }
    }
}

/// The arguments of `session_create`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionCreateArgs {
    /// The session's language.
    pub language: SessionLanguage,
    /// Wall-clock limit of each `session_run` in seconds. At most, and by
    /// default, the server's limit.
    #[serde(default)]
    #[schemars(range(min = 0.001))]
    pub timeout: Option<f64>,
}

/// The arguments of `session_run`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionRunArgs {
    /// The id `session_create` returned.
    pub session_id: String,
    /// Code to run in the session, as REPL input: variables, functions and
    /// imports of earlier runs are there, and the value of a final
    /// expression is printed.
    pub code: String,
}

/// The arguments of `session_close`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionCloseArgs {
    /// The id `session_create` returned.
    pub session_id: String,
}

/// The arguments of `install_package`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InstallArgs {
    /// The package's name on the package index, e.g. `python-dateutil`.
    pub name: String,
    /// A version (`2.9.0`) or a specifier (`>=2,<3`); the newest if omitted.
    #[serde(default)]
    pub version: Option<String>,
}

/// The tools a server with this grant offers, each described with it.
pub fn list(grant: &Grant) -> Vec<Tool> {
    let limits = grant.limits_text();
    let python = grant.describe(&goru::Python);
    let js = grant.describe(&goru::JavaScript);
    let mut tools = vec![
        tool::<RunArgs>(
            RUN_PYTHON,
            format!(
                "Run a Python 3.12 program (CPython with its standard library) in a fresh \
                 WebAssembly sandbox and get back its stdout, stderr, exit status and any \
                 uncaught exception (type, message, traceback). Nothing persists between \
                 calls: use session_create for multi-step work. No threads or subprocesses. \
                 The result is an error (isError) when the program raised, exited non-zero, \
                 or was stopped at a limit; the output so far is still returned.\n\
                 Granted: {python}\nLimits: {limits}"
            ),
        ),
        tool::<RunArgs>(
            RUN_JAVASCRIPT,
            format!(
                "Run a JavaScript program (QuickJS-NG, ES2023; console.log prints; no Node or \
                 browser APIs) in a fresh WebAssembly sandbox and get back its stdout, stderr, \
                 exit status and any uncaught exception. Nothing persists between calls: use \
                 session_create for multi-step work. The result is an error (isError) when the \
                 program threw, exited non-zero, or was stopped at a limit; the output so far \
                 is still returned.\nGranted: {js}\nLimits: {limits}"
            ),
        ),
        tool::<SessionCreateArgs>(
            SESSION_CREATE,
            format!(
                "Start a session: one live Python or JavaScript interpreter whose variables, \
                 functions and imports persist from one session_run to the next. Returns its \
                 session_id. At most {max} sessions are open at once; a session unused for {ttl} \
                 is closed, and one whose run is stopped at a limit (or cancelled) ends. Close \
                 it with session_close when done.\nGranted (Python): {python}\n\
                 Granted (JavaScript): {js}\nLimits: {limits}",
                max = grant.max_sessions,
                ttl = human_duration(grant.session_ttl),
            ),
        ),
        tool::<SessionRunArgs>(
            SESSION_RUN,
            "Run code in a session made by session_create, as REPL input: earlier state is \
             there, and the value of a final expression is printed (Python also sets `_`). \
             Returns stdout, stderr and any exception, as run_python does; an exception leaves \
             the session usable. A run at its timeout is first interrupted (Python: TimeoutError; \
             JavaScript: InternalError: interrupted) and the session keeps its state if the \
             code gives way; a hard stop at a limit ends the \
             session (the result says so). One run at a time per session."
                .to_owned(),
        ),
        tool::<SessionCloseArgs>(
            SESSION_CLOSE,
            "Close a session made by session_create: its interpreter and memory are freed and \
             its state is gone."
                .to_owned(),
        ),
    ];
    if let Some(install) = grant.install_text() {
        tools.push(tool::<InstallArgs>(
            INSTALL_PACKAGE,
            format!(
                "Install a pure-Python package (with its dependencies) from the package index \
                 for the Python runs and sessions to import; later runs see it at once. \
                 Packages with compiled extensions cannot be installed. {install}"
            ),
        ));
    }
    for tool in &mut tools {
        tool.annotations = Some(annotations(&tool.name));
    }
    tools
}

fn tool<T: JsonSchema + 'static>(name: &'static str, description: String) -> Tool {
    Tool::new(name, description, schema::<T>())
}

/// The JSON Schema of a tool's arguments, as an object schema.
fn schema<T: JsonSchema + 'static>() -> Arc<JsonObject> {
    rmcp::handler::server::common::schema_for_type::<T>()
}

/// Hints for clients that show or gate tool calls.
fn annotations(name: &str) -> ToolAnnotations {
    let title = match name {
        RUN_PYTHON => "Run Python in a sandbox",
        RUN_JAVASCRIPT => "Run JavaScript in a sandbox",
        SESSION_CREATE => "Start a sandboxed interpreter session",
        SESSION_RUN => "Run code in a session",
        SESSION_CLOSE => "Close a session",
        _ => "Install a Python package",
    };
    // The sandbox reaches nothing outside unless the grant says so; the
    // hints stay conservative, as a granted mount or host may be written.
    ToolAnnotations::with_title(title)
        .read_only(false)
        .destructive(false)
        .idempotent(name == SESSION_CLOSE)
        .open_world(name == INSTALL_PACKAGE)
}

/// `30 s`, `10 min`, `1.5 s`.
pub fn human_duration(duration: Duration) -> Cow<'static, str> {
    let secs = duration.as_secs_f64();
    if secs >= 60.0 && duration.as_secs().is_multiple_of(60) {
        format!("{} min", duration.as_secs() / 60).into()
    } else if duration.subsec_millis() == 0 {
        format!("{} s", duration.as_secs()).into()
    } else {
        format!("{secs} s").into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_describe_the_arguments() {
        let run = schema::<RunArgs>();
        assert_eq!(run["type"], "object");
        assert_eq!(run["required"], serde_json::json!(["code"]));
        assert!(run["properties"]["timeout"].is_object());
        let create = serde_json::Value::Object((*schema::<SessionCreateArgs>()).clone()).to_string();
        assert!(
            create.contains("python") && create.contains("javascript"),
            "{create}"
        );
    }

    #[test]
    fn arguments_are_checked() {
        let ok: RunArgs = serde_json::from_value(serde_json::json!({"code": "1"})).expect("valid");
        assert_eq!((ok.code.as_str(), ok.stdin, ok.timeout), ("1", None, None));
        assert!(serde_json::from_value::<RunArgs>(serde_json::json!({"code": 1})).is_err());
        assert!(serde_json::from_value::<RunArgs>(serde_json::json!({"source": "1"})).is_err());
        let js: SessionCreateArgs =
            serde_json::from_value(serde_json::json!({"language": "js"})).expect("alias");
        assert_eq!(js.language, SessionLanguage::Javascript);
        assert!(
            serde_json::from_value::<SessionCreateArgs>(serde_json::json!({"language": "cobol"})).is_err()
        );
    }

    #[test]
    fn durations_for_people() {
        assert_eq!(human_duration(Duration::from_secs(30)), "30 s");
        assert_eq!(human_duration(Duration::from_secs(600)), "10 min");
        assert_eq!(human_duration(Duration::from_millis(1500)), "1.5 s");
    }
}
