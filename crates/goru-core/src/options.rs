//! Options for one run: limits, stdin, output streaming, terminals, the
//! command line, host functions and mounted host directories.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::io::AsyncRead;

use crate::instance::stdin::Stdin;
use crate::language::{Invocation, Main};
use crate::limits::LimitOverrides;
use crate::output::OutputSender;
use crate::{CancelHandle, HostDir, HostFunctions, MountMode};

/// Which of the guest's standard streams are terminals on the host side,
/// as [`RunOptions::terminal`] tells the guest (`isatty()`). Default: none.
///
/// ```
/// let terminal = goru_core::Terminal { stdout: true, ..Default::default() };
/// assert!(!terminal.stdin);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Terminal {
    /// Whether stdin is a terminal.
    pub stdin: bool,
    /// Whether stdout is a terminal.
    pub stdout: bool,
    /// Whether stderr is a terminal.
    pub stderr: bool,
}

/// How one run is set up. Unset limits fall back to the executor's defaults
/// (see [`crate::ExecutorBuilder::default_limits`]); each limit of
/// [`crate::Limits`] has a setter of the same name here.
///
/// ```
/// use goru_core::RunOptions;
/// use std::time::Duration;
///
/// let opts = RunOptions::new()
///     .timeout(Duration::from_secs(1))
///     .memory_bytes(64 << 20)
///     .stdin("line one\n");
/// assert_eq!(opts.stdin_bytes(), b"line one\n");
/// ```
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// The limits this run sets; their setters are made with [`crate::Limits`].
    pub(crate) limits: LimitOverrides,
    pub(crate) host: Vec<Arc<dyn HostFunctions>>,
    pub(crate) stdin: Stdin,
    pub(crate) output: Option<OutputSender>,
    pub(crate) terminal: Terminal,
    pub(crate) invocation: Invocation,
    pub(crate) cancel: Option<CancelHandle>,
    /// Checked when the run starts.
    pub(crate) host_dirs: Vec<HostDir>,
}

impl RunOptions {
    /// Options with every limit at the executor's default and empty stdin.
    pub fn new() -> Self {
        Self::default()
    }

    /// Lets this run call `functions`. Providers added here are asked before
    /// earlier ones of this run, and all of them before the executor's
    /// (see [`crate::ExecutorBuilder::host_functions`]).
    pub fn host_functions(mut self, functions: Arc<dyn HostFunctions>) -> Self {
        self.host.insert(0, functions);
        self
    }

