//! Byte-compiles freshly installed sources with the guest's own CPython, so
//! imports from the read-only `/packages` load `__pycache__/*.pyc` instead of
//! compiling every module again in every run.
//!
//! The host's Python cannot do it (its bytecode is for another version), so
//! the staging tree is mounted read-only in a sandboxed run that compiles
//! each `.py` (compiling runs no package code) and prints the `.pyc` bytes;
//! the host checks each path and writes the files next to the sources.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use goru_core::{Executor, RunOptions};
use goru_lang_python::{PACKAGES_PATH, Python};

/// The guest side: one JSON line `[pyc_path, hex]` per compiled module.
/// Timestamp-based pycs, as CPython writes them itself: valid while the
/// source keeps its modification time and size. It walks `PACKAGES`, which
/// [`compile_all`] defines as [`PACKAGES_PATH`].
const COMPILE_ALL: &str = r#"
import json, os
from importlib.util import cache_from_source
from importlib._bootstrap_external import _code_to_timestamp_pyc
for root, dirs, files in os.walk(PACKAGES):
    dirs[:] = [d for d in dirs if d != "__pycache__"]
    for name in files:
        if not name.endswith(".py"):
            continue
        path = os.path.join(root, name)
        try:
            with open(path, "rb") as file:
                source = file.read()
            code = compile(source, path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError, OSError):
            continue
        stat = os.stat(path)
        pyc = _code_to_timestamp_pyc(code, stat.st_mtime, stat.st_size)
        print(json.dumps([cache_from_source(path), bytes(pyc).hex()]))
"#;

/// Compiling a large package (networkx, ~300 modules) takes seconds.
const TIMEOUT: Duration = Duration::from_secs(300);
const MEMORY_BYTES: u64 = 1 << 30;
const OUTPUT_BYTES: usize = 1 << 30;

/// Writes a `.pyc` beside every `.py` of `tree` that compiles; returns how
/// many. Errors are for the caller to report: the packages work without.
pub(super) async fn compile(executor: &Executor, tree: &Path) -> Result<usize, String> {
    let options = RunOptions::new()
        .read_only_dir(PACKAGES_PATH, tree)
        .timeout(TIMEOUT)
        .memory_bytes(MEMORY_BYTES)
        .output_bytes(OUTPUT_BYTES);
    let result = executor
        .run(&Python, &compile_all(), options)
        .await
        .map_err(|e| e.to_string())?;
    if !result.success() || result.output.stdout_truncated {
        return Err(format!(
            "the compile run failed (exit {}): {}",
            result.exit_code,
            result.stderr_lossy().trim()
        ));
    }
    let mut written = 0;
    for line in result.stdout().split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let (guest_path, hex): (String, String) = serde_json::from_slice(line)
            .map_err(|e| format!("a malformed line from the compile run: {e}"))?;
        let target = host_path(tree, &guest_path)?;
        let bytes = hex::decode(hex).map_err(|e| format!("{guest_path}: {e}"))?;
        let parent = target.parent().unwrap_or(tree);
        std::fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
        std::fs::write(&target, bytes).map_err(|e| format!("writing {}: {e}", target.display()))?;
        written += 1;
    }
    Ok(written)
}

/// [`COMPILE_ALL`] walking the guest's packages directory.
fn compile_all() -> String {
    let path = serde_json::to_string(PACKAGES_PATH).expect("a string is JSON");
    format!("PACKAGES = {path}\n{COMPILE_ALL}")
}

/// Where the guest's `/packages/.../__pycache__/NAME.pyc` goes in `tree`:
/// anything else (another directory, `..`, another suffix) is refused.
fn host_path(tree: &Path, guest_path: &str) -> Result<PathBuf, String> {
    let refuse = || format!("refusing to write {guest_path:?}");
    let relative = Path::new(guest_path)
        .strip_prefix(PACKAGES_PATH)
        .map_err(|_| refuse())?;
    let normal = relative.components().all(|c| matches!(c, Component::Normal(_)));
    let in_pycache = relative
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|dir| dir == "__pycache__");
    let is_pyc = relative.extension().is_some_and(|ext| ext == "pyc");
    if !(normal && in_pycache && is_pyc) {
        return Err(refuse());
    }
    Ok(tree.join(relative))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pycache_files_inside_the_tree_are_written() {
        let tree = Path::new("/stage/tree");
        assert_eq!(
            host_path(tree, "/packages/six/__pycache__/six.cpython-312.pyc"),
            Ok(PathBuf::from("/stage/tree/six/__pycache__/six.cpython-312.pyc"))
        );
        assert_eq!(
            host_path(tree, "/packages/__pycache__/six.cpython-312.pyc"),
            Ok(PathBuf::from("/stage/tree/__pycache__/six.cpython-312.pyc"))
        );
        for bad in [
            "/elsewhere/__pycache__/x.pyc",
            "/packages/../__pycache__/x.pyc",
            "/packages/a/../../__pycache__/x.pyc",
            "/packages/x/__pycache__/x.py",
            "/packages/x/x.pyc",
            "/packages/__pycache__/../x.pyc",
            "packages/__pycache__/x.pyc",
        ] {
            assert!(host_path(tree, bad).is_err(), "{bad}");
        }
    }
}
