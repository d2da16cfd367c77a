//! The `goru` command: run untrusted Python and JavaScript in a WebAssembly sandbox.
//!
//! `goru -c CODE`, `goru FILE`, `goru run FILE`, or code piped on stdin; see
//! `goru --help` for the options and the exit statuses.

mod cli;
mod ctrl_c;
mod deps;
mod failure;
mod grant;
mod logging;
mod mcp;
mod repl;
mod run;
mod run_args;
mod serve;
mod stream;
mod terminal;

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, FromArgMatches};

use crate::cli::{Cli, Command};
use crate::failure::{Failure, exit};

/// For a FILE that does not exist and looks like a subcommand mistyped
/// (`goru serv`), or like an option written with one dash as goru (Go)
/// takes them (`goru -lang js`), the usage error that says so.
fn misspelt_command(file: &str) -> Option<String> {
    if file.contains(['.', '/']) || std::path::Path::new(file).exists() {
        return None;
    }
    if let Some(name) = file.strip_prefix('-').filter(|name| !name.starts_with('-'))
        && cli::is_long_option(name)
    {
        return Some(format!(
            "`{file}` is not an option here: long options take two dashes, `--{name}` (see goru --help)"
        ));
    }
    let command = cli::command_names()
        .into_iter()
        .filter(|name| name.starts_with(file) || strsim::levenshtein(name, file) <= 2)
        .min_by_key(|name| strsim::levenshtein(name, file))?;
    Some(format!(
        "there is no file `{file}`; did you mean the command `goru {command}`? (see goru --help)"
    ))
}

fn main() -> ExitCode {
    let mut command = Cli::command();
    let matches = match command.try_get_matches_from_mut(std::env::args_os()) {
        Ok(matches) => matches,
        Err(error) if matches!(error.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            error.exit()
        }
        Err(error) => return report(Failure::Usage(clap_message(&error))),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => return report(Failure::Usage(clap_message(&error))),
    };
    if let Some(message) = cli::misplaced_option(&command, &matches) {
        return report(Failure::Usage(message));
    }
    // A service logs its requests by default; the one-shot commands stay quiet.
    logging::init(match cli.command {
        Some(Command::Serve(_)) => serve::DEFAULT_LOG,
        Some(Command::Mcp(_)) => mcp::DEFAULT_LOG,
        _ => "off",
    });
    let outcome = match cli.command.map(|command| command.or_language(cli.run.lang)) {
        Some(Command::Run(run)) => run::run(&run, &cli.common),
        Some(Command::Repl(repl)) if repl.code_up_front.is_some() => {
            return report(Failure::Usage(
                "goru repl takes no code up front: type it at the prompt, or run it with goru -c CODE / goru -m MODULE"
                    .into(),
            ));
        }
        Some(Command::Repl(repl)) => repl::repl(&repl, &cli.common),
        Some(Command::Serve(serve)) => serve::serve(&serve, &cli.common),
        Some(Command::Mcp(mcp)) => mcp::mcp(&mcp, &cli.common),
        Some(Command::Deps(deps)) => deps::deps(&deps, &cli.common),
        Some(Command::Completion { shell }) => {
            clap_complete::generate(shell, &mut Cli::command(), "goru", &mut std::io::stdout());
            Ok(0)
        }
        None => match cli.run.argv.first().and_then(|first| misspelt_command(first)) {
            Some(hint) => return report(Failure::Usage(hint)),
            None => run::run(&cli.run, &cli.common),
        },
    };
    match outcome {
        Ok(status) => ExitCode::from(status),
        Err(failure) => report(failure),
    }
}

/// Prints `failure` as one line and returns its status.
fn report(failure: Failure) -> ExitCode {
    let (status, message) = match failure {
        Failure::Usage(message) => (exit::USAGE, message),
        Failure::Status(status, message) => (status, message),
        Failure::Other(error) => (exit::FAILURE, format!("{error:#}")),
    };
    eprintln!("goru: {}", one_line(&message));
    ExitCode::from(status)
}

/// clap's message (its first paragraph, which may list arguments on lines
/// of their own) without its `error:` prefix, usage block and tips.
fn clap_message(error: &clap::Error) -> String {
    let rendered = error.to_string();
    let paragraph: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty())
        .collect();
    let message = match paragraph.join(" ") {
        joined if joined.is_empty() => "invalid arguments".to_string(),
        joined => joined.strip_prefix("error: ").unwrap_or(&joined).to_string(),
    };
    format!("{message} (see {} --help)", failed_command(error))
}

/// The command line's command that `error` is about (`goru serve`, `goru
/// deps install`), read from clap's usage line; `goru` when there is none.
fn failed_command(error: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue};

    let Some(ContextValue::StyledStr(usage)) = error.get(ContextKind::Usage) else {
        return "goru".into();
    };
    let usage = usage.to_string();
    let words: Vec<&str> = usage
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("Usage:")
        .split_whitespace()
        .take_while(|word| !word.starts_with(['[', '<', '-']))
        .collect();
    match words.first() {
        Some(&"goru") => words.join(" "),
        _ => "goru".into(),
    }
}

/// Joins a multi-line message into one line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn messages_are_one_line() {
        assert_eq!(one_line("a\n  b\n\nc\n"), "a; b; c");
        let error = Cli::try_parse_from(["goru", "--lang", "cobol", "-c", "1"]).expect_err("bad language");
        let message = clap_message(&error);
        assert!(
            message.contains("cobol") && message.contains("python"),
            "{message}"
        );
        assert!(
            !message.contains('\n') && !message.starts_with("error"),
            "{message}"
        );
    }
}
