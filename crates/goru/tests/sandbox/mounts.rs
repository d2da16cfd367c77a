//! Mounts through the guest's own file APIs (`open()`, `os.*`, `pathlib`,
//! JS `std.open`): the mode and escape tests of the fs capability
//! (goru-hostfn's tests/fs.rs), repeated through ordinary file calls.

use std::path::{Path, PathBuf};

use goru::hostfn::fs::{FsConfig, Mount, MountMode};
use goru::{Capabilities, JavaScript, Python, RunOptions};

use crate::common::{opts, run_ok};

const SECRET: &str = "TOP-SECRET-CONTENT";

/// Prints `label` and `ok` with the call's result, or the errno's name.
const PRELUDE: &str = "\
import errno, os
def t(label, f):
    try:
        r = f()
        print(label, 'ok' if r is None else r)
    except OSError as e:
        print(label, errno.errorcode.get(e.errno, e.errno))
";

/// A temp root with one host directory per mode and an `outside` no mount
/// covers: `data` at /data (rwc), `rw` at /rw (rw), `ro` at /ro (ro),
/// `outside/secret.txt` and `outside/dir/secret.txt`.
pub struct Fixture {
    _tmp: tempfile::TempDir,
    pub root: PathBuf,
    config: FsConfig,
}

impl Fixture {
    pub fn new() -> Self {
        Self::with_config(FsConfig::new())
    }

