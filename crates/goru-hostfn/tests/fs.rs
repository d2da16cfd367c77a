//! The filesystem capability against real temporary directories: paths, modes, symlinks, limits.

use std::fmt::Debug;
use std::path::{Path, PathBuf};

use goru_hostfn::fs::{DirEntry, Filesystem, FsConfig, FsError, Mount, MountMode};

const SECRET: &str = "TOP-SECRET-CONTENT";

/// A temp root holding one host directory per mode and an `outside` directory no mount covers:
///
/// ```text
/// root/data     -> /data (rwc)
/// root/rw       -> /rw   (rw)
/// root/ro       -> /ro   (ro)
/// root/outside/secret.txt, root/outside/dir/secret.txt
/// ```
struct Fixture {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    fs: Filesystem,
}

impl Fixture {
    fn new() -> Self {
        Fixture::with_config(FsConfig::new())
    }

    fn with_config(config: FsConfig) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        for dir in ["data", "rw", "ro", "outside/dir"] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
        }
        std::fs::write(root.join("outside/secret.txt"), SECRET).unwrap();
        std::fs::write(root.join("outside/dir/secret.txt"), SECRET).unwrap();
        let fs = Filesystem::new(
            vec![
                Mount::new("/data", root.join("data"), MountMode::ReadWriteCreate),
                Mount::new("/rw", root.join("rw"), MountMode::ReadWrite),
                Mount::new("/ro", root.join("ro"), MountMode::ReadOnly),
            ],
            config,
        )
        .unwrap();
        Fixture { _tmp: tmp, root, fs }
    }

    fn host(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    fn put(&self, relative: &str, content: &str) {
        std::fs::write(self.host(relative), content).unwrap();
    }

    fn content(&self, relative: &str) -> String {
        std::fs::read_to_string(self.host(relative)).unwrap()
    }

    #[cfg(unix)]
    fn symlink(&self, target: impl AsRef<Path>, link: &str) {
        std::os::unix::fs::symlink(target, self.host(link)).unwrap();
    }

    /// The error of `result`, after checking it reveals neither a host path nor outside content.
    #[track_caller]
    fn err<T: Debug>(&self, result: Result<T, FsError>) -> FsError {
        let err = result.unwrap_err();
        let shown = format!("{err} / {err:?}");
        let mut host_paths = vec![self.root.display().to_string()];
        if let Ok(canonical) = self.root.canonicalize() {
            host_paths.push(canonical.display().to_string());
        }
        for host in host_paths {
            assert!(!shown.contains(&host), "error reveals the host path: {shown}");
        }
        assert!(!shown.contains(SECRET), "error reveals outside content: {shown}");
        err
    }

    /// Asserts `result` failed without revealing anything and returns the error's kind.
    #[track_caller]
    fn kind<T: Debug>(&self, result: Result<T, FsError>) -> &'static str {
        self.err(result).kind()
    }

    /// Asserts the outside directory is exactly as the fixture left it.
    #[track_caller]
    fn assert_outside_untouched(&self) {
        assert_eq!(self.content("outside/secret.txt"), SECRET);
        assert_eq!(self.content("outside/dir/secret.txt"), SECRET);
        let mut names: Vec<_> = std::fs::read_dir(self.host("outside"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["dir", "secret.txt"]);
        let names: Vec<_> = std::fs::read_dir(self.host("outside/dir")).unwrap().collect();
        assert_eq!(names.len(), 1);
    }
}

/// An escape must be refused, or look like nothing is there.
#[track_caller]
fn assert_refused(kind: &str) {
    assert!(
        matches!(kind, "permission_denied" | "not_found"),
        "unexpected kind {kind}"
    );
}

// ---- configuration -------------------------------------------------------------------------

#[test]
fn mount_mode_parses_and_displays() {
    for (text, mode) in [
        ("ro", MountMode::ReadOnly),
        ("rw", MountMode::ReadWrite),
        ("rwc", MountMode::ReadWriteCreate),
    ] {
        assert_eq!(text.parse::<MountMode>().unwrap(), mode);
        assert_eq!(mode.to_string(), text);
    }
    for bad in ["", "RW", "r", "rwx", "ro "] {
        assert!(bad.parse::<MountMode>().is_err(), "{bad:?}");
        let err = Mount::parse(&format!("/data:/srv:{bad}")).unwrap_err();
        assert!(matches!(err, FsError::InvalidMode { .. }), "{bad:?}: {err:?}");
        assert_eq!(err.kind(), "invalid_path");
    }
}

