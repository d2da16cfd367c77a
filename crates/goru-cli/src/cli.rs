//! The command line: options, subcommands and help text (clap).

use clap::{Parser, Subcommand};

use crate::deps::{self, DepsArgs};
use crate::mcp::args::{self as mcp_args, McpArgs};
use crate::repl::ReplArgs;
use crate::run_args::{CommonArgs, RunArgs};
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

    /// The run of `goru` without a subcommand; before a subcommand, none of
    /// these may be given (see [`misplaced_option`]).
    #[command(flatten)]
    pub run: RunArgs,

    #[command(flatten)]
    pub common: CommonArgs,
}

/// The subcommands; with none, `goru` behaves as `goru run`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run code from a file, -c, or stdin (the default command).
    #[command(after_help = AFTER_HELP)]
    Run(RunArgs),
    /// An interactive session: state persists from one input to the next.
    /// Multi-line input continues while a statement is open; the value of an
    /// expression is printed (and is `_` in Python). Takes the same limits
    /// and capability flags as `run` (--timeout applies to each input).
    /// exit(), quit() or Ctrl-D leave (in JavaScript also .exit); Tab
    /// completes the names in scope.
    Repl(ReplArgs),
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

impl Command {
    /// The command with `language` (goru's `-l` given before the command
    /// name) as its `--lang`, unless it has its own.
    pub fn or_language(mut self, language: Option<&'static dyn goru::Language>) -> Self {
        match &mut self {
            Command::Run(RunArgs { lang, .. })
            | Command::Repl(ReplArgs { lang, .. })
            | Command::Serve(ServeArgs { lang, .. }) => *lang = lang.or(language),
            Command::Mcp(_) | Command::Deps(_) | Command::Completion { .. } => {}
        }
        self
    }
}

/// The subcommands' names, for "did you mean" on a FILE that is none.
pub fn command_names() -> Vec<String> {
    use clap::CommandFactory;

    Cli::command()
        .get_subcommands()
        .map(|command| command.get_name().to_owned())
        .collect()
}