    pub fn with_config(config: FsConfig) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        for dir in ["data", "rw", "ro", "outside/dir"] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
        }
        std::fs::write(root.join("outside/secret.txt"), SECRET).unwrap();
        std::fs::write(root.join("outside/dir/secret.txt"), SECRET).unwrap();
        Self {
            _tmp: tmp,
            root,
            config,
        }
    }

    pub fn host(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    pub fn put(&self, relative: &str, content: &str) {
        std::fs::write(self.host(relative), content).unwrap();
    }

    pub fn content(&self, relative: &str) -> String {
        std::fs::read_to_string(self.host(relative)).unwrap()
    }

    pub fn symlink(&self, target: impl AsRef<Path>, link: &str) {
        std::os::unix::fs::symlink(target, self.host(link)).unwrap();
    }

    pub fn options(&self) -> RunOptions {
        let grant = Capabilities::new()
            .mount(Mount::new("/data", self.host("data"), MountMode::ReadWriteCreate))
            .mount(Mount::new("/rw", self.host("rw"), MountMode::ReadWrite))
            .mount(Mount::new("/ro", self.host("ro"), MountMode::ReadOnly))
            .fs_config(self.config.clone());
        opts().host_functions(grant.open().unwrap())
    }

    /// Runs Python `code` after [`PRELUDE`]; its output, which must name no
    /// host path and no outside content.
    pub fn py(&self, code: &str) -> String {
        self.py_with(code, self.options())
    }

    pub fn py_with(&self, code: &str, options: RunOptions) -> String {
        let out = run_ok(&Python, &format!("{PRELUDE}{code}"), options);
        assert!(!out.contains(SECRET), "outside content leaked: {out}");
        assert!(
            !out.contains(&*self.root.to_string_lossy()),
            "a host path leaked: {out}"
        );
        out
    }

    /// Asserts the outside directory is exactly as the fixture left it.
    #[track_caller]
    pub fn assert_outside_untouched(&self) {
        assert_eq!(self.content("outside/secret.txt"), SECRET);
        assert_eq!(self.content("outside/dir/secret.txt"), SECRET);
        let mut names: Vec<_> = std::fs::read_dir(self.host("outside"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["dir", "secret.txt"]);
        assert_eq!(std::fs::read_dir(self.host("outside/dir")).unwrap().count(), 1);
    }
}

/// The lines of `out` as `label result` pairs, for whole-output asserts.
fn lines(out: &str) -> Vec<&str> {
    out.lines().collect()
}

// ---- modes ---------------------------------------------------------------------------------

#[test]
fn read_only_mounts_allow_every_read() {
    let fx = Fixture::new();
    fx.put("ro/x.txt", "hello");
    std::fs::create_dir(fx.host("ro/sub")).unwrap();
    let out = fx.py("import pathlib\n\
         t('read', lambda: open('/ro/x.txt').read())\n\
         t('pathlib', lambda: pathlib.Path('/ro/x.txt').read_text())\n\
         t('listdir', lambda: sorted(os.listdir('/ro')))\n\
         t('exists', lambda: (os.path.exists('/ro/x.txt'), os.path.exists('/ro/y.txt')))\n\
         t('stat', lambda: (os.stat('/ro/x.txt').st_size, os.path.isdir('/ro/sub')))\n\
         t('glob', lambda: [p.name for p in pathlib.Path('/ro').glob('*.txt')])\n\
         t('fs', lambda: fs.read_text('/ro/x.txt'))");
    assert_eq!(
        lines(&out),
        [
            "read hello",
            "pathlib hello",
            "listdir ['sub', 'x.txt']",
            "exists (True, False)",
            "stat (5, True)",
            "glob ['x.txt']",
            "fs hello",
        ]
    );
}

#[test]
fn writing_on_a_read_only_mount_is_denied_and_does_not_truncate() {
    let fx = Fixture::new();
    fx.put("ro/x.txt", "original");
    let out = fx.py("t('w', lambda: open('/ro/x.txt', 'w'))\n\
         t('a', lambda: open('/ro/x.txt', 'a'))\n\
         t('r+', lambda: open('/ro/x.txt', 'r+'))\n\
         t('O_TRUNC', lambda: os.open('/ro/x.txt', os.O_WRONLY | os.O_TRUNC))\n\
         t('O_RDONLY|O_TRUNC', lambda: os.open('/ro/x.txt', os.O_RDONLY | os.O_TRUNC))\n\
         t('truncate', lambda: os.truncate('/ro/x.txt', 0))\n\
         t('new', lambda: open('/ro/new.txt', 'w'))\n\
         t('x', lambda: open('/ro/new.txt', 'x'))\n\
         t('still', lambda: open('/ro/x.txt').read())");
    assert_eq!(
        lines(&out),
        [
            "w EPERM",
            "a EPERM",
            "r+ EPERM",
            "O_TRUNC EPERM",
            "O_RDONLY|O_TRUNC EPERM",
            "truncate EPERM",
            "new EPERM",
            "x EPERM",
            "still original",
        ]
    );
    assert_eq!(fx.content("ro/x.txt"), "original");
    assert!(!fx.host("ro/new.txt").exists());
}

#[test]
fn overwriting_on_a_read_write_mount_replaces_the_content() {
    let fx = Fixture::new();
    fx.put("rw/x.txt", "a rather long original content");
    fx.put("rw/y.txt", "0123456789");
    let out = fx.py("t('w', lambda: open('/rw/x.txt', 'w').write('short'))\n\
         def patch():\n    with open('/rw/y.txt', 'r+') as f:\n        f.seek(2)\n        f.write('ab')\n\
         t('r+', patch)\n\
         t('append', lambda: open('/rw/y.txt', 'a').write('!'))");
    assert_eq!(lines(&out), ["w 5", "r+ ok", "append 1"]);
    assert_eq!(fx.content("rw/x.txt"), "short");
    assert_eq!(fx.content("rw/y.txt"), "01ab456789!");
}

#[test]
fn creating_on_a_read_write_mount_is_denied() {
    let fx = Fixture::new();
    let out = fx.py("t('new', lambda: open('/rw/new.txt', 'w'))\n\
         t('deep', lambda: open('/rw/missing/new.txt', 'w'))\n\
         t('mkdir', lambda: os.mkdir('/rw/d'))");
    assert_eq!(lines(&out), ["new EPERM", "deep ENOENT", "mkdir EPERM"]);
    assert!(!fx.host("rw/new.txt").exists() && !fx.host("rw/d").exists());
}

#[test]
fn mkdir_and_rename_need_a_create_mount() {
    let fx = Fixture::new();
    fx.put("rw/x.txt", "x");
    let out = fx.py("t('ro', lambda: os.mkdir('/ro/d'))\n\
         t('rw', lambda: os.mkdir('/rw/d'))\n\
         t('rename rw', lambda: os.rename('/rw/x.txt', '/rw/y.txt'))\n\
         t('makedirs', lambda: os.makedirs('/data/a/b/c'))\n\
         t('exists', lambda: os.makedirs('/data/a/b/c', exist_ok=True))\n\
         t('mkdir file', lambda: (open('/data/f', 'w').close(), os.mkdir('/data/f')))\n\
         t('rename', lambda: os.rename('/data/f', '/data/a/g'))\n\
         t('listed', lambda: sorted(os.listdir('/data/a')))");
    assert_eq!(
        lines(&out),
        [
            "ro EPERM",
            "rw EPERM",
            "rename rw EPERM",
            "makedirs ok",
            "exists ok",
            "mkdir file EEXIST",
            "rename ok",
            "listed ['b', 'g']",
        ]
    );
    assert!(fx.host("data/a/b/c").is_dir() && fx.host("data/a/g").is_file());
    assert!(!fx.host("ro/d").exists() && fx.host("rw/x.txt").exists());
}

#[test]
fn remove_needs_a_writable_mount_and_takes_files_and_empty_directories() {
    let fx = Fixture::new();
    fx.put("ro/x.txt", "x");
    fx.put("rw/x.txt", "x");
    std::fs::create_dir_all(fx.host("data/full/inner")).unwrap();
    std::fs::create_dir(fx.host("data/empty")).unwrap();
    // wasmer-wasix removes only directories it has looked up (its inode
    // cache): a directory the host made is looked at first.
    let out = fx.py("t('ro', lambda: os.remove('/ro/x.txt'))\n\
         t('rw', lambda: os.remove('/rw/x.txt'))\n\
         os.listdir('/data')\n\
         t('empty', lambda: os.rmdir('/data/empty'))\n\
         t('full', lambda: os.rmdir('/data/full'))\n\
         t('missing', lambda: os.remove('/data/missing'))\n\
         t('root', lambda: os.rmdir('/data'))");
    let out = lines(&out);
    assert_eq!(
        out[..5],
        [
            "ro EPERM",
            "rw ok",
            "empty ok",
            "full ENOTEMPTY",
            "missing ENOENT"
        ]
    );
    assert!(out[5].starts_with("root E") && out[5] != "root ok", "{out:?}");
    assert_eq!(fx.content("ro/x.txt"), "x");
    assert!(!fx.host("rw/x.txt").exists() && !fx.host("data/empty").exists());
    assert!(fx.host("data/full/inner").is_dir() && fx.host("data").is_dir());
}

#[test]
fn the_fs_api_and_open_see_the_same_files() {
    let fx = Fixture::new();
    let out = fx.py("t('fs write', lambda: fs.write_text('/data/a.txt', 'from fs'))\n\
         t('open read', lambda: open('/data/a.txt').read())\n\
         t('open write', lambda: open('/data/b.txt', 'w').write('from open'))\n\
         t('fs read', lambda: fs.read_text('/data/b.txt'))\n\
         t('fs list', lambda: [e['name'] for e in fs.listdir('/data')])");
    assert_eq!(
        lines(&out),
        [
            "fs write ok",
            "open read from fs",
            "open write 9",
            "fs read from open",
            "fs list ['a.txt', 'b.txt']",
        ]
    );
}

// ---- paths and symlinks --------------------------------------------------------------------

#[test]
fn dot_dot_stays_in_the_guests_own_tree() {
    let fx = Fixture::new();
    fx.put("ro/x.txt", "x");
    std::fs::create_dir(fx.host("data/sub")).unwrap();
    let out = fx.py("t('inside', lambda: open('/data/sub/../../ro/x.txt').read())\n\
         t('above', lambda: open('/data/../../outside/secret.txt').read())\n\
         t('host root', lambda: os.listdir('/data/../..'))\n\
         t('create above', lambda: open('/data/../../outside/new.txt', 'w'))");
    let out = lines(&out);
    assert_eq!(out[..2], ["inside x", "above ENOENT"]);
    assert!(!out[2].contains("outside"), "{out:?}");
    assert!(out[3].starts_with("create above E"), "{out:?}");
    fx.assert_outside_untouched();
}

/// Every file call on `path` (a symlink, or a path through one, leading
/// out) fails or finds nothing, and the outside is left alone.
fn assert_every_call_is_confined(fx: &Fixture, path: &str) {
    let code = format!(
        "p = {path:?}\n\
         t('read', lambda: open(p).read())\n\
         t('stat', lambda: os.stat(p))\n\
         t('exists', lambda: os.path.exists(p))\n\
         t('listdir', lambda: os.listdir(p))\n\
         t('write', lambda: open(p, 'w').write('pwned'))\n\
         t('append', lambda: open(p, 'a').write('pwned'))\n\
         t('mkdir', lambda: os.mkdir(p))\n\
         for sub in ['secret.txt', 'new.txt', 'new_dir']:\n\
         \x20   q = p + '/' + sub\n\
         \x20   t('read', lambda: open(q).read())\n\
         \x20   t('write', lambda: open(q, 'w').write('pwned'))\n\
         \x20   t('mkdir', lambda: os.mkdir(q))\n\
         \x20   t('remove', lambda: os.remove(q))\n\
         \x20   t('exists', lambda: os.path.exists(q))"
    );
    let out = fx.py(&code);
    for line in out.lines() {
        assert!(
            !line.ends_with(" ok") && !line.ends_with(" True") && !line.contains('['),
            "{path}: {line}\n{out}"
        );
    }
    fx.assert_outside_untouched();
}

#[test]
fn absolute_relative_and_chained_symlinks_leading_out_are_refused() {
    let fx = Fixture::new();
    std::fs::create_dir(fx.host("data/sub")).unwrap();
    fx.symlink(fx.host("outside/secret.txt"), "data/abs");
    fx.symlink("../outside/secret.txt", "data/rel");
    fx.symlink("../../outside/secret.txt", "data/sub/rel");
    fx.symlink("b", "data/a");
    fx.symlink("c", "data/b");
    fx.symlink("../outside/secret.txt", "data/c");
    fx.symlink(fx.host("outside/dir"), "data/dir");
    fx.symlink("../outside/dir/", "data/slash");
    fx.symlink(fx.host("outside/dir"), "rw/dir");
    for path in [
        "/data/abs",
        "/data/rel",
        "/data/sub/rel",
        "/data/a",
        "/data/dir",
        "/data/slash",
        "/rw/dir",
    ] {
        assert_every_call_is_confined(&fx, path);
    }
    // Left out of listings, as links that lead nowhere.
    let out = fx.py("print(sorted(os.listdir('/data')))");
    assert_eq!(out, "['sub']\n");
}

#[test]
fn creating_through_a_dangling_symlink_never_creates_the_outside_file() {
    let fx = Fixture::new();
    fx.symlink(fx.host("outside/created.txt"), "data/abs");
    fx.symlink("../outside/created.txt", "data/rel");
    fx.symlink(fx.host("outside/new_dir"), "data/dir");
    fx.symlink("nowhere.txt", "data/inside");
    let out = fx.py(
        "for p in ['/data/abs', '/data/rel', '/data/dir/f.txt', '/data/inside']:\n\
         \x20   t(p, lambda: open(p, 'w').write('pwned'))\n\
         t('mkdir', lambda: os.mkdir('/data/dir'))",
    );
    for line in out.lines() {
        assert!(!line.ends_with(" 5") && !line.ends_with(" ok"), "{line}\n{out}");
    }
    assert!(!fx.host("outside/created.txt").exists());
    assert!(!fx.host("outside/new_dir").exists());
    assert!(!fx.host("data/nowhere.txt").exists());
    fx.assert_outside_untouched();
}

#[test]
fn symlinks_that_stay_inside_the_mount_work() {
    let fx = Fixture::new();
    fx.put("data/real.txt", "real");
    std::fs::create_dir(fx.host("data/sub")).unwrap();
    fx.put("data/sub/inner.txt", "inner");
    fx.symlink("real.txt", "data/link");
    fx.symlink("sub", "data/dirlink");
    fx.symlink("../real.txt", "data/sub/up");
    let out = fx.py("t('link', lambda: open('/data/link').read())\n\
         t('up', lambda: open('/data/sub/up').read())\n\
         t('through', lambda: open('/data/dirlink/inner.txt').read())\n\
         t('isdir', lambda: os.path.isdir('/data/dirlink'))\n\
         t('write', lambda: open('/data/link', 'w').write('changed'))");
    assert_eq!(
        lines(&out),
        ["link real", "up real", "through inner", "isdir True", "write 7"]
    );
    assert_eq!(fx.content("data/real.txt"), "changed");
}

#[test]
fn symlinks_into_another_mounts_directory_are_refused() {
    let fx = Fixture::new();
    fx.put("rw/x.txt", "x");
    fx.symlink("../rw/x.txt", "data/other");
    let out = fx.py("t('read', lambda: open('/data/other').read())\n\
         t('write', lambda: open('/data/other', 'w').write('changed'))");
    assert_eq!(lines(&out), ["read ENOENT", "write EPERM"]);
    assert_eq!(fx.content("rw/x.txt"), "x");
}

// ---- hard links, limits, other languages ---------------------------------------------------

/// A hard link to a file outside: readable as the embedder put it there,
/// never opened for writing, so the outside file never changes.
#[test]
fn files_with_other_hard_links_are_not_written() {
    let fx = Fixture::new();
    for mount in ["data", "rw"] {
        std::fs::hard_link(
            fx.host("outside/secret.txt"),
            fx.host(&format!("{mount}/linked.txt")),
        )
        .unwrap();
    }
    let out = run_ok(
        &Python,
        &format!(
            "{PRELUDE}for m in ['data', 'rw']:\n\
             \x20   p = '/' + m + '/linked.txt'\n\
             \x20   t('read', lambda: len(open(p).read()))\n\
             \x20   t('w', lambda: open(p, 'w'))\n\
             \x20   t('r+', lambda: open(p, 'r+'))\n\
             \x20   t('a', lambda: open(p, 'a'))\n\
             \x20   t('remove', lambda: os.remove(p))"
        ),
        fx.options(),
    );
    let once = ["read 18", "w EPERM", "r+ EPERM", "a EPERM", "remove ok"];
    assert_eq!(lines(&out), [once, once].concat());
    fx.assert_outside_untouched();
}

#[test]
fn reads_and_writes_past_the_limits_fail() {
    let fx = Fixture::with_config(FsConfig::new().max_read_bytes(10).max_write_bytes(4));
    fx.put("data/ten.txt", "0123456789");
    fx.put("data/eleven.txt", "0123456789A");
    fx.put("data/x.txt", "12");
    let out = fx.py(
        "t('ten', lambda: open('/data/ten.txt').read())\n\
         t('eleven', lambda: open('/data/eleven.txt').read())\n\
         t('head', lambda: open('/data/eleven.txt').read(4))\n\
         t('four', lambda: open('/data/new.txt', 'w').write('1234'))\n\
         def five():\n    with open('/data/x.txt', 'a') as f:\n        f.write('345')\n\
         t('five', five)\n\
         t('truncate', lambda: os.truncate('/data/x.txt', 5))\n\
         def far():\n    with open('/data/x.txt', 'r+b') as f:\n        f.seek(2**40)\n        f.write(b'x')\n\
         t('far', far)",
    );
    assert_eq!(
        lines(&out),
        [
            "ten 0123456789",
            "eleven EIO",
            "head 0123",
            "four 4",
            "five ENOSPC",
            "truncate ENOSPC",
            "far ENOSPC",
        ]
    );
    assert_eq!(fx.content("data/x.txt"), "12");
    assert_eq!(fx.content("data/new.txt"), "1234");
}

#[test]
fn paths_past_the_length_limit_are_refused() {
    let fx = Fixture::with_config(FsConfig::new().max_path_length(32));
    let out = fx.py("t('short', lambda: open('/data/' + 'a' * 20, 'w').close())\n\
         t('long', lambda: open('/data/' + 'b' * 40, 'w'))");
    let out = lines(&out);
    assert_eq!(out[0], "short ok");
    assert!(out[1].starts_with("long E"), "{out:?}");
    assert!(!fx.host(&format!("data/{}", "b".repeat(40))).exists());
}

#[test]
fn javascript_std_open_sees_the_mounts_with_their_modes() {
    let fx = Fixture::new();
    fx.put("ro/in.txt", "from the host");
    let out = run_ok(
        &JavaScript,
        "const f = std.open('/ro/in.txt', 'r'); console.log(f.getline()); f.close();\n\
         const err = {}; console.log(std.open('/ro/in.txt', 'w', err), std.strerror(err.errno));\n\
         const o = std.open('/data/out.txt', 'w'); o.puts('from js'); o.close();\n\
         const [names] = os.readdir('/data'); console.log(JSON.stringify(names.filter(n => n[0] !== '.')));",
        fx.options(),
    );
    assert_eq!(
        out,
        "from the host\nnull Operation not permitted\n[\"out.txt\"]\n"
    );
    assert_eq!(fx.content("data/out.txt"), "from js");
    assert_eq!(fx.content("ro/in.txt"), "from the host");
}