#[test]
fn mount_spec_splits_at_the_first_and_last_colon() {
    let mount = Mount::parse("/data:/tmp/a:b:c:rw").unwrap();
    assert_eq!(mount.virtual_path(), "/data");
    assert_eq!(mount.host_path(), Path::new("/tmp/a:b:c"));
    assert_eq!(mount.mode(), MountMode::ReadWrite);

    let mount = Mount::parse("/in/put:./relative:ro").unwrap();
    assert_eq!(mount, Mount::new("/in/put", "./relative", MountMode::ReadOnly));

    for bad in [
        "",
        "/data",
        "/data:ro",
        "/data::ro",
        "data:/tmp:ro",
        "/:/tmp:ro",
        "/data/:/tmp:ro",
    ] {
        let err = Mount::parse(bad).unwrap_err();
        assert!(matches!(err, FsError::InvalidMount { .. }), "{bad:?}: {err:?}");
    }
    assert!(matches!(
        Mount::parse("/data:/tmp:rx").unwrap_err(),
        FsError::InvalidMode { .. }
    ));
}

#[test]
fn filesystem_refuses_bad_virtual_paths() {
    let tmp = tempfile::tempdir().unwrap();
    for bad in [
        "", "/", "data", "/data/", "//data", "/a//b", "/a/./b", "/a/../b", "/a\0b",
    ] {
        let result = Filesystem::new(
            vec![Mount::new(bad, tmp.path(), MountMode::ReadOnly)],
            FsConfig::new(),
        );
        assert!(
            matches!(result.unwrap_err(), FsError::InvalidMount { .. }),
            "{bad:?}"
        );
    }
    let twice = vec![
        Mount::new("/data", tmp.path(), MountMode::ReadOnly),
        Mount::new("/data", tmp.path(), MountMode::ReadWrite),
    ];
    assert!(matches!(
        Filesystem::new(twice, FsConfig::new()).unwrap_err(),
        FsError::InvalidMount { .. }
    ));
}

#[test]
fn filesystem_reports_host_directories_it_cannot_open() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = Mount::new("/data", tmp.path().join("missing"), MountMode::ReadOnly);
    let err = Filesystem::new(vec![missing], FsConfig::new()).unwrap_err();
    assert!(matches!(err, FsError::MountOpen { .. }));
    assert_eq!(err.kind(), "not_found");

    std::fs::write(tmp.path().join("file"), "x").unwrap();
    let file = Mount::new("/data", tmp.path().join("file"), MountMode::ReadOnly);
    let err = Filesystem::new(vec![file], FsConfig::new()).unwrap_err();
    assert_eq!(err.kind(), "not_a_directory");
}

#[test]
fn mounts_lists_virtual_paths_and_modes_in_order() {
    let fx = Fixture::new();
    let mounts: Vec<_> = fx.fs.mounts().collect();
    assert_eq!(
        mounts,
        [
            ("/data", MountMode::ReadWriteCreate),
            ("/rw", MountMode::ReadWrite),
            ("/ro", MountMode::ReadOnly)
        ]
    );
}

#[test]
fn filesystem_is_shareable_and_its_debug_hides_host_paths() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Filesystem>();
    let fx = Fixture::new();
    let debug = format!("{:?}", fx.fs);
    assert!(debug.contains("/data"));
    assert!(!debug.contains(&fx.root.display().to_string()), "{debug}");
}

#[test]
fn config_defaults_and_setters() {
    let config = FsConfig::new();
    assert_eq!(config.read_limit(), 10 * 1024 * 1024);
    assert_eq!(config.write_limit(), 10 * 1024 * 1024);
    assert_eq!(config.path_length_limit(), 4096);
    let config = config.max_read_bytes(1).max_write_bytes(2).max_path_length(3);
    assert_eq!(
        (
            config.read_limit(),
            config.write_limit(),
            config.path_length_limit()
        ),
        (1, 2, 3)
    );
}

// ---- path handling -------------------------------------------------------------------------

#[test]
fn relative_and_empty_paths_are_refused() {
    let fx = Fixture::new();
    fx.put("data/x.txt", "x");
    for path in ["", "data/x.txt", "./data/x.txt", "x.txt", "../data/x.txt"] {
        assert_eq!(fx.kind(fx.fs.read(path)), "invalid_path", "{path:?}");
        assert_eq!(fx.kind(fx.fs.exists(path)), "invalid_path", "{path:?}");
    }
}

#[test]
fn nul_bytes_are_refused() {
    let fx = Fixture::new();
    fx.put("data/x.txt", "x");
    assert_eq!(fx.kind(fx.fs.read("/data/x.txt\0")), "invalid_path");
    assert_eq!(fx.kind(fx.fs.write("/data/a\0b", b"x")), "invalid_path");
    assert_eq!(fx.kind(fx.fs.exists("/data/\0")), "invalid_path");
}

