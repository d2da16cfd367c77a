//! The packages directory granted with `goru::Packages`: importable,
//! read-only to the guest, confined to itself; and `install_pkg` refused
//! unless the run allows it. Installs from the real package index are in
//! `packages_install.rs`; the read-only mount itself, for any language and
//! path, in `read_only_dirs.rs`.

use std::fs;
use std::path::Path;

use goru::{Error, InstallPolicy, Packages, Python, RunOptions};

use crate::common::{executor, opts, run_ok, with_packages};

/// Options granting `dir` read-only, without installing.
fn packages(dir: &Path) -> RunOptions {
    with_packages(opts(), dir, InstallPolicy::Nothing)
}

/// A packages directory holding `mypkg` (a package with a submodule) and a data file.
fn packages_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::create_dir(dir.path().join("mypkg")).unwrap();
    fs::write(dir.path().join("mypkg/__init__.py"), "ANSWER = 42\n").unwrap();
    fs::write(
        dir.path().join("mypkg/util.py"),
        "def double(x):\n    return 2 * x\n",
    )
    .unwrap();
    fs::write(dir.path().join("data.txt"), "host data\n").unwrap();
    dir
}

/// Every path under `dir` with its modification time and contents
/// (directories without), sorted.
fn snapshot(dir: &Path) -> Vec<(String, std::time::SystemTime, Option<Vec<u8>>)> {
    let mut entries = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        for entry in fs::read_dir(&path).unwrap() {
            let path = entry.unwrap().path();
            let name = path.strip_prefix(dir).unwrap().display().to_string();
            let modified = fs::symlink_metadata(&path).unwrap().modified().unwrap();
            if path.is_dir() {
                entries.push((name, modified, None));
                stack.push(path);
            } else {
                entries.push((name, modified, Some(fs::read(&path).unwrap())));
            }
        }
    }
    entries.sort();
    entries
}

#[test]
fn python_imports_from_the_packages_directory() {
    let dir = packages_dir();
    let out = run_ok(
        &Python,
        "import sys, mypkg, mypkg.util\n\
         print(mypkg.ANSWER, mypkg.util.double(4), mypkg.__file__)\n\
         print(sys.path[-1], open('/packages/data.txt').read().strip())\n\
         print(sorted(__import__('os').listdir('/packages')))",
        packages(dir.path()),
    );
    assert_eq!(
        out,
        "42 8 /packages/mypkg/__init__.py\n/packages host data\n['data.txt', 'mypkg']\n"
    );
}

#[test]
fn the_guest_cannot_change_the_packages_directory() {
    let dir = packages_dir();
    let before = snapshot(dir.path());
    let out = run_ok(
        &Python,
        r#"import os
open('/tmp-file', 'w').write('x')
def attempt(what, action):
    try:
        action()
        print(what, 'ALLOWED')
    except OSError as exc:
        print(what, 'refused', type(exc).__name__)
attempt('write new', lambda: open('/packages/new.py', 'w'))
attempt('overwrite', lambda: open('/packages/data.txt', 'w'))
attempt('append', lambda: open('/packages/data.txt', 'a'))
attempt('read+write', lambda: open('/packages/data.txt', 'r+'))
attempt('exclusive', lambda: open('/packages/mypkg/new.py', 'x'))
attempt('remove', lambda: os.remove('/packages/data.txt'))
attempt('mkdir', lambda: os.mkdir('/packages/newdir'))
attempt('rmdir', lambda: os.rmdir('/packages/mypkg'))
attempt('rename in', lambda: os.rename('/tmp-file', '/packages/in.txt'))
attempt('rename inside', lambda: os.rename('/packages/data.txt', '/packages/d2.txt'))
attempt('truncate', lambda: os.truncate('/packages/data.txt', 0))
fd = os.open('/packages/data.txt', os.O_RDONLY)
attempt('write a read fd', lambda: os.write(fd, b'x'))
attempt('ftruncate', lambda: os.ftruncate(fd, 0))
# wasmer-wasix turns these into guest-only effects: a rename out is a copy
# whose delete fails, a symlink and new times live in its own inode table.
# The host directory must stay untouched all the same.
for action in (lambda: os.rename('/packages/data.txt', '/moved.txt'),
               lambda: os.symlink('/packages/data.txt', '/packages/link'),
               lambda: os.utime('/packages/data.txt', (0, 0))):
    try:
        action()
    except OSError:
        pass
print(open('/packages/data.txt').read().strip())
"#,
        packages(dir.path()),
    );
    let expected = [
        "write new",
        "overwrite",
        "append",
        "read+write",
        "exclusive",
        "remove",
        "mkdir",
        "rmdir",
        "rename in",
        "rename inside",
        "truncate",
        "write a read fd",
        "ftruncate",
    ]
    .map(|what| format!("{what} refused PermissionError\n"))
    .concat()
        + "host data\n";
    assert_eq!(out, expected);
    assert_eq!(snapshot(dir.path()), before, "the host directory changed");
}

