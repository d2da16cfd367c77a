//! Property tests of the filesystem capability on a real directory tree with symlinks leading
//! out of the mounts: whatever operations the guest attempts, on whatever paths, it reads only
//! what lies beneath the serving mount's root and changes nothing outside a writable mount.

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use super::config::FsConfig;
use super::filesystem::Filesystem;
use super::mount::{Mount, MountMode};

/// The outside file's size; no file inside a mount has it, so a `stat` showing it is a leak.
const SECRET_LEN: usize = 777;

/// Host directories of the mounts, under the temp root, with their virtual paths and modes.
/// `/data/ro` lies inside `/data`; `m2` and `m3` are read-only and must never change.
const MOUNTS: [(&str, &str, MountMode); 3] = [
    ("/data", "m1", MountMode::ReadWriteCreate),
    ("/data/ro", "m2", MountMode::ReadOnly),
    ("/other", "m3", MountMode::ReadOnly),
];

/// Directories to walk through: real ones, symlinks leading in and out, dots; the `OUTSIDE_`
/// names exist only outside every mount.
const DIRS: &[&str] = &[
    "sub",
    "link_in",
    "link_out",
    "up",
    "to_m2",
    "ro",
    "OUTSIDE_dir",
    "..",
    ".",
    "",
];

/// Last components: files, symlinks to files outside, names that do not exist yet.
const LEAVES: &[&str] = &[
    "file.txt",
    "secret_link",
    "abs_link",
    "to_m1",
    "OUTSIDE_secret",
    "new",
    "",
];

/// Beginnings of paths other than the mount points.
const OTHER_PREFIXES: &[&str] = &["/data/sub", "/", "/dat", "/database"];

#[derive(Debug, Clone)]
enum Op {
    Read,
    List,
    Exists,
    Stat,
    Write,
    Mkdir,
    Remove,
}

fn op() -> impl Strategy<Value = Op> {
    select(vec![
        Op::Read,
        Op::List,
        Op::Exists,
        Op::Stat,
        Op::Write,
        Op::Mkdir,
        Op::Remove,
    ])
}

/// Mostly paths that name something under a mount, often through a symlink.
fn guest_path() -> impl Strategy<Value = String> {
    let mount_point = select(
        MOUNTS
            .iter()
            .map(|(virtual_path, ..)| *virtual_path)
            .collect::<Vec<_>>(),
    );
    let prefix = prop_oneof![4 => mount_point, 1 => select(OTHER_PREFIXES)];
    let leaf = prop_oneof![1 => Just("file.txt"), 2 => select(LEAVES)];
    (prefix, vec(select(DIRS), 0..3), leaf).prop_map(|(prefix, dirs, leaf)| {
        let mut path = prefix.to_owned();
        for piece in dirs.into_iter().chain([leaf]) {
            path.push('/');
            path.push_str(piece);
        }
        path
    })
}

/// Builds, under `root`:
///
/// ```text
/// outside/OUTSIDE_secret, outside/OUTSIDE_dir/OUTSIDE_secret
/// m1/file.txt, m1/sub/file.txt           (contents: their own host paths)
/// m1/link_out -> ../outside               m1/abs_link -> <root>/outside/OUTSIDE_secret
/// m1/sub/up -> ../../outside              m1/secret_link -> ../outside/OUTSIDE_secret
/// m1/link_in -> sub                       m1/to_m2 -> ../m2
/// m2/file.txt, m2/link_out -> ../outside
/// m3/file.txt, m3/to_m1 -> ../m1/file.txt
/// ```
fn build(root: &Path) -> Filesystem {
    let secret = "S".repeat(SECRET_LEN);
    std::fs::create_dir_all(root.join("outside/OUTSIDE_dir")).unwrap();
    std::fs::write(root.join("outside/OUTSIDE_secret"), &secret).unwrap();
    std::fs::write(root.join("outside/OUTSIDE_dir/OUTSIDE_secret"), &secret).unwrap();
    for dir in ["m1/sub", "m2", "m3"] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
    }
    for file in ["m1/file.txt", "m1/sub/file.txt", "m2/file.txt", "m3/file.txt"] {
        std::fs::write(root.join(file), file).unwrap();
    }
    let links = [
        ("../outside", "m1/link_out"),
        ("../../outside", "m1/sub/up"),
        ("../outside/OUTSIDE_secret", "m1/secret_link"),
        ("sub", "m1/link_in"),
        ("../m2", "m1/to_m2"),
        ("../outside", "m2/link_out"),
        ("../m1/file.txt", "m3/to_m1"),
    ];
    for (target, link) in links {
        symlink(target, root.join(link)).unwrap();
    }
    symlink(root.join("outside/OUTSIDE_secret"), root.join("m1/abs_link")).unwrap();
    let mounts = MOUNTS
        .iter()
        .map(|(virtual_path, dir, mode)| Mount::new(*virtual_path, root.join(dir), *mode))
        .collect();
    Filesystem::new(mounts, FsConfig::new()).unwrap()
}

