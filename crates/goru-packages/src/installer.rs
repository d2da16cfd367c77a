//! The installer: pip resolves and downloads pure-Python wheels for CPython
//! 3.12 into a staging tree, goru checks them and moves them into place.

use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use goru_core::Executor;
use goru_interpreters::pip::{self, KillSwitch, Pip, PipOutput};

use crate::bytecode;
use crate::error::InstallError;
use crate::requirement::{Requirement, normalize_name};
use crate::site::{self, DistInfo, Distribution, STATE_DIR};
use crate::wheel::{file_name_from_url, is_native_library, is_pure_wheel};

/// The progress callback.
type Progress = Arc<dyn Fn(&str) + Send + Sync>;

/// The guest's Python version: wheels are chosen for it.
const PYTHON_VERSION: &str = "3.12";
/// pip error lines that mean "no set of wheels fits", not "pip broke".
const RESOLUTION_MARKERS: [&str; 4] = [
    "Could not find a version that satisfies",
    "No matching distribution found",
    "ResolutionImpossible",
    "conflicting dependencies",
];
/// Longest pip error line kept in a [`InstallError::Resolution`] message.
const MAX_ERROR_LINE: usize = 300;
/// Lines of pip's output in an [`InstallError::Pip`].
const PIP_ERROR_LINES: usize = 20;

/// Installs Python packages for the guest: pure-Python wheels only
/// (`py3-none-any`), with their dependencies, into a directory the guest
/// imports from.
///
/// The machine's own pip (`python3 -m pip`, with the user's pip
/// configuration: index, certificates, proxy) resolves and downloads the
/// wheels as if for CPython 3.12 on any platform; it never builds anything
/// and no package code runs on the host. goru then checks the wheels
/// (pure-Python tags, no compiled modules) and moves them into the
/// directory, replacing older versions.
///
/// Defaults: the Python program is `$GORU_PYTHON` if set and non-empty, else
/// `python3`; the wheel cache is [`Installer::default_cache_dir`]; no
/// progress callback.
///
/// ```no_run
/// use goru_packages::{Installer, Requirement};
///
/// # async fn demo() -> Result<(), goru_packages::InstallError> {
/// let installer = Installer::new().progress(|line| eprintln!("  {line}"));
/// let six = Requirement::parse("six==1.16.0")?;
/// let installed = installer.install("/srv/goru/packages".as_ref(), &[six]).await?;
/// assert_eq!(installed[0].name, "six");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Installer {
    python: OsString,
    cache_dir: Option<PathBuf>,
    progress: Option<Progress>,
    bytecode: Option<Executor>,
}

impl fmt::Debug for Installer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Installer")
            .field("python", &self.python)
            .field("cache_dir", &self.cache_dir)
            .field("progress", &self.progress.is_some())
            .field("bytecode", &self.bytecode.is_some())
            .finish()
    }
}

impl Default for Installer {
    fn default() -> Self {
        Self::new()
    }
}

impl Installer {
    /// An installer with the defaults: `$GORU_PYTHON` (if set and non-empty)
    /// or `python3`, the [default cache](Installer::default_cache_dir), no
    /// progress callback.
    ///
    /// ```
    /// let installer = goru_packages::Installer::new();
    /// # let _ = installer;
    /// ```
    pub fn new() -> Self {
        Self {
            python: pip::default_python(),
            cache_dir: Self::default_cache_dir(),
            progress: None,
            bytecode: None,
        }
    }

    /// pip's cache of downloaded wheels: `goru/wheels` in the user's cache
    /// directory (`$XDG_CACHE_HOME` or `~/.cache` on Linux,
    /// `~/Library/Caches` on macOS), `None` when there is no such directory
    /// (then nothing is cached).
    ///
    /// ```
    /// use goru_packages::Installer;
    ///
    /// if let Some(dir) = Installer::default_cache_dir() {
    ///     assert!(dir.ends_with("goru/wheels"));
    /// }
    /// ```
    pub fn default_cache_dir() -> Option<PathBuf> {
        dirs::cache_dir().map(|dir| dir.join("goru").join("wheels"))
    }

    /// The Python program that runs pip (`program -m pip`): a name looked
    /// up on `PATH` or a path. It needs pip 22.2 or newer; its own version
    /// does not matter (wheels are chosen for 3.12).
    ///
    /// ```
    /// use goru_packages::Installer;
    ///
    /// let installer = Installer::new().python("/usr/bin/python3.11");
    /// # let _ = installer;
    /// ```
    pub fn python(mut self, program: impl Into<OsString>) -> Self {
        self.python = program.into();
        self
    }

