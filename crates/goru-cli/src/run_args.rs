//! The option groups of the commands that run code, each flattened into the
//! commands it applies to (so `--help` shows only those): the code's source
//! (`run`), the limits and capabilities (`run`, `repl`, `serve`, `mcp`), and
//! goru's own options (every command).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use goru::RunOptions;
use goru_server::units;

use crate::grant::GrantArgs;

/// The options of `goru run` (and of `goru` without a subcommand).
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The script to run, then its arguments (sys.argv[1:]); the script's
    /// extension (.py, .js, .mjs) picks the language. With -c or -m every
    /// one is an argument. Without FILE, -c and -m, the code is read from
    /// stdin ("-" also means stdin). Everything after FILE is the script's,
    /// options included, as with python3.
    #[arg(
        value_name = "FILE [ARGS]",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub argv: Vec<String>,

    #[command(flatten)]
    pub source: SourceArgs,

    /// Language: python (py) or js (javascript). Default: from FILE's
    /// extension, else python.
    #[arg(short = 'l', long = "lang", value_name = "LANG", value_parser = parse_language)]
    pub lang: Option<&'static dyn goru::Language>,

    #[command(flatten)]
    pub sandbox: SandboxArgs,
}

/// Where a run's code and stdin come from.
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// Run CODE instead of a file (sys.argv[0] is '-c').
    #[arg(short = 'c', long = "code", value_name = "CODE")]
    pub code: Option<String>,

    /// Run library module MODULE as the script (Python's standard library
    /// or packages), as python3 -m does.
    #[arg(short = 'm', value_name = "MODULE", conflicts_with = "code")]
    pub module: Option<String>,

    /// JavaScript: run the code of -c or stdin as an ES module (import,
    /// export, top-level await); a .mjs FILE always is one.
    #[arg(long = "module")]
    pub es_module: bool,

    /// Give the contents of PATH to the guest as its stdin, read as the
    /// guest reads it; "-" is goru's own stdin, even a terminal.
    #[arg(long, value_name = "PATH")]
    pub stdin_file: Option<PathBuf>,

    /// Most bytes the guest may read from stdin (a read past them fails).
    #[arg(long, value_name = "SIZE", default_value = "1GiB", value_parser = units::parse_size)]
    pub stdin_limit: u64,
}

/// The limits of every run, and what the guest may reach.
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Wall-clock limit: 5, 5s, 500ms, 2m, 1m30s.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = units::parse_duration)]
    pub timeout: Duration,

    /// Memory cap of the guest: 64MiB, 64M (= MiB), 64MB (= 10^6 B), or bytes.
    #[arg(long, value_name = "SIZE", default_value = "256MiB", value_parser = units::parse_size)]
    pub memory: u64,

    /// Bytes kept of each of stdout and stderr; the rest is dropped.
    #[arg(long, value_name = "SIZE", default_value = "1MiB", value_parser = units::parse_size_usize)]
    pub output_limit: usize,

    #[command(flatten)]
    pub grant: GrantArgs,
}

/// goru's own options, taken by every command before or after its name.
#[derive(Debug, Args)]
#[command(next_help_heading = "Cache and messages")]
pub struct CommonArgs {
    /// Say on stderr what goru chose for you (e.g. the packages directory).
    #[arg(short = 'v', long, global = true)]
    pub verbose: bool,

    /// Do not read or write the on-disk cache of compiled interpreters
    /// (every run then compiles them again, which takes seconds).
    #[arg(long, global = true)]
    pub no_cache: bool,

    /// Directory of the compiled-interpreter cache; also taken from
    /// $GORU_CACHE_DIR [default: the user's cache directory, e.g.
    /// ~/.cache/goru/modules].
    #[arg(long, value_name = "DIR", global = true)]
    pub cache_dir: Option<PathBuf>,
}

impl SandboxArgs {
    /// The limits the flags set, for every run alike.
    pub fn limits(&self) -> RunOptions {
        RunOptions::new()
            .timeout(self.timeout)
            .memory_bytes(self.memory)
            .output_bytes(self.output_limit)
            .host_calls(self.grant.max_host_calls)
    }
}

impl CommonArgs {
    /// `--cache-dir`, else a non-empty `$GORU_CACHE_DIR`.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        self.cache_dir.clone().or_else(|| {
            std::env::var_os("GORU_CACHE_DIR")
                .filter(|dir| !dir.is_empty())
                .map(PathBuf::from)
        })
    }
}

/// A `--lang` value.
pub fn parse_language(name: &str) -> Result<&'static dyn goru::Language, String> {
    goru::language_by_name(name).ok_or_else(|| {
        format!(
            "unknown language (expected one of: {})",
            goru::language_names().join(", ")
        )
    })
}
