//! What the server grants each run: limits, capabilities and packages; the
//! run options made from them, and the words the tool descriptions use.

use std::time::Duration;

use goru::hostfn::fs::MountMode;
use goru::{Capabilities, Executor, InstallPolicy, Language, Limits, Packages, RunOptions};
use goru_server::units::format_size;

use crate::tools::human_duration;

/// Most installed packages a description names.
const NAMED_PACKAGES: usize = 40;

/// The server's configuration of every run and session.
#[derive(Debug, Clone)]
pub struct Grant {
    /// Every run's limits; `limits.timeout` is also the most a call may ask for.
    pub limits: Limits,
    /// Granted afresh to every run and every session (a new key-value store each).
    pub capabilities: Capabilities,
    /// The packages directory of Python runs, and whether they may install.
    pub packages: Option<Packages>,
    /// Most sessions open at once.
    pub max_sessions: usize,
    /// Idle time after which a session is closed.
    pub session_ttl: Duration,
}

impl Grant {
    /// The options of one run (or session) of `language`, whose timeout is
    /// `timeout` when given (at most the server's): the limits, a fresh
    /// grant of the capabilities, the packages for Python, and `stdin`.
    pub fn options(
        &self,
        language: &dyn Language,
        timeout: Option<Duration>,
        stdin: Vec<u8>,
        executor: &Executor,
    ) -> Result<RunOptions, goru::Error> {
        let limits = &self.limits;
        let timeout = timeout.map_or(limits.timeout, |t| t.min(limits.timeout));
        let functions = self
            .capabilities
            .open()
            .map_err(|e| goru::Error::InvalidOption(e.to_string()))?;
        let options = RunOptions::new()
            .timeout(timeout)
            .memory_bytes(limits.memory_bytes)
            .output_bytes(limits.output_bytes)
            .scratch_fs_bytes(limits.scratch_fs_bytes)
            .scratch_fs_entries(limits.scratch_fs_entries)
            .open_files(limits.open_files)
            .host_calls(limits.host_calls)
            .host_frame_bytes(limits.host_frame_bytes)
            .host_calls_in_flight(limits.host_calls_in_flight)
            .host_functions(functions)
            .stdin(stdin);
        match &self.packages {
            Some(packages) if language.name() == goru::Python.name() => packages.grant(options, executor),
            _ => Ok(options),
        }
    }

    /// Whether the server offers `install_package`.
    pub fn installs(&self) -> bool {
        self.packages
            .as_ref()
            .is_some_and(|p| *p.install_policy() != InstallPolicy::Nothing)
    }

    /// What a run of `language` may reach, for its tool description.
    pub fn describe(&self, language: &dyn Language) -> String {
        let python = language.name() == goru::Python.name();
        let mut granted = Vec::new();
        if self.capabilities.grants_kv() {
            granted.push(
                "a key-value store (kv.set(key, value), kv.get(key), kv.delete(key), kv.keys()), \
                 empty at the start of each run or session"
                    .to_owned(),
            );
        }
        if let Some(http) = self.capabilities.http() {
            let call = if python {
                "http.get(url) / http.post(url, body=...)"
            } else {
                "http.get(url) / http.post(url, {body})"
            };
            granted.push(format!(
                "HTTP requests with {call} to these hosts (and their subdomains) only: {}",
                http.allowed_hosts().join(", ")
            ));
        }
        if !self.capabilities.mounts().is_empty() {
            let mounts: Vec<String> = self
                .capabilities
                .mounts()
                .iter()
                .map(|m| format!("{} ({})", m.virtual_path(), mode_text(m.mode())))
                .collect();
            let call = if python {
                "fs.read_text(path), fs.write_text(path, text), fs.listdir(path)"
            } else {
                "fs.readText(path), fs.writeText(path, text), fs.listdir(path)"
            };
            granted.push(format!("directories through {call}: {}", mounts.join(", ")));
        }
        if python && let Some(packages) = &self.packages {
            granted.push(packages_text(packages));
        }
        if granted.is_empty() {
            "nothing: no network, no host files, no key-value store.".to_owned()
        } else {
            format!(
                "{}. Nothing else: no other network or host files.",
                granted.join("; ")
            )
        }
    }

