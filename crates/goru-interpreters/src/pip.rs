//! Running `python -m pip`: the one way goru starts pip, for the interpreter
//! fetcher's `pip download` here and for the package installer of the
//! goru-packages crate.
//!
//! No shell, stdin closed, never a prompt or a version check; stdout and
//! stderr are read line by line into a callback, and a bounded tail is kept
//! for error messages. A [`KillSwitch`] stops pip from elsewhere (the
//! installer kills it when its future is dropped).
//!
//! ```no_run
//! use goru_interpreters::pip::{self, Pip};
//!
//! let output = Pip::new(pip::default_python(), "download")
//!     .args(["--no-deps", "--only-binary=:all:", "six==1.17.0", "-d", "wheels"])
//!     .run(|line| eprintln!("pip: {line}"))?;
//! if !output.success() {
//!     eprintln!("pip failed:\n{}", output.last_lines(10));
//! }
//! # Ok::<(), std::io::Error>(())
//! ```

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::io::{self, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::PYTHON_ENV;

/// Lines of output kept for error messages.
const TAIL_LINES: usize = 40;
/// `ERROR:` lines kept, wherever they appear.
const ERROR_LINES: usize = 10;
/// Longest line kept; the rest of a longer line is dropped.
const MAX_LINE: usize = 4096;
/// How often a running pip is checked for having exited. pip runs for
/// seconds, and a kill does not wait for it.
const POLL: Duration = Duration::from_millis(20);

/// The Python that runs pip: [`PYTHON_ENV`] (`$GORU_PYTHON`) if it is set
/// and not empty, else `python3` (looked up on `PATH`).
///
/// ```
/// let python = goru_interpreters::pip::default_python();
/// assert!(!python.is_empty());
/// ```
pub fn default_python() -> OsString {
    std::env::var_os(PYTHON_ENV)
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "python3".into())
}

/// One pip command: `PYTHON -m pip --disable-pip-version-check --no-input
/// COMMAND ARGS...`, with `PYTHONIOENCODING=utf-8` and the given
/// environment on top of the host's (so the user's pip configuration,
/// index, certificates and proxy apply).
#[derive(Debug, Clone)]
pub struct Pip {
    python: OsString,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    kill: KillSwitch,
}

impl Pip {
    /// `python -m pip COMMAND` (`install`, `download`, ...).
    pub fn new(python: impl Into<OsString>, command: &str) -> Self {
        Self {
            python: python.into(),
            args: ["-m", "pip", "--disable-pip-version-check", "--no-input", command]
                .map(OsString::from)
                .into(),
            env: vec![("PYTHONIOENCODING".into(), "utf-8".into())],
            kill: KillSwitch::default(),
        }
    }

    /// Adds one argument.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable for pip.
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Lets `switch` kill this pip while [`Pip::run`] waits for it.
    pub fn kill_switch(mut self, switch: KillSwitch) -> Self {
        self.kill = switch;
        self
    }

    /// The Python program.
    pub fn python(&self) -> &OsStr {
        &self.python
    }

    /// The command line, for messages.
    ///
    /// ```
    /// let pip = goru_interpreters::pip::Pip::new("python3", "download").arg("six");
    /// assert_eq!(
    ///     pip.command_line(),
    ///     "python3 -m pip --disable-pip-version-check --no-input download six"
    /// );
    /// ```
    pub fn command_line(&self) -> String {
        std::iter::once(&self.python)
            .chain(&self.args)
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Runs pip to completion (or until its [`KillSwitch`] kills it),
    /// calling `on_line` with each non-empty line it writes, from the threads
    /// that read them. Only starting pip fails here; how it ended is in the
    /// output.
    pub fn run(&self, on_line: impl Fn(&str) + Sync) -> io::Result<PipOutput> {
        let mut child = Command::new(&self.python)
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        self.kill.started(child);
        let output = Mutex::new(PipOutput::default());
        let on_line = |line: &str| {
            on_line(line);
            output.lock().unwrap_or_else(PoisonError::into_inner).push(line);
        };
        let status = std::thread::scope(|scope| {
            scope.spawn(|| read_lines(stdout, &on_line));
            scope.spawn(|| read_lines(stderr, &on_line));
            self.kill.wait()
        })?;
        let mut output = output.into_inner().unwrap_or_else(PoisonError::into_inner);
        output.status = Some(status);
        Ok(output)
    }
}

/// Kills a running [`Pip`] from another thread, or from a future being
/// dropped. Clones share the switch; a switch that was used kills any pip it
/// is given afterwards at once.
///
/// ```
/// use goru_interpreters::pip::{KillSwitch, Pip};
///
/// let switch = KillSwitch::default();
/// switch.kill();
/// let pip = Pip::new("python3", "download").kill_switch(switch);
/// # let _ = pip;
/// ```
#[derive(Debug, Clone, Default)]
pub struct KillSwitch(Arc<Mutex<Switch>>);

#[derive(Debug, Default)]
struct Switch {
    killed: bool,
    /// The running pip, until it has exited and been reaped.
    child: Option<Child>,
}

impl KillSwitch {
    /// Kills the pip it was given, now or as soon as it starts.
    pub fn kill(&self) {
        let mut switch = self.lock();
        switch.killed = true;
        if let Some(child) = &mut switch.child {
            // It may have exited already; it is not reaped while we hold the lock.
            let _ = child.kill();
        }
    }

    fn lock(&self) -> MutexGuard<'_, Switch> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn started(&self, mut child: Child) {
        let mut switch = self.lock();
        if switch.killed {
            let _ = child.kill();
        }
        switch.child = Some(child);
    }

