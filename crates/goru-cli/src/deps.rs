//! `goru deps`: install, list and remove the pure-Python packages the guest
//! may import, and clear the wheel cache.

use std::path::{Path, PathBuf};

use anyhow::anyhow;
use clap::{Args, Subcommand};
use goru::packages::{self, InstallError, Installer, Requirement, normalize_name};

use goru_server::units;

use crate::failure::Failure;
use crate::run_args::CommonArgs;

/// The packages directory when `--dir` is not given.
pub const DEFAULT_DIR: &str = ".goru/python/packages";

/// Status of a run interrupted by Ctrl-C (128 + SIGINT), as shells report it.
const INTERRUPTED: u8 = 130;

/// Shown after the options in `goru deps --help`.
pub const AFTER_HELP: &str = "\
Examples:
  goru deps install python-dateutil
  goru deps install 'attrs>=23,<25' six==1.16.0 --dir ./packages
  goru deps list
  goru deps remove six
  goru deps cache clear

Only pure-Python wheels (py3-none-any) work in the sandbox's CPython 3.12;
a package built for particular platforms (a C extension such as MarkupSafe)
is refused and named. Dependencies are installed too; an installed version
of a package is replaced. Requirements are NAME[extras] with an optional
version specifier; URLs, paths, markers and pip options are refused.

The machine's pip resolves and downloads the wheels (python3 -m pip, with
your pip configuration: index, certificates, proxy); nothing is built and no
package code runs on the host. Progress goes to stderr, the result to
stdout.

Environment:
  GORU_PYTHON     the Python that runs pip [default: python3]; it needs
                  pip 22.2 or newer
  XDG_CACHE_HOME  the wheel cache is goru/wheels under it [default: the
                  user's cache directory, e.g. ~/.cache/goru/wheels]";

/// `goru deps`'s own subcommands.
#[derive(Debug, Args)]
pub struct DepsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: DepsCommand,
    /// The packages directory (created by install); before or after the
    /// subcommand (`goru deps --dir D list`, as goru takes it, or
    /// `goru deps list --dir D`).
    #[arg(long, value_name = "DIR", default_value = DEFAULT_DIR, global = true)]
    pub dir: PathBuf,
}

/// The subcommands of `goru deps`.
#[derive(Debug, Subcommand)]
pub enum DepsCommand {
    /// Install packages and their dependencies (pure-Python wheels only).
    #[command(after_help = AFTER_HELP)]
    Install {
        /// Package to install: NAME, NAME==VERSION, 'NAME>=1,<2',
        /// NAME[extra]...
        #[arg(
            value_name = "REQUIREMENT",
            required_unless_present = "files",
            value_parser = parse_requirement
        )]
        requirements: Vec<Requirement>,
        /// Install the requirements listed in FILE, one per line (blank
        /// lines and # comments skipped; pip options are refused).
        /// Repeatable.
        #[arg(short = 'r', long = "requirement", value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// List the installed packages, one `NAME VERSION` per line ("No
    /// packages installed." when there are none).
    List,
    /// Remove installed packages (not their dependencies).
    Remove {
        /// Name of a package to remove.
        #[arg(value_name = "NAME", required = true)]
        names: Vec<String>,
    },
    /// The cache of downloaded wheels.
    Cache {
        /// What to do with it.
        #[command(subcommand)]
        command: CacheCommand,
    },
}

/// The subcommands of `goru deps cache`.
#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Delete the wheel cache (later installs download again).
    Clear,
}

fn parse_requirement(text: &str) -> Result<Requirement, String> {
    Requirement::parse(text).map_err(|e| e.to_string())
}

/// Runs `goru deps ...`; status 0 on success.
pub fn deps(args: &DepsArgs, common: &CommonArgs) -> Result<u8, Failure> {
    match &args.command {
        DepsCommand::Install { requirements, files } => {
            let mut all = requirements.clone();
            for file in files {
                all.extend(read_requirements(file)?);
            }
            install(&all, &args.dir, common)
        }
        DepsCommand::List => list(&args.dir),
        DepsCommand::Remove { names } => remove(names, &args.dir),
        DepsCommand::Cache {
            command: CacheCommand::Clear,
        } => clear_cache(),
    }
}

/// The requirements of a requirements file: one per line; blank lines and
/// comments skipped; a line goru cannot take (a pip option, a URL, a
/// marker) is a usage error naming the file and line.
fn read_requirements(file: &Path) -> Result<Vec<Requirement>, Failure> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Failure::Other(anyhow!("cannot read {}: {e}", file.display())))?;
    parse_requirements(&text)
        .map_err(|(line, message)| Failure::Usage(format!("{}, line {line}: {message}", file.display())))
}

/// [`read_requirements`] of the text; the failing line's number and why.
fn parse_requirements(text: &str) -> Result<Vec<Requirement>, (usize, String)> {
    let mut requirements = Vec::new();
    for (number, line) in text.lines().enumerate() {
        // pip's rule: a comment starts at a # at the line's start or after whitespace.
        let line = match line.find(" #").or_else(|| line.starts_with('#').then_some(0)) {
            Some(at) => &line[..at],
            None => line,
        };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        requirements.push(parse_requirement(line).map_err(|message| (number + 1, message))?);
    }
    Ok(requirements)
}