#[test]
fn paths_longer_than_the_limit_are_refused() {
    let fx = Fixture::with_config(FsConfig::new().max_path_length(12));
    fx.put("data/éééé.txt", "x");
    // 14 characters but 18 bytes: the limit counts characters.
    assert_eq!("/data/éééé.txt".chars().count(), 14);
    let err = fx.err(fx.fs.read("/data/éééé.txt"));
    assert_eq!(err.kind(), "invalid_path");
    assert!(matches!(err, FsError::PathTooLong { len: 14, limit: 12 }));

    let fx = Fixture::with_config(FsConfig::new().max_path_length(14));
    fx.put("data/éééé.txt", "x");
    assert_eq!(fx.fs.read("/data/éééé.txt").unwrap(), b"x");
}

#[test]
fn dot_components_and_repeated_slashes_are_dropped() {
    let fx = Fixture::new();
    fx.put("data/x.txt", "x");
    assert_eq!(fx.fs.read_text("/data/./x.txt").unwrap(), "x");
    assert_eq!(fx.fs.read_text("//data//.//x.txt").unwrap(), "x");
    assert_eq!(fx.fs.list_dir("/data/.").unwrap().len(), 1);
}

#[test]
fn dot_dot_inside_the_mount_is_resolved_lexically() {
    let fx = Fixture::new();
    std::fs::create_dir(fx.host("data/sub")).unwrap();
    fx.put("data/x.txt", "x");
    assert_eq!(fx.fs.read_text("/data/sub/../x.txt").unwrap(), "x");
    assert_eq!(fx.fs.read_text("/data/missing/../x.txt").unwrap(), "x");
    assert!(fx.fs.stat("/data/sub/..").unwrap().is_dir);
}

#[test]
fn dot_dot_leaving_the_mount_is_refused() {
    let fx = Fixture::new();
    fx.put("ro/x.txt", "x");
    // Lexically `/ro/x.txt`, an existing mount, but the path went through `/`.
    assert_eq!(fx.kind(fx.fs.read("/data/../ro/x.txt")), "invalid_path");
    assert_eq!(fx.kind(fx.fs.read("/data/../data/../ro/x.txt")), "invalid_path");
    assert_eq!(
        fx.kind(fx.fs.read("/data/../../outside/secret.txt")),
        "invalid_path"
    );
    assert_eq!(
        fx.kind(fx.fs.write("/data/../outside/secret.txt", b"x")),
        "not_found"
    );
    assert_eq!(fx.kind(fx.fs.read("/data/..")), "not_found");
    assert_eq!(fx.kind(fx.fs.exists("/data/../data")), "invalid_path");
    fx.assert_outside_untouched();
}

#[test]
fn the_longest_mount_prefix_wins_on_whole_components() {
    let tmp = tempfile::tempdir().unwrap();
    for (dir, content) in [("a", "a"), ("a/inner", "shadowed"), ("b", "b"), ("c", "c")] {
        std::fs::create_dir_all(tmp.path().join(dir)).unwrap();
        std::fs::write(tmp.path().join(dir).join("f.txt"), content).unwrap();
    }
    let fs = Filesystem::new(
        vec![
            Mount::new("/data", tmp.path().join("a"), MountMode::ReadOnly),
            Mount::new("/data/inner", tmp.path().join("b"), MountMode::ReadOnly),
            Mount::new("/database", tmp.path().join("c"), MountMode::ReadOnly),
        ],
        FsConfig::new(),
    )
    .unwrap();
    assert_eq!(fs.read_text("/data/f.txt").unwrap(), "a");
    assert_eq!(fs.read_text("/data/inner/f.txt").unwrap(), "b");
    assert_eq!(fs.read_text("/database/f.txt").unwrap(), "c");
    assert_eq!(fs.stat("/data/inner").unwrap().name, "inner");
    // Lexically `/data/f.txt`, which never climbs above the `/data` mount that serves it.
    assert_eq!(fs.read_text("/data/inner/../f.txt").unwrap(), "a");
    let err = fs.read("/datab/f.txt").unwrap_err();
    assert!(matches!(err, FsError::NoMount { .. }));
}

#[test]
fn paths_under_no_mount_are_not_found_without_listing_mounts() {
    let fx = Fixture::new();
    for path in ["/", "/nope", "/nope/x.txt", "/dat/x", "/datax/y"] {
        let err = fx.err(fx.fs.read(path));
        assert_eq!(err.kind(), "not_found", "{path}");
        let message = err.to_string();
        assert!(message.contains(path), "{message}");
        assert!(
            !message.contains("/data") || path.starts_with("/data"),
            "{message}"
        );
        assert!(!message.contains("/ro") && !message.contains("/rw"), "{message}");
        assert!(!fx.fs.exists(path).unwrap(), "{path}");
        assert_eq!(fx.kind(fx.fs.mkdir(path)), "not_found");
    }
}