    /// Waits for the started pip to exit, checking every [`POLL`], so that
    /// [`KillSwitch::kill`] never waits behind it.
    fn wait(&self) -> io::Result<ExitStatus> {
        loop {
            {
                let mut switch = self.lock();
                let child = switch
                    .child
                    .as_mut()
                    .ok_or_else(|| io::Error::other("pip was not started"))?;
                if let Some(status) = child.try_wait()? {
                    switch.child = None;
                    return Ok(status);
                }
            }
            std::thread::sleep(POLL);
        }
    }
}

/// What a finished pip run said.
#[derive(Debug, Default)]
pub struct PipOutput {
    status: Option<ExitStatus>,
    tail: VecDeque<String>,
    errors: Vec<String>,
    retry_warning: Option<String>,
}

impl PipOutput {
    /// Takes one line of pip's output, as [`Pip::run`] does with each.
    pub fn push(&mut self, line: &str) {
        if line.starts_with("ERROR:") && self.errors.len() < ERROR_LINES {
            self.errors.push(line.to_owned());
        }
        if line.starts_with("WARNING: Retrying") {
            self.retry_warning = Some(line.to_owned());
        }
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        self.tail.push_back(line.to_owned());
    }

    /// How pip exited (`None` for an output that never ran).
    pub fn status(&self) -> Option<ExitStatus> {
        self.status
    }

    /// Whether pip exited with status 0.
    pub fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    /// The first few lines beginning with `ERROR:`.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    /// The last `WARNING: Retrying ...` line (network trouble), if any.
    pub fn retry_warning(&self) -> Option<&str> {
        self.retry_warning.as_deref()
    }

    /// Whether any kept line contains `needle`.
    pub fn mentions(&self, needle: &str) -> bool {
        self.tail.iter().chain(&self.errors).any(|l| l.contains(needle))
    }

    /// The last `n` lines (of the few dozen kept), joined.
    pub fn last_lines(&self, n: usize) -> String {
        let skip = self.tail.len().saturating_sub(n);
        self.tail
            .iter()
            .skip(skip)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Calls `on_line` with each non-empty line of `reader` (split at `\n` and
/// `\r`, trailing whitespace trimmed, invalid UTF-8 replaced, cut at
/// [`MAX_LINE`] bytes) until end of file or a read error.
fn read_lines(reader: Option<impl Read>, on_line: &(impl Fn(&str) + ?Sized)) {
    let Some(mut reader) = reader else {
        return;
    };
    let mut chunk = [0u8; 8192];
    let mut line: Vec<u8> = Vec::new();
    let flush = |line: &mut Vec<u8>| {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end();
        if !text.is_empty() {
            on_line(text);
        }
        line.clear();
    };
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &byte in &chunk[..n] {
            if byte == b'\n' || byte == b'\r' {
                flush(&mut line);
            } else if line.len() < MAX_LINE {
                line.push(byte);
            }
        }
    }
    flush(&mut line);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_bounds_lines() {
        let mut input = b"one\r\ntwo\rthree\n\n  \nfour\xff".to_vec();
        input.extend(std::iter::repeat_n(b'x', MAX_LINE * 3));
        input.extend(b"\nlast");
        let lines = Mutex::new(Vec::new());
        read_lines(Some(&input[..]), &|l: &str| {
            lines.lock().expect("lock").push(l.to_owned())
        });
        let lines = lines.into_inner().expect("lock");
        assert_eq!(&lines[..3], ["one", "two", "three"]);
        assert!(lines[3].starts_with("four\u{fffd}xxx"));
        assert_eq!(
            lines[3].len(),
            MAX_LINE + 2,
            "cut at MAX_LINE bytes (one replaced byte is 3)"
        );
        assert_eq!(lines[4], "last");
        assert_eq!(lines.len(), 5);
    }

    #[test]
    fn keeps_a_bounded_tail_and_the_errors() {
        let mut output = PipOutput::default();
        output.push("ERROR: first");
        for i in 0..100 {
            output.push(&format!("line {i}"));
        }
        output.push("WARNING: Retrying (Retry(total=4)) after connection broken");
        assert_eq!(output.tail.len(), TAIL_LINES);
        assert_eq!(output.errors(), ["ERROR: first"]);
        assert!(output.mentions("first") && output.mentions("line 99") && !output.mentions("line 5\n"));
        assert_eq!(
            output.last_lines(2),
            "line 99\nWARNING: Retrying (Retry(total=4)) after connection broken"
        );
        assert!(output.retry_warning().is_some());
        assert!(!output.success());
    }

    /// `sh` stands in for Python: `sh -m pip ...` fails at once, and what
    /// it writes is read; a missing program fails to start.
    #[test]
    fn runs_reads_and_reports_how_it_ended() {
        let lines = Mutex::new(Vec::new());
        let output = Pip::new("sh", "install")
            .run(|line| lines.lock().expect("lock").push(line.to_owned()))
            .expect("sh starts");
        assert!(!output.success() && output.status().is_some());
        assert_eq!(
            lines.into_inner().expect("lock").len(),
            output.last_lines(100).lines().count()
        );
        assert!(Pip::new("/nonexistent/python", "install").run(|_| {}).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_kill_switch_stops_a_running_pip() {
        // A "python" that ignores its arguments and sleeps.
        let dir = tempfile::tempdir().expect("tempdir");
        let python = dir.path().join("python");
        std::fs::write(&python, "#!/bin/sh\nexec sleep 30\n").expect("write");
        std::fs::set_permissions(&python, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        let switch = KillSwitch::default();
        let killer = {
            let switch = switch.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(200));
                switch.kill();
            })
        };
        let started = std::time::Instant::now();
        let output = Pip::new(&python, "install")
            .kill_switch(switch)
            .run(|_| {})
            .expect("runs");
        killer.join().expect("killer");
        assert!(!output.success());
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
    }
}