fn install(requirements: &[Requirement], dir: &Path, common: &CommonArgs) -> Result<u8, Failure> {
    let installer = Installer::new()
        .bytecode(crate::run::executor(common)?)
        .progress(|line| eprintln!("  {line}"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Other(anyhow!("starting a runtime: {e}")))?;
    let installed = runtime.block_on(async {
        tokio::select! {
            installed = installer.install(dir, requirements) => Some(installed),
            // Dropping the install kills pip and removes the staging tree.
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    let Some(installed) = installed else {
        eprintln!("goru: interrupted; nothing was installed");
        return Ok(INTERRUPTED);
    };
    let installed = installed.map_err(failure)?;
    let list: Vec<String> = installed
        .iter()
        .map(|d| format!("{} {}", d.name, d.version))
        .collect();
    println!("installed {} into {}", list.join(", "), dir.display());
    Ok(0)
}

fn list(dir: &Path) -> Result<u8, Failure> {
    let installed = packages::installed(dir).map_err(failure)?;
    let unmanaged = packages::unmanaged(dir).map_err(failure)?;
    if installed.is_empty() && unmanaged.is_empty() {
        println!("No packages installed.");
    }
    for dist in installed {
        println!("{} {}", dist.name, dist.version);
    }
    warn_unmanaged(&unmanaged, dir);
    Ok(0)
}

/// Says which entries of `dir` goru deps cannot name or remove, and why.
fn warn_unmanaged(unmanaged: &[String], dir: &Path) {
    if !unmanaged.is_empty() {
        eprintln!(
            "goru: {} in {} came without .dist-info metadata (put there by another installer, \
             such as goru (Go)'s): goru deps can neither list nor remove them; reinstall them with \
             goru deps install",
            unmanaged.join(", "),
            dir.display()
        );
    }
}

/// Removes every named package, or none when one is not installed.
fn remove(names: &[String], dir: &Path) -> Result<u8, Failure> {
    let installed = packages::installed(dir).map_err(failure)?;
    if let Some(missing) = names.iter().find(|name| {
        !installed
            .iter()
            .any(|d| normalize_name(&d.name) == normalize_name(name))
    }) {
        warn_unmanaged(&packages::unmanaged(dir).map_err(failure)?, dir);
        return Err(failure(InstallError::NotInstalled {
            name: missing.clone(),
        }));
    }
    for name in names {
        let removed = packages::remove(dir, name).map_err(failure)?;
        println!(
            "removed {} {} from {}",
            removed.name,
            removed.version,
            dir.display()
        );
    }
    Ok(0)
}

fn clear_cache() -> Result<u8, Failure> {
    let installer = Installer::new();
    let Some(cache) = Installer::default_cache_dir() else {
        println!("no wheel cache (no user cache directory)");
        return Ok(0);
    };
    let freed = installer.clear_cache().map_err(failure)?;
    println!(
        "cleared the wheel cache {} ({} freed)",
        cache.display(),
        units::format_size(freed)
    );
    Ok(0)
}

fn failure(error: InstallError) -> Failure {
    match error {
        InstallError::InvalidRequirement(e) => Failure::Usage(format!("{e} (see goru deps --help)")),
        other => Failure::Other(anyhow!(other)),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn parse_deps(argv: &[&str]) -> DepsArgs {
        match Cli::try_parse_from(argv).expect("parses").command {
            Some(Command::Deps(deps)) => deps,
            other => panic!("expected goru deps: {other:?}"),
        }
    }

    fn parse(argv: &[&str]) -> DepsCommand {
        parse_deps(argv).command
    }

    #[test]
    fn subcommands_and_defaults() {
        let deps = parse_deps(&["goru", "deps", "install", "six==1.16.0", "attrs>=23,<25"]);
        let DepsCommand::Install { requirements, .. } = deps.command else {
            panic!("install")
        };
        let texts: Vec<String> = requirements.iter().map(ToString::to_string).collect();
        assert_eq!(texts, ["six==1.16.0", "attrs>=23,<25"]);
        assert_eq!(deps.dir, Path::new(DEFAULT_DIR));

        for argv in [
            &["goru", "deps", "list", "--dir", "x"],
            &["goru", "deps", "--dir", "x", "list"],
        ] {
            let deps = parse_deps(argv);
            assert!(matches!(deps.command, DepsCommand::List), "{argv:?}");
            assert_eq!(deps.dir, Path::new("x"), "{argv:?}");
        }
        let DepsCommand::Remove { names, .. } = parse(&["goru", "deps", "remove", "a", "b"]) else {
            panic!("remove")
        };
        assert_eq!(names, ["a", "b"]);
        assert!(matches!(
            parse(&["goru", "deps", "cache", "clear"]),
            DepsCommand::Cache {
                command: CacheCommand::Clear
            }
        ));
    }

    #[test]
    fn requirements_files() {
        let parsed = parse_requirements("# pinned\nsix==1.16.0  # why\n\n  attrs>=23\n").expect("parses");
        let names: Vec<String> = parsed.iter().map(|r| r.to_string()).collect();
        assert_eq!(names, ["six==1.16.0", "attrs>=23"]);
        let (line, message) = parse_requirements("six\n--index-url http://x\n").expect_err("an option");
        assert_eq!(line, 2);
        assert!(message.contains("option"), "{message}");
        let DepsCommand::Install {
            files, requirements, ..
        } = parse(&["goru", "deps", "install", "-r", "req.txt"])
        else {
            panic!("install")
        };
        assert_eq!((files.len(), requirements.len()), (1, 0));
    }

    #[test]
    fn refuses_bad_command_lines() {
        for argv in [
            &["goru", "deps"][..],
            &["goru", "deps", "install"],
            &["goru", "deps", "install", "six @ https://x"],
            &["goru", "deps", "install", "six=1.0"],
            &["goru", "deps", "remove"],
            &["goru", "deps", "cache"],
        ] {
            assert!(Cli::try_parse_from(argv).is_err(), "{argv:?}");
        }
    }
}