#[cfg(unix)]
#[test]
fn backslashes_are_ordinary_characters() {
    let fx = Fixture::new();
    fx.fs.write("/data/..\\..\\escape.txt", b"x").unwrap();
    assert_eq!(fx.content("data/..\\..\\escape.txt"), "x");
    assert!(!fx.host("escape.txt").exists());
    assert_eq!(fx.kind(fx.fs.read("/data\\..\\outside\\secret.txt")), "not_found");
    assert_eq!(fx.kind(fx.fs.read("/data/..\\outside/secret.txt")), "not_found");
    assert!(!fx.fs.exists("/data/\\..\\..\\outside").unwrap());
    fx.assert_outside_untouched();
}

// ---- modes ---------------------------------------------------------------------------------

#[test]
fn read_only_mounts_allow_every_read() {
    let fx = Fixture::new();
    fx.put("ro/x.txt", "hello");
    std::fs::create_dir(fx.host("ro/sub")).unwrap();
    assert_eq!(fx.fs.read("/ro/x.txt").unwrap(), b"hello");
    assert_eq!(fx.fs.read_text("/ro/x.txt").unwrap(), "hello");
    assert_eq!(fx.fs.list_dir("/ro").unwrap().len(), 2);
    assert!(fx.fs.exists("/ro/x.txt").unwrap());
    assert!(!fx.fs.exists("/ro/y.txt").unwrap());
    assert_eq!(fx.fs.stat("/ro/x.txt").unwrap().size, 5);
}

#[test]
fn writing_on_a_read_only_mount_is_denied_and_does_not_truncate() {
    let fx = Fixture::new();
    fx.put("ro/x.txt", "original");
    assert_eq!(fx.kind(fx.fs.write("/ro/x.txt", b"new")), "permission_denied");
    assert_eq!(fx.kind(fx.fs.write("/ro/x.txt", b"")), "permission_denied");
    assert_eq!(fx.content("ro/x.txt"), "original");
    assert_eq!(fx.kind(fx.fs.write("/ro/new.txt", b"new")), "permission_denied");
    assert!(!fx.host("ro/new.txt").exists());
}

#[test]
fn overwriting_on_a_read_write_mount_replaces_the_content() {
    let fx = Fixture::new();
    fx.put("rw/x.txt", "a rather long original content");
    fx.fs.write("/rw/x.txt", b"short").unwrap();
    assert_eq!(fx.content("rw/x.txt"), "short");
}

#[test]
fn creating_a_file_on_a_read_write_mount_is_denied() {
    let fx = Fixture::new();
    let err = fx.err(fx.fs.write("/rw/new.txt", b"x"));
    assert_eq!(err.kind(), "permission_denied");
    assert!(err.to_string().starts_with("/rw/new.txt: "), "{err}");
    assert!(!fx.host("rw/new.txt").exists());
    assert_eq!(
        fx.kind(fx.fs.write("/rw/missing/new.txt", b"x")),
        "permission_denied"
    );
}

#[test]
fn mkdir_needs_a_create_mount() {
    let fx = Fixture::new();
    assert_eq!(fx.kind(fx.fs.mkdir("/ro/d")), "permission_denied");
    assert_eq!(fx.kind(fx.fs.mkdir("/rw/d")), "permission_denied");
    assert_eq!(fx.kind(fx.fs.mkdir("/rw")), "permission_denied");
    assert!(!fx.host("ro/d").exists());
    assert!(!fx.host("rw/d").exists());
}

#[test]
fn remove_needs_a_writable_mount() {
    let fx = Fixture::new();
    fx.put("ro/x.txt", "x");
    assert_eq!(fx.kind(fx.fs.remove("/ro/x.txt")), "permission_denied");
    assert_eq!(fx.content("ro/x.txt"), "x");
    fx.put("rw/x.txt", "x");
    fx.fs.remove("/rw/x.txt").unwrap();
    assert!(!fx.host("rw/x.txt").exists());
}

#[test]
fn create_mounts_create_files_and_directories() {
    let fx = Fixture::new();
    fx.fs.write("/data/new.txt", b"new").unwrap();
    assert_eq!(fx.content("data/new.txt"), "new");
    fx.fs.mkdir("/data/a/b/c").unwrap();
    assert!(fx.host("data/a/b/c").is_dir());
    fx.fs.mkdir("/data/a/b/c").unwrap();
    fx.fs.mkdir("/data/a").unwrap();
    fx.fs.mkdir("/data").unwrap();
    fx.fs.write("/data/a/b/c/f.txt", b"deep").unwrap();
    assert_eq!(fx.fs.read_text("/data/a/b/c/f.txt").unwrap(), "deep");
    assert_eq!(fx.kind(fx.fs.mkdir("/data/new.txt")), "exists");
    assert_eq!(fx.kind(fx.fs.mkdir("/data/new.txt/sub")), "not_a_directory");
    assert_eq!(fx.kind(fx.fs.write("/data/missing/f.txt", b"x")), "not_found");
}

