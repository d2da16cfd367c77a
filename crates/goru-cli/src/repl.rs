//! `goru repl`: an interactive session (line editing, history and Tab
//! completion by rustyline), in Python or JavaScript, with the same flags
//! as `goru run`.

mod complete;

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;
use goru::{Error, Language, RunResult, Session, SessionRun};
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{Config, Editor};

use complete::Names;

use crate::failure::{Failure, stopped};
use crate::run::{executor, note_truncation, options};
use crate::run_args::{CommonArgs, SandboxArgs, parse_language};

/// The options of `goru repl`: its history file, and the language, limits
/// and capabilities as `goru run` takes them.
#[derive(Debug, Args)]
pub struct ReplArgs {
    /// Keep the input history in FILE [default: the user's data directory,
    /// e.g. ~/.local/share/goru/history-python].
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,

    /// `-c CODE` or `-m MODULE`, which the REPL refuses with a hint (its
    /// code comes from the prompt).
    #[arg(
        short = 'c',
        long = "code",
        short_alias = 'm',
        value_name = "CODE",
        hide = true
    )]
    pub code_up_front: Option<String>,

    /// Language: python (py) or js (javascript) [default: python].
    #[arg(short = 'l', long = "lang", value_name = "LANG", value_parser = parse_language)]
    pub lang: Option<&'static dyn Language>,

    #[command(flatten)]
    pub sandbox: SandboxArgs,
}

/// Where input lines come from: an editor on a terminal, plain lines
/// otherwise (piped input: no prompts, no history).
enum Input {
    Editor {
        editor: Box<Editor<Names, FileHistory>>,
        history: Option<PathBuf>,
    },
    Lines(std::io::StdinLock<'static>),
}

/// What reading one line gave.
enum Line {
    Text(String),
    /// Ctrl-C: drop the pending input.
    Interrupted,
    /// Ctrl-D or the end of the piped input.
    End,
}

impl Input {
    fn open(language: &'static dyn Language, history: Option<PathBuf>) -> Self {
        let stdin = std::io::stdin();
        if stdin.is_terminal()
            && let Ok(mut editor) = Editor::with_config(Config::builder().auto_add_history(false).build())
        {
            editor.set_helper(Some(Names::new(language)));
            let history = history.or_else(|| history_file(language));
            if let Some(path) = &history {
                let _ = editor.load_history(path);
            }
            return Input::Editor {
                editor: Box::new(editor),
                history,
            };
        }
        Input::Lines(stdin.lock())
    }

    fn read(&mut self, prompt: &str) -> Result<Line, Failure> {
        match self {
            Input::Editor { editor, .. } => match editor.readline(prompt) {
                Ok(line) => Ok(Line::Text(line)),
                Err(ReadlineError::Interrupted) => Ok(Line::Interrupted),
                Err(ReadlineError::Eof) => Ok(Line::End),
                Err(e) => Err(Failure::Other(anyhow::anyhow!("reading input: {e}"))),
            },
            Input::Lines(lines) => {
                let mut line = String::new();
                match lines.read_line(&mut line) {
                    Ok(0) => Ok(Line::End),
                    Ok(_) => Ok(Line::Text(line.trim_end_matches(['\n', '\r']).to_owned())),
                    Err(e) => Err(Failure::Other(anyhow::anyhow!("reading input: {e}"))),
                }
            }
        }
    }

    fn remember(&mut self, entry: &str) {
        if let Input::Editor { editor, history } = self {
            let _ = editor.add_history_entry(entry);
            if let Some(path) = history {
                if let Some(dir) = path.parent() {
                    let _ = std::fs::create_dir_all(dir);
                }
                let _ = editor.save_history(path);
            }
        }
    }

    fn interactive(&self) -> bool {
        matches!(self, Input::Editor { .. })
    }