    /// Bytes the guest reads on stdin; after them it sees end of file.
    /// Without this the guest sees end of file at once, never the host's stdin.
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Stdin::Bytes(Arc::from(bytes.into()));
        self
    }

    /// Streams the guest's stdin from `reader`, read only as the guest reads
    /// (a chunk of at most 64 KiB at a time, never the whole input at once),
    /// until it ends. A read that waits on `reader` ends when the run is
    /// stopped. Replaces [`RunOptions::stdin`]. The reader is used by the
    /// first run (or session) started with these options or a clone of
    /// them; any later one sees end of file at once.
    ///
    /// ```no_run
    /// use goru_core::RunOptions;
    ///
    /// # async fn demo() -> std::io::Result<()> {
    /// let input = tokio::fs::File::open("input.txt").await?;
    /// let options = RunOptions::new().stdin_reader(input);
    /// # let _ = options; Ok(()) }
    /// ```
    pub fn stdin_reader(mut self, reader: impl AsyncRead + Send + Unpin + 'static) -> Self {
        self.stdin = Stdin::Reader(Arc::new(Mutex::new(Some(Box::new(reader)))));
        self
    }

    /// Streams the guest's output to `sender` as it is written, besides
    /// collecting it in the result; see [`crate::output_channel`]. For a
    /// session, it streams everything the session's guest writes, except in
    /// the runs that stream to a sender of their own
    /// ([`crate::SessionRun::output`]).
    pub fn output(mut self, sender: OutputSender) -> Self {
        self.output = Some(sender);
        self
    }

    /// Tells the guest which of its standard streams are terminals, e.g.
    /// for `sys.stdout.isatty()`: a stream is one only if it says so here
    /// (by default none is). A front end sets the streams it passes the
    /// guest's bytes on to, so libraries colour their output only where
    /// a terminal shows it.
    pub fn terminal(mut self, terminal: Terminal) -> Self {
        self.terminal = terminal;
        self
    }

    /// Runs the code as a script named `name` (python3's `python3 NAME`):
    /// the language shows `name` as the program name (`sys.argv[0]`) and in
    /// tracebacks. Without it (or [`RunOptions::module`]), the code is run
    /// as the command line's `-c CODE`.
    pub fn script(mut self, name: impl Into<String>) -> Self {
        self.invocation.main = Main::Script(name.into());
        self
    }

    /// Runs the module `name` as the main program (python3's `-m NAME`),
    /// from the language's standard library or its packages; the code
    /// given to the run is then not used (pass `""`).
    pub fn module(mut self, name: impl Into<String>) -> Self {
        self.invocation.main = Main::Module(name.into());
        self
    }

    /// The arguments after the program name (`sys.argv[1:]`). A language
    /// that takes none refuses a run with arguments
    /// ([`crate::Error::InvalidOption`]).
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.invocation.args = args.into_iter().map(Into::into).collect();
        self
    }

    /// The program name and arguments set with [`RunOptions::script`],
    /// [`RunOptions::module`] and [`RunOptions::args`].
    pub fn invocation(&self) -> &Invocation {
        &self.invocation
    }

    /// Lets `handle` stop this run.
    pub fn cancel_handle(mut self, handle: CancelHandle) -> Self {
        self.cancel = Some(handle);
        self
    }

    /// Shows the host directory `host_dir` to the guest at `guest_path`,
    /// read-only: the guest can list and read it but never write, create,
    /// rename or delete anything there, and no path or symlink in it leads
    /// outside `host_dir`. Changes the host makes while the run goes on are
    /// seen. Several directories may be given, at different guest paths.
    ///
    /// The run (or session) fails with [`crate::Error::InvalidOption`] unless
    /// `host_dir` is an existing directory and `guest_path` is absolute and
    /// normalised (`/data`, `/srv/models`: no `.`, `..`, empty or trailing
    /// component), is not `/` and not inside goru's own directories
    /// (`/dev`, `/etc`, `/tmp`, `/.goru`), and neither holds nor lies inside
    /// another directory given here.
    ///
    /// ```
    /// use goru_core::RunOptions;
    ///
    /// let opts = RunOptions::new().read_only_dir("/data", "./input");
    /// let dirs: Vec<_> = opts.read_only_dirs().collect();
    /// assert_eq!(dirs, [("/data", std::path::Path::new("./input"))]);
    /// ```
    pub fn read_only_dir(self, guest_path: impl Into<String>, host_dir: impl Into<PathBuf>) -> Self {
        self.host_dir(HostDir::new(guest_path, host_dir, MountMode::ReadOnly))
    }

    /// The read-only directories (those given with
    /// [`RunOptions::read_only_dir`]): `(guest path, host directory)`, in the
    /// order given.
    pub fn read_only_dirs(&self) -> impl Iterator<Item = (&str, &Path)> {
        self.host_dirs
            .iter()
            .filter(|dir| dir.mode() == MountMode::ReadOnly)
            .map(|dir| (dir.guest_path(), dir.host_path()))
    }

    /// Shows a host directory to the guest's own file APIs (`open()`,
    /// `os.listdir`, `std.open`...) with the access its [`MountMode`]
    /// grants and its limits (see [`HostDir`]). The rules of
    /// [`RunOptions::read_only_dir`] apply to its paths; directories that
    /// host-function providers bring ([`HostFunctions::host_dirs`]) count
    /// too.
    ///
    /// ```
    /// use goru_core::{HostDir, MountMode, RunOptions};
    ///
    /// let opts = RunOptions::new().host_dir(HostDir::new("/out", "./results", MountMode::ReadWriteCreate));
    /// assert_eq!(opts.host_dirs().next().map(HostDir::guest_path), Some("/out"));
    /// ```
    pub fn host_dir(mut self, dir: HostDir) -> Self {
        self.host_dirs.push(dir);
        self
    }

    /// The directories given with [`RunOptions::host_dir`] and
    /// [`RunOptions::read_only_dir`], in the order given.
    pub fn host_dirs(&self) -> impl Iterator<Item = &HostDir> {
        self.host_dirs.iter()
    }

    /// The stdin bytes set with [`RunOptions::stdin`] (none for a reader).
    pub fn stdin_bytes(&self) -> &[u8] {
        match &self.stdin {
            Stdin::Bytes(bytes) => bytes,
            Stdin::Empty | Stdin::Reader(_) => &[],
        }
    }
}
