//! `goru deps`: installing from the real package index through the
//! machine's pip, listing, removing, refusals and the wheel cache. Runs no
//! guest, so the interpreters are never compiled here.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::Outcome;

/// The user cache directory the tests share (`$XDG_CACHE_HOME`): the wheel
/// cache is `goru/wheels` under it.
fn shared_cache_home() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("goru-cli-deps-cache")
}

/// Runs `goru deps ARGS...` with `cache_home` as the user cache directory.
fn deps_with_cache(cache_home: &Path, args: &[&str]) -> Outcome {
    let out = Command::new(env!("CARGO_BIN_EXE_goru"))
        .arg("deps")
        .args(args)
        .env("XDG_CACHE_HOME", cache_home)
        .env_remove("GORU_PYTHON")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("running goru deps");
    Outcome {
        status: out.status.code(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn deps(args: &[&str]) -> Outcome {
    deps_with_cache(&shared_cache_home(), args)
}

fn path(dir: &tempfile::TempDir) -> String {
    dir.path()
        .join("packages")
        .to_str()
        .expect("utf-8 temp path")
        .to_owned()
}

#[test]
fn install_list_and_remove() {
    let dir = tempfile::tempdir().expect("tempdir");
    let packages = path(&dir);

    let out = deps(&["install", "python-dateutil==2.9.0.post0", "--dir", &packages]);
    assert_eq!(out.status, Some(0), "{out:?}");
    let summary = out.stdout();
    let expected_start = "installed python-dateutil 2.9.0.post0, six ";
    assert!(summary.starts_with(expected_start), "{summary}");
    assert!(summary.ends_with(&format!(" into {packages}\n")), "{summary}");
    let six = summary[expected_start.len()..]
        .split(' ')
        .next()
        .expect("six's version")
        .to_owned();
    assert!(
        out.stderr
            .lines()
            .any(|l| l.starts_with("  ") && l.contains("Collecting six")),
        "progress on stderr: {}",
        out.stderr
    );
    assert!(out.goru_lines().is_empty(), "{out:?}");
    assert!(Path::new(&packages).join("dateutil/__init__.py").is_file());

    let out = deps(&["list", "--dir", &packages]);
    assert_eq!(out.status, Some(0), "{out:?}");
    assert_eq!(out.stdout(), format!("python-dateutil 2.9.0.post0\nsix {six}\n"));

    // One unknown name: nothing is removed.
    let out = deps(&["remove", "six", "no-such-dist", "--dir", &packages]);
    assert_eq!(out.status, Some(1), "{out:?}");
    assert_eq!(out.goru_lines(), ["goru: no-such-dist is not installed"]);
    assert!(Path::new(&packages).join("six.py").is_file());

    let out = deps(&["remove", "Six", "--dir", &packages]);
    assert_eq!(out.status, Some(0), "{out:?}");
    assert_eq!(out.stdout(), format!("removed six {six} from {packages}\n"));
    assert!(!Path::new(&packages).join("six.py").exists());

    let out = deps(&["list", "--dir", &packages]);
    assert_eq!(out.stdout(), "python-dateutil 2.9.0.post0\n", "{out:?}");
}

#[test]
fn list_of_a_missing_directory_says_no_packages() {
    let dir = tempfile::tempdir().expect("tempdir");
    // As goru (Go) says it, and with --dir before the subcommand as goru takes it.
    for args in [
        &["list", "--dir", &path(&dir)][..],
        &["--dir", &path(&dir), "list"],
    ] {
        let out = deps(args);
        assert_eq!(out.status, Some(0), "{out:?}");
        assert_eq!(out.stdout(), "No packages installed.\n", "{args:?}");
        assert_eq!(out.stderr, "");
    }
    assert!(!dir.path().join("packages").exists(), "list creates nothing");
}

/// A directory goru (Go)'s installer filled: package folders without
/// `.dist-info`. goru deps says it cannot manage them, and why.
#[test]
fn packages_without_metadata_are_named_not_managed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let packages = path(&dir);
    std::fs::create_dir_all(Path::new(&packages).join("requests")).unwrap();
    std::fs::write(Path::new(&packages).join("requests/__init__.py"), "").unwrap();
    let out = deps(&["--dir", &packages, "list"]);
    assert_eq!(out.status, Some(0), "{out:?}");
    assert_eq!(out.stdout(), "", "nothing it can name");
    assert!(
        out.stderr.contains("requests in") && out.stderr.contains("without .dist-info"),
        "{}",
        out.stderr
    );
    let out = deps(&["--dir", &packages, "remove", "requests"]);
    assert_eq!(out.status, Some(1), "{out:?}");
    assert!(out.stderr.contains("neither list nor remove"), "{}", out.stderr);
    assert!(
        Path::new(&packages).join("requests/__init__.py").exists(),
        "nothing removed"
    );
}

#[test]
fn c_extensions_are_refused_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let packages = path(&dir);
    let out = deps(&["install", "markupsafe", "--dir", &packages]);
    assert_eq!(out.status, Some(1), "{out:?}");
    let lines = out.goru_lines();
    assert_eq!(lines.len(), 1, "{out:?}");
    assert!(
        lines[0].contains("MarkupSafe") && lines[0].contains("not pure Python"),
        "{}",
        lines[0]
    );
    assert_eq!(out.stdout(), "");
    assert_eq!(
        deps(&["list", "--dir", &packages]).stdout(),
        "No packages installed.\n"
    );
}

#[test]
fn invalid_requirements_are_usage_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let packages = path(&dir);
    for requirement in [
        "six @ https://example.com/six.whl",
        "six=1.0",
        "six; os_name == 'nt'",
        "../six",
    ] {
        let out = deps(&["install", requirement, "--dir", &packages]);
        assert_eq!(out.status, Some(2), "{requirement}: {out:?}");
        assert_eq!(out.goru_lines().len(), 1, "{requirement}: {out:?}");
    }
    let out = deps(&["install", "--dir", &packages, "--", "-r/etc/passwd"]);
    assert_eq!(out.status, Some(2), "{out:?}");
    assert!(out.stderr.contains("options"), "{out:?}");
    assert!(!dir.path().join("packages").exists(), "nothing ran");
}

#[test]
fn cache_clear_removes_the_wheel_cache() {
    let home = tempfile::tempdir().expect("tempdir");
    let wheels = home.path().join("goru").join("wheels");
    std::fs::create_dir_all(wheels.join("http")).expect("mkdir");
    std::fs::write(wheels.join("http").join("entry"), [0u8; 2048]).expect("write");

    let out = deps_with_cache(home.path(), &["cache", "clear"]);
    assert_eq!(out.status, Some(0), "{out:?}");
    assert_eq!(
        out.stdout(),
        format!("cleared the wheel cache {} (2 KiB freed)\n", wheels.display())
    );
    assert!(!wheels.exists());

    let out = deps_with_cache(home.path(), &["cache", "clear"]);
    assert_eq!(out.status, Some(0), "{out:?}");
    assert!(out.stdout().ends_with("(0 bytes freed)\n"), "{out:?}");
}

#[test]
fn help_has_examples() {
    let out = deps(&["--help"]);
    assert_eq!(out.status, Some(0), "{out:?}");
    let help = out.stdout();
    assert!(help.contains("goru deps install python-dateutil"), "{help}");
    assert!(help.contains("install") && help.contains("cache"), "{help}");
}