    /// Tab completion asks `session` for the names in scope.
    fn complete_in(&mut self, session: &Session) {
        if let Input::Editor { editor, .. } = self
            && let Some(names) = editor.helper_mut()
        {
            names.session = Some(session.clone());
        }
    }
}

/// `~/.local/share/goru/history-python` and the like; none if there is no
/// data directory.
fn history_file(language: &dyn Language) -> Option<PathBuf> {
    Some(
        dirs::data_dir()?
            .join("goru")
            .join(format!("history-{}", language.name())),
    )
}

fn prompts(language: &dyn Language) -> (&'static str, &'static str) {
    match language.name() {
        "python" => (">>> ", "... "),
        _ => ("> ", "... "),
    }
}

/// Runs the REPL until exit(), quit(), Ctrl-D, `.exit` (JavaScript) or the
/// end of the input; the exit status (exit(n) gives n).
pub fn repl(repl: &ReplArgs, common: &CommonArgs) -> Result<u8, Failure> {
    let language = match repl.lang {
        Some(language) => language,
        None => goru::language_by_name("python")
            .ok_or_else(|| Failure::Usage("no default language in this build: pass --lang".into()))?,
    };
    let executor = executor(common)?;
    let start = || -> Result<Session, Failure> {
        executor
            .session_blocking(
                language,
                options(&repl.sandbox, language, &executor, common.verbose)?,
            )
            .map_err(stopped)
    };
    let mut session = start()?;
    let mut input = Input::open(language, repl.history.clone());
    crate::ctrl_c::listen(input.interactive());
    input.complete_in(&session);
    if input.interactive() {
        eprintln!(
            "goru {} repl: {} in a WebAssembly sandbox. {} or Ctrl-D exits, Ctrl-C drops or interrupts the current input.",
            env!("CARGO_PKG_VERSION"),
            language.name(),
            if language.name() == "python" {
                "exit()"
            } else {
                ".exit"
            },
        );
    }
    let mut status = 0;
    let (first, more) = prompts(language);
    let mut pending = String::new();
    loop {
        let prompt = if pending.is_empty() { first } else { more };
        let line = match input.read(prompt)? {
            Line::Text(line) => line,
            Line::Interrupted => {
                pending.clear();
                eprintln!("KeyboardInterrupt");
                continue;
            }
            Line::End => {
                if input.interactive() {
                    // After the ^D the terminal shows, as python3 does.
                    eprintln!();
                }
                break;
            }
        };
        if pending.is_empty() && line.trim().is_empty() {
            continue;
        }
        if pending.is_empty() && language.name() != "python" && line.trim() == ".exit" {
            break;
        }
        if !pending.is_empty() {
            pending.push('\n');
        }
        pending.push_str(&line);
        match session.check_complete_blocking(&pending) {
            Ok(false) => continue,
            Ok(true) => {}
            Err(error) => {
                session = restart(error, &start)?;
                input.complete_in(&session);
                pending.clear();
                continue;
            }
        }
        let chunk = std::mem::take(&mut pending);
        input.remember(&chunk);
        match run_streamed(&session, &chunk) {
            Ok(result) => {
                note_truncation(&result.output, repl.sandbox.output_limit);
                if result.exited {
                    status = u8::try_from(result.exit_code).unwrap_or(u8::MAX);
                    break;
                }
            }
            // Refused before the guest saw it: the session is as it was.
            Err(error @ Error::InvalidCode(_)) => eprintln!("goru: {error}"),
            Err(error) => {
                if let Some(output) = error.output() {
                    note_truncation(output, repl.sandbox.output_limit);
                }
                if session.is_open() {
                    // Interrupted at its time limit and back: state kept.
                    eprintln!("goru: {}; the session keeps its state", message(error));
                } else {
                    session = restart(error, &start)?;
                    input.complete_in(&session);
                }
            }
        }
    }
    session.close();
    Ok(status)
}

/// Runs one input, writing its output as the guest writes it, with Ctrl-C
/// interrupting it.
fn run_streamed(session: &Session, input: &str) -> Result<RunResult, Error> {
    let (sender, mut receiver) = goru::output_channel();
    let writer = std::thread::spawn(move || {
        let mut output = crate::terminal::GuestOutput::new();
        while let Some(chunk) = receiver.blocking_recv() {
            output.write(&chunk);
        }
    });
    let result = crate::ctrl_c::interrupting(session, || {
        session.run_with_blocking(input, SessionRun::new().repl(true).output(sender))
    });
    // The channel ends with the run: all it carried is written.
    let _ = writer.join();
    result
}

/// What the user is told about a run's error.
fn message(error: Error) -> String {
    match stopped(error) {
        Failure::Status(_, message) => message,
        Failure::Usage(message) => message,
        Failure::Other(error) => error.to_string(),
    }
}

/// Reports why the session ended and starts a fresh one (its state is lost).
fn restart(error: Error, start: &dyn Fn() -> Result<Session, Failure>) -> Result<Session, Failure> {
    eprintln!(
        "goru: {}; the session was restarted and its state is lost",
        message(error)
    );
    let _ = std::io::stderr().flush();
    start()
}
