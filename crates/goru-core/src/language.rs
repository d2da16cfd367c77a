//! The `Language` trait: how a third-party crate teaches goru to run a new interpreter.

use std::fmt;

/// An interpreter packaged as a WASI (preview 1) command module.
///
/// The trait is object-safe: executors hold languages as `Arc<dyn Language>`,
/// so a crate that depends on `goru-core` alone can add one.
///
/// # What goru does to the module, and what the module must not do
///
/// goru compiles the module with a stop check at the head of every `loop`:
/// it adds one mutable `i32` global, exported as `__goru_stop`, which the
/// host sets to stop the run, and the guest traps at its next loop
/// iteration. The global lives in host memory; nothing the guest writes to
/// its linear memory can clear it, and no address of that memory is
/// reserved. The module must not export a name `__goru_stop` itself (it is
/// refused at compile time). A guest blocked in a host-side wait (a sleep,
/// a host call, a session waiting for its next request) is released by the
/// host. So a stopped run ends within a loop iteration or a wait's slice,
/// whatever the guest does; a module needs no cooperation for it.
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
    ///
    /// The call must be alone in its frame. The host takes the result as
    /// final only once the guest is blocked reading the reply: a guest that
    /// sends the frame and goes on running is still in the same run, under
    /// its deadline. A `done` that does not parse ends the session.
    fn session_program(&self) -> Option<Program> {
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