    /// Where pip caches downloads (its `--cache-dir`).
    ///
    /// ```
    /// use goru_packages::Installer;
    ///
    /// let installer = Installer::new().cache_dir("/var/cache/goru/wheels");
    /// # let _ = installer;
    /// ```
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Calls `f` with each line of progress: pip's own output lines
    /// (`Collecting six`, `Downloading ...`) and goru's (`resolving ...`,
    /// `installed ...`). Called from the task running the install.
    ///
    /// ```
    /// use goru_packages::Installer;
    ///
    /// let installer = Installer::new().progress(|line| eprintln!("  {line}"));
    /// # let _ = installer;
    /// ```
    pub fn progress(mut self, f: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// Byte-compiles what it installs with the guest's CPython, run by
    /// `executor` in the sandbox (compiling runs no package code), so the
    /// guest's imports load `__pycache__/*.pyc` instead of compiling every
    /// module in every run. If that fails the install still succeeds (with a
    /// progress line saying so): the sources work without.
    ///
    /// ```no_run
    /// use goru_core::Executor;
    /// use goru_packages::Installer;
    ///
    /// let installer = Installer::new().bytecode(Executor::builder().build()?);
    /// # let _ = installer;
    /// # Ok::<(), goru_core::Error>(())
    /// ```
    pub fn bytecode(mut self, executor: Executor) -> Self {
        self.bytecode = Some(executor);
        self
    }

    fn say(&self, line: &str) {
        if let Some(progress) = &self.progress {
            progress(line);
        }
    }

    /// Resolves `reqs` with their dependencies and installs them into `dir`
    /// (created if missing), replacing installed versions of the same
    /// packages. Returns the distributions installed, sorted by normalised
    /// name.
    ///
    /// Everything is resolved for CPython 3.12 and must be a pure-Python
    /// wheel, else nothing is installed and the error is
    /// [`InstallError::NotPurePython`] naming the culprits. The work happens
    /// in `<dir>/.goru/` (a staging tree, removed afterwards, also on
    /// failure) under an exclusive lock on `<dir>/.goru/lock`, so installs
    /// into one directory run one at a time, across processes too.
    /// Dropping the future stops pip (it is killed).
    ///
    /// ```no_run
    /// use goru_packages::{Installer, Requirement};
    ///
    /// # async fn demo() -> Result<(), goru_packages::InstallError> {
    /// let reqs = [Requirement::parse("python-dateutil")?];
    /// for dist in Installer::new().install("packages".as_ref(), &reqs).await? {
    ///     println!("{} {}", dist.name, dist.version); // python-dateutil, six
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn install(&self, dir: &Path, reqs: &[Requirement]) -> Result<Vec<Distribution>, InstallError> {
        if reqs.is_empty() {
            return Ok(Vec::new());
        }
        fs::create_dir_all(dir).map_err(InstallError::io(format!("creating {}", dir.display())))?;
        let dir = dir.to_path_buf();
        let lock = blocking({
            let dir = dir.clone();
            move || {
                let lock = site::lock(&dir)?;
                remove_stale_staging(&dir);
                Ok(lock)
            }
        })
        .await?;
        let state = dir.join(STATE_DIR);
        let staging = tempfile::Builder::new()
            .prefix("staging-")
            .tempdir_in(&state)
            .map_err(InstallError::io(format!(
                "creating a staging directory in {}",
                state.display()
            )))?;
        let tree = staging.path().join("tree");
        let report = staging.path().join("report.json");

        let list = reqs.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ");
        self.say(&format!(
            "resolving {list} (pure-Python wheels for CPython {PYTHON_VERSION})"
        ));
        let args = self.pip_args(
            &[
                "--no-warn-conflicts",
                "--no-compile",
                "--platform",
                "any",
                "--implementation",
                "py",
                "--abi",
                "none",
            ],
            &tree,
            &report,
            reqs,
        );
        let output = self.run_pip(&args, staging.path(), true).await?;
        if !output.success() {
            return Err(self.explain_failure(&state, reqs, &output).await);
        }

        let dists = read_report(&report)?;
        let not_pure: Vec<(String, String, String)> = dists
            .iter()
            .filter(|(_, _, wheel)| !is_pure_wheel(wheel))
            .cloned()
            .collect();
        if !not_pure.is_empty() {
            return Err(InstallError::NotPurePython { packages: not_pure });
        }
        if let Some(executor) = &self.bytecode {
            match bytecode::compile(executor, &tree).await {
                Ok(modules) => self.say(&format!(
                    "byte-compiled {modules} modules for CPython {PYTHON_VERSION}"
                )),
                Err(error) => {
                    tracing::warn!(%error, "installed packages are not byte-compiled");
                    self.say(&format!(
                        "not byte-compiled ({error}); imports will compile the sources"
                    ));
                }
            }
        }
        // The lock and the staging tree move into the blocking task: if this
        // future is dropped mid-move, the move still finishes under the lock
        // before the staging tree is removed.
        let installed = blocking(move || {
            let result = put_in_place(&tree, &dir, &dists);
            drop(staging);
            drop(lock);
            result
        })
        .await?;
        let summary: Vec<String> = installed
            .iter()
            .map(|d| format!("{} {}", d.name, d.version))
            .collect();
        self.say(&format!("installed {}", summary.join(", ")));
        Ok(installed)
    }

    /// Deletes the wheel cache ([`Installer::cache_dir`]) and returns the
    /// bytes it held; a missing cache (or none configured) frees 0 bytes.
    ///
    /// ```
    /// use goru_packages::Installer;
    ///
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("wheel"), [0u8; 100])?;
    /// let installer = Installer::new().cache_dir(dir.path());
    /// assert_eq!(installer.clear_cache()?, 100);
    /// assert_eq!(installer.clear_cache()?, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn clear_cache(&self) -> Result<u64, InstallError> {
        let Some(dir) = &self.cache_dir else {
            return Ok(0);
        };
        let bytes = disk_usage(dir);
        match fs::remove_dir_all(dir) {
            Ok(()) => Ok(bytes),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(InstallError::io(format!("removing {}", dir.display()))(e)),
        }
    }

    /// The arguments of a pip run: the common options, `extra`, the target
    /// tree and report file, then the requirements after `--`.
    fn pip_args(&self, extra: &[&str], target: &Path, report: &Path, reqs: &[Requirement]) -> Vec<OsString> {
        let mut args = self.common_args();
        args.extend(extra.iter().map(OsString::from));
        args.extend([OsString::from("--target"), target.into()]);
        args.extend([OsString::from("--report"), report.into()]);
        args.push("--".into());
        args.extend(reqs.iter().map(|r| OsString::from(r.to_string())));
        args
    }

    /// The options of every `pip install` (besides the runner's own: no
    /// prompts, no version check): only wheels (nothing is ever built), for
    /// Python 3.12, and the cache.
    fn common_args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = [
            "--root-user-action=ignore",
            "--progress-bar",
            "off",
            "--only-binary=:all:",
            "--python-version",
            PYTHON_VERSION,
        ]
        .map(OsString::from)
        .into();
        match &self.cache_dir {
            Some(dir) => args.extend([OsString::from("--cache-dir"), dir.into()]),
            None => args.push("--no-cache-dir".into()),
        }
        args
    }

    /// Runs `pip install ARGS`, its temporary files in `work/tmp`, its output
    /// lines to the progress callback when `report` is set. pip runs on
    /// tokio's blocking pool; dropping the future kills it.
    async fn run_pip(&self, args: &[OsString], work: &Path, report: bool) -> Result<PipOutput, InstallError> {
        let tmp = work.join("tmp");
        fs::create_dir_all(&tmp).map_err(InstallError::io(format!("creating {}", tmp.display())))?;
        let progress = self.progress.clone().filter(|_| report);
        let kill = KillSwitch::default();
        let _kill_when_dropped = KillOnDrop(kill.clone());
        let pip = Pip::new(&self.python, "install")
            .args(args)
            // pip writes into a directory we choose, never into an
            // environment: a user's `require-virtualenv` or `user` setting
            // would only refuse the --target install. The rest of their
            // configuration (index, certificates, proxy) applies.
            .env("PIP_REQUIRE_VIRTUALENV", "0")
            .env("PIP_USER", "0")
            // pip's own temporary files (it unpacks --target installs there
            // first) stay inside our staging directory, so they are removed
            // with it even when pip is killed.
            .env("TMPDIR", &tmp)
            .kill_switch(kill);
        let run = move || {
            pip.run(|line| {
                if let Some(progress) = &progress {
                    progress(line);
                }
            })
        };
        let output = match tokio::task::spawn_blocking(run).await {
            Ok(output) => output,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(io::Error::other(e)),
        }
        .map_err(|e| self.pip_unavailable(e.to_string()))?;
        if output.success() {
            return Ok(output);
        }
        if output.mentions("No module named pip") {
            return Err(self.pip_unavailable("it has no pip module".into()));
        }
        if output.mentions("no such option") {
            let reason = format!("its pip is too old ({})", output.last_lines(1));
            return Err(self.pip_unavailable(reason));
        }
        Ok(output)
    }

    fn pip_unavailable(&self, reason: String) -> InstallError {
        InstallError::PipUnavailable {
            program: self.python.to_string_lossy().into_owned(),
            reason,
        }
    }

    /// The error for a failed pure resolution. When pip's errors say no set
    /// of wheels fits, a second, dry run for this machine's platform tells
    /// whether platform-specific wheels were the obstacle.
    async fn explain_failure(&self, state: &Path, reqs: &[Requirement], output: &PipOutput) -> InstallError {
        let is_resolution = output
            .errors()
            .iter()
            .any(|l| RESOLUTION_MARKERS.iter().any(|m| l.contains(m)));
        if !is_resolution {
            return InstallError::Pip {
                status: output.status().and_then(|s| s.code()),
                output: output.last_lines(PIP_ERROR_LINES),
            };
        }
        match self.diagnose(state, reqs).await {
            Ok(not_pure) if !not_pure.is_empty() => InstallError::NotPurePython { packages: not_pure },
            _ => InstallError::Resolution {
                message: resolution_message(output),
            },
        }
    }

    /// Resolves `reqs` for this machine's platform (dry run, nothing
    /// installed) and returns the packages it picked whose wheels are not
    /// pure Python.
    async fn diagnose(
        &self,
        state: &Path,
        reqs: &[Requirement],
    ) -> Result<Vec<(String, String, String)>, InstallError> {
        self.say("looking for the packages that have no pure-Python wheel");
        let scratch = tempfile::Builder::new()
            .prefix("diagnose-")
            .tempdir_in(state)
            .map_err(InstallError::io(format!(
                "creating a directory in {}",
                state.display()
            )))?;
        let report = scratch.path().join("diag.json");
        // --target makes pip ignore what the host Python has installed. Its
        // output is not progress: it would repeat the first run's errors.
        let args = self.pip_args(
            &["--dry-run", "--quiet"],
            &scratch.path().join("tree"),
            &report,
            reqs,
        );
        let output = self.run_pip(&args, scratch.path(), false).await?;
        if !output.success() {
            return Ok(Vec::new());
        }
        Ok(read_report(&report)?
            .into_iter()
            .filter(|(_, _, wheel)| !is_pure_wheel(wheel))
            .collect())
    }
}

