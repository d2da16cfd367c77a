//! The package installer against the real package index, through the
//! machine's pip. All tests share one wheel cache under the target
//! directory, so a second run downloads (almost) nothing.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use goru_packages::{self as packages, Distribution, InstallError, Installer, Requirement};

fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("goru-wheel-cache")
}

fn installer() -> Installer {
    Installer::new().cache_dir(cache_dir())
}

fn reqs(texts: &[&str]) -> Vec<Requirement> {
    texts
        .iter()
        .map(|t| Requirement::parse(t).expect("valid requirement"))
        .collect()
}

fn dist(name: &str, version: &str) -> Distribution {
    Distribution {
        name: name.into(),
        version: version.into(),
    }
}

fn names(dists: &[Distribution]) -> Vec<&str> {
    dists.iter().map(|d| d.name.as_str()).collect()
}

/// Nothing of an install is left in `<dir>/.goru` but the lock file.
fn assert_no_staging_left(dir: &Path) {
    let left: Vec<String> = std::fs::read_dir(dir.join(".goru"))
        .expect("reading .goru")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["lock"], "staging left behind");
}

#[tokio::test]
async fn installs_with_dependencies_reinstalls_and_removes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("packages");
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = Arc::clone(&lines);
    let installer = installer().progress(move |line| sink.lock().expect("lock").push(line.to_owned()));

    let installed = installer
        .install(&root, &reqs(&["python-dateutil==2.9.0.post0"]))
        .await
        .expect("installing python-dateutil");
    assert_eq!(names(&installed), ["python-dateutil", "six"], "{installed:?}");
    assert_eq!(installed[0].version, "2.9.0.post0");
    let six_version = installed[1].version.clone();
    assert!(root.join("dateutil/parser/__init__.py").is_file());
    assert!(root.join("six.py").is_file());
    assert!(root.join(format!("six-{six_version}.dist-info/RECORD")).is_file());
    assert_eq!(packages::installed(&root).expect("listing"), installed);
    assert_no_staging_left(&root);
    {
        let lines = lines.lock().expect("lock");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("resolving python-dateutil==2.9.0.post0")),
            "{lines:?}"
        );
        assert!(
            lines.iter().any(|l| l.contains("Collecting six")),
            "pip's own lines: {lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("installed python-dateutil 2.9.0.post0, six")),
            "{lines:?}"
        );
    }

    // Another version of six replaces the one installed.
    assert_ne!(six_version, "1.16.0");
    let installed = installer
        .install(&root, &reqs(&["six==1.16.0"]))
        .await
        .expect("installing six 1.16.0");
    assert_eq!(installed, [dist("six", "1.16.0")]);
    assert!(!root.join(format!("six-{six_version}.dist-info")).exists());
    assert!(root.join("six-1.16.0.dist-info").is_dir());
    assert!(
        std::fs::read_to_string(root.join("six.py"))
            .expect("six.py")
            .contains("__version__ = \"1.16.0\"")
    );
    assert_eq!(
        packages::installed(&root).expect("listing"),
        [dist("python-dateutil", "2.9.0.post0"), dist("six", "1.16.0")]
    );

    // Removing six leaves python-dateutil whole.
    assert_eq!(
        packages::remove(&root, "Six").expect("removing six"),
        dist("six", "1.16.0")
    );
    assert!(!root.join("six.py").exists() && !root.join("six-1.16.0.dist-info").exists());
    assert!(root.join("dateutil/parser/__init__.py").is_file());
    assert_eq!(
        packages::installed(&root).expect("listing"),
        [dist("python-dateutil", "2.9.0.post0")]
    );
    assert!(matches!(
        packages::remove(&root, "six"),
        Err(InstallError::NotInstalled { .. })
    ));
    assert_no_staging_left(&root);
}

#[tokio::test]
async fn refuses_a_dependency_with_only_platform_wheels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let error = installer()
        .install(dir.path(), &reqs(&["jinja2"]))
        .await
        .expect_err("jinja2 needs MarkupSafe, a C extension");
    let InstallError::NotPurePython { packages } = &error else {
        panic!("expected NotPurePython, got {error:?}")
    };
    assert!(
        packages.iter().any(|(name, _, _)| name == "MarkupSafe"),
        "{packages:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("MarkupSafe") && message.contains("not pure Python"),
        "{message}"
    );
    assert!(packages::installed(dir.path()).expect("listing").is_empty());
    assert_no_staging_left(dir.path());
}

#[tokio::test]
async fn refuses_a_package_with_only_platform_wheels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let error = installer()
        .install(dir.path(), &reqs(&["markupsafe"]))
        .await
        .expect_err("MarkupSafe is a C extension");
    let InstallError::NotPurePython { packages } = &error else {
        panic!("expected NotPurePython, got {error:?}")
    };
    assert_eq!(packages.len(), 1, "{packages:?}");
    let (name, _, wheel) = &packages[0];
    assert_eq!(name, "MarkupSafe");
    assert!(
        wheel.starts_with("markupsafe-") && !wheel.ends_with("-none-any.whl"),
        "{wheel}"
    );
}

#[tokio::test]
async fn an_unknown_package_is_a_resolution_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let error = installer()
        .install(dir.path(), &reqs(&["goru-test-no-such-package-7f3a9c"]))
        .await
        .expect_err("no such package");
    let InstallError::Resolution { message } = &error else {
        panic!("expected Resolution, got {error:?}")
    };
    assert!(message.contains("goru-test-no-such-package-7f3a9c"), "{message}");
    assert!(!message.contains("ERROR:"), "{message}");
}

#[tokio::test]
async fn a_missing_python_is_pip_unavailable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let error = installer()
        .python("/nonexistent/python3")
        .install(dir.path(), &reqs(&["six"]))
        .await
        .expect_err("no python");
    assert!(matches!(error, InstallError::PipUnavailable { .. }), "{error:?}");
    assert!(error.to_string().contains("/nonexistent/python3"), "{error}");
    assert_no_staging_left(dir.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_installs_into_one_directory_take_turns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let installer = installer();
    let first_reqs = reqs(&["six==1.17.0"]);
    let second_reqs = reqs(&["python-dateutil==2.9.0.post0", "six==1.17.0"]);
    let (first, second) = tokio::join!(
        installer.install(dir.path(), &first_reqs),
        installer.install(dir.path(), &second_reqs),
    );
    assert_eq!(first.expect("first install"), [dist("six", "1.17.0")]);
    assert_eq!(
        names(&second.expect("second install")),
        ["python-dateutil", "six"]
    );
    assert_eq!(
        packages::installed(dir.path()).expect("listing"),
        [dist("python-dateutil", "2.9.0.post0"), dist("six", "1.17.0")]
    );
    let six_infos = std::fs::read_dir(dir.path())
        .expect("read")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().starts_with("six-"))
        })
        .count();
    assert_eq!(six_infos, 1, "one six dist-info");
    assert_no_staging_left(dir.path());
}