#[test]
fn remove_takes_files_symlinks_and_empty_directories() {
    let fx = Fixture::new();
    fx.put("data/f.txt", "x");
    std::fs::create_dir_all(fx.host("data/full/inner")).unwrap();
    std::fs::create_dir(fx.host("data/empty")).unwrap();
    fx.fs.remove("/data/f.txt").unwrap();
    fx.fs.remove("/data/empty").unwrap();
    assert!(!fx.host("data/f.txt").exists() && !fx.host("data/empty").exists());
    assert_eq!(fx.kind(fx.fs.remove("/data/full")), "not_empty");
    assert_eq!(fx.kind(fx.fs.remove("/data/missing")), "not_found");
    assert_eq!(fx.kind(fx.fs.remove("/data")), "permission_denied");
    assert_eq!(fx.kind(fx.fs.remove("/data/full/inner/..")), "not_empty");
    assert!(fx.host("data").is_dir());
}

#[cfg(unix)]
#[test]
fn remove_unlinks_a_symlink_not_its_target() {
    let fx = Fixture::new();
    fx.put("data/target.txt", "x");
    std::fs::create_dir(fx.host("data/dir")).unwrap();
    fx.symlink("target.txt", "data/link");
    fx.symlink("dir", "data/dirlink");
    fx.symlink(fx.host("outside/secret.txt"), "data/out");
    fx.symlink(fx.host("outside/dir"), "data/outdir");
    for link in ["/data/link", "/data/dirlink", "/data/out", "/data/outdir"] {
        fx.fs.remove(link).unwrap();
    }
    assert_eq!(fx.content("data/target.txt"), "x");
    assert!(fx.host("data/dir").is_dir());
    assert_eq!(fx.fs.list_dir("/data").unwrap().len(), 2);
    fx.assert_outside_untouched();
}

// ---- symlinks leading outside --------------------------------------------------------------

/// Every operation on `path` (a symlink, or a path through one, leading outside) fails or
/// reports nothing, and the outside directory is left alone.
#[cfg(unix)]
fn assert_every_operation_is_confined(fx: &Fixture, path: &str) {
    assert_refused(fx.kind(fx.fs.read(path)));
    assert_refused(fx.kind(fx.fs.read_text(path)));
    assert_refused(fx.kind(fx.fs.stat(path)));
    assert!(!fx.fs.exists(path).unwrap(), "{path} exists");
    let listed = fx.fs.list_dir(path);
    if let Ok(entries) = &listed {
        panic!("{path} listed: {entries:?}");
    }
    fx.err(listed);
    assert_refused(fx.kind(fx.fs.write(path, b"pwned")));
    fx.err(fx.fs.mkdir(path));
    for sub in ["secret.txt", "new.txt", "new_dir"] {
        let below = format!("{path}/{sub}");
        assert_refused(fx.kind(fx.fs.read(&below)));
        assert_refused(fx.kind(fx.fs.stat(&below)));
        assert!(!fx.fs.exists(&below).unwrap(), "{below} exists");
        assert_refused(fx.kind(fx.fs.write(&below, b"pwned")));
        fx.err(fx.fs.mkdir(&below));
        fx.err(fx.fs.remove(&below));
        fx.err(fx.fs.list_dir(&below));
    }
    fx.assert_outside_untouched();
}

#[cfg(unix)]
#[test]
fn absolute_symlink_to_a_file_outside_is_refused() {
    let fx = Fixture::new();
    fx.symlink(fx.host("outside/secret.txt"), "data/link");
    assert_every_operation_is_confined(&fx, "/data/link");
    let entries = fx.fs.list_dir("/data").unwrap();
    assert_eq!(
        entries,
        [DirEntry {
            name: "link".into(),
            is_dir: false,
            size: 0
        }]
    );
}

#[cfg(unix)]
#[test]
fn relative_symlink_climbing_out_is_refused() {
    let fx = Fixture::new();
    fx.symlink("../outside/secret.txt", "data/link");
    std::fs::create_dir(fx.host("data/sub")).unwrap();
    fx.symlink("../../outside/secret.txt", "data/sub/link");
    assert_every_operation_is_confined(&fx, "/data/link");
    assert_every_operation_is_confined(&fx, "/data/sub/link");
}

#[cfg(unix)]
#[test]
fn chained_symlinks_leading_out_are_refused() {
    let fx = Fixture::new();
    fx.symlink("b", "data/a");
    fx.symlink("c", "data/b");
    fx.symlink("../outside/secret.txt", "data/c");
    fx.symlink("e", "data/d");
    fx.symlink(fx.host("outside/dir"), "data/e");
    assert_every_operation_is_confined(&fx, "/data/a");
    assert_every_operation_is_confined(&fx, "/data/d");
}

