//! `goru run`: pick the language, read the code, run it with its arguments
//! and stdin, pass on its output (as it is produced) and status.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;

use anyhow::{Context, anyhow};
use goru::{Executor, Language, Output, RunOptions, Terminal};

use crate::failure::{Failure, exit, stopped};
use crate::run_args::{CommonArgs, RunArgs, SandboxArgs, SourceArgs};
use crate::stream;

/// Where the code comes from.
enum Source<'a> {
    Inline(&'a str),
    File(&'a Path),
    Module(&'a str),
    Stdin,
}

/// Runs what `args` name (FILE and its arguments, or only arguments with
/// -c or -m); returns the process exit status.
pub fn run(args: &RunArgs, common: &CommonArgs) -> Result<u8, Failure> {
    let argv = args.argv.as_slice();
    let (source, script_args) = match (&args.source.code, &args.source.module, argv) {
        (Some(code), _, _) => (Source::Inline(code), argv),
        (None, Some(module), _) => (Source::Module(module), argv),
        (None, None, [file, rest @ ..]) if file != "-" => (Source::File(Path::new(file)), rest),
        (None, None, [_, rest @ ..]) => (Source::Stdin, rest),
        (None, None, []) => (Source::Stdin, argv),
    };
    let picked = pick_language(args.lang, &source)?;
    let named = named_js(picked, &source, args.source.es_module);
    if args.source.es_module && named.is_none() {
        return Err(Failure::Usage("--module is for JavaScript (--lang js)".into()));
    }
    let language: &dyn Language = named.as_ref().map_or(picked, |js| js as &dyn Language);
    let code = read_code(&source)?;
    let executor = executor(common)?;
    let mut options =
        options(&args.sandbox, language, &executor, common.verbose)?.args(script_args.iter().cloned());
    match &source {
        Source::File(path) => options = options.script(script_name(path)),
        Source::Module(module) => options = options.module(*module),
        Source::Inline(_) | Source::Stdin => {}
    }
    let options = with_stdin(options, &args.source, &source)?;

    tracing::debug!(language = language.name(), bytes = code.len(), "running");
    let (outcome, signal) = stream::run(&executor, language, &code, options)
        .context("starting the run")
        .map_err(Failure::Other)?;
    let output = match &outcome {
        Ok(result) => &result.output,
        Err(error) => error.output().unwrap_or(const { &EMPTY }),
    };
    note_truncation(output, args.sandbox.output_limit);
    if let Some(signal) = signal {
        return Err(Failure::Status(signal.status(), signal.message().into()));
    }
    match outcome {
        Ok(result) => {
            tracing::debug!(exit_code = result.exit_code, duration = ?result.duration, "finished");
            Ok(guest_status(result.exit_code, result.exception.is_some()))
        }
        Err(error) => Err(stopped(error)),
    }
}

const EMPTY: Output = Output {
    stdout: Vec::new(),
    stderr: Vec::new(),
    stdout_truncated: false,
    stderr_truncated: false,
};

/// The name the guest knows a script by: its file name, without the host
/// directories it is in (which are none of the guest's business).
fn script_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

/// The executor the cache flags describe.
pub fn executor(args: &CommonArgs) -> Result<Executor, Failure> {
    let mut builder = Executor::builder();
    if args.no_cache {
        builder = builder.disk_cache(false);
    } else if let Some(dir) = args.cache_dir() {
        builder = builder.cache_dir(dir);
    }
    builder.build().map_err(|e| Failure::Other(e.into()))
}

/// The limits, capabilities and packages the flags describe for a run of
/// `language` (a fresh grant: an empty key-value store), and which of
/// goru's output streams are terminals; `verbose` says which packages
/// directory was picked.
pub fn options(
    args: &SandboxArgs,
    language: &dyn Language,
    executor: &Executor,
    verbose: bool,
) -> Result<RunOptions, Failure> {
    let floor = executor
        .initial_memory_bytes(language)
        .map_err(|e| Failure::Other(anyhow!(e)))?;
    if args.memory < floor {
        let (given, floor_mib) = (args.memory, floor.div_ceil(1 << 20));
        let given = match given % (1 << 20) {
            0 => format!("{}MiB", given >> 20),
            _ => format!("of {given} bytes"),
        };
        return Err(Failure::Usage(format!(
            "--memory {given} is below the {floor_mib} MiB the {} interpreter's memory starts at: give it more than --memory {floor_mib}MiB",
            language.name(),
        )));
    }
    let options = args
        .limits()
        .host_functions(args.grant.open().map_err(|e| Failure::Usage(e.to_string()))?)
        .terminal(Terminal {
            stdin: false,
            stdout: std::io::stdout().is_terminal(),
            stderr: std::io::stderr().is_terminal(),
        });
    args.grant
        .grant_packages(options, language, executor, verbose)
        .map_err(|e| Failure::Other(anyhow!(e)))
}

/// goru's stdin as the guest's, read as the guest reads it.
fn process_stdin(options: RunOptions) -> RunOptions {
    options.stdin_reader(tokio::io::stdin()).terminal(Terminal {
        stdin: std::io::stdin().is_terminal(),
        stdout: std::io::stdout().is_terminal(),
        stderr: std::io::stderr().is_terminal(),
    })
}

/// The guest's stdin, at most `--stdin-limit` of it: `--stdin-file`'s, or
/// else, for FILE, -c or -m, goru's stdin if it is a pipe or a file, as
/// python3's would be. A terminal is not read: the guest is untrusted, and
/// must not wait for, or capture, what a person types unless asked to
/// (--stdin-file -). Code read from stdin leaves the guest none.
fn with_stdin(options: RunOptions, args: &SourceArgs, source: &Source<'_>) -> Result<RunOptions, Failure> {
    let options = options.input_bytes(args.stdin_limit);
    Ok(match args.stdin_file.as_deref() {
        Some(path) if path.as_os_str() == "-" => process_stdin(options),
        Some(path) => {
            let file = std::fs::File::open(path)
                .with_context(|| format!("cannot read --stdin-file {}", path.display()))
                .map_err(Failure::Other)?;
            options.stdin_reader(tokio::fs::File::from_std(file))
        }
        None if matches!(source, Source::Stdin) || std::io::stdin().is_terminal() => options,
        None => process_stdin(options),
    })
}

/// `--lang` if given, else FILE's extension, else python.
fn pick_language(
    lang: Option<&'static dyn Language>,
    source: &Source<'_>,
) -> Result<&'static dyn Language, Failure> {
    if let Some(lang) = lang {
        return Ok(lang);
    }
    match source {
        Source::File(path) => goru::language_for_path(path).ok_or_else(|| {
            Failure::Usage(format!(
                "cannot tell the language of {} from its extension (use .py, .js or .mjs, or pass --lang {})",
                path.display(),
                goru::language_names().join("|"),
            ))
        }),
        Source::Inline(_) | Source::Stdin | Source::Module(_) => goru::language_by_name("python")
            .ok_or_else(|| Failure::Usage("no default language in this build: pass --lang".into())),
    }
}

/// JavaScript named as node names it in stack traces (the file, `<string>`
/// for -c, `<stdin>`), run as an ES module for a `.mjs` file or `--module`;
/// `None` for other languages.
fn named_js(language: &dyn Language, source: &Source<'_>, module: bool) -> Option<goru::JavaScriptFile> {
    if language.name() != goru::JavaScript.name() {
        return None;
    }
    let name = match source {
        Source::Inline(_) => "<string>".to_owned(),
        Source::File(path) => path.display().to_string(),
        Source::Stdin => "<stdin>".to_owned(),
        // -m is Python's; the plain language refuses it clearly.
        Source::Module(_) => return None,
    };
    let file = goru::JavaScriptFile::from_path(name);
    Some(if module { file.into_module() } else { file })
}

/// The code as text, refused (a usage error) if no interpreter may be
/// given it: python3's rule, no NUL characters, for every language.
fn read_code(source: &Source<'_>) -> Result<String, Failure> {
    let bytes = match source {
        Source::Inline(code) => code.as_bytes().to_vec(),
        Source::File(path) => std::fs::read(path)
            .with_context(|| format!("cannot read {}", path.display()))
            .map_err(Failure::Other)?,
        Source::Stdin => read_stdin()?,
        Source::Module(_) => Vec::new(),
    };
    let code = String::from_utf8(bytes)
        .map_err(|_| Failure::Other(anyhow!("{} is not valid UTF-8 text", source_name(source))))?;
    goru::check_code(&code).map_err(|e| Failure::Usage(format!("{}: {e}", source_name(source))))?;
    Ok(code)
}

fn read_stdin() -> Result<Vec<u8>, Failure> {
    let mut stdin = std::io::stdin().lock();
    if stdin.is_terminal() {
        return Err(Failure::Usage(
            "no code given: pass -c CODE or a FILE, or pipe the code on stdin (see goru --help)".into(),
        ));
    }
    let mut bytes = Vec::new();
    stdin
        .read_to_end(&mut bytes)
        .context("cannot read the code from stdin")
        .map_err(Failure::Other)?;
    Ok(bytes)
}

/// How messages name where the code came from.
fn source_name(source: &Source<'_>) -> String {
    match source {
        Source::Inline(_) => "the code of -c".into(),
        Source::File(path) => path.display().to_string(),
        Source::Stdin => "the code on stdin".into(),
        Source::Module(module) => format!("module {module}"),
    }
}

/// A note on stderr for each stream the output cap cut.
pub fn note_truncation(output: &Output, limit: usize) {
    let mut stderr = std::io::stderr().lock();
    for (name, truncated) in [
        ("stdout", output.stdout_truncated),
        ("stderr", output.stderr_truncated),
    ] {
        if truncated {
            let _ = writeln!(stderr, "goru: {name} truncated at {limit} bytes");
        }
    }
}

/// The process status for a guest that ran to its end: its own (goru
/// reports 0..=255, the low 8 bits of what the guest passed to exit), or 1
/// after an uncaught exception.
fn guest_status(exit_code: i32, raised: bool) -> u8 {
    match u8::try_from(exit_code) {
        Ok(0) if raised => exit::EXCEPTION,
        Ok(code) => code,
        // Not from goru's library, which keeps to 0..=255; never success.
        Err(_) => u8::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(guest_status(0, false), 0);
        assert_eq!(guest_status(3, false), 3);
        assert_eq!(guest_status(0, true), 1);
        assert_eq!(guest_status(1, true), 1);
        assert_eq!(guest_status(255, false), 255);
        assert_eq!(guest_status(-1, false), 255);
    }

    #[test]
    fn language_choice() {
        let name = |lang, source| pick_language(lang, &source).map(|l| l.name().to_owned()).ok();
        assert_eq!(name(None, Source::Inline("1")), Some("python".into()));
        assert_eq!(name(None, Source::Stdin), Some("python".into()));
        assert_eq!(name(None, Source::File("a.mjs".as_ref())), Some("js".into()));
        assert_eq!(name(None, Source::File("a.txt".as_ref())), None);
        let js = goru::language_by_name("js");
        assert_eq!(name(js, Source::File("a.py".as_ref())), Some("js".into()));
        assert_eq!(name(js, Source::File("noext".as_ref())), Some("js".into()));
    }
}
