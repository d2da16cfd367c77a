//! The options of every command that runs code (`-c`, `--lang`, the limits,
//! the cache and the capability flags), shared by `run`, `repl`, `serve` and
//! `deps`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use goru::RunOptions;
use goru_server::units;

use crate::grant::GrantArgs;

/// How to run: the code's source and language, limits, cache. These options
/// are global, so they go before or after the `run` subcommand alike.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Run CODE instead of a file (sys.argv[0] is '-c').
    #[arg(short = 'c', long = "code", value_name = "CODE", global = true)]
    pub code: Option<String>,

    /// Run library module MODULE as the script (Python's standard library
    /// or packages), as python3 -m does.
    #[arg(short = 'm', value_name = "MODULE", global = true, conflicts_with = "code")]
    pub module: Option<String>,

    /// Language: python (py) or js (javascript). Default: from FILE's
    /// extension, else python.
    #[arg(short = 'l', long = "lang", value_name = "LANG", value_parser = parse_language, global = true)]
    pub lang: Option<&'static dyn goru::Language>,

    /// JavaScript: run the code of -c or stdin as an ES module (import,
    /// export, top-level await); a .mjs FILE always is one.
    #[arg(long = "module", global = true)]
    pub es_module: bool,

    /// Wall-clock limit: 5, 5s, 500ms, 2m.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = units::parse_duration, global = true)]
    pub timeout: Duration,

    /// Memory cap of the guest: 64MiB, 64M (= MiB), 64MB (= 10^6 B), or bytes.
    #[arg(long, value_name = "SIZE", default_value = "256MiB", value_parser = units::parse_size, global = true)]
    pub memory: u64,

    /// Bytes kept of each of stdout and stderr; the rest is dropped.
    #[arg(long, value_name = "SIZE", default_value = "1MiB", value_parser = units::parse_size_usize, global = true)]
    pub output_limit: usize,

    /// Give the contents of PATH to the guest as its stdin, read as the
    /// guest reads it; "-" is goru's own stdin, even a terminal.
    #[arg(long, value_name = "PATH", global = true)]
    pub stdin_file: Option<PathBuf>,

    /// Most bytes the guest may read from stdin (a read past them fails).
    #[arg(long, value_name = "SIZE", default_value = "1GiB", value_parser = units::parse_size, global = true)]
    pub stdin_limit: u64,

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

    #[command(flatten)]
    pub grant: GrantArgs,
}

impl RunArgs {
    /// The limits the flags set, for every run alike.
    pub fn limits(&self) -> RunOptions {
        RunOptions::new()
            .timeout(self.timeout)
            .memory_bytes(self.memory)
            .output_bytes(self.output_limit)
            .input_bytes(self.stdin_limit)
            .host_calls(self.grant.max_host_calls)
    }

    /// `--cache-dir`, else a non-empty `$GORU_CACHE_DIR`.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        self.cache_dir.clone().or_else(|| {
            std::env::var_os("GORU_CACHE_DIR")
                .filter(|dir| !dir.is_empty())
                .map(PathBuf::from)
        })
    }
}

fn parse_language(name: &str) -> Result<&'static dyn goru::Language, String> {
    goru::language_by_name(name).ok_or_else(|| {
        format!(
            "unknown language (expected one of: {})",
            goru::language_names().join(", ")
        )
    })
}
