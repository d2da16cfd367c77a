//! goru's developer tasks, run as `cargo xtask <task>` (alias in `.cargo/config.toml`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use goru_interpreters::PinFile;

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
    let dir = workspace_root().join("runtimes");
    let pin_path = dir.join("runtimes.toml");
    let pins = PinFile::load(&pin_path).context("loading the pin file")?;
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

/// The workspace root: this crate lives in `<root>/xtask`.
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_owned()
}
