//! JavaScript for goru: the pinned QuickJS-NG WASI build and the guest shim
//! that runs user code.
//!
//! ```no_run
//! # async fn demo() -> Result<(), goru_core::Error> {
//! use goru_core::{Executor, RunOptions};
//! use goru_lang_js::JavaScript;
//!
//! let executor = Executor::builder().precompile(JavaScript).build()?;
//! let result = executor.run(&JavaScript, "console.log(6 * 7)", RunOptions::new()).await?;
//! assert_eq!(result.stdout_lossy(), "42\n");
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod interrupt;

use goru_core::{InterruptKind, Language, Program, SoftInterrupt};

/// The interpreter module: QuickJS-NG 0.11.0 `qjs`, pinned by SHA-256 in
/// this crate's `interpreter.toml`, with goru's patches: its stack check works and
/// its shadow stack is 832 KiB instead of 64 KiB (`build/stack.rs`), and a
/// 0 ms timer is due at once, not after 1 ms (`build/timers.rs`).
pub static QUICKJS_WASM: &[u8] = include_bytes!(env!("GORU_QUICKJS_PATCHED_WASM"));

/// The SHA-256 of [`QUICKJS_WASM`], the patched bytes (the module cache's key).
const QUICKJS_WASM_SHA256: &str = env!("GORU_QUICKJS_PATCHED_WASM_SHA256");

/// `qjs --stack-size`: how deep QuickJS lets the shadow stack grow before it
/// throws `RangeError: Maximum call stack size exceeded` (about 700 plain JS
/// calls). It must trip before the 832 KiB shadow stack (`build/stack.rs`)
/// and the 1 MiB native stack wasmer runs guests on run out, or recursion
/// ends in a trap. The native stack binds first: measured with goru, a
/// getter that reads itself exhausts it between 256 KiB and 320 KiB of
/// shadow stack, so the limit keeps a third below that.
const STACK_LIMIT: &str = "192k";

/// The shim passed to `qjs -e`; the guest API follows as `scriptArgs[0]`,
/// the node-like globals as `scriptArgs[1]`, then the user's code, its name
/// and how to run it (`script` or `module`).
const SHIM: &str = include_str!("shim.js");

/// The guest API, installed as globals before the user's code runs. Its type
/// declarations are [`GORU_D_TS`].
const GORU_API: &str = include_str!("goru.js");

/// console, timers, structuredClone, TextEncoder/TextDecoder, atob/btoa:
/// installed as globals the first time one of them is read.
const GLOBALS: &str = include_str!("globals.js");

/// qjs's arguments before the code: the stack limit, the `std`/`os`
/// modules, and the shim with the guest API and globals it installs.
const QJS_ARGS: [&str; 8] = [
    "qjs",
    "--stack-size",
    STACK_LIMIT,
    "--std",
    "-e",
    SHIM,
    GORU_API,
    GLOBALS,
];

/// The name stack traces give code run without one (`goru -c`).
const DEFAULT_NAME: &str = "<string>";

/// TypeScript declarations of the guest API (`goru.d.ts`), for editors.
pub const GORU_D_TS: &str = include_str!("goru.d.ts");

/// JavaScript (ES2023, QuickJS-NG) with the `std` and `os` modules as globals.
///
/// The code runs as a global script named `<string>` in stack traces (see
/// [`JavaScriptFile`] for another name, or an ES module). Uncaught
/// exceptions print `Name: message` and the stack on stderr, exit with
/// status 1 and are reported in [`goru_core::RunResult::exception`];
/// `std.exit(n)` exits with `n & 0xFF`. Deep recursion throws `RangeError:
/// Maximum call stack size exceeded`, which the code can catch.
#[derive(Debug, Clone, Copy, Default)]
pub struct JavaScript;

/// How to run `code` named `name`, as a script or an ES module.
fn program(code: &str, name: &str, module: bool) -> Program {
    let kind = if module { "module" } else { "script" };
    Program::new(QJS_ARGS.iter().copied().chain([code, name, kind]))
}

/// JavaScript run under a name of its own, as a global script or as an ES
/// module (`import`/`export`, top-level `await`, `import {call} from
/// "goru"`, `import * as std from "std"`). The name is what stack traces
/// show, e.g. the file the code came from, `<stdin>`.
///
/// ```no_run
/// # async fn demo() -> Result<(), goru_core::Error> {
/// use goru_core::{Executor, RunOptions};
/// use goru_lang_js::JavaScriptFile;
///
/// let main = JavaScriptFile::from_path("main.mjs"); // .mjs: a module
/// let code = "const n = await Promise.resolve(42); console.log(n)";
/// let executor = Executor::builder().build()?;
/// let result = executor.run(&main, code, RunOptions::new()).await?;
/// assert_eq!(result.stdout_lossy(), "42\n");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JavaScriptFile {
    name: String,
    module: bool,
}

impl JavaScriptFile {
    /// The code is a global script named `name`.
    pub fn script(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            module: false,
        }
    }

    /// The code is an ES module named `name`.
    pub fn module(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            module: true,
        }
    }

    /// A module if `name` ends in `.mjs`, as node has it; else a script.
    pub fn from_path(name: impl Into<String>) -> Self {
        let name = name.into();
        let module = name.ends_with(".mjs");
        Self { name, module }
    }

    /// The same name, run as an ES module.
    pub fn into_module(self) -> Self {
        Self { module: true, ..self }
    }

    /// Whether the code runs as an ES module.
    pub fn is_module(&self) -> bool {
        self.module
    }
}

impl Language for JavaScriptFile {
    fn name(&self) -> &str {
        JavaScript.name()
    }

    fn wasm(&self) -> &[u8] {
        JavaScript.wasm()
    }

    fn wasm_sha256(&self) -> Option<[u8; 32]> {
        JavaScript.wasm_sha256()
    }

    fn program(&self, code: &str) -> Program {
        program(code, &self.name, self.module)
    }

    fn session_program(&self) -> Option<Program> {
        JavaScript.session_program()
    }

    fn soft_interrupt(&self, kind: InterruptKind) -> Option<SoftInterrupt> {
        JavaScript.soft_interrupt(kind)
    }
}

impl Language for JavaScript {
    fn name(&self) -> &str {
        "js"
    }

    fn wasm(&self) -> &[u8] {
        QUICKJS_WASM
    }

    fn wasm_sha256(&self) -> Option<[u8; 32]> {
        let mut digest = [0u8; 32];
        hex::decode_to_slice(QUICKJS_WASM_SHA256, &mut digest).ok()?;
        Some(digest)
    }

    fn program(&self, code: &str) -> Program {
        program(code, DEFAULT_NAME, false)
    }

    /// The same shim without code: it loops on the session protocol.
    fn session_program(&self) -> Option<Program> {
        Some(Program::new(QJS_ARGS))
    }

    /// quickjs-libc's pending `SIGINT`, for either kind: the running code
    /// gets `InternalError: interrupted`, which no `catch` in it stops (see
    /// the `interrupt` module).
    fn soft_interrupt(&self, _kind: InterruptKind) -> Option<SoftInterrupt> {
        Some(interrupt::soft_interrupt())
    }
}
