//! The packages directory on the host: its distributions (`*.dist-info`),
//! removing one by its `RECORD`, merging a staged install into it, and the
//! lock that serialises changes across processes.

use std::fs::{self, File};
use std::io;
use std::path::{Component, Path, PathBuf};

use super::error::InstallError;
use super::requirement::normalize_name;

/// goru's own directory inside a packages directory: the lock, and the
/// staging trees of installs in progress.
pub(crate) const STATE_DIR: &str = ".goru";

/// A distribution (an installed package): its name as its metadata spells
/// it, and its version.
///
/// ```
/// use goru_packages::Distribution;
///
/// let six = Distribution { name: "six".into(), version: "1.17.0".into() };
/// assert_eq!(serde_json::to_string(&six)?, r#"{"name":"six","version":"1.17.0"}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Distribution {
    /// The name, e.g. `python-dateutil` or `MarkupSafe`.
    pub name: String,
    /// The version, e.g. `2.9.0.post0`.
    pub version: String,
}

/// A `*.dist-info` directory and what it describes.
#[derive(Debug)]
pub(crate) struct DistInfo {
    pub(crate) path: PathBuf,
    pub(crate) dist: Distribution,
}

/// The distributions installed in `dir`, sorted by normalised name (then
/// version). A missing `dir` has none.
///
/// Each is read from its `*.dist-info/METADATA` (`Name:` and `Version:`),
/// falling back to the directory's name.
///
/// ```
/// use goru_packages::installed;
///
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir(dir.path().join("six-1.17.0.dist-info"))?;
/// std::fs::write(dir.path().join("six-1.17.0.dist-info/METADATA"), "Name: six\nVersion: 1.17.0\n")?;
/// let dists = installed(dir.path())?;
/// assert_eq!(dists.len(), 1);
/// assert_eq!((dists[0].name.as_str(), dists[0].version.as_str()), ("six", "1.17.0"));
/// assert!(installed(&dir.path().join("missing"))?.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn installed(dir: &Path) -> Result<Vec<Distribution>, InstallError> {
    let mut dists: Vec<Distribution> = dist_infos(dir)?.into_iter().map(|info| info.dist).collect();
    dists.sort_by(|a, b| (normalize_name(&a.name), &a.version).cmp(&(normalize_name(&b.name), &b.version)));
    Ok(dists)
}

