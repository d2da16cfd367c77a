//! The capability flags (`--kv`, `--allow-host`, `--mount`, the packages
//! flags and their limits), shared by every subcommand that runs code.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use goru::hostfn::fs::{FsConfig, Mount};
use goru::hostfn::http::HttpConfig;
use goru::hostfn::kv::KvConfig;
use goru::hostfn::{Capabilities, Granted};
use goru::packages::{InstallPolicy, Packages};
use goru::{Executor, Language, RunOptions};

use goru_server::units;

use crate::deps::DEFAULT_DIR;

/// What the guest may reach. Nothing unless a flag grants it.
#[derive(Debug, Args)]
#[command(next_help_heading = "Capabilities (all off by default)")]
pub struct GrantArgs {
    /// Give the guest a key-value store (kv.get/kv.set/..., empty at start).
    #[arg(long)]
    pub kv: bool,

    /// Let the guest make HTTP requests to HOST (and its subdomains); HOST may
    /// carry a port (api.example.com:8443). Repeatable.
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_hosts: Vec<String>,

    /// Mount host directory HOST_DIR at VIRTUAL with MODE ro (read), rw (read
    /// and write existing files) or rwc (also create). Repeatable.
    /// Example: --mount /data:./input:ro
    #[arg(long = "mount", value_name = "VIRTUAL:HOST_DIR:MODE", value_parser = parse_mount)]
    pub mounts: Vec<Mount>,

    /// Let Python import the packages in DIR (e.g. installed with `goru deps
    /// install`): it is on sys.path as /packages, read-only. Default:
    /// .goru/python/packages, if that directory exists.
    #[arg(long, value_name = "DIR")]
    pub packages: Option<PathBuf>,

    /// Give Python no packages directory, not even the default one.
    #[arg(long, conflicts_with = "packages")]
    pub no_packages: bool,

    /// Let the guest install any pure-Python package (and its dependencies)
    /// into --packages DIR with install_pkg(name, version=None).
    #[arg(long, alias = "allow-pkg-install", requires = "packages")]
    pub package_install: bool,

    /// Let the guest install package NAME (and its dependencies) into
    /// --packages DIR with install_pkg(). Repeatable.
    #[arg(
        long = "allow-package",
        alias = "allow-pkg",
        value_name = "NAME",
        requires = "packages",
        conflicts_with = "package_install"
    )]
    pub allowed_packages: Vec<String>,

    /// Most entries in the key-value store.
    #[arg(long, value_name = "N", default_value_t = KvConfig::new().max_entries)]
    pub kv_max_entries: usize,

    /// Longest key of the key-value store.
    #[arg(long, value_name = "SIZE", default_value = "256", value_parser = units::parse_size_usize)]
    pub kv_max_key_size: usize,

    /// Largest value of the key-value store (its JSON text).
    #[arg(long, value_name = "SIZE", default_value = "64KiB", value_parser = units::parse_size_usize)]
    pub kv_max_value_size: usize,

    /// Most bytes of keys and values in the key-value store.
    #[arg(long, value_name = "SIZE", default_value = "10MiB", value_parser = units::parse_size_usize)]
    pub kv_max_total_size: usize,

    /// Time limit of one HTTP request, redirects included.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = units::parse_duration)]
    pub http_timeout: Duration,

    /// Bytes kept of an HTTP response body (the rest is cut off); also the
    /// largest request body.
    #[arg(long, value_name = "SIZE", default_value = "1MiB", value_parser = units::parse_size_usize)]
    pub http_max_body: usize,

    /// Longest URL, in characters.
    #[arg(long, alias = "http-max-url", value_name = "N", default_value_t = 8192)]
    pub http_max_url_length: usize,

    /// Largest file the guest may read from a mount.
    #[arg(long, alias = "fs-max-file", value_name = "SIZE", default_value = "10MiB", value_parser = units::parse_size)]
    pub fs_max_read: u64,

    /// Largest file the guest may write to a mount.
    #[arg(long, value_name = "SIZE", default_value = "10MiB", value_parser = units::parse_size)]
    pub fs_max_write: u64,

    /// Longest path the guest may use, in characters.
    #[arg(long, alias = "fs-max-path", value_name = "N", default_value_t = 4096)]
    pub fs_max_path_length: usize,

    /// Most host calls (capability and custom) one run may make.
    #[arg(long, value_name = "N", default_value_t = goru::Limits::default().host_calls)]
    pub max_host_calls: usize,
}

impl GrantArgs {
    /// The capabilities the flags describe.
    pub fn capabilities(&self) -> Capabilities {
        let mut capabilities = Capabilities::new();
        if self.kv {
            capabilities = capabilities.kv_config(
                KvConfig::new()
                    .max_entries(self.kv_max_entries)
                    .max_key_bytes(self.kv_max_key_size)
                    .max_value_bytes(self.kv_max_value_size)
                    .max_total_bytes(self.kv_max_total_size),
            );
        }
        if !self.allow_hosts.is_empty() {
            let config = self.allow_hosts.iter().fold(
                HttpConfig::new()
                    .timeout(self.http_timeout)
                    .max_body_bytes(self.http_max_body)
                    .max_url_length(self.http_max_url_length),
                |config, host| config.allow_host(host.clone()),
            );
            capabilities = capabilities.http_config(config);
        }
        for mount in &self.mounts {
            capabilities = capabilities.mount(mount.clone());
        }
        capabilities.fs_config(
            FsConfig::new()
                .max_read_bytes(self.fs_max_read)
                .max_write_bytes(self.fs_max_write)
                .max_path_length(self.fs_max_path_length),
        )
    }

    /// The packages directory and install policy of the flags, if any.
    pub fn packages(&self) -> Option<Packages> {
        let dir = self.packages.as_ref()?;
        Some(self.packages_in(dir))
    }

    /// [`GrantArgs::packages`] with `dir` as the directory.
    fn packages_in(&self, dir: &Path) -> Packages {
        let policy = if !self.allowed_packages.is_empty() {
            InstallPolicy::only(self.allowed_packages.iter().cloned())
        } else if self.package_install {
            InstallPolicy::Any
        } else {
            InstallPolicy::Nothing
        };
        Packages::new(dir, policy)
    }

    /// `options` granting runs of `language` the packages of the flags
    /// (installs byte-compiled by `executor`); only Python has packages.
    pub fn grant_packages(
        &self,
        options: RunOptions,
        language: &dyn Language,
        executor: &Executor,
        verbose: bool,
    ) -> Result<RunOptions, String> {
        let packages = match self.packages() {
            Some(packages) => packages,
            None if self.no_packages || language.name() != "python" => return Ok(options),
            None => {
                // Where `goru deps install` puts them, if it did.
                let dir = Path::new(DEFAULT_DIR);
                if !dir.is_dir() {
                    return Ok(options);
                }
                if verbose {
                    eprintln!("goru: using the packages in {DEFAULT_DIR} (--no-packages: none)");
                }
                self.packages_in(dir)
            }
        };
        if language.name() != "python" {
            return Err(format!(
                "--packages: the {} language has no packages directory",
                language.name()
            ));
        }
        packages.grant(options, executor).map_err(|e| e.to_string())
    }

    /// The host functions of one run.
    pub fn open(&self) -> Result<std::sync::Arc<Granted>, goru::CapabilityError> {
        self.capabilities().open()
    }
}

fn parse_mount(spec: &str) -> Result<Mount, String> {
    Mount::parse(spec).map_err(|e| e.to_string())
}
