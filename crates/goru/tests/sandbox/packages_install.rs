//! `install_pkg` against the real package index (through the machine's pip):
//! installed packages import in the same stateless run and in a session,
//! dependencies come along, and packages with C extensions are refused.

use std::path::Path;
use std::time::Duration;

use goru::{Error, InstallPolicy, Python, RunOptions};

use crate::common::{executor, run_ok, with_packages};

/// Installing resolves and downloads: allow for a slow index.
fn install_opts(dir: &Path, policy: InstallPolicy) -> RunOptions {
    with_packages(RunOptions::new().timeout(Duration::from_secs(180)), dir, policy)
}

/// Top-level names in `dir`, without goru's own `.goru` bookkeeping.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != ".goru")
        .collect();
    names.sort();
    names
}

#[test]
fn a_session_installs_a_package_and_imports_it() {
    let dir = tempfile::tempdir().unwrap();
    let session = executor()
        .session_blocking(&Python, install_opts(dir.path(), InstallPolicy::Any))
        .expect("starting the session");
    let installed = session
        .run_blocking("print(install_pkg('six', '1.16.0'))\nimport six\nprint(six.__version__)")
        .unwrap();
    assert_eq!(
        installed.stdout_lossy(),
        "[{'name': 'six', 'version': '1.16.0'}]\n1.16.0\n",
        "{}",
        installed.stderr_lossy()
    );
    let later = session
        .run_blocking("print(six.PY3, __import__('six').__file__)")
        .unwrap();
    assert_eq!(later.stdout_lossy(), "True /packages/six.py\n");
    assert!(dir.path().join("six.py").is_file());
}

#[test]
fn a_stateless_run_installs_an_allowed_package_with_its_dependency() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_ok(
        &Python,
        "names = sorted(p['name'].lower() for p in install_pkg('python-dateutil', '==2.9.0.post0'))\n\
         print(names)\n\
         from dateutil import parser\n\
         import six\n\
         print(parser.parse('2024-02-29T12:30').isoformat(), six.PY3)",
        install_opts(dir.path(), InstallPolicy::only(["python-dateutil"])),
    );
    assert_eq!(out, "['python-dateutil', 'six']\n2024-02-29T12:30:00 True\n");
    let names = listing(dir.path());
    assert!(
        names.iter().any(|n| n == "dateutil") && names.iter().any(|n| n == "six.py"),
        "{names:?}"
    );
    // The next run sees what the last one installed, without installing.
    let out = run_ok(
        &Python,
        "import dateutil, six; print('ok')",
        install_opts(dir.path(), InstallPolicy::Nothing),
    );
    assert_eq!(out, "ok\n");
}

#[test]
fn a_package_with_a_c_extension_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_ok(
        &Python,
        "try:\n    install_pkg('markupsafe')\nexcept HostError as exc:\n    print(type(exc).__name__, exc.kind)\n    print(exc)",
        install_opts(dir.path(), InstallPolicy::Any),
    );
    let (first, message) = out.split_once('\n').unwrap();
    assert_eq!(first, "UnsupportedError unsupported");
    assert!(
        message.contains("MarkupSafe") && message.contains("not pure Python"),
        "{message}"
    );
    assert!(listing(dir.path()).is_empty(), "{:?}", listing(dir.path()));
}

#[test]
fn a_run_that_times_out_while_installing_leaves_nothing_half_done() {
    let dir = tempfile::tempdir().unwrap();
    let result = executor().run_blocking(
        &Python,
        "install_pkg('attrs')",
        install_opts(dir.path(), InstallPolicy::Any).timeout(Duration::from_millis(400)),
    );
    assert!(matches!(result, Err(Error::Timeout { .. })), "{result:?}");
    // pip was killed with the run: give the host a moment, then nothing
    // appears, and no staging directory is left behind.
    std::thread::sleep(Duration::from_secs(3));
    assert!(listing(dir.path()).is_empty(), "{:?}", listing(dir.path()));
    let bookkeeping = dir.path().join(".goru");
    if bookkeeping.exists() {
        let left: Vec<_> = std::fs::read_dir(&bookkeeping)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|name| name != "lock")
            .collect();
        assert!(left.is_empty(), "left behind: {left:?}");
    }
}
