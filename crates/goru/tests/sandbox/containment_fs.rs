//! Hostile guests against the scratch filesystem, the descriptor table and
//! the packages mount: each must end with a clean error in the guest, and
//! the host must spend no more than the run's caps on it.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixListener;
use std::path::Path;

use goru::Python;

use crate::common::{opts, run_ok};

fn mkfifo(path: &Path) {
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
    let out = run_ok(&Python, code, opts().packages(dir.path()));
    assert_eq!(
        out,
        "['good.py']\n1\nModuleNotFoundError\n\
         fifo stat not found\nfifo open not found\n\
         sock stat not found\nsock open not found\n\
         evil.py stat not found\nevil.py open not found\n"
    );
}