/// Kills pip when the install future holding it is dropped.
struct KillOnDrop(KillSwitch);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        self.0.kill();
    }
}

/// Runs `f` on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, InstallError> + Send + 'static,
) -> Result<T, InstallError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|join_error| {
        if join_error.is_panic() {
            std::panic::resume_unwind(join_error.into_panic());
        }
        Err(InstallError::Io {
            context: "installing packages".into(),
            source: io::Error::other("the install task was cancelled"),
        })
    })
}

/// Removes staging trees left by an install that was killed (called with
/// the lock held, so none is in use).
fn remove_stale_staging(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir.join(STATE_DIR)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let stale = name
            .to_str()
            .is_some_and(|n| n.starts_with("staging-") || n.starts_with("diagnose-"));
        if stale && entry.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// `(name, version, wheel file)` of each package in pip's `--report`.
fn read_report(path: &Path) -> Result<Vec<(String, String, String)>, InstallError> {
    #[derive(serde::Deserialize)]
    struct Report {
        install: Vec<Item>,
    }
    #[derive(serde::Deserialize)]
    struct Item {
        metadata: Metadata,
        download_info: DownloadInfo,
    }
    #[derive(serde::Deserialize)]
    struct Metadata {
        name: String,
        version: String,
    }
    #[derive(serde::Deserialize)]
    struct DownloadInfo {
        url: String,
    }
    let context = || format!("reading pip's report {}", path.display());
    let bytes = fs::read(path).map_err(InstallError::io(context()))?;
    let report: Report = serde_json::from_slice(&bytes)
        .map_err(|e| InstallError::io(context())(io::Error::new(io::ErrorKind::InvalidData, e)))?;
    Ok(report
        .install
        .into_iter()
        .map(|item| {
            let wheel = file_name_from_url(&item.download_info.url);
            (item.metadata.name, item.metadata.version, wheel)
        })
        .collect())
}

/// pip's error lines (without `ERROR: `, each cut short), and its last
/// retry warning when the network was in trouble.
fn resolution_message(output: &PipOutput) -> String {
    let mut lines: Vec<String> = output
        .errors()
        .iter()
        .map(|l| shorten(l.strip_prefix("ERROR: ").unwrap_or(l)))
        .collect();
    if let Some(warning) = output.retry_warning() {
        lines.push(shorten(warning));
    }
    if lines.is_empty() {
        lines.push(output.last_lines(1));
    }
    lines.join("\n")
}

fn shorten(line: &str) -> String {
    if line.len() <= MAX_ERROR_LINE {
        return line.to_owned();
    }
    let mut end = MAX_ERROR_LINE;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &line[..end])
}

