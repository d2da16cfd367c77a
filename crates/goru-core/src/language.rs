//! The `Language` trait: how a third-party crate teaches goru to run a new interpreter.

use std::fmt;
use std::sync::Arc;

use crate::{HostFunctions, Packages};

/// An interpreter packaged as a WASI (preview 1) command module.
///
/// The trait is object-safe: executors hold languages as `Arc<dyn Language>`,
/// so a crate that depends on `goru-core` alone can add one.
///
/// ```
/// use goru_core::{Language, Program};
///
/// /// A "language" whose module ignores the code and exits at once.
/// #[derive(Debug)]
/// struct Noop;
///
/// impl Language for Noop {
///     fn name(&self) -> &str { "noop" }
///     fn wasm(&self) -> &[u8] {
///         b"\0asm\x01\0\0\0" // a real language returns its interpreter here
///     }
///     fn program(&self, code: &str) -> Program {
///         Program::new(["noop", code])
///     }
/// }
/// ```
pub trait Language: Send + Sync + fmt::Debug + 'static {
    /// A short unique name ("python", "js"); also part of the module cache key.
    fn name(&self) -> &str;

    /// The WASI command module's bytes.
    fn wasm(&self) -> &[u8];

    /// The SHA-256 of [`Language::wasm`], if the language knows it already
    /// (e.g. from its pin file); otherwise the executor hashes the bytes once.
    fn wasm_sha256(&self) -> Option<[u8; 32]> {
        None
    }

    /// How to run `code`: argv (argv\[0\] is the program name) and environment.
    fn program(&self, code: &str) -> Program;

    /// How to start the interpreter as a session, if the language has one
    /// (default: it has not, and [`crate::Executor::session`] refuses it).
    ///
    /// The guest then loops: it calls the host function
    /// [`SESSION_NEXT_FUNCTION`](crate::SESSION_NEXT_FUNCTION) with
    /// `{"done": RESULT}` (`null` the first time) and gets the next request,
    /// `{"code": CODE, "mode": "exec" | "repl" | "check"}`, or
    /// `{"close": true}`, on which it exits. `RESULT` is
    /// `{"exit_code": N, "exception": null | {"type", "message", "traceback"}}`
    /// for `exec` and `repl` (repl also shows the value of a final
    /// expression), `{"complete": BOOL}` for `check`. It flushes its output
    /// before reporting a result.
    fn session_program(&self) -> Option<Program> {
        None
    }

    /// Where the directory of [`crate::RunOptions::packages`] appears in the
    /// guest (read-only), if the language imports packages from one
    /// (default: it does not, and runs with a packages directory are refused).
    /// The language puts the path on its import path itself.
    fn packages_path(&self) -> Option<&str> {
        None
    }

    /// Host functions that let the guest install packages, for a language
    /// with a [`Language::packages_path`]. Asked once per run or session,
    /// with the run's packages directory and policy (`None` without a
    /// directory), so the functions can refuse clearly when installing is not
    /// allowed, and the run's executor (e.g. to byte-compile what they
    /// install). They are asked before any other provider.
    fn package_functions(
        &self,
        packages: Option<&Packages>,
        executor: &crate::Executor,
    ) -> Option<Arc<dyn HostFunctions>> {
        let _ = (packages, executor);
        None
    }
}

/// What the interpreter is started with for one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Program {
    /// Arguments, `args[0]` being the program name.
    pub args: Vec<String>,
    /// Environment variables the guest sees (the host's never leak in).
    pub env: Vec<(String, String)>,
}

impl Program {
    /// A program with these arguments and an empty environment.
    pub fn new<I, S>(args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            args: args.into_iter().map(Into::into).collect(),
            env: Vec::new(),
        }
    }

    /// Adds an environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }
}
