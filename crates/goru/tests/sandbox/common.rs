//! The shared executor and small helpers for the sandbox tests.

use std::sync::OnceLock;
use std::time::Duration;

use goru::{Error, Executor, InstallPolicy, JavaScript, Language, Packages, Python, RunOptions, RunResult};

/// Where every test process keeps compiled modules: compiling CPython takes
/// seconds, loading it from here a fraction of that.
pub fn cache_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("goru-module-cache")
}

/// One executor per test process, with both languages ready.
pub fn executor() -> &'static Executor {
    static EXECUTOR: OnceLock<Executor> = OnceLock::new();
    EXECUTOR.get_or_init(|| {
        Executor::builder()
            .cache_dir(cache_dir())
            .precompile(Python)
            .precompile(JavaScript)
            .build()
            .expect("building the executor")
    })
}

/// Options with a timeout generous enough for a loaded CI machine.
pub fn opts() -> RunOptions {
    RunOptions::new().timeout(Duration::from_secs(30))
}

/// `options` granting the packages directory `dir` with `policy`, installs
/// byte-compiled by the shared executor.
pub fn with_packages(options: RunOptions, dir: &std::path::Path, policy: InstallPolicy) -> RunOptions {
    Packages::new(dir, policy)
        .grant(options, executor())
        .expect("granting the packages")
}

pub fn run(language: &dyn Language, code: &str) -> Result<RunResult, Error> {
    executor().run_blocking(language, code, opts())
}

/// Runs code that must succeed and returns its stdout.
pub fn stdout(language: &dyn Language, code: &str) -> String {
    run_ok(language, code, opts())
}

/// Runs code that must succeed, with these options, and returns its stdout.
pub fn run_ok(language: &dyn Language, code: &str, options: RunOptions) -> String {
    succeeded(code, executor().run_blocking(language, code, options))
}

/// The stdout of `code`'s run, which must have succeeded.
pub fn succeeded(code: &str, result: Result<RunResult, Error>) -> String {
    let result = result.unwrap_or_else(|e| panic!("{code:?} failed: {e}"));
    assert!(
        result.success(),
        "{code:?} exited {}: {}",
        result.exit_code,
        result.stderr_lossy()
    );
    result.stdout_lossy().into_owned()
}

pub fn py(code: &str) -> String {
    stdout(&Python, code)
}

pub fn js(code: &str) -> String {
    stdout(&JavaScript, code)
}