/// Checks the staged `tree` and moves it into `dir`: each staged package's
/// installed version is removed first. `dists` are pip's report entries.
fn put_in_place(
    tree: &Path,
    dir: &Path,
    dists: &[(String, String, String)],
) -> Result<Vec<Distribution>, InstallError> {
    let staged = site::dist_infos(tree)?;
    drop_out_of_tree_files(tree, &staged)?;
    check_no_native_code(tree, &staged, dists)?;
    let installed = site::dist_infos(dir)?;
    for info in &staged {
        let name = normalize_name(&info.dist.name);
        for old in installed
            .iter()
            .filter(|old| normalize_name(&old.dist.name) == name)
        {
            site::remove_dist(dir, old)?;
        }
    }
    site::merge_tree(tree, dir)?;
    let mut dists: Vec<Distribution> = staged.into_iter().map(|info| info.dist).collect();
    dists.sort_by_key(|d| normalize_name(&d.name));
    Ok(dists)
}

/// Deletes what pip `--target` put beside the import tree: console scripts
/// (`bin/`, host-Python launchers, of no use in the sandbox) and data files.
/// Their RECORD paths begin with `../../` (relative to a `lib/python` that
/// `--target` flattens away), which [`super::remove`] would never follow, so
/// they are not installed at all.
fn drop_out_of_tree_files(tree: &Path, staged: &[DistInfo]) -> Result<(), InstallError> {
    let mut parents = Vec::new();
    for info in staged {
        for listed in site::record_paths(&info.path)? {
            let Some(relative) = listed.strip_prefix("../../").and_then(site::safe_relative) else {
                continue;
            };
            site::remove_file_within(tree, &relative)?;
            if let Some(parent) = relative.parent().filter(|p| !p.as_os_str().is_empty()) {
                parents.push(parent.to_path_buf());
            }
        }
    }
    site::prune_empty_dirs(tree, parents);
    Ok(())
}