#[cfg(unix)]
#[test]
fn broken_symlinks_do_not_exist() {
    let fx = Fixture::new();
    fx.symlink("nowhere.txt", "data/broken");
    assert_eq!(fx.kind(fx.fs.read("/data/broken")), "not_found");
    assert_eq!(fx.kind(fx.fs.stat("/data/broken")), "not_found");
    assert!(!fx.fs.exists("/data/broken").unwrap());
    let entries = fx.fs.list_dir("/data").unwrap();
    assert_eq!(
        entries,
        [DirEntry {
            name: "broken".into(),
            is_dir: false,
            size: 0
        }]
    );
    // On an rw mount, writing through it would create a file: refused.
    fx.symlink("nowhere.txt", "rw/broken");
    assert_eq!(fx.kind(fx.fs.write("/rw/broken", b"x")), "permission_denied");
    assert!(!fx.host("rw/nowhere.txt").exists());
}

#[cfg(unix)]
#[test]
fn symlinks_to_a_directory_outside_with_a_trailing_slash_are_refused() {
    let fx = Fixture::new();
    fx.symlink(format!("{}/", fx.host("outside/dir").display()), "data/abs");
    fx.symlink("../outside/dir/", "data/rel");
    fx.symlink("../outside/dir/secret.txt/", "data/file");
    assert_every_operation_is_confined(&fx, "/data/abs");
    assert_every_operation_is_confined(&fx, "/data/rel");
    assert_every_operation_is_confined(&fx, "/data/file");
}

#[cfg(unix)]
#[test]
fn a_symlinked_directory_outside_cannot_be_an_intermediate_component() {
    let fx = Fixture::new();
    fx.symlink(fx.host("outside/dir"), "data/link");
    fx.symlink(fx.host("outside/dir"), "rw/link");
    for path in ["/data/link/secret.txt", "/rw/link/secret.txt"] {
        assert_refused(fx.kind(fx.fs.read(path)));
        assert_refused(fx.kind(fx.fs.write(path, b"pwned")));
        assert_refused(fx.kind(fx.fs.remove(path)));
        assert_refused(fx.kind(fx.fs.stat(path)));
        assert!(!fx.fs.exists(path).unwrap());
    }
    assert_refused(fx.kind(fx.fs.mkdir("/data/link/a/b")));
    assert_refused(fx.kind(fx.fs.list_dir("/data/link")));
    fx.assert_outside_untouched();
}

#[cfg(unix)]
#[test]
fn creating_through_a_dangling_symlink_never_creates_the_outside_file() {
    let fx = Fixture::new();
    fx.symlink(fx.host("outside/created.txt"), "data/abs");
    fx.symlink("../outside/created.txt", "data/rel");
    fx.symlink(fx.host("outside/created.txt"), "rw/abs");
    fx.symlink(fx.host("outside/new_dir"), "data/dir");
    for path in ["/data/abs", "/data/rel", "/rw/abs"] {
        assert_refused(fx.kind(fx.fs.write(path, b"pwned")));
        assert!(!fx.fs.exists(path).unwrap());
    }
    assert_refused(fx.kind(fx.fs.write("/data/dir/f.txt", b"pwned")));
    fx.err(fx.fs.mkdir("/data/dir"));
    fx.err(fx.fs.mkdir("/data/dir/sub"));
    assert!(!fx.host("outside/created.txt").exists());
    assert!(!fx.host("outside/new_dir").exists());
    fx.assert_outside_untouched();
}

#[cfg(unix)]
#[test]
fn symlinks_that_stay_inside_the_mount_work() {
    let fx = Fixture::new();
    fx.put("data/real.txt", "real");
    std::fs::create_dir(fx.host("data/sub")).unwrap();
    fx.put("data/sub/inner.txt", "inner");
    fx.symlink("real.txt", "data/link");
    fx.symlink("sub", "data/dirlink");
    fx.symlink("../real.txt", "data/sub/up");
    assert_eq!(fx.fs.read_text("/data/link").unwrap(), "real");
    assert_eq!(fx.fs.read_text("/data/sub/up").unwrap(), "real");
    assert_eq!(fx.fs.read_text("/data/dirlink/inner.txt").unwrap(), "inner");
    assert!(fx.fs.stat("/data/dirlink").unwrap().is_dir);
    assert_eq!(fx.fs.list_dir("/data/dirlink").unwrap().len(), 2);
    let entries = fx.fs.list_dir("/data").unwrap();
    let dirlink = entries.iter().find(|e| e.name == "dirlink").unwrap();
    assert!(dirlink.is_dir);
    let link = entries.iter().find(|e| e.name == "link").unwrap();
    assert_eq!((link.is_dir, link.size), (false, 4));

    fx.fs.write("/data/link", b"changed").unwrap();
    assert_eq!(fx.content("data/real.txt"), "changed");
}

