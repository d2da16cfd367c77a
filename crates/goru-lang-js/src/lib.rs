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
/// `runtimes/runtimes.toml`.
pub static QUICKJS_WASM: &[u8] = include_bytes!(env!("GORU_QUICKJS_WASM"));

const QUICKJS_WASM_SHA256: &str = env!("GORU_QUICKJS_WASM_SHA256");

/// The shim passed to `qjs -e`; the guest API follows as `scriptArgs[0]`, the
/// user's code as `scriptArgs[1]`.
const SHIM: &str = include_str!("shim.js");

/// The guest API, installed as globals before the user's code runs. Its type
/// declarations are [`GORU_D_TS`].
const GORU_API: &str = include_str!("goru.js");

/// TypeScript declarations of the guest API (`goru.d.ts`), for editors.
pub const GORU_D_TS: &str = include_str!("goru.d.ts");

/// JavaScript (ES2023, QuickJS-NG) with the `std` and `os` modules as globals.
///
/// Uncaught exceptions print on stderr, exit with status 1 and are reported
/// in [`goru_core::RunResult::exception`]; `std.exit(n)` exits with `n`.
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
        Program::new(["qjs", "--std", "-e", SHIM, GORU_API, code])
    }

    /// The same shim without code: it loops on the session protocol.
    fn session_program(&self) -> Option<Program> {
        Some(Program::new(["qjs", "--std", "-e", SHIM, GORU_API]))
    }
}
