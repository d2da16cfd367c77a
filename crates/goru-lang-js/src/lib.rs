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

use goru_core::{Language, Program};

/// The interpreter module: QuickJS-NG 0.11.0 `qjs`, pinned by SHA-256 in
/// this crate's `interpreter.toml`, with goru's stack patch (`build/stack.rs`): its
/// stack check works and its shadow stack is 832 KiB instead of 64 KiB.
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

/// The shim passed to `qjs -e`; the guest API follows as `scriptArgs[0]`, the
/// user's code as `scriptArgs[1]`.
const SHIM: &str = include_str!("shim.js");

/// The guest API, installed as globals before the user's code runs. Its type
/// declarations are [`GORU_D_TS`].
const GORU_API: &str = include_str!("goru.js");

/// qjs's arguments before the code: the stack limit, the `std`/`os`
/// modules, and the shim and guest API evaluated first.
const QJS_ARGS: [&str; 7] = ["qjs", "--stack-size", STACK_LIMIT, "--std", "-e", SHIM, GORU_API];

/// TypeScript declarations of the guest API (`goru.d.ts`), for editors.
pub const GORU_D_TS: &str = include_str!("goru.d.ts");

/// JavaScript (ES2023, QuickJS-NG) with the `std` and `os` modules as globals.
///
/// Uncaught exceptions print on stderr, exit with status 1 and are reported
/// in [`goru_core::RunResult::exception`]; `std.exit(n)` exits with `n & 0xFF`.
/// Deep recursion throws `RangeError: Maximum call stack size exceeded`,
/// which the code can catch.
#[derive(Debug, Clone, Copy, Default)]
pub struct JavaScript;

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
        Program::new(QJS_ARGS.iter().copied().chain([code]))
    }

    /// The same shim without code: it loops on the session protocol.
    fn session_program(&self) -> Option<Program> {
        Some(Program::new(QJS_ARGS))
    }
}
