//! The command line: options, subcommands and help text (clap).

use clap::{Parser, Subcommand};

use crate::deps::{self, DepsArgs};
use crate::mcp::args::{self as mcp_args, McpArgs};
use crate::run_args::RunArgs;
use crate::serve::args::{self as serve_args, ServeArgs};

/// Shown after the options in `--help`.
const AFTER_HELP: &str = "\
Examples:
  goru -c 'print(2 ** 100)'
  goru script.py arg1 --flag                   # sys.argv == ['script.py', 'arg1', '--flag']
  goru sol.py < input.txt                      # the guest reads the piped stdin
  echo '[1, 2]' | goru -m json.tool
  goru --timeout 500ms --memory 64MiB script.js
  echo 'console.log(1 + 1)' | goru -l js
  goru --stdin-file input.txt solution.py
  goru --kv --allow-host api.example.com --mount /data:./input:ro job.py
  goru repl -l js
  goru serve --listen 127.0.0.1:8080 --kv
  goru deps install python-dateutil
  goru completion zsh > ~/.zfunc/_goru          # shell completions

The code runs in a WebAssembly sandbox: it sees no host files, no network
and no host environment variables, unless a capability flag grants it one:
--kv, --allow-host, --mount. Its output is written as it is produced.

Stdin: with FILE, -c or -m, the guest reads goru's stdin when that is a pipe
or a file; a terminal is not read (so a script cannot wait for, or capture,
what you type) unless you pass --stdin-file -. --stdin-file PATH reads PATH.
Python packages: .goru/python/packages (made by goru deps install) is used
when it exists; --packages DIR names another, --no-packages none.

Exit status:
  0-255  the guest's own exit status: after sys.exit(n) / std.exit(n) the
         low 8 bits of n, as python3's (sys.exit(300) gives 44, -1 255)
  1      the guest raised an uncaught exception (traceback on stderr), or
         goru itself failed (unreadable file, sandbox setup, ...)
  2      bad command line, or code no interpreter may be given (a NUL
         character: 'source code cannot contain null bytes')
  124    the run hit --timeout
  125    the run hit --memory
  126    the guest trapped (stack overflow, interpreter abort, ...)
  130    stopped by Ctrl-C (SIGINT); 143: by SIGTERM
A stopped run's output up to the stop is still written.

Environment:
  GORU_CACHE_DIR  where compiled interpreters are cached (as --cache-dir)
  RUST_LOG        goru's own log to stderr, e.g. RUST_LOG=goru=debug (off by default)";

/// Run untrusted Python and JavaScript in a WebAssembly sandbox.
#[derive(Debug, Parser)]
#[command(
    name = "goru",
    version,
    after_help = AFTER_HELP,
    override_usage = "goru [OPTIONS] [-c CODE | -m MODULE | FILE] [ARGS]...\n       goru run [OPTIONS] [FILE] [ARGS]...\n       goru repl [OPTIONS]\n       goru serve [OPTIONS]\n       goru mcp [OPTIONS]\n       goru deps install|list|remove|cache ...\n       goru completion bash|zsh|fish|powershell|elvish",
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

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
    pub run: RunArgs,
}

/// The subcommands; with none, `goru` behaves as `goru run`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run code from a file, -c, or stdin (the default command).
    #[command(after_help = AFTER_HELP)]
    Run {
        /// The script to run, then its arguments (as for goru FILE).
        #[arg(
            value_name = "FILE [ARGS]",
            trailing_var_arg = true,
            allow_hyphen_values = true
        )]
        argv: Vec<String>,
    },
    /// An interactive session: state persists from one input to the next.
    /// Multi-line input continues while a statement is open; the value of an
    /// expression is printed (and is `_` in Python). Takes the same limits
    /// and capability flags as `run` (--timeout applies to each input).
    /// exit(), quit() or Ctrl-D leave (in JavaScript also .exit); Tab
    /// completes the names in scope.
    Repl(crate::repl::ReplArgs),
    /// The HTTP service: run code over HTTP/JSON, statelessly or in
    /// sessions (see docs/server.md). The limit and capability flags apply
    /// to every run and every session; --timeout is the most a request may
    /// ask for.
    #[command(after_help = serve_args::AFTER_HELP)]
    Serve(ServeArgs),
    /// A Model Context Protocol server for LLM agents: tools that run
    /// Python and JavaScript statelessly or in sessions, over stdio (the
    /// default) or streamable HTTP (see docs/mcp.md). The limit and
    /// capability flags apply to every run; --timeout is the most a call
    /// may ask for.
    #[command(after_help = mcp_args::AFTER_HELP)]
    Mcp(McpArgs),
    /// Python packages for the guest: install (pure-Python wheels, with
    /// their dependencies), list and remove them in a packages directory
    /// (default .goru/python/packages); clear the wheel cache.
    #[command(after_help = deps::AFTER_HELP)]
    Deps(DepsArgs),
    /// Prints a completion script for SHELL on stdout, e.g.
    /// `goru completion bash > ~/.local/share/bash-completion/completions/goru`.
    Completion {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
}