#[test]
fn symlinks_never_lead_out_of_the_packages_directory() {
    let dir = packages_dir();
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret.txt"), "host secret\n").unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), dir.path().join("escape.txt")).unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("escape_dir")).unwrap();
    std::os::unix::fs::symlink("mypkg/util.py", dir.path().join("inside.py")).unwrap();
    let out = run_ok(
        &Python,
        r#"import os
print(sorted(os.listdir('/packages')))
for path in ('/packages/escape.txt', '/packages/escape_dir/secret.txt', '/packages/../etc/passwd'):
    try:
        print(open(path).read())
    except OSError:
        print('refused')
import inside; print(inside.double(21))
"#,
        packages(dir.path()),
    );
    assert!(!out.contains("host secret"), "{out}");
    assert_eq!(
        out,
        "['data.txt', 'inside.py', 'mypkg']\nrefused\nrefused\nrefused\n42\n"
    );
}

#[test]
fn a_session_sees_packages_the_host_adds_while_it_runs() {
    let dir = packages_dir();
    let session = executor()
        .session_blocking(&Python, packages(dir.path()))
        .expect("starting the session");
    let first = session.run_blocking("import mypkg; print(mypkg.ANSWER)").unwrap();
    assert_eq!(first.stdout_lossy(), "42\n");
    fs::create_dir(dir.path().join("later")).unwrap();
    fs::write(dir.path().join("later/__init__.py"), "WHEN = 'after start'\n").unwrap();
    let second = session
        .run_blocking("import importlib; importlib.invalidate_caches()\nimport later; print(later.WHEN)")
        .unwrap();
    assert_eq!(
        second.stdout_lossy(),
        "after start\n",
        "{}",
        second.stderr_lossy()
    );
}

#[test]
fn packages_are_only_there_when_given() {
    let out = run_ok(
        &Python,
        "import os, sys\nprint(os.path.exists('/packages'), sys.path[-1])\n\
         try:\n    import mypkg\nexcept ImportError:\n    print('no mypkg')\n",
        opts(),
    );
    assert_eq!(out, "False /packages\nno mypkg\n");
}

#[test]
fn unusable_packages_are_refused_when_granted() {
    let invalid = |result: Result<RunOptions, Error>| match result {
        Err(Error::InvalidOption(message)) => message,
        other => panic!("expected InvalidOption, got {other:?}"),
    };
    let dir = packages_dir();
    let grant = |dir: &Path, policy| Packages::new(dir, policy).grant(opts(), executor());
    let missing = dir.path().join("missing");
    let message = invalid(grant(&missing, InstallPolicy::Nothing));
    assert!(message.contains("is not a directory"), "{message}");
    let message = invalid(grant(&dir.path().join("data.txt"), InstallPolicy::Any));
    assert!(message.contains("is not a directory"), "{message}");
    // With installing allowed, a missing directory is created.
    let out = run_ok(
        &Python,
        "print(__import__('os').listdir('/packages'))",
        grant(&missing, InstallPolicy::Any).expect("granted"),
    );
    assert_eq!(out, "[]\n");
    assert!(missing.is_dir());
    // A directory that goes away after the grant fails the run, not the host.
    let gone = tempfile::tempdir().unwrap();
    let options = grant(gone.path(), InstallPolicy::Nothing).expect("granted");
    drop(gone);
    let result = executor().run_blocking(&Python, "1", options);
    assert!(matches!(result, Err(Error::InvalidOption(_))), "{result:?}");
}

#[test]
fn install_pkg_is_refused_unless_allowed() {
    let dir = packages_dir();
    let attempt = "try:\n    install_pkg(NAME, VERSION)\nexcept HostError as exc:\n    print(type(exc).__name__, \
                   exc.kind, isinstance(exc, (PermissionError, ValueError)), exc)";
    let run = |name: &str, version: &str, options| {
        run_ok(
            &Python,
            &attempt.replace("NAME", name).replace("VERSION", version),
            options,
        )
    };
    // Without an install policy there is no install function at all.
    let not_granted =
        "NotGrantedError not_granted True the package install capability was not granted to this run\n";
    assert_eq!(run("'six'", "None", opts()), not_granted);
    assert_eq!(run("'six'", "None", packages(dir.path())), not_granted);
    let only = InstallPolicy::only(["attrs", "Python_Dateutil"]);
    assert_eq!(
        run("'six'", "None", with_packages(opts(), dir.path(), only)),
        "NotGrantedError not_granted True package \"six\" is not among the packages this run may install\n"
    );
    // An install function given a policy of nothing refuses everything.
    let nothing =
        goru::packages::InstallFunction::new(dir.path(), InstallPolicy::Nothing, executor().clone());
    assert_eq!(
        run(
            "'six'",
            "None",
            packages(dir.path()).host_functions(std::sync::Arc::new(nothing))
        ),
        "NotGrantedError not_granted True package installation is not enabled for this run\n"
    );
    let allowed = || with_packages(opts(), dir.path(), InstallPolicy::Any);
    for (name, version) in [
        ("'-r/etc/passwd'", "None"),
        ("'six @ https://example.invalid/six.whl'", "None"),
        ("'six'", "'1.0; os.system(\"x\")'"),
        ("'six'", "'==1.0 --index-url x'"),
        ("''", "None"),
        ("42", "None"),
        ("'six'", "3"),
    ] {
        let out = run(name, version, allowed());
        assert!(
            out.starts_with("InvalidArgumentError invalid_argument True "),
            "{name} {version}: {out}"
        );
    }
    let names = |dir: &Path| {
        snapshot(dir)
            .into_iter()
            .map(|(name, _, content)| (name, content))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(dir.path()),
        names(packages_dir().path()),
        "a refused install changed the directory"
    );
}