/// Everything beneath `dir`, symlinks not followed: each entry's relative path, with the
/// content of a file or the target of a symlink.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut entries = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            let kind = std::fs::symlink_metadata(&path).unwrap().file_type();
            let what = if kind.is_symlink() {
                std::fs::read_link(&path)
                    .unwrap()
                    .into_os_string()
                    .into_encoded_bytes()
            } else if kind.is_dir() {
                pending.push(path.clone());
                b"<dir>".to_vec()
            } else {
                std::fs::read(&path).unwrap()
            };
            entries.insert(path.strip_prefix(dir).unwrap().to_path_buf(), what);
        }
    }
    entries
}

fn host_dir(root: &Path, virtual_path: &str) -> PathBuf {
    let (_, dir, _) = MOUNTS.iter().find(|(v, _, _)| *v == virtual_path).unwrap();
    root.join(dir)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn operations_stay_beneath_the_serving_mount(ops in vec((op(), guest_path()), 1..8)) {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let fs = build(root);
        let unchanged = |dir: &str| (dir.to_owned(), snapshot(&root.join(dir)));
        let frozen = [unchanged("outside"), unchanged("m2"), unchanged("m3")];

        for (step, (op, path)) in ops.iter().enumerate() {
            // Which host directory may answer: resolution itself is checked lexically elsewhere.
            let inside = fs.resolve(path).ok().map(|r| snapshot(&host_dir(root, &r.mount.virtual_path)));
            let contents = || inside.iter().flat_map(|s| s.values().cloned()).collect::<Vec<_>>();
            let names = || {
                inside
                    .iter()
                    .flat_map(|s| s.keys().filter_map(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned()))
                    .collect::<Vec<_>>()
            };
            match op {
                Op::Read => if let Ok(data) = fs.read(path) {
                    prop_assert!(contents().contains(&data), "{path:?} read {:?}", String::from_utf8_lossy(&data));
                },
                Op::List => if let Ok(entries) = fs.list_dir(path) {
                    for entry in entries {
                        prop_assert!(names().contains(&entry.name), "{path:?} listed {entry:?}");
                    }
                },
                Op::Exists => if matches!(fs.exists(path), Ok(true)) {
                    let name = fs.resolve(path).unwrap().name;
                    let root_of_mount = fs.resolve(path).unwrap().is_mount_root();
                    prop_assert!(root_of_mount || names().contains(&name), "{path:?} exists");
                },
                Op::Stat => if let Ok(stat) = fs.stat(path) {
                    prop_assert!(stat.size != SECRET_LEN as u64, "{path:?} stat {stat:?}");
                },
                Op::Write => {
                    let _ = fs.write(path, format!("written {step}").as_bytes());
                }
                Op::Mkdir => {
                    let _ = fs.mkdir(path);
                }
                Op::Remove => {
                    let _ = fs.remove(path);
                }
            }
            for (dir, before) in &frozen {
                prop_assert_eq!(&snapshot(&root.join(dir)), before, "{:?} {:?} changed {}", op, path, dir);
            }
        }
    }
}