#[cfg(unix)]
#[test]
fn symlinks_into_another_mounts_directory_are_refused() {
    let fx = Fixture::new();
    fx.put("rw/x.txt", "x");
    fx.symlink("../rw/x.txt", "data/other");
    assert_refused(fx.kind(fx.fs.read("/data/other")));
    assert_refused(fx.kind(fx.fs.write("/data/other", b"changed")));
    assert!(!fx.fs.exists("/data/other").unwrap());
    assert_eq!(fx.content("rw/x.txt"), "x");
}

#[cfg(unix)]
#[test]
fn symlink_loops_fail_quietly() {
    let fx = Fixture::new();
    fx.symlink("b", "data/a");
    fx.symlink("a", "data/b");
    fx.err(fx.fs.read("/data/a"));
    fx.err(fx.fs.stat("/data/a"));
    fx.err(fx.fs.write("/data/a", b"x"));
    assert!(!fx.fs.exists("/data/a").unwrap());
    assert_eq!(fx.fs.list_dir("/data").unwrap().len(), 2);
}

// ---- hard links ----------------------------------------------------------------------------

/// A hard link is the outside file itself under a name inside the mount: reading it reads
/// that file (as the embedder put it there), but writing through it is refused on rw and
/// rwc mounts, so the file outside is never changed.
#[test]
fn files_with_other_hard_links_are_not_written() {
    let fx = Fixture::new();
    for mount in ["data", "rw"] {
        let name = format!("{mount}/linked.txt");
        std::fs::hard_link(fx.host("outside/secret.txt"), fx.host(&name)).unwrap();
        let path = format!("/{name}");
        assert_eq!(fx.fs.read_text(&path).unwrap(), SECRET);
        let err = fx.err(fx.fs.write(&path, b"pwned"));
        assert_eq!(err.kind(), "permission_denied");
        assert!(err.to_string().contains("hard links"), "{err}");
        assert_eq!(fx.fs.write(&path, b"").unwrap_err().kind(), "permission_denied");
        assert_eq!(fx.content("outside/secret.txt"), SECRET);
        // Removing the name inside the mount leaves the file outside alone.
        fx.fs.remove(&path).unwrap();
        assert_eq!(fx.content("outside/secret.txt"), SECRET);
    }
    // A file with a single name is written as before.
    fx.put("rw/single.txt", "old");
    fx.fs.write("/rw/single.txt", b"new").unwrap();
    assert_eq!(fx.content("rw/single.txt"), "new");
}

// ---- special files -------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn fifos_are_refused_without_blocking() {
    let fx = Fixture::new();
    let made = std::process::Command::new("mkfifo")
        .arg(fx.host("data/fifo"))
        .status();
    if !made.is_ok_and(|status| status.success()) {
        eprintln!("mkfifo unavailable; skipping");
        return;
    }
    assert_eq!(fx.kind(fx.fs.read("/data/fifo")), "permission_denied");
    assert_eq!(fx.kind(fx.fs.write("/data/fifo", b"x")), "permission_denied");
    assert!(fx.fs.exists("/data/fifo").unwrap());
}

// ---- size limits ---------------------------------------------------------------------------

#[test]
fn reads_over_the_limit_are_refused() {
    let fx = Fixture::with_config(FsConfig::new().max_read_bytes(10));
    fx.put("data/ten.txt", "0123456789");
    fx.put("data/eleven.txt", "0123456789A");
    assert_eq!(fx.fs.read("/data/ten.txt").unwrap().len(), 10);
    let err = fx.err(fx.fs.read("/data/eleven.txt"));
    assert_eq!(err.kind(), "limit");
    assert!(matches!(err, FsError::ReadTooLarge { limit: 10, .. }));
    assert_eq!(fx.kind(fx.fs.read_text("/data/eleven.txt")), "limit");
}

/// `/proc` files report a size of 0: only the bounded read stops them.
#[cfg(target_os = "linux")]
#[test]
fn reads_stop_one_byte_past_the_limit_when_the_size_lies() {
    let mount = || vec![Mount::new("/proc", "/proc/self", MountMode::ReadOnly)];
    let fs = Filesystem::new(mount(), FsConfig::new().max_read_bytes(16)).unwrap();
    assert_eq!(fs.stat("/proc/maps").unwrap().size, 0);
    assert_eq!(fs.read("/proc/maps").unwrap_err().kind(), "limit");
    let fs = Filesystem::new(mount(), FsConfig::new()).unwrap();
    assert!(fs.read("/proc/maps").unwrap().len() > 16);
}

