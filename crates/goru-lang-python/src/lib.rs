//! CPython 3.12 for goru: the pinned WASI build (standard library inside the
//! wasm) and the guest shim that runs user code.
//!
//! ```no_run
//! # async fn demo() -> Result<(), goru_core::Error> {
//! use goru_core::{Executor, RunOptions};
//! use goru_lang_python::Python;
//!
//! let executor = Executor::builder().precompile(Python).build()?;
//! let result = executor.run(&Python, "print(sum(range(10)))", RunOptions::new()).await?;
//! assert_eq!(result.stdout_lossy(), "45\n");
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

use goru_core::{InterruptKind, Invocation, Language, Main, Program, SoftInterrupt};

mod interrupt;

/// The interpreter module: CPython 3.12.0, VMware Wasm Labs build, pinned by
/// SHA-256 in this crate's `interpreter.toml`.
pub static PYTHON_WASM: &[u8] = include_bytes!(env!("GORU_PYTHON_WASM"));

const PYTHON_WASM_SHA256: &str = env!("GORU_PYTHON_WASM_SHA256");

/// The code passed to `python -c`: it compiles the shim that follows as
/// `sys.argv[1]` (unless the interpreter, restored from a snapshot, already
/// has it) and runs it.
const BOOT: &str = include_str!("boot.py");

/// The shim; the `goru` module's source follows as its `sys.argv[1]`, then
/// (for a run, not a session) how the user's code is run (`-c`, `script` or
/// `-m`), its program name, the code and the user's arguments.
const SHIM: &str = include_str!("shim.py");

/// The guest API: the `goru` module, whose names user code also finds in its
/// globals. Its stubs are [`GORU_PYI`].
const GORU_API: &str = include_str!("goru.py");

/// Type stubs of the guest API (`goru.pyi`), for editors and type checkers.
pub const GORU_PYI: &str = include_str!("goru.pyi");

/// Where the guest imports packages from: `shim.py` appends it to `sys.path`
/// (after the standard library). Nothing is there unless the embedder shows
/// a host directory at this path with
/// [`goru_core::RunOptions::read_only_dir`] (the goru-packages crate does it
/// for a packages directory, and serves the guest's `install_pkg`).
///
/// ```
/// use goru_core::RunOptions;
/// use goru_lang_python::PACKAGES_PATH;
///
/// let options = RunOptions::new().read_only_dir(PACKAGES_PATH, ".goru/python/packages");
/// # let _ = options;
/// ```
pub const PACKAGES_PATH: &str = "/packages";

/// Python 3.12 (CPython on WASI).
///
/// Uncaught exceptions print their traceback on stderr, exit with status 1
/// and are reported in [`goru_core::RunResult::exception`]; `sys.exit(n)`
/// exits with `n`. The value of a final expression is not printed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Python;

impl Language for Python {
    fn name(&self) -> &str {
        "python"
    }

    fn wasm(&self) -> &[u8] {
        PYTHON_WASM
    }

    fn wasm_sha256(&self) -> Option<[u8; 32]> {
        let mut digest = [0u8; 32];
        hex::decode_to_slice(PYTHON_WASM_SHA256, &mut digest).ok()?;
        Some(digest)
    }

    fn program(&self, code: &str) -> Program {
        program(code, &Invocation::default())
    }

    /// As python3 runs `-c CODE`, `SCRIPT` and `-m MODULE`: `sys.argv` is
    /// the program name (`-c`, the script's name, the module's file) and the
    /// arguments. A script is also a file in the guest, `/app/NAME`'s last
    /// component, which is `__file__` and `sys.path[0]`; tracebacks show its
    /// lines under NAME. A leading UTF-8 byte order mark is dropped.
    fn invoke(&self, code: &str, invocation: &Invocation) -> Option<Program> {
        Some(program(code, invocation))
    }

    /// The same shim without code: it loops on the session protocol.
    fn session_program(&self) -> Option<Program> {
        Some(shim_program(["python", "-c", BOOT, SHIM, GORU_API]))
    }

    /// The shim, asked to import what runs use often and exit: the
    /// interpreter's start-up (about 60 ms of wasm) then happens once per
    /// executor rather than once per run. Runs restored from it share
    /// CPython's string hash seed (`hash("a")` is the same in each, as with a
    /// fixed `PYTHONHASHSEED`); `random` and `os.urandom` stay fresh per run.
    fn snapshot_program(&self) -> Option<Program> {
        Some(shim_program([
            "python",
            "-c",
            BOOT,
            SHIM,
            GORU_API,
            "--goru-snapshot",
        ]))
    }

    /// CPython's pending-signal state: `SIGINT` (`KeyboardInterrupt`) or
    /// `SIGXCPU` (`TimeoutError`), see the `interrupt` module.
    fn soft_interrupt(&self, kind: InterruptKind) -> Option<SoftInterrupt> {
        Some(interrupt::soft_interrupt(kind))
    }
}

/// The shim's command line for `code` run as `invocation` says.
fn program(code: &str, invocation: &Invocation) -> Program {
    let (kind, name) = match &invocation.main {
        Main::Script(name) => ("script", name.as_str()),
        Main::Module(name) => ("-m", name.as_str()),
        _ => ("-c", "-c"),
    };
    let args = ["python", "-c", BOOT, SHIM, GORU_API, kind, name, code]
        .into_iter()
        .chain(invocation.args.iter().map(String::as_str));
    shim_program(args)
}

/// `args` with the environment every Python program (and the snapshot) has.
fn shim_program<'a>(args: impl IntoIterator<Item = &'a str>) -> Program {
    // No .pyc writes into the read-only stdlib.
    Program::new(args).env("PYTHONDONTWRITEBYTECODE", "1")
}
