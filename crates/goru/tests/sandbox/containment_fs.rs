//! Hostile guests against the scratch filesystem, the descriptor table and
//! the packages mount: each must end with a clean error in the guest, and
//! the host must spend no more than the run's caps on it.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixListener;
use std::path::Path;

use goru::{InstallPolicy, JavaScript, Python};

use crate::common::{opts, py, run_ok, with_packages};

/// Each way a Python guest can ask for a file far past the scratch cap
/// (16 MiB by default) fails with `ENOSPC` and allocates nothing: before,
/// the first three aborted the host and the last made it hold 4 GiB.
#[test]
fn python_cannot_grow_a_scratch_file_past_the_cap() {
    let code = "\
import errno, os
def attempt(what, action):
    try:
        with open('/tmp/x', 'wb') as f:
            action(f)
        print(what, 'succeeded')
    except OSError as e:
        print(what, 'ENOSPC' if e.errno == errno.ENOSPC else e)
attempt('truncate', lambda f: f.truncate(2**62))
def far_write(f):
    f.seek(2**62)
    f.write(b'x')
    f.flush()
attempt('seek 2**62', far_write)
attempt('pwrite', lambda f: os.pwrite(f.fileno(), b'x', 2**62))
def gig_write(f):
    f.seek(2**32)
    f.write(b'x')
    f.flush()
attempt('seek 2**32', gig_write)
print(os.stat('/tmp/x').st_size)
";
    assert_eq!(
        py(code),
        "truncate ENOSPC\nseek 2**62 ENOSPC\npwrite ENOSPC\nseek 2**32 ENOSPC\n0\n"
    );
}

#[test]
fn javascript_cannot_grow_a_scratch_file_past_the_cap() {
    let code = "\
const fd = os.open('/tmp/x', os.O_RDWR | os.O_CREAT);
os.seek(fd, 2n ** 62n, std.SEEK_SET);
const r = os.write(fd, new Uint8Array([120]).buffer, 0, 1);
console.log(r < 0 ? std.strerror(-r) : 'wrote ' + r);
";
    assert_eq!(run_ok(&JavaScript, code, opts()), "No space left on device\n");
}

/// The cap counts what files hold: exactly the cap fits, one byte more does
/// not, and removing a file gives its bytes back.
#[test]
fn the_scratch_cap_is_exact_and_freed_bytes_come_back() {
    let code = "\
import errno, os
with open('/tmp/a', 'wb') as f:
    f.write(b'x' * (1 << 20))
try:
    with open('/tmp/b', 'wb') as f:
        f.write(b'y')
except OSError as e:
    print('full', e.errno == errno.ENOSPC)
os.remove('/tmp/a')
with open('/tmp/b', 'wb') as f:
    f.write(b'y' * (1 << 20))
print(os.stat('/tmp/b').st_size)
";
    let out = run_ok(&Python, code, opts().scratch_fs_bytes(1 << 20));
    assert_eq!(out, "full True\n1048576\n");
}

#[test]
fn files_and_directories_in_the_scratch_fs_are_bounded() {
    let code = "\
import errno, os
made = 0
try:
    while True:
        if made % 2:
            os.mkdir(f'/tmp/d{made}')
        else:
            open(f'/tmp/f{made}', 'w').close()
        made += 1
except OSError as e:
    print(made, e.errno == errno.ENOSPC)
for name in os.listdir('/tmp'):
    (os.rmdir if name.startswith('d') else os.remove)('/tmp/' + name)
open('/tmp/again', 'w').close()
print('again')
";
    let out = run_ok(&Python, code, opts().scratch_fs_entries(100));
    assert_eq!(out, "100 True\nagain\n");
}

/// Nested directories stop at 4096-byte paths: wasmer-wasix keeps every
/// path it has looked up whole, so an unbounded chain cost the host memory
/// quadratic in its depth (2 GB in a minute).
#[test]
fn scratch_paths_are_bounded() {
    let code = "\
import errno, os
fd = os.open('/tmp', os.O_RDONLY)
depth = 0
try:
    while True:
        os.mkdir('a' * 255, dir_fd=fd)
        inner = os.open('a' * 255, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd, depth = inner, depth + 1
except OSError as e:
    print(depth, e.errno == errno.EINVAL)
";
    assert_eq!(py(code), "15 True\n");
}

/// A guest opening one file forever gets `EMFILE` at the cap; closing one
/// lets it open one more. Before, it got millions of descriptors.
#[test]
fn python_descriptors_are_bounded() {
    let code = "\
import errno, os
open('/tmp/f', 'w').close()
fds = []
try:
    while True:
        fds.append(os.open('/tmp/f', os.O_RDONLY))
except OSError as e:
    print(e.errno == errno.EMFILE)
os.close(fds.pop())
fds.append(os.open('/tmp/f', os.O_RDONLY))
print(len(fds) <= 64, len(fds) > 48)
";
    let out = run_ok(&Python, code, opts().open_files(64));
    assert_eq!(out, "True\nTrue True\n");
}

/// A million opens at the default cap: all but the first thousand fail at
/// once, and the run ends with nothing left to tear down.
#[test]
fn javascript_descriptors_are_bounded() {
    let code = "\
const f = std.open('/tmp/f', 'w'); f.close();
let opened = 0, refused = 0, error = '';
for (let i = 0; i < 1000000; i++) {
  const fd = os.open('/tmp/f', os.O_RDONLY);
  if (fd >= 0) opened++; else { refused++; error = std.strerror(-fd); }
}
console.log(opened <= 1024, opened > 1000, refused === 1000000 - opened, error);
";
    assert_eq!(
        run_ok(&JavaScript, code, opts()),
        "true true true No file descriptors available\n"
    );
}

pub fn mkfifo(path: &Path) {
    let path = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only reads it.
    let rc = unsafe { libc::mkfifo(path.as_ptr(), 0o644) };
    assert_eq!(rc, 0, "mkfifo: {}", std::io::Error::last_os_error());
}

/// A FIFO or socket in the packages directory made wasmer-wasix panic on
/// a listing or an import; now they are not there at all.
#[test]
fn special_files_in_the_packages_directory_are_hidden() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("good.py"), "X = 1\n").unwrap();
    mkfifo(&dir.path().join("evil.py"));
    mkfifo(&dir.path().join("fifo"));
    let _socket = UnixListener::bind(dir.path().join("sock")).unwrap();
    let code = "\
import os
print(sorted(os.listdir('/packages')))
import good
print(good.X)
try:
    import evil
except ImportError as e:
    print(type(e).__name__)
for name in ['fifo', 'sock', 'evil.py']:
    for probe in (os.stat, open):
        try:
            probe('/packages/' + name)
        except FileNotFoundError:
            print(name, probe.__name__, 'not found')
";
    let out = run_ok(
        &Python,
        code,
        with_packages(opts(), dir.path(), InstallPolicy::Nothing),
    );
    assert_eq!(
        out,
        "['good.py']\n1\nModuleNotFoundError\n\
         fifo stat not found\nfifo open not found\n\
         sock stat not found\nsock open not found\n\
         evil.py stat not found\nevil.py open not found\n"
    );
}