/// For a run option given before a subcommand (`goru --timeout 5 repl`),
/// the usage error that says where it goes, or that it does not apply
/// there. Each command takes its options after its name, so that its
/// `--help` lists only those that apply to it; goru's own options (`-v`,
/// the cache's) go anywhere, and so does `--lang` where it applies (goru
/// (Go) takes `goru -l js repl`; see [`Command::or_language`]). `command`
/// is the one `matches` were parsed with.
pub fn misplaced_option(command: &clap::Command, matches: &clap::ArgMatches) -> Option<String> {
    use clap::parser::ValueSource;

    let name = matches.subcommand_name()?;
    // Whether the subcommand lists the option (the REPL's hidden `-c` only
    // refuses code).
    let takes = |id: &clap::Id| {
        command.find_subcommand(name).is_some_and(|sub| {
            sub.get_arguments()
                .any(|arg| arg.get_id() == id && !arg.is_hide_set())
        })
    };
    let given = command
        .get_arguments()
        .filter(|arg| !arg.is_global_set() && !arg.is_positional())
        .filter(|arg| !(arg.get_id() == "lang" && takes(arg.get_id())))
        .filter(|arg| matches.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine))
        .min_by_key(|arg| matches.index_of(arg.get_id().as_str()))?;
    let flag = match (given.get_short(), given.get_long()) {
        (Some(short), Some(long)) => format!("-{short}/--{long}"),
        (None, Some(long)) => format!("--{long}"),
        (Some(short), None) => format!("-{short}"),
        (None, None) => given.get_id().to_string(),
    };
    Some(if takes(given.get_id()) {
        format!(
            "{flag} goes after the command: goru {name} {flag} ... (each command takes its own options after its name)"
        )
    } else {
        format!("{flag} does not apply to goru {name} (see goru {name} --help)")
    })
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
        assert_eq!(cli.run.argv, ["x.py"]);
        assert_eq!(cli.run.sandbox.timeout, Duration::from_secs(2));

        let cli = Cli::try_parse_from(["goru", "run", "-l", "js", "x.txt"]).expect("parses");
        let Some(Command::Run(run)) = cli.command else {
            panic!("expected the run subcommand")
        };
        assert_eq!(run.argv, ["x.txt"]);
        assert_eq!(run.lang.map(|l| l.name()), Some("js"));
    }

    /// Each command takes its options after its name; goru's own options
    /// (`-v`, the cache's) go anywhere.
    #[test]
    fn options_go_after_the_command() {
        let misplaced = |argv: &[&str]| {
            let mut command = Cli::command();
            let matches = command.try_get_matches_from_mut(argv).expect("parses");
            misplaced_option(&command, &matches)
        };
        assert_eq!(
            misplaced(&["goru", "--memory", "1GiB", "run", "x.js"]).as_deref(),
            Some(
                "--memory goes after the command: goru run --memory ... (each command takes its own options after its name)"
            )
        );
        // goru's `-l` before the command, where the command takes one.
        for command in ["run", "repl", "serve"] {
            assert_eq!(misplaced(&["goru", "-l", "js", command]), None, "{command}");
            let cli = Cli::try_parse_from(["goru", "-l", "js", command]).expect("parses");
            let (Some(Command::Run(RunArgs { lang, .. }))
            | Some(Command::Repl(ReplArgs { lang, .. }))
            | Some(Command::Serve(ServeArgs { lang, .. }))) =
                cli.command.map(|c| c.or_language(cli.run.lang))
            else {
                panic!("{command}")
            };
            assert_eq!(lang.map(|l| l.name()), Some("js"), "{command}");
        }
        let mine = Cli::try_parse_from(["goru", "-l", "js", "repl", "-l", "python"]).expect("parses");
        let Some(Command::Repl(repl)) = mine.command.map(|c| c.or_language(mine.run.lang)) else {
            panic!("repl")
        };
        assert_eq!(repl.lang.map(|l| l.name()), Some("python"));
        assert!(
            misplaced(&["goru", "-l", "js", "mcp"]).is_some_and(|m| m.contains("does not apply to goru mcp"))
        );
        let message = misplaced(&["goru", "--no-cache", "--kv", "--timeout", "5", "repl"]);
        assert!(message.is_some_and(|m| m.starts_with("--kv goes after the command: goru repl --kv")));
        assert_eq!(
            misplaced(&["goru", "-c", "1", "serve"]).as_deref(),
            Some("-c/--code does not apply to goru serve (see goru serve --help)")
        );
        let message = misplaced(&["goru", "--stdin-file", "f", "repl"]);
        assert!(message.is_some_and(|m| m.starts_with("--stdin-file does not apply to goru repl")));
        assert_eq!(misplaced(&["goru", "--timeout", "5", "-c", "1"]), None);
        assert_eq!(misplaced(&["goru", "repl", "--timeout", "5", "--kv"]), None);
        for argv in [
            &["goru", "--no-cache", "--cache-dir", "d", "-v", "deps", "list"][..],
            &["goru", "deps", "list", "--no-cache", "--cache-dir", "d", "-v"],
        ] {
            assert_eq!(misplaced(argv), None, "{argv:?}");
            let cli = Cli::try_parse_from(argv).expect("parses");
            assert!(cli.common.no_cache && cli.common.verbose, "{argv:?}");
        }
        // What does not apply to a command is not one of its options.
        for argv in [
            &["goru", "serve", "-c", "1"][..],
            &["goru", "serve", "--stdin-file", "in.txt"],
            &["goru", "mcp", "--lang", "js"],
            &["goru", "deps", "list", "--timeout", "5"],
            &["goru", "deps", "list", "--kv"],
            &["goru", "repl", "--stdin-file", "in.txt"],
        ] {
            assert!(Cli::try_parse_from(argv).is_err(), "{argv:?} parses");
        }
        for (command, absent) in [
            ("repl", &["--stdin-file", "--module", "--code"][..]),
            ("serve", &["--stdin-file", "--code", "--history"]),
            ("mcp", &["--stdin-file", "--lang", "--code"]),
            (
                "deps",
                &["--timeout", "--kv", "--memory", "--lang", "--stdin-file"],
            ),
        ] {
            let mut cli = Cli::command();
            cli.build();
            let help = cli
                .find_subcommand_mut(command)
                .expect("a subcommand")
                .render_long_help()
                .to_string();
            for flag in absent {
                assert!(!help.contains(flag), "goru {command} --help shows {flag}");
            }
            assert!(help.contains("--cache-dir"), "goru {command} --help");
        }
    }

    #[test]
    fn everything_after_the_script_is_its_own() {
        let cli = Cli::try_parse_from(["goru", "x.py", "a", "--lang", "js", "-c"]).expect("parses");
        assert_eq!(cli.run.argv, ["x.py", "a", "--lang", "js", "-c"]);
        assert!(cli.run.lang.is_none() && cli.run.source.code.is_none());
        let cli = Cli::try_parse_from(["goru", "--", "x.py", "--flag"]).expect("parses");
        assert_eq!(cli.run.argv, ["x.py", "--flag"]);
        let cli = Cli::try_parse_from(["goru", "-c", "1", "a", "-b"]).expect("parses");
        assert_eq!(cli.run.source.code.as_deref(), Some("1"));
        assert_eq!(cli.run.argv, ["a", "-b"]);
        let cli = Cli::try_parse_from(["goru", "-m", "json.tool", "--sort-keys"]).expect("parses");
        assert_eq!(cli.run.source.module.as_deref(), Some("json.tool"));
        assert_eq!(cli.run.argv, ["--sort-keys"]);
    }

    #[test]
    fn defaults() {
        let cli = Cli::try_parse_from(["goru", "-c", "1"]).expect("parses");
        assert_eq!(cli.run.sandbox.timeout, Duration::from_secs(30));
        assert_eq!(cli.run.sandbox.memory, 256 << 20);
        assert_eq!(cli.run.sandbox.output_limit, 1 << 20);
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
        assert_eq!(cli.run.sandbox.grant.allowed_packages, ["six"]);
        assert_eq!(cli.run.sandbox.grant.http_max_url_length, 100);
        assert_eq!(cli.run.sandbox.grant.fs_max_read, 1024);
        assert_eq!(cli.run.sandbox.grant.fs_max_path_length, 50);
        let cli = Cli::try_parse_from(["goru", "--packages", "p", "--allow-pkg-install", "-c", "1"])
            .expect("parses");
        assert!(cli.run.sandbox.grant.package_install);
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
