//! Running `python -m pip`: no shell, stdin closed, killed when dropped, its
//! stdout and stderr read line by line into the progress callback and a
//! bounded tail kept for error messages.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

/// The progress callback.
pub(crate) type Progress = Arc<dyn Fn(&str) + Send + Sync>;

/// Lines of output kept for error messages.
const TAIL_LINES: usize = 40;
/// `ERROR:` lines kept, wherever they appear.
const ERROR_LINES: usize = 10;
/// Longest line kept; the rest of a longer line is dropped.
const MAX_LINE: usize = 4096;

/// What a finished pip run said.
#[derive(Debug, Default)]
pub(crate) struct PipOutput {
    /// Exit status (`None` until pip exits).
    pub(crate) status: Option<ExitStatus>,
    /// The last [`TAIL_LINES`] non-empty lines of stdout and stderr.
    pub(crate) tail: VecDeque<String>,
    /// The first [`ERROR_LINES`] lines beginning with `ERROR:`.
    pub(crate) errors: Vec<String>,
    /// The last `WARNING: Retrying ...` line (network trouble), if any.
    pub(crate) retry_warning: Option<String>,
}

impl PipOutput {
    fn push(&mut self, line: &str) {
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

    /// Whether pip exited with status 0.
    pub(crate) fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    /// Whether any kept line contains `needle`.
    pub(crate) fn mentions(&self, needle: &str) -> bool {
        self.tail.iter().chain(&self.errors).any(|l| l.contains(needle))
    }

    /// The last `n` lines, joined.
    pub(crate) fn last_lines(&self, n: usize) -> String {
        let skip = self.tail.len().saturating_sub(n);
        self.tail
            .iter()
            .skip(skip)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Runs `program -m pip ARGS...` to completion, its temporary files in
/// `tmp`. Only starting it can fail
/// here; its exit status is in the output. Dropping the future kills pip.
pub(crate) async fn run(
    program: &OsStr,
    args: &[OsString],
    tmp: &Path,
    progress: Option<&Progress>,
) -> std::io::Result<PipOutput> {
    let mut child = Command::new(program)
        .arg("-m")
        .arg("pip")
        .args(args)
        // pip writes into a directory we choose, never into an environment:
        // a user's `require-virtualenv` or `user` setting would only refuse
        // the --target install. The rest of their configuration (index,
        // certificates, proxy) applies.
        .env("PIP_REQUIRE_VIRTUALENV", "0")
        .env("PIP_USER", "0")
        .env("PYTHONIOENCODING", "utf-8")
        // pip's own temporary files (it unpacks --target installs there
        // first) stay inside our staging directory, so they are removed
        // with it even when pip is killed.
        .env("TMPDIR", tmp)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let output = Mutex::new(PipOutput::default());
    let on_line = |line: &str| {
        if let Some(progress) = progress {
            progress(line);
        }
        if let Ok(mut output) = output.lock() {
            output.push(line);
        }
    };
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    tokio::join!(read_lines(stdout, &on_line), read_lines(stderr, &on_line));
    let status = child.wait().await?;
    let mut output = output
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    output.status = Some(status);
    Ok(output)
}

/// Calls `on_line` with each non-empty line of `reader` (split at `\n` and
/// `\r`, trailing whitespace trimmed, invalid UTF-8 replaced, cut at
/// [`MAX_LINE`] bytes) until end of file or a read error.
async fn read_lines(reader: Option<impl AsyncRead + Unpin>, on_line: &(impl Fn(&str) + ?Sized)) {
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
        let n = match reader.read(&mut chunk).await {
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

    #[tokio::test]
    async fn splits_and_bounds_lines() {
        let mut input = b"one\r\ntwo\rthree\n\n  \nfour\xff".to_vec();
        input.extend(std::iter::repeat_n(b'x', MAX_LINE * 3));
        input.extend(b"\nlast");
        let lines = Mutex::new(Vec::new());
        read_lines(Some(&input[..]), &|l: &str| {
            lines.lock().expect("lock").push(l.to_owned())
        })
        .await;
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
        assert_eq!(output.errors, ["ERROR: first"]);
        assert!(output.mentions("first") && output.mentions("line 99") && !output.mentions("line 5\n"));
        assert_eq!(
            output.last_lines(2),
            "line 99\nWARNING: Retrying (Retry(total=4)) after connection broken"
        );
        assert!(output.retry_warning.is_some());
        assert!(!output.success());
    }
}
