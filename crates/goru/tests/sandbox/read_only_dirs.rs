//! `RunOptions::read_only_dir`: host directories any language can read at
//! the guest path it is given, never change and never leave; and the
//! options that cannot work refused before anything runs.

use std::fs;
use std::path::Path;

use goru::{Error, JavaScript, Language, Python, RunOptions};

use crate::common::{executor, opts, run_ok};

/// A host directory with a file, a subdirectory and symlinks that lead out
/// (to `outside`, absolutely and relatively) and one that stays inside.
fn host_dir(outside: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("data.txt"), "host data\n").unwrap();
    fs::create_dir(dir.path().join("sub")).unwrap();
    fs::write(dir.path().join("sub/inner.txt"), "inner\n").unwrap();
    std::os::unix::fs::symlink(outside.join("secret.txt"), dir.path().join("abs_link")).unwrap();
    let relative = Path::new("..")
        .join(outside.file_name().unwrap())
        .join("secret.txt");
    std::os::unix::fs::symlink(&relative, dir.path().join("sub/rel_link")).unwrap();
    std::os::unix::fs::symlink(outside, dir.path().join("dir_link")).unwrap();
    std::os::unix::fs::symlink("sub/inner.txt", dir.path().join("inside_link")).unwrap();
    dir
}

/// A directory beside the host directories' parent holding a secret.
fn outside() -> tempfile::TempDir {
    let outside = tempfile::tempdir().expect("temp dir");
    fs::write(outside.path().join("secret.txt"), "host secret\n").unwrap();
    outside
}

/// Every entry under `dir` (symlinks not followed) with its kind, contents
/// and modification time.
fn snapshot(dir: &Path) -> Vec<String> {
    let mut entries = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        for entry in fs::read_dir(&path).unwrap() {
            let path = entry.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            let what = if meta.is_symlink() {
                format!("-> {}", fs::read_link(&path).unwrap().display())
            } else if meta.is_dir() {
                stack.push(path.clone());
                "dir".to_owned()
            } else {
                String::from_utf8_lossy(&fs::read(&path).unwrap()).into_owned()
            };
            entries.push(format!(
                "{} {what} {:?}",
                path.display(),
                meta.modified().unwrap()
            ));
        }
    }
    entries.sort();
    entries
}

#[test]
fn any_language_reads_several_read_only_dirs() {
    let outside = outside();
    let (first, second) = (host_dir(outside.path()), host_dir(outside.path()));
    fs::write(second.path().join("data.txt"), "second\n").unwrap();
    let options = || {
        opts()
            .read_only_dir("/data", first.path())
            .read_only_dir("/srv/models", second.path())
    };
    let out = run_ok(
        &Python,
        "import os\nprint(open('/data/data.txt').read() + open('/srv/models/data.txt').read(), end='')\n\
         print(sorted(os.listdir('/data')), open('/data/inside_link').read(), end='')",
        options(),
    );
    assert_eq!(
        out,
        "host data\nsecond\n['data.txt', 'inside_link', 'sub'] inner\n"
    );
    let out = run_ok(
        &JavaScript,
        "console.log(std.loadFile('/data/sub/inner.txt').trim(), std.loadFile('/srv/models/data.txt').trim());\n\
         console.log(JSON.stringify(os.readdir('/srv/models')[0].filter((n) => !n.startsWith('.')).sort()))",
        options(),
    );
    assert_eq!(out, "inner second\n[\"data.txt\",\"inside_link\",\"sub\"]\n");
}

