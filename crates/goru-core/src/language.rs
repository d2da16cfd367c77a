//! The `Language` trait: how a third-party crate teaches goru to run a new interpreter.

use std::fmt;

use crate::{InterruptKind, SoftInterrupt};

/// An interpreter packaged as a WASI (preview 1) command module.
///
/// The trait is object-safe: executors hold languages as `Arc<dyn Language>`,
/// so a crate that depends on `goru-core` alone can add one.
///
/// # The stop contract: what goru does to the module, and what it must keep
///
/// A run is stopped (deadline, cancellation, a session closed) without the
/// guest's help, as long as the module keeps to this:
///
/// - **The stop global.** goru compiles the module with a stop check at the
///   head of every `loop`: it adds one mutable `i32` global, exported as
///   `__goru_stop`, which the host sets to stop the run; the guest then traps
///   (`unreachable`) at its next loop iteration. That export name is
///   reserved: a module that exports `__goru_stop` itself is refused at
///   compile time. The global lives in host memory and the module's own code
///   cannot name it, so the module must not try to read or rely on it.
/// - **Linear memory is all the module's.** No address is reserved: the stop
///   signal is not in linear memory, and nothing the guest writes there
///   (address 0 included) delays a stop.
/// - **Unbounded work runs in loops.** Wasm code that does not loop ends on
///   its own, and runaway recursion overflows the stack (a trap), so the
///   loop check bounds everything the guest computes. Only WASI's waits
///   (`poll_oneoff` sleeps, reads of the host-call channel, a session
///   waiting for its next request) are released by the host instead: a
///   sleep is cut at the deadline and sliced so a cancellation is seen
///   within 20 ms, and a channel read fails once the run is stopped. The
///   module cannot block any other way: the engine refuses the threads
///   proposal (shared memories, and with them `memory.atomic.wait`), so a
///   module that declares a shared memory fails with
///   [`crate::Error::Compile`].
/// - **Traps mean the run is over.** A trap of a stopped run is reported as
///   [`crate::Error::Timeout`] or [`crate::Error::Cancelled`], whatever the
///   guest did after the stop (an exit included); any other trap is
///   [`crate::Error::Trap`] (or [`crate::Error::MemoryLimit`] once the guest
///   ran into its memory cap). A module exits with WASI `proc_exit` (or by
///   returning from `_start`); it must not use traps to end normally.
/// - **Sessions are released by the host.** A session's guest parks in its
///   read of the [`SESSION_NEXT_FUNCTION`](crate::SESSION_NEXT_FUNCTION)
///   reply; the host answers it with the next request, or fails the read
///   when the session is stopped or closed, and drops the instance with its
///   memory. A guest that ignores a failed read and spins is stopped by its
///   loop check like any other.
///
/// The paths and names the shim shares with the host (the host-call
/// channel, the exception report, the session call) are in
/// [`crate::protocol`].
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

    /// How to run `code` as `invocation` names it: as a script of a given
    /// name, or a module, with arguments (see [`RunOptions::script`](crate::RunOptions::script)).
    /// `None` if the language cannot; the run then fails with
    /// [`crate::Error::InvalidOption`].
    ///
    /// The default runs [`Language::program`] for code and scripts without
    /// arguments (the script's name is not shown), and refuses modules and
    /// arguments.
    fn invoke(&self, code: &str, invocation: &Invocation) -> Option<Program> {
        match invocation.main {
            Main::Code | Main::Script(_) if invocation.args.is_empty() => Some(self.program(code)),
            _ => None,
        }
    }

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

    /// A program that starts the interpreter, readies it and exits with
    /// status 0 *without tearing it down*, so that `_start`, entered again
    /// on a copy of the memory it leaves, runs any program of this language
    /// (from [`Language::program`], [`Language::invoke`] or
    /// [`Language::session_program`]). `None` (the default): every run starts
    /// from scratch.
    ///
    /// The executor runs it once, copies the guest's linear memory when it
    /// exits, and starts later instances from that copy (see
    /// [`crate::ExecutorBuilder::snapshots`]). The contract for a module that
    /// offers one: it keeps its data segments in the custom section
    /// `goru.data` instead of a data section (goru-interpreters'
    /// `snapshot_module` derives such a module; goru writes the data into a
    /// fresh memory itself), its only mutable global is the stack pointer
    /// (a restored instance gets it fresh), and its `_start` tolerates being
    /// entered on an initialised memory (wasi-libc's `_start` traps when
    /// entered twice; `snapshot_module` disarms that guard, and the
    /// interpreter must take the second start in its stride, as CPython's
    /// re-initialisation does). Arguments and standard streams are
    /// the restored run's own; the environment, the preopened directories
    /// and anything else the interpreter read at start-up are the snapshot's,
    /// so the snapshot program must use the same ones as the runs.
    fn snapshot_program(&self) -> Option<Program> {
        None
    }

    /// How to interrupt a session's running code softly, for `kind`: word
    /// stores into the guest's linear memory that make the interpreter raise
    /// an exception at its next safe point, so the code unwinds and the
    /// session keeps its state (e.g. CPython's or quickjs-libc's
    /// pending-signal state). The
    /// addresses hold for the exact bytes of [`Language::wasm`] only.
    ///
    /// Default `None`: a session run that reaches its time limit is stopped
    /// hard (the session ends) and [`crate::Session::interrupt`] does
    /// nothing. With stores, a run at its time limit is interrupted first;
    /// if the guest is back for its next request within a short grace
    /// (250 ms) the run fails with [`crate::Error::Timeout`] and the session
    /// goes on, otherwise it is stopped hard as without them. The stores are
    /// done only while the guest runs a session's code, and only where the
    /// memory cannot move (wasmer's static memories); the guest may ignore
    /// them, which costs it nothing but the grace.
    fn soft_interrupt(&self, kind: InterruptKind) -> Option<SoftInterrupt> {
        let _ = kind;
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

/// How a run's code is named and what arguments it is given, as on a
/// command line: set with [`RunOptions::script`](crate::RunOptions::script),
/// [`RunOptions::module`](crate::RunOptions::module) and
/// [`RunOptions::args`](crate::RunOptions::args).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Invocation {
    /// What the main program is.
    pub main: Main,
    /// The arguments after the program name.
    pub args: Vec<String>,
}

/// The main program of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Main {
    /// The run's code, as `-c CODE` (the default).
    #[default]
    Code,
    /// The run's code, as a script file of this name.
    Script(String),
    /// This module of the language's library or packages (the run's code is
    /// not used).
    Module(String),
}