/// Refuses a staged tree holding compiled modules or native libraries
/// (possible even in a wheel tagged `none-any`), naming the packages whose
/// RECORD lists them.
fn check_no_native_code(
    tree: &Path,
    staged: &[DistInfo],
    dists: &[(String, String, String)],
) -> Result<(), InstallError> {
    let mut native = Vec::new();
    find_native(tree, tree, &mut native)?;
    if native.is_empty() {
        return Ok(());
    }
    let mut packages: Vec<(String, String, String)> = Vec::new();
    for info in staged {
        let listed = site::record_paths(&info.path)?;
        if listed.iter().any(|p| native.iter().any(|n| Path::new(p) == n)) {
            let name = normalize_name(&info.dist.name);
            let wheel = dists
                .iter()
                .find(|(n, _, _)| normalize_name(n) == name)
                .map(|(_, _, wheel)| wheel.clone())
                .unwrap_or_default();
            packages.push((info.dist.name.clone(), info.dist.version.clone(), wheel));
        }
    }
    if packages.is_empty() {
        let file = native[0].display().to_string();
        packages.push(("(unknown package)".into(), String::new(), file));
    }
    Err(InstallError::NotPurePython { packages })
}

/// Collects (relative to `root`) the native libraries under `dir`, without
/// following symbolic links.
fn find_native(root: &Path, dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), InstallError> {
    let entries = fs::read_dir(dir).map_err(InstallError::io(format!("reading {}", dir.display())))?;
    for entry in entries {
        let entry = entry.map_err(InstallError::io(format!("reading {}", dir.display())))?;
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            find_native(root, &path, found)?;
        } else if is_native_library(&path) {
            found.push(path.strip_prefix(root).unwrap_or(&path).to_path_buf());
        }
    }
    Ok(())
}