#[test]
fn a_hostile_python_guest_cannot_change_or_leave_a_read_only_dir() {
    let outside = outside();
    let dir = host_dir(outside.path());
    let (before, outside_before) = (snapshot(dir.path()), snapshot(outside.path()));
    let out = run_ok(
        &Python,
        r#"import os
open('/tmp/mine', 'w').write('guest')
def attempt(what, action):
    try:
        action()
        print(what, 'ALLOWED')
    except OSError as exc:
        print(what, 'refused')
for what, action in [
    ('create', lambda: open('/data/new.txt', 'w')),
    ('create in sub', lambda: open('/data/sub/new.txt', 'x')),
    ('overwrite', lambda: open('/data/data.txt', 'w')),
    ('append', lambda: open('/data/data.txt', 'a')),
    ('through a link', lambda: open('/data/inside_link', 'w')),
    ('remove', lambda: os.remove('/data/data.txt')),
    ('remove a link', lambda: os.remove('/data/abs_link')),
    ('rmdir', lambda: os.rmdir('/data/sub')),
    ('mkdir', lambda: os.mkdir('/data/newdir')),
    ('rename inside', lambda: os.rename('/data/data.txt', '/data/moved.txt')),
    ('rename a dir', lambda: os.rename('/data/sub', '/data/sub2')),
    ('rename in', lambda: os.rename('/tmp/mine', '/data/mine')),
    ('truncate', lambda: os.truncate('/data/data.txt', 0)),
    ('read up and out', lambda: open('/data/sub/../../../etc/passwd').read()),
    ('absolute link out', lambda: open('/data/abs_link').read()),
    ('relative link out', lambda: open('/data/sub/rel_link').read()),
    ('link to a dir out', lambda: open('/data/dir_link/secret.txt').read()),
    ('list a dir out', lambda: os.listdir('/data/dir_link')),
]:
    attempt(what, action)
print(sorted(os.listdir('/data')))
# wasmer-wasix keeps these in its own inode table, as guest-only effects (a
# rename out is a copy whose delete fails): the host directory must stay
# untouched all the same.
for action in (lambda: os.symlink('/tmp/mine', '/data/link'),
               lambda: os.link('/data/data.txt', '/data/hard'),
               lambda: os.utime('/data/data.txt', (0, 0)),
               lambda: os.chmod('/data/data.txt', 0o777),
               lambda: os.rename('/data/data.txt', '/tmp/out.txt')):
    try:
        action()
    except OSError:
        pass
print(open('/data/data.txt').read(), end='')
"#,
        opts().read_only_dir("/data", dir.path()),
    );
    assert!(!out.contains("host secret"), "{out}");
    let mut expected: String = [
        "create",
        "create in sub",
        "overwrite",
        "append",
        "through a link",
        "remove",
        "remove a link",
        "rmdir",
        "mkdir",
        "rename inside",
        "rename a dir",
        "rename in",
        "truncate",
    ]
    .map(|what| format!("{what} refused\n"))
    .concat();
    expected += "read up and out refused\n";
    expected += "absolute link out refused\nrelative link out refused\n";
    expected += "link to a dir out refused\nlist a dir out refused\n";
    expected += "['data.txt', 'inside_link', 'sub']\nhost data\n";
    assert_eq!(out, expected);
    assert_eq!(snapshot(dir.path()), before, "the host directory changed");
    assert_eq!(snapshot(outside.path()), outside_before, "outside changed");
}

#[test]
fn a_hostile_js_guest_cannot_change_or_leave_a_read_only_dir() {
    let outside = outside();
    let dir = host_dir(outside.path());
    let before = snapshot(dir.path());
    let out = run_ok(
        &JavaScript,
        r#"const results = [
  os.open('/data/new.txt', os.O_WRONLY | os.O_CREAT),
  os.open('/data/data.txt', os.O_RDWR),
  os.remove('/data/data.txt'),
  os.remove('/data/sub'),
  os.mkdir('/data/newdir'),
  os.rename('/data/data.txt', '/data/moved.txt'),
];
console.log(results.every((r) => r < 0));
console.log(std.loadFile('/data/abs_link'), std.loadFile('/data/sub/rel_link'), std.loadFile('/data/dir_link/secret.txt'));
console.log(std.loadFile('/data/data.txt').trim());"#,
        opts().read_only_dir("/data", dir.path()),
    );
    assert_eq!(out, "true\nnull null null\nhost data\n");
    assert_eq!(snapshot(dir.path()), before, "the host directory changed");
}

#[test]
fn unusable_read_only_dirs_are_refused_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file.txt");
    fs::write(&file, "x").unwrap();
    let host = dir.path();
    let cases: [(RunOptions, &str); 9] = [
        (
            opts().read_only_dir("/data", host.join("missing")),
            "is not a directory",
        ),
        (opts().read_only_dir("/data", &file), "is not a directory"),
        (opts().read_only_dir("data", host), "absolute and normalised"),
        (
            opts().read_only_dir("/data/../etc", host),
            "absolute and normalised",
        ),
        (opts().read_only_dir("/", host), "absolute and normalised"),
        (
            opts().read_only_dir("/tmp/data", host),
            "/tmp is goru's own directory",
        ),
        (
            opts().read_only_dir("/.goru", host),
            "/.goru is goru's own directory",
        ),
        (
            opts().read_only_dir("/data", host).read_only_dir("/data", host),
            "given twice",
        ),
        (
            opts()
                .read_only_dir("/data", host)
                .read_only_dir("/data/more", host),
            "overlaps",
        ),
    ];
    for (options, why) in cases {
        let languages: [&dyn Language; 2] = [&Python, &JavaScript];
        for language in languages {
            let message = match executor().run_blocking(language, "1", options.clone()) {
                Err(Error::InvalidOption(message)) => message,
                other => panic!("{why}: expected InvalidOption, got {other:?}"),
            };
            assert!(
                message.starts_with("mounted dir ") && message.contains(why),
                "{why}: {message}"
            );
        }
        assert!(
            matches!(
                executor().session_blocking(&Python, options),
                Err(Error::InvalidOption(_))
            ),
            "{why}: a session"
        );
    }
}