/// The entries directly in `dir` that no installed distribution's `RECORD`
/// accounts for (sorted): packages put there by other means than an
/// install with metadata, such as goru (Go)'s installer, which
/// [`installed`] cannot name and [`remove`] cannot remove. `*.dist-info`,
/// `__pycache__` and hidden entries are not counted.
///
/// ```
/// use goru_packages::unmanaged;
///
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir(dir.path().join("requests"))?;
/// std::fs::write(dir.path().join("requests/__init__.py"), "")?;
/// let info = dir.path().join("six-1.17.0.dist-info");
/// std::fs::create_dir(&info)?;
/// std::fs::write(info.join("METADATA"), "Name: six\nVersion: 1.17.0\n")?;
/// std::fs::write(info.join("RECORD"), "six.py,sha256=x,1\n")?;
/// std::fs::write(dir.path().join("six.py"), "")?;
/// assert_eq!(unmanaged(dir.path())?, ["requests"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn unmanaged(dir: &Path) -> Result<Vec<String>, InstallError> {
    let mut recorded = std::collections::HashSet::new();
    for info in dist_infos(dir)? {
        for path in record_paths(&info.path)? {
            if let Some(first) =
                safe_relative(&path).and_then(|p| p.components().next().map(|c| c.as_os_str().to_owned()))
            {
                recorded.insert(first);
            }
        }
    }
    let mut names = Vec::new();
    for entry in entries(dir)? {
        let name = entry.file_name();
        let text = name.to_string_lossy();
        let ignored = text.starts_with('.') || text == "__pycache__" || text.ends_with(".dist-info");
        if !ignored && !recorded.contains(&name) {
            names.push(text.into_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// Removes the distribution called `name` (compared normalised) from `dir`:
/// the files its `RECORD` lists, their `__pycache__` entries, directories
/// left empty, and its `*.dist-info` directory. Returns what was removed.
///
/// `RECORD` entries that are absolute, hold `..`, or lead through a symbolic
/// link are skipped: nothing outside `dir` is ever deleted, and symbolic
/// links are removed, never followed. Holds the directory's lock (shared with
/// [`Installer::install`](super::Installer::install)) while it works.
///
/// ```
/// use goru_packages::{InstallError, remove};
///
/// let dir = tempfile::tempdir()?;
/// let info = dir.path().join("six-1.17.0.dist-info");
/// std::fs::create_dir(&info)?;
/// std::fs::write(info.join("METADATA"), "Name: six\nVersion: 1.17.0\n")?;
/// std::fs::write(info.join("RECORD"), "six.py,sha256=x,1\nsix-1.17.0.dist-info/RECORD,,\n")?;
/// std::fs::write(dir.path().join("six.py"), "")?;
///
/// let removed = remove(dir.path(), "Six")?;
/// assert_eq!(removed.version, "1.17.0");
/// assert!(!dir.path().join("six.py").exists() && !info.exists());
/// assert!(matches!(remove(dir.path(), "six"), Err(InstallError::NotInstalled { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn remove(dir: &Path, name: &str) -> Result<Distribution, InstallError> {
    let not_installed = || InstallError::NotInstalled {
        name: name.to_owned(),
    };
    if !dir.is_dir() {
        return Err(not_installed());
    }
    let _lock = lock(dir)?;
    let wanted = normalize_name(name);
    let matching: Vec<DistInfo> = dist_infos(dir)?
        .into_iter()
        .filter(|info| normalize_name(&info.dist.name) == wanted)
        .collect();
    let first = matching.first().ok_or_else(not_installed)?.dist.clone();
    for info in &matching {
        remove_dist(dir, info)?;
    }
    Ok(first)
}

/// Takes the exclusive lock of `dir` (`<dir>/.goru/lock`), waiting for it;
/// it is released when the file is dropped. Blocks: call it off the async
/// runtime.
pub(crate) fn lock(dir: &Path) -> Result<File, InstallError> {
    let state = dir.join(STATE_DIR);
    fs::create_dir_all(&state).map_err(InstallError::io(format!("creating {}", state.display())))?;
    let path = state.join("lock");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(InstallError::io(format!("opening {}", path.display())))?;
    file.lock()
        .map_err(InstallError::io(format!("locking {}", path.display())))?;
    Ok(file)
}

/// The entries directly in `dir`; a missing `dir` has none.
fn entries(dir: &Path) -> Result<Vec<fs::DirEntry>, InstallError> {
    let context = || format!("reading {}", dir.display());
    match fs::read_dir(dir) {
        Ok(entries) => entries
            .collect::<Result<_, _>>()
            .map_err(InstallError::io(context())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(InstallError::io(context())(e)),
    }
}

/// The `*.dist-info` directories directly in `dir` (a missing `dir` has
/// none). Symbolic links are not followed.
pub(crate) fn dist_infos(dir: &Path) -> Result<Vec<DistInfo>, InstallError> {
    let mut infos = Vec::new();
    for entry in entries(dir)? {
        let file_name = entry.file_name();
        let Some(stem) = file_name.to_str().and_then(|n| n.strip_suffix(".dist-info")) else {
            continue;
        };
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let path = entry.path();
        let from_metadata = fs::read(path.join("METADATA"))
            .ok()
            .and_then(|bytes| parse_metadata(&String::from_utf8_lossy(&bytes)));
        let from_dir_name = || {
            let (name, version) = stem.split_once('-')?;
            Some((name.to_owned(), version.to_owned()))
        };
        if let Some((name, version)) = from_metadata.or_else(from_dir_name) {
            infos.push(DistInfo {
                path,
                dist: Distribution { name, version },
            });
        }
    }
    Ok(infos)
}

/// `Name:` and `Version:` from the header block of a core-metadata file.
fn parse_metadata(text: &str) -> Option<(String, String)> {
    let (mut name, mut version) = (None, None);
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if key.eq_ignore_ascii_case("name") && name.is_none() {
            name = Some(value.to_owned());
        } else if key.eq_ignore_ascii_case("version") && version.is_none() {
            version = Some(value.to_owned());
        }
    }
    Some((name.filter(|n| !n.is_empty())?, version.unwrap_or_default()))
}

/// The paths listed in `dist_info/RECORD` (first CSV column), as written.
/// A missing RECORD lists nothing.
pub(crate) fn record_paths(dist_info: &Path) -> Result<Vec<String>, InstallError> {
    let path = dist_info.join("RECORD");
    let context = || format!("reading {}", path.display());
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(InstallError::io(context())(e)),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(file);
    let mut paths = Vec::new();
    for record in reader.records() {
        let record =
            record.map_err(|e| InstallError::io(context())(io::Error::new(io::ErrorKind::InvalidData, e)))?;
        if let Some(path) = record.get(0).filter(|p| !p.is_empty()) {
            paths.push(path.to_owned());
        }
    }
    Ok(paths)
}

/// `path` as a relative path of plain components only (no root, no `.`,
/// no `..`), or `None`.
pub(crate) fn safe_relative(path: &str) -> Option<PathBuf> {
    // Checked on the text: `Path::components` would quietly drop a `.`.
    let segments_plain = path
        .split(['/', '\\'])
        .all(|s| !s.is_empty() && s != "." && s != "..");
    let relative = Path::new(path);
    let plain = relative.components().all(|c| matches!(c, Component::Normal(_)));
    (segments_plain && plain).then(|| relative.to_path_buf())
}

/// Whether every directory between `root` and `root/relative` (exclusive)
/// is a real directory, not a symbolic link.
fn no_links_between(root: &Path, relative: &Path) -> bool {
    let mut current = root.to_path_buf();
    let Some(parent) = relative.parent() else {
        return true;
    };
    for component in parent.components() {
        current.push(component);
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.is_dir() => {}
            _ => return false,
        }
    }
    true
}

/// Deletes the file or symbolic link at `root/relative` (never a directory,
/// never through a link); a missing one is fine. Returns whether something
/// was there to delete.
pub(crate) fn remove_file_within(root: &Path, relative: &Path) -> Result<bool, InstallError> {
    if !no_links_between(root, relative) {
        return Ok(false);
    }
    let path = root.join(relative);
    match fs::symlink_metadata(&path) {
        Ok(meta) if !meta.is_dir() => {
            fs::remove_file(&path).map_err(InstallError::io(format!("removing {}", path.display())))?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Removes `info`'s files (per its RECORD) from `dir`, then its dist-info
/// directory, then directories left empty.
pub(crate) fn remove_dist(dir: &Path, info: &DistInfo) -> Result<(), InstallError> {
    let mut parents = Vec::new();
    for listed in record_paths(&info.path)? {
        let Some(relative) = safe_relative(&listed) else {
            continue;
        };
        remove_file_within(dir, &relative)?;
        if relative.extension().is_some_and(|e| e == "py") {
            remove_bytecode(dir, &relative)?;
        }
        if let Some(parent) = relative.parent().filter(|p| !p.as_os_str().is_empty()) {
            parents.push(parent.to_path_buf());
        }
    }
    match fs::remove_dir_all(&info.path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(InstallError::io(format!("removing {}", info.path.display()))(e)),
    }
    prune_empty_dirs(dir, parents);
    Ok(())
}

/// Deletes `__pycache__/STEM.*.pyc` beside `root/relative` (a `.py` file).
fn remove_bytecode(root: &Path, relative: &Path) -> Result<(), InstallError> {
    let (Some(parent), Some(stem)) = (relative.parent(), relative.file_stem().and_then(|s| s.to_str()))
    else {
        return Ok(());
    };
    let cache = parent.join("__pycache__");
    if !no_links_between(root, &cache.join("x")) {
        return Ok(());
    }
    let Ok(entries) = fs::read_dir(root.join(&cache)) else {
        return Ok(());
    };
    let prefix = format!("{stem}.");
    for entry in entries.flatten() {
        let name = entry.file_name();
        let matches = name
            .to_str()
            .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".pyc"));
        if matches {
            remove_file_within(root, &cache.join(name))?;
        }
    }
    Ok(())
}

/// Removes each of `relatives` (directories under `root`) and their
/// ancestors below `root` when empty (and their emptied `__pycache__`),
/// deepest first. Failures (not empty, gone) are ignored.
pub(crate) fn prune_empty_dirs(root: &Path, relatives: Vec<PathBuf>) {
    let mut candidates: Vec<PathBuf> = Vec::new();
    for relative in relatives {
        for ancestor in relative.ancestors().filter(|a| !a.as_os_str().is_empty()) {
            candidates.push(ancestor.join("__pycache__"));
            candidates.push(ancestor.to_path_buf());
        }
    }
    candidates.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    candidates.dedup();
    for relative in candidates {
        if no_links_between(root, &relative) {
            let path = root.join(&relative);
            if fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
                let _ = fs::remove_dir(path);
            }
        }
    }
}

/// Moves everything in `from` into `to`: an entry absent from `to` is
/// renamed into place; a directory present in both is merged (namespace
/// packages); anything else in `to` is replaced.
pub(crate) fn merge_tree(from: &Path, to: &Path) -> Result<(), InstallError> {
    let entries = fs::read_dir(from).map_err(InstallError::io(format!("reading {}", from.display())))?;
    for entry in entries {
        let entry = entry.map_err(InstallError::io(format!("reading {}", from.display())))?;
        let source = entry.path();
        let target = to.join(entry.file_name());
        let source_is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        let move_error = || format!("moving {} to {}", source.display(), target.display());
        match fs::symlink_metadata(&target) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(InstallError::io(format!("reading {}", target.display()))(e)),
            Ok(meta) if meta.is_dir() && source_is_dir => {
                merge_tree(&source, &target)?;
                continue;
            }
            Ok(meta) if meta.is_dir() => {
                fs::remove_dir_all(&target)
                    .map_err(InstallError::io(format!("removing {}", target.display())))?;
            }
            Ok(_) if source_is_dir => {
                fs::remove_file(&target)
                    .map_err(InstallError::io(format!("removing {}", target.display())))?;
            }
            // A file over a file or link: the rename replaces it atomically.
            Ok(_) => {}
        }
        fs::rename(&source, &target).map_err(InstallError::io(move_error()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }

    fn dist(dir: &Path, name: &str, version: &str, files: &[&str], extra_record: &str) -> PathBuf {
        let info = dir.join(format!("{}-{version}.dist-info", name.replace('-', "_")));
        write(
            &info.join("METADATA"),
            &format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nBody: no\n"),
        );
        let mut record = String::new();
        for file in files {
            write(&dir.join(file), "x = 1\n");
            record.push_str(&format!("{file},sha256=abc,6\n"));
        }
        record.push_str(extra_record);
        record.push_str(&format!(
            "{},,\n",
            info.file_name().and_then(|n| n.to_str()).expect("name")
        ));
        write(&info.join("RECORD"), &record);
        info
    }

    #[test]
    fn lists_and_sorts_distributions() {
        let dir = tempfile::tempdir().expect("tempdir");
        dist(dir.path(), "six", "1.17.0", &["six.py"], "");
        dist(dir.path(), "Python-Dateutil", "2.9.0.post0", &[], "");
        fs::create_dir_all(dir.path().join("attrs-23.1.0.dist-info")).expect("mkdir");
        fs::create_dir_all(dir.path().join(".goru")).expect("mkdir");
        write(&dir.path().join("stray.dist-info"), "a file, not a directory");
        let names: Vec<(String, String)> = installed(dir.path())
            .expect("installed")
            .into_iter()
            .map(|d| (d.name, d.version))
            .collect();
        assert_eq!(
            names,
            [
                ("attrs".to_owned(), "23.1.0".to_owned()),
                ("Python-Dateutil".to_owned(), "2.9.0.post0".to_owned()),
                ("six".to_owned(), "1.17.0".to_owned()),
            ]
        );
    }

    #[test]
    fn metadata_headers() {
        assert_eq!(
            parse_metadata("Metadata-Version: 2.1\nname: Foo\nVERSION: 1.0\n\nName: Other"),
            Some(("Foo".into(), "1.0".into()))
        );
        assert_eq!(parse_metadata("Version: 1.0\n"), None);
    }

    #[test]
    fn removes_by_record_and_keeps_the_rest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        dist(
            root,
            "pkg",
            "1.0",
            &[
                "pkg/__init__.py",
                "pkg/sub/mod.py",
                "ns/pkg_part.py",
                "pkg/__pycache__/__init__.cpython-312.pyc",
            ],
            "\"pkg/with,comma.txt\",,\n../../bin/pkg-script,,\n",
        );
        write(&root.join("pkg/with,comma.txt"), "x");
        write(&root.join("pkg/sub/__pycache__/mod.cpython-312.pyc"), "bytecode");
        dist(root, "other", "2.0", &["other.py", "ns/other_part.py"], "");
        write(&root.join("bin/pkg-script"), "#!/bin/sh");
        write(&root.join("pkg/user-data.txt"), "not in the record");

        let removed = remove(root, "PKG").expect("remove");
        assert_eq!(
            removed,
            Distribution {
                name: "pkg".into(),
                version: "1.0".into()
            }
        );
        assert!(!root.join("pkg-1.0.dist-info").exists());
        assert!(!root.join("pkg/__init__.py").exists());
        assert!(!root.join("pkg/sub").exists(), "emptied directories are pruned");
        assert!(!root.join("pkg/with,comma.txt").exists());
        assert!(!root.join("ns/pkg_part.py").exists());
        // Files outside the record, and outside the tree, stay.
        assert!(root.join("pkg/user-data.txt").exists());
        assert!(root.join("bin/pkg-script").exists());
        // The other distribution is intact, namespace directory included.
        assert!(root.join("other.py").exists() && root.join("ns/other_part.py").exists());
        assert_eq!(installed(root).expect("installed").len(), 1);
        assert!(matches!(remove(root, "pkg"), Err(InstallError::NotInstalled { name }) if name == "pkg"));
        assert!(matches!(
            remove(&root.join("missing"), "pkg"),
            Err(InstallError::NotInstalled { .. })
        ));
    }

    #[test]
    fn never_deletes_outside_the_directory() {
        let outside = tempfile::tempdir().expect("tempdir");
        write(&outside.path().join("victim.txt"), "keep me");
        write(&outside.path().join("sub/victim.txt"), "keep me");
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let victim = outside.path().join("victim.txt");
        let record = format!(
            "{},,\n../victim.txt,,\n./x/../../victim.txt,,\nlinked/victim.txt,,\nlinked/sub/victim.txt,,\nfile-link,,\n",
            victim.display()
        );
        dist(root, "evil", "1.0", &[], &record);
        std::os::unix::fs::symlink(outside.path(), root.join("linked")).expect("symlink");
        std::os::unix::fs::symlink(&victim, root.join("file-link")).expect("symlink");

        remove(root, "evil").expect("remove");
        assert!(victim.exists());
        assert!(outside.path().join("sub/victim.txt").exists());
        assert!(root.join("linked").exists(), "a directory link is not removed");
        assert!(
            fs::symlink_metadata(root.join("file-link")).is_err(),
            "a listed file link is removed, not followed"
        );
    }

    #[test]
    fn safe_relative_paths() {
        assert_eq!(safe_relative("a/b.py"), Some(PathBuf::from("a/b.py")));
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "./a",
            "a/./b",
            "a//b",
            "a/",
            "a\\..\\..\\x",
        ] {
            assert_eq!(safe_relative(bad), None, "{bad}");
        }
    }

    #[test]
    fn merges_trees() {
        let from = tempfile::tempdir().expect("tempdir");
        let to = tempfile::tempdir().expect("tempdir");
        write(&from.path().join("new.py"), "new");
        write(&from.path().join("ns/b.py"), "b");
        write(&from.path().join("same.py"), "fresh");
        write(&from.path().join("was_file/x.py"), "x");
        write(&from.path().join("was_dir"), "file now");
        write(&to.path().join("ns/a.py"), "a");
        write(&to.path().join("same.py"), "stale");
        write(&to.path().join("was_file"), "file");
        write(&to.path().join("was_dir/y.py"), "y");

        merge_tree(from.path(), to.path()).expect("merge");
        let read = |p: &str| fs::read_to_string(to.path().join(p)).expect(p);
        assert_eq!(read("new.py"), "new");
        assert_eq!(read("ns/a.py"), "a");
        assert_eq!(read("ns/b.py"), "b");
        assert_eq!(read("same.py"), "fresh");
        assert_eq!(read("was_file/x.py"), "x");
        assert_eq!(read("was_dir"), "file now");
    }

    #[test]
    fn lock_is_exclusive() {
        let dir = tempfile::tempdir().expect("tempdir");
        let held = lock(dir.path()).expect("lock");
        let again = File::options()
            .write(true)
            .open(dir.path().join(STATE_DIR).join("lock"))
            .expect("open");
        assert!(again.try_lock().is_err(), "the lock is held");
        drop(held);
        assert!(again.try_lock().is_ok(), "released on drop");
    }
}
