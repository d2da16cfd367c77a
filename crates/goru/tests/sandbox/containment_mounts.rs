//! Hostile guests against mounted host directories reached through their
//! own file calls: special files, moves and links across mounts, and the
//! bound on what a run can create on the host.

use std::os::unix::net::UnixListener;

use goru::Python;

use crate::common::run_ok;
use crate::containment_fs::mkfifo;
use crate::mounts::Fixture;

/// A FIFO, a socket: not listed, not opened (so nothing blocks, and no
/// create goes through to them), not removed, not moved.
#[test]
fn special_files_in_a_mount_are_not_there() {
    let fx = Fixture::new();
    mkfifo(&fx.host("data/fifo"));
    let _socket = UnixListener::bind(fx.host("data/sock")).unwrap();
    let out = fx.py("t('listdir', lambda: os.listdir('/data'))\n\
         for p in ['/data/fifo', '/data/sock']:\n\
         \x20   t('stat', lambda: os.stat(p))\n\
         \x20   t('read', lambda: open(p).read())\n\
         \x20   t('write', lambda: open(p, 'w').write('x'))\n\
         \x20   t('nonblock', lambda: os.open(p, os.O_WRONLY | os.O_NONBLOCK))\n\
         \x20   t('remove', lambda: os.remove(p))\n\
         \x20   t('rename', lambda: os.rename(p, '/data/moved'))");
    let once = [
        "stat ENOENT",
        "read ENOENT",
        "write ENOENT",
        "nonblock ENOENT",
        "remove ENOENT",
        "rename ENOENT",
    ];
    let expected: Vec<&str> = std::iter::once("listdir []").chain(once).chain(once).collect();
    assert_eq!(out.lines().collect::<Vec<_>>(), expected);
    assert!(fx.host("data/fifo").exists() && fx.host("data/sock").exists());
    assert!(!fx.host("data/moved").exists());
}

/// Moves and links never cross a mount's edge, in either direction, and no
/// link is made at all: a second name for a read-only file in /tmp (or in
/// a writable mount) would be a way around its mode.
#[test]
fn renames_and_links_across_mounts_are_refused() {
    let fx = Fixture::new();
    fx.put("data/x.txt", "x");
    fx.put("ro/r.txt", "r");
    let out = fx.py("open('/tmp/t.txt', 'w').write('t')\n\
         t('data->rw', lambda: os.rename('/data/x.txt', '/rw/x.txt'))\n\
         t('data->tmp', lambda: os.rename('/data/x.txt', '/tmp/x.txt'))\n\
         t('tmp->data', lambda: os.rename('/tmp/t.txt', '/data/t.txt'))\n\
         t('ro->data', lambda: os.rename('/ro/r.txt', '/data/r.txt'))\n\
         t('mount point', lambda: os.rename('/data', '/tmp/data'))\n\
         t('link ro->tmp', lambda: os.link('/ro/r.txt', '/tmp/r.txt'))\n\
         t('link ro->data', lambda: os.link('/ro/r.txt', '/data/r.txt'))\n\
         t('link in data', lambda: os.link('/data/x.txt', '/data/y.txt'))\n\
         t('link in tmp', lambda: os.link('/tmp/t.txt', '/tmp/u.txt'))\n\
         t('symlink', lambda: os.symlink('/ro/r.txt', '/data/s'))\n\
         t('tmp', lambda: sorted(os.listdir('/tmp')))\n\
         t('data', lambda: sorted(os.listdir('/data')))\n\
         t('ro still read-only', lambda: open('/ro/r.txt', 'w'))");
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "data->rw EPERM",
            "data->tmp EPERM",
            "tmp->data EPERM",
            "ro->data EPERM",
            "mount point EPERM",
            "link ro->tmp EPERM",
            "link ro->data EPERM",
            "link in data EPERM",
            "link in tmp EPERM",
            "symlink EPERM",
            "tmp ['t.txt']",
            "data ['x.txt']",
            "ro still read-only EPERM",
        ]
    );
    assert_eq!(fx.content("ro/r.txt"), "r");
    assert_eq!(std::fs::read_dir(fx.host("data")).unwrap().count(), 1);
}

/// Each file or directory made on the host takes one of the run's host
/// calls: a guest creating forever gets `ENOSPC` at the cap, and the host
/// holds at most that many new entries, each within the write limit.
#[test]
fn what_a_run_creates_on_the_host_is_bounded() {
    let fx = Fixture::new();
    let out = run_ok(
        &Python,
        "import errno, os\n\
         made = 0\n\
         try:\n\
         \x20   while True:\n\
         \x20       if made % 2:\n\
         \x20           os.mkdir(f'/data/d{made}')\n\
         \x20       else:\n\
         \x20           open(f'/data/f{made}', 'w').close()\n\
         \x20       made += 1\n\
         except OSError as e:\n\
         \x20   print(made, errno.errorcode[e.errno])",
        fx.options().host_calls(100),
    );
    assert_eq!(out, "100 ENOSPC\n");
    assert_eq!(std::fs::read_dir(fx.host("data")).unwrap().count(), 100);
}
