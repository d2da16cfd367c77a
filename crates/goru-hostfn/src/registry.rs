//! The embedder's own host functions, registered by name.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use goru_core::{HostError, HostFunctions, HostFuture};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::args;

type Handler = Arc<dyn Fn(Value) -> HostFuture + Send + Sync>;

/// Named functions the guest reaches with `call(name, ...)`.
///
/// Sync handlers run on tokio's blocking pool, so they may block (a database
/// query, a file read), at most [`MAX_BLOCKING_CALLS`] at once in the whole
/// process (more wait their turn); async handlers run on the runtime. A sync
/// handler cannot be interrupted: one still running when its run stops runs
/// to its end (its result is dropped), so give it a timeout of its own. Arguments are the
/// guest's JSON, usually an object: check them as untrusted input, or let
/// [`Registry::register_typed`] read them into a struct. An error's kind and
/// message reach the guest as an exception.
///
/// ```
/// use goru_hostfn::Registry;
/// use goru_core::HostError;
/// use serde_json::{json, Value};
///
/// let mut registry = Registry::new();
/// registry
///     .register("get_user", |args: Value| {
///         let id = args["id"].as_str().ok_or_else(|| HostError::invalid_argument("`id` must be a string"))?;
///         Ok(json!({"id": id, "name": "Alice"}))
///     })
///     .register_async("wait", |args: Value| async move {
///         let ms = args["ms"].as_u64().unwrap_or(0).min(1_000);
///         tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
///         Ok(Value::Null)
///     });
/// assert!(registry.contains("get_user"));
/// ```
#[derive(Clone, Default)]
pub struct Registry {
    functions: HashMap<String, Handler>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a blocking function under `name`, replacing any earlier one.
    pub fn register<F>(&mut self, name: impl Into<String>, function: F) -> &mut Self
    where
        F: Fn(Value) -> Result<Value, HostError> + Send + Sync + 'static,
    {
        let function = Arc::new(function);
        let handler: Handler = Arc::new(move |args| {
            let function = function.clone();
            Box::pin(blocking(move || function(args)))
        });
        self.functions.insert(name.into(), handler);
        self
    }

    /// Registers a blocking function of typed arguments under `name`,
    /// replacing any earlier one: the guest's arguments are read into an
    /// `A` with serde (a mismatch fails the call with kind
    /// `invalid_argument` and serde's message, naming the field), and the
    /// result is sent back as JSON.
    ///
    /// ```
    /// use goru_hostfn::Registry;
    /// use serde::{Deserialize, Serialize};
    ///
    /// /// `add(a, b)`; `call('add', a=1, b='x')` fails with
    /// /// "`b`: invalid type: string \"x\", expected f64".
    /// #[derive(Deserialize)]
    /// #[serde(deny_unknown_fields)]
    /// struct Add {
    ///     a: f64,
    ///     b: f64,
    /// }
    ///
    /// #[derive(Serialize)]
    /// struct Sum {
    ///     sum: f64,
    /// }
    ///
    /// let mut registry = Registry::new();
    /// registry.register_typed::<Add, Sum>("add", |Add { a, b }| Ok(Sum { sum: a + b }));
    /// assert!(registry.contains("add"));
    /// ```
    pub fn register_typed<A, R>(
        &mut self,
        name: impl Into<String>,
        function: impl Fn(A) -> Result<R, HostError> + Send + Sync + 'static,
    ) -> &mut Self
    where
        A: DeserializeOwned,
        R: Serialize,
    {
        self.register(name, move |args| {
            let result = function(args::parse(args)?)?;
            serde_json::to_value(result)
                .map_err(|e| HostError::failed(format!("the result is not JSON: {e}")))
        })
    }

    /// Registers an async function under `name`, replacing any earlier one.
    pub fn register_async<F, Fut>(&mut self, name: impl Into<String>, function: F) -> &mut Self
    where
        F: Fn(Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, HostError>> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |args| Box::pin(function(args)));
        self.functions.insert(name.into(), handler);
        self
    }

    /// Whether a function of that name is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.functions.contains_key(name)
    }

    /// The registered names, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.functions.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("functions", &self.names())
            .finish()
    }
}

impl HostFunctions for Registry {
    fn call(&self, name: &str, args: Value) -> Option<HostFuture> {
        self.functions.get(name).map(|handler| handler(args))
    }
}

/// Blocking host calls (sync [`Registry`] handlers, `http_request`, the `fs`
/// functions) running at once in the process: half of tokio's default
/// blocking pool, so host calls can never take all of it from whatever else
/// needs it. With goru-core's per-run cap (`Limits::host_calls_in_flight`,
/// 16) it takes 16 runs at their cap to fill it.
pub const MAX_BLOCKING_CALLS: usize = 256;

/// Runs blocking `work` on tokio's blocking pool once one of the
/// [`MAX_BLOCKING_CALLS`] slots is free; a panic fails the call.
pub(crate) async fn blocking<T, F>(work: F) -> Result<T, HostError>
where
    F: FnOnce() -> Result<T, HostError> + Send + 'static,
    T: Send + 'static,
{
    static SLOTS: Semaphore = Semaphore::const_new(MAX_BLOCKING_CALLS);
    let slot = SLOTS
        .acquire()
        .await
        .map_err(|_| HostError::failed("no blocking slot"))?;
    tokio::task::spawn_blocking(move || {
        // Held by the thread, not the caller: a call whose run was stopped
        // keeps its slot until the work really ends.
        let _slot = slot;
        work()
    })
    .await
    .unwrap_or_else(|_| Err(HostError::failed("the host function panicked")))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Greet {
        name: String,
        #[serde(default)]
        times: usize,
    }

    fn registry() -> Registry {
        let mut registry = Registry::new();
        registry.register_typed::<Greet, Vec<String>>("greet", |Greet { name, times }| {
            Ok(vec![format!("hi {name}"); times.max(1)])
        });
        registry
    }

    #[tokio::test]
    async fn typed_functions_read_their_arguments_and_send_json_back() {
        let registry = registry();
        let greet = |args| registry.call("greet", args).unwrap();
        assert_eq!(
            greet(json!({"name": "Ann", "times": 2})).await.unwrap(),
            json!(["hi Ann", "hi Ann"])
        );
        let error = greet(json!({"name": 7})).await.unwrap_err();
        assert_eq!(
            (error.kind(), error.message()),
            (
                "invalid_argument",
                "`name`: invalid type: integer `7`, expected a string"
            )
        );
        let error = greet(Value::Null).await.unwrap_err();
        assert_eq!(error.message(), "missing field `name`");
    }
}