/// Bytes of the regular files under `path` (symbolic links not followed).
fn disk_usage(path: &Path) -> u64 {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    fs::read_dir(path)
        .map(|entries| entries.flatten().map(|e| disk_usage(&e.path())).sum())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }

    fn stage(tree: &Path, name: &str, version: &str, files: &[&str]) {
        let info = tree.join(format!("{name}-{version}.dist-info"));
        write(
            &info.join("METADATA"),
            &format!("Name: {name}\nVersion: {version}\n"),
        );
        let mut record = String::new();
        for file in files {
            let path = file.strip_prefix("../../").unwrap_or(file);
            write(&tree.join(path), "data");
            record.push_str(&format!("{file},,\n"));
        }
        write(&info.join("RECORD"), &record);
    }

    #[test]
    fn puts_staged_packages_in_place_replacing_old_versions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tree = tempfile::tempdir().expect("tempdir");
        stage(dir.path(), "six", "1.16.0", &["six.py", "six_old_only.py"]);
        stage(dir.path(), "other", "1.0", &["other.py"]);
        stage(
            tree.path(),
            "six",
            "1.17.0",
            &["six.py", "../../bin/six-tool", "../../share/six/x.txt"],
        );
        let wheel = "six-1.17.0-py2.py3-none-any.whl".to_owned();
        let dists = [("six".to_owned(), "1.17.0".to_owned(), wheel)];

        let installed = put_in_place(tree.path(), dir.path(), &dists).expect("put in place");
        assert_eq!(
            installed,
            [Distribution {
                name: "six".into(),
                version: "1.17.0".into()
            }]
        );
        let root = dir.path();
        assert!(root.join("six-1.17.0.dist-info").is_dir() && !root.join("six-1.16.0.dist-info").exists());
        assert!(root.join("six.py").exists() && !root.join("six_old_only.py").exists());
        assert!(root.join("other.py").exists());
        assert!(
            !root.join("bin").exists() && !root.join("share").exists(),
            "out-of-tree files are dropped"
        );
    }

    #[test]
    fn refuses_native_code_even_in_pure_wheels() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tree = tempfile::tempdir().expect("tempdir");
        stage(
            tree.path(),
            "sneaky",
            "1.0",
            &[
                "sneaky/__init__.py",
                "sneaky/_speed.cpython-312-x86_64-linux-gnu.so",
            ],
        );
        stage(tree.path(), "fine", "1.0", &["fine.py"]);
        let dists = [
            (
                "sneaky".to_owned(),
                "1.0".to_owned(),
                "sneaky-1.0-py3-none-any.whl".to_owned(),
            ),
            (
                "fine".to_owned(),
                "1.0".to_owned(),
                "fine-1.0-py3-none-any.whl".to_owned(),
            ),
        ];
        let error = put_in_place(tree.path(), dir.path(), &dists).expect_err("native code");
        let InstallError::NotPurePython { packages } = &error else {
            panic!("{error:?}")
        };
        assert_eq!(packages.len(), 1);
        assert_eq!(packages[0].0, "sneaky");
        assert!(
            error.to_string().contains("holds compiled extension modules"),
            "{error}"
        );
        assert!(
            fs::read_dir(dir.path()).expect("read").next().is_none(),
            "nothing installed"
        );
    }

    #[test]
    fn resolution_messages_are_trimmed() {
        let long = format!("ERROR: Cannot install {}", "x==1, ".repeat(100));
        let mut output = PipOutput::default();
        for line in [long.as_str(), "ERROR: ResolutionImpossible: for help visit ..."] {
            output.push(line);
        }
        let message = resolution_message(&output);
        let lines: Vec<&str> = message.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("Cannot install x==1") && lines[0].ends_with("..."));
        assert_eq!(lines[0].len(), MAX_ERROR_LINE + 3);
        assert_eq!(lines[1], "ResolutionImpossible: for help visit ...");
    }

    #[test]
    fn debug_and_clear_cache_without_a_cache() {
        let mut installer = Installer::new().python("py").progress(|_| {});
        installer.cache_dir = None;
        let debug = format!("{installer:?}");
        assert!(
            debug.contains("\"py\"") && debug.contains("progress: true"),
            "{debug}"
        );
        assert_eq!(installer.clear_cache().expect("clear"), 0);
        assert_eq!(installer.python, "py");
        assert!(
            installer
                .common_args()
                .contains(&OsString::from("--no-cache-dir"))
        );
    }
}