#[test]
fn writes_over_the_limit_are_refused_and_touch_nothing() {
    let fx = Fixture::with_config(FsConfig::new().max_write_bytes(4));
    fx.put("data/x.txt", "original");
    let err = fx.err(fx.fs.write("/data/x.txt", b"12345"));
    assert_eq!(err.kind(), "limit");
    assert!(matches!(err, FsError::WriteTooLarge { len: 5, limit: 4, .. }));
    assert_eq!(fx.content("data/x.txt"), "original");
    assert_eq!(fx.kind(fx.fs.write("/data/new.txt", b"12345")), "limit");
    assert!(!fx.host("data/new.txt").exists());
    fx.fs.write("/data/x.txt", b"1234").unwrap();
    assert_eq!(fx.content("data/x.txt"), "1234");
}

#[test]
fn read_text_refuses_invalid_utf8() {
    let fx = Fixture::new();
    std::fs::write(fx.host("data/bin"), [0xff, 0xfe, 0x00]).unwrap();
    assert_eq!(fx.fs.read("/data/bin").unwrap(), [0xff, 0xfe, 0x00]);
    assert_eq!(fx.kind(fx.fs.read_text("/data/bin")), "invalid_data");
}

// ---- listing and stat ----------------------------------------------------------------------

#[test]
fn list_dir_reports_names_kinds_and_sizes_sorted() {
    let fx = Fixture::new();
    fx.put("data/b.txt", "bb");
    fx.put("data/a.txt", "a");
    std::fs::create_dir(fx.host("data/c")).unwrap();
    fx.put("data/c/inner.txt", "inner");
    let entries = fx.fs.list_dir("/data").unwrap();
    let summary: Vec<_> = entries.iter().map(|e| (e.name.as_str(), e.is_dir)).collect();
    assert_eq!(summary, [("a.txt", false), ("b.txt", false), ("c", true)]);
    assert_eq!((entries[0].size, entries[1].size), (1, 2));
    assert_eq!(
        fx.fs.list_dir("/data/c").unwrap(),
        [DirEntry {
            name: "inner.txt".into(),
            is_dir: false,
            size: 5
        }]
    );
    assert_eq!(fx.kind(fx.fs.list_dir("/data/a.txt")), "not_a_directory");
    assert_eq!(fx.kind(fx.fs.list_dir("/data/missing")), "not_found");
    assert!(fx.fs.list_dir("/rw").unwrap().is_empty());
}

#[test]
fn stat_reports_size_kind_and_modification_time() {
    let fx = Fixture::new();
    fx.put("data/f.txt", "12345");
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    std::fs::File::options()
        .write(true)
        .open(fx.host("data/f.txt"))
        .unwrap()
        .set_modified(when)
        .unwrap();
    let stat = fx.fs.stat("/data/f.txt").unwrap();
    assert_eq!(stat.name, "f.txt");
    assert_eq!((stat.size, stat.is_dir, stat.mod_time), (5, false, 1_000_000_000));

    std::fs::create_dir(fx.host("data/d")).unwrap();
    let stat = fx.fs.stat("/data/d/").unwrap();
    assert_eq!((stat.name.as_str(), stat.is_dir), ("d", true));
    let root = fx.fs.stat("/data").unwrap();
    assert_eq!((root.name.as_str(), root.is_dir), ("data", true));
    assert_eq!(fx.kind(fx.fs.stat("/data/missing")), "not_found");
}

#[test]
fn stat_and_dir_entry_serialize_to_the_documented_fields() {
    let fx = Fixture::new();
    fx.put("data/f.txt", "x");
    let json = serde_json::to_value(fx.fs.list_dir("/data").unwrap()).unwrap();
    assert_eq!(
        json,
        serde_json::json!([{"name": "f.txt", "is_dir": false, "size": 1}])
    );
    let json = serde_json::to_value(fx.fs.stat("/data/f.txt").unwrap()).unwrap();
    let keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys.len(), 4);
    for key in ["name", "size", "is_dir", "mod_time"] {
        assert!(json.get(key).is_some(), "{key}");
    }
}

#[test]
fn files_and_directories_are_not_confused() {
    let fx = Fixture::new();
    std::fs::create_dir(fx.host("data/d")).unwrap();
    fx.put("data/f", "x");
    assert_eq!(fx.kind(fx.fs.read("/data/d")), "is_a_directory");
    assert_eq!(fx.kind(fx.fs.read("/data")), "is_a_directory");
    assert_eq!(fx.kind(fx.fs.write("/data/d", b"x")), "is_a_directory");
    assert_eq!(fx.kind(fx.fs.write("/data", b"x")), "is_a_directory");
    assert_eq!(fx.kind(fx.fs.read("/data/f/x")), "not_a_directory");
    assert!(fx.host("data/d").is_dir());
}