    /// The limits of every run, for the tool descriptions.
    pub fn limits_text(&self) -> String {
        format!(
            "{} per run (the timeout argument may lower it), memory {}, output {} per stream \
             (the rest is cut off and the result says truncated).",
            human_duration(self.limits.timeout),
            format_size(self.limits.memory_bytes),
            format_size(self.limits.output_bytes as u64),
        )
    }

    /// What `install_package` may install, if the server offers it.
    pub fn install_text(&self) -> Option<String> {
        match self.packages.as_ref()?.install_policy() {
            InstallPolicy::Any => Some("Any package may be installed.".to_owned()),
            InstallPolicy::Only(names) => {
                let mut names: Vec<&str> = names.iter().map(String::as_str).collect();
                names.sort_unstable();
                Some(format!("Only these may be installed: {}.", names.join(", ")))
            }
            InstallPolicy::Nothing => None,
        }
    }
}

fn mode_text(mode: MountMode) -> &'static str {
    match mode {
        MountMode::ReadOnly => "read-only",
        MountMode::ReadWrite => "read and write existing files",
        MountMode::ReadWriteCreate => "read, write and create",
    }
}

/// The packages Python may import, named as far as they fit.
fn packages_text(packages: &Packages) -> String {
    let installed = goru::packages::installed(packages.dir()).unwrap_or_default();
    let mut text = String::from("import of the packages installed in /packages");
    if installed.is_empty() {
        text.push_str(" (none yet)");
    } else {
        let names: Vec<String> = installed
            .iter()
            .take(NAMED_PACKAGES)
            .map(|d| format!("{} {}", d.name, d.version))
            .collect();
        let more = installed.len().saturating_sub(NAMED_PACKAGES);
        text.push_str(&format!(": {}", names.join(", ")));
        if more > 0 {
            text.push_str(&format!(" and {more} more"));
        }
    }
    if *packages.install_policy() != InstallPolicy::Nothing {
        text.push_str("; install_pkg(name) installs more");
    }
    text
}

#[cfg(test)]
mod tests {
    use goru::hostfn::fs::Mount;

    use super::*;

    fn grant(capabilities: Capabilities, packages: Option<Packages>) -> Grant {
        Grant {
            limits: Limits::default(),
            capabilities,
            packages,
            max_sessions: 4,
            session_ttl: Duration::from_secs(60),
        }
    }

    #[test]
    fn nothing_granted_says_so() {
        let grant = grant(Capabilities::new(), None);
        assert!(grant.describe(&goru::Python).starts_with("nothing"));
        assert!(!grant.installs() && grant.install_text().is_none());
        assert_eq!(
            grant.limits_text(),
            "30 s per run (the timeout argument may lower it), memory 256 MiB, output 1 MiB per \
             stream (the rest is cut off and the result says truncated)."
        );
    }

    #[test]
    fn grants_are_named_without_host_paths() {
        let dir = tempfile::tempdir().expect("temp dir");
        let capabilities = Capabilities::new()
            .kv()
            .allow_host("api.example.com")
            .mount(Mount::new("/data", dir.path(), MountMode::ReadOnly));
        let packages = Packages::new(dir.path(), InstallPolicy::only(["six", "attrs"]));
        let grant = grant(capabilities, Some(packages));
        let python = grant.describe(&goru::Python);
        for needle in [
            "kv.set",
            "api.example.com",
            "/data (read-only)",
            "fs.read_text",
            "/packages",
        ] {
            assert!(python.contains(needle), "{needle}: {python}");
        }
        let js = grant.describe(&goru::JavaScript);
        assert!(js.contains("fs.readText") && !js.contains("/packages"), "{js}");
        let host = dir.path().to_string_lossy();
        assert!(!python.contains(host.as_ref()) && !js.contains(host.as_ref()));
        assert!(grant.installs());
        assert_eq!(
            grant.install_text().as_deref(),
            Some("Only these may be installed: attrs, six.")
        );
    }
}