/// The subcommands' names, for "did you mean" on a FILE that is none.
pub fn command_names() -> Vec<String> {
    use clap::CommandFactory;

    Cli::command()
        .get_subcommands()
        .map(|command| command.get_name().to_owned())
        .collect()
}

/// An `ADDR` of `--listen` and `--http`: an address and a port, with an
/// example when only a port was given (`--listen 8080`).
pub fn parse_address(text: &str) -> Result<std::net::SocketAddr, String> {
    text.parse().map_err(|_| match text.parse::<u16>() {
        Ok(port) => format!(
            "a port alone: give an address and a port, e.g. 127.0.0.1:{port} (this machine only) or 0.0.0.0:{port} (every interface)"
        ),
        Err(_) => "expected an address and a port, e.g. 127.0.0.1:8080 or [::1]:8080".to_owned(),
    })
}

/// Whether `--NAME` is one of goru's own options (for the hint on goru's
/// single-dash habit, `-lang js`).
pub fn is_long_option(name: &str) -> bool {
    use clap::CommandFactory;

    Cli::command()
        .get_arguments()
        .any(|arg| arg.get_long() == Some(name))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::CommandFactory;

    use super::*;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn file_at_top_level_and_under_run() {
        let cli = Cli::try_parse_from(["goru", "--timeout", "2", "x.py"]).expect("parses");
        assert!(cli.command.is_none());
        assert_eq!(cli.argv, ["x.py"]);
        assert_eq!(cli.run.timeout, Duration::from_secs(2));

        for argv in [
            &["goru", "run", "-l", "js", "x.txt"][..],
            &["goru", "-l", "js", "run", "x.txt"],
        ] {
            let cli = Cli::try_parse_from(argv).expect("parses");
            let Some(Command::Run { argv: args }) = cli.command else {
                panic!("expected the run subcommand: {argv:?}")
            };
            assert_eq!(args, ["x.txt"], "{argv:?}");
            assert_eq!(cli.run.lang.map(|l| l.name()), Some("js"), "{argv:?}");
        }
    }

    #[test]
    fn everything_after_the_script_is_its_own() {
        let cli = Cli::try_parse_from(["goru", "x.py", "a", "--lang", "js", "-c"]).expect("parses");
        assert_eq!(cli.argv, ["x.py", "a", "--lang", "js", "-c"]);
        assert!(cli.run.lang.is_none() && cli.run.code.is_none());
        let cli = Cli::try_parse_from(["goru", "--", "x.py", "--flag"]).expect("parses");
        assert_eq!(cli.argv, ["x.py", "--flag"]);
        let cli = Cli::try_parse_from(["goru", "-c", "1", "a", "-b"]).expect("parses");
        assert_eq!(cli.run.code.as_deref(), Some("1"));
        assert_eq!(cli.argv, ["a", "-b"]);
        let cli = Cli::try_parse_from(["goru", "-m", "json.tool", "--sort-keys"]).expect("parses");
        assert_eq!(cli.run.module.as_deref(), Some("json.tool"));
        assert_eq!(cli.argv, ["--sort-keys"]);
    }

    #[test]
    fn defaults() {
        let cli = Cli::try_parse_from(["goru", "-c", "1"]).expect("parses");
        assert_eq!(cli.run.timeout, Duration::from_secs(30));
        assert_eq!(cli.run.memory, 256 << 20);
        assert_eq!(cli.run.output_limit, 1 << 20);
        assert!(cli.run.lang.is_none());
    }

    /// goru's (Go) flag names, accepted as hidden aliases (see
    /// docs/coming-from-goru.md).
    #[test]
    fn gorus_flag_names_are_aliases() {
        let cli = Cli::try_parse_from([
            "goru",
            "--packages",
            "p",
            "--allow-pkg",
            "six",
            "--http-max-url",
            "100",
            "--fs-max-file",
            "1KiB",
            "--fs-max-path",
            "50",
            "-c",
            "1",
        ])
        .expect("parses");
        assert_eq!(cli.run.grant.allowed_packages, ["six"]);
        assert_eq!(cli.run.grant.http_max_url_length, 100);
        assert_eq!(cli.run.grant.fs_max_read, 1024);
        assert_eq!(cli.run.grant.fs_max_path_length, 50);
        let cli = Cli::try_parse_from(["goru", "--packages", "p", "--allow-pkg-install", "-c", "1"])
            .expect("parses");
        assert!(cli.run.grant.package_install);
        let help = Cli::command().render_long_help().to_string();
        for alias in ["allow-pkg", "http-max-url ", "fs-max-file", "fs-max-path "] {
            assert!(!help.contains(alias), "{alias} shows in --help");
        }
    }

    #[test]
    fn rejects_bad_input() {
        assert!(Cli::try_parse_from(["goru", "-l", "cobol", "-c", "1"]).is_err());
        assert!(Cli::try_parse_from(["goru", "-c", "1", "-m", "json"]).is_err());
        assert!(Cli::try_parse_from(["goru", "--timeout", "soon", "-c", "1"]).is_err());
        assert!(Cli::try_parse_from(["goru", "--memory", "lots", "-c", "1"]).is_err());
    }
}
