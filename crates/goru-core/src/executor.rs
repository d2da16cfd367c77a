//! The `Executor`: one wasmer engine, the module cache, and the runs.

mod builder;
mod cancel;
pub(crate) mod guest_thread;
mod runtime;
mod snapshots;

use std::sync::Arc;

use wasmer_wasix::PluggableRuntime;

use crate::cache::ModuleCache;
use crate::instance::control::{RunControl, STOP_GRACE, StopReason};
use crate::instance::stdio::Capture;
use crate::instance::{self, RunSpec};
use crate::session::{self, Session, block_on};
use crate::{Error, HostDir, HostFunctions, Language, Limits, Program, RunOptions, RunResult};
pub use builder::{Compiler, ExecutorBuilder};
pub use cancel::CancelHandle;
use snapshots::BootPlan;

/// Runs code in sandboxed interpreters. Cheap to clone; all clones share one
/// engine and one module cache. `Send + Sync`: many runs may go at once from
/// many threads or tasks.
///
/// ```no_run
/// # async fn demo(python: &dyn goru_core::Language) -> Result<(), goru_core::Error> {
/// use goru_core::{Executor, RunOptions};
///
/// let executor = Executor::builder().build()?;
/// let result = executor.run(python, "print('hi')", RunOptions::new()).await?;
/// assert_eq!(result.stdout(), b"hi\n");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Executor {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    engine: wasmer::Engine,
    cache: ModuleCache,
    wasi_runtime: Arc<PluggableRuntime>,
    handle: tokio::runtime::Handle,
    default_limits: Limits,
    host: Vec<Arc<dyn HostFunctions>>,
    snapshots: snapshots::Snapshots,
}

impl Executor {
    /// Starts building an executor; see [`ExecutorBuilder`] for the defaults.
    pub fn builder() -> ExecutorBuilder {
        ExecutorBuilder::default()
    }

    /// The limits runs get when their [`RunOptions`] leave one unset.
    pub fn default_limits(&self) -> Limits {
        self.inner.default_limits
    }

    /// Makes sure `language`'s module is compiled (or loaded from the disk
    /// cache) and held in memory, and its snapshot taken (or loaded) if it
    /// offers one (see [`ExecutorBuilder::snapshots`]). Runs do this on
    /// demand; call it to move the cost to start-up. Blocks the calling
    /// thread meanwhile.
    pub fn prepare(&self, language: &dyn Language) -> Result<(), Error> {
        let module = self.inner.cache.get(language)?;
        let plan = BootPlan::new(&self.inner, language);
        self.inner.boot(&plan, &module, u32::MAX).map(drop)
    }

    /// The memory `language`'s interpreter has before it runs a single
    /// instruction (its module's initial linear memory): a memory cap below
    /// it cannot start the interpreter. Loads (or compiles) the module.
    ///
    /// ```no_run
    /// # fn demo(python: &dyn goru_core::Language) -> Result<(), goru_core::Error> {
    /// let executor = goru_core::Executor::builder().build()?;
    /// let floor = executor.initial_memory_bytes(python)?;
    /// assert!(floor > 0);
    /// # Ok(()) }
    /// ```
    pub fn initial_memory_bytes(&self, language: &dyn Language) -> Result<u64, Error> {
        let module = self.inner.cache.get(language)?;
        Ok(module
            .exports()
            .memories()
            .map(|memory| u64::from(memory.ty().minimum.0) * u64::from(wasmer::WASM_PAGE_SIZE as u32))
            .max()
            .unwrap_or(0))
    }

    /// Runs `code` in a fresh instance of `language` and waits for it.
    ///
    /// Dropping the returned future stops the guest. Guest behaviour never
    /// makes this panic or hang: a run that outlives its timeout is stopped
    /// and reported as [`Error::Timeout`]. Code that [`crate::check_code`]
    /// refuses fails with [`Error::InvalidCode`] before anything starts.
    pub async fn run(
        &self,
        language: &dyn Language,
        code: &str,
        options: RunOptions,
    ) -> Result<RunResult, Error> {
        crate::check_code(code)?;
        let program = invoke(language, code, &options)?;
        let module = self.module(language).await?;
        let (spec, control) = self.set_up(program, &options, None)?;
        let _stop_if_dropped = StopOnDrop(control.clone());
        let plan = BootPlan::new(&self.inner, language);
        let task = self
            .inner
            .handle
            .spawn(supervise(self.inner.clone(), module, plan, spec, control));
        task.await
            .unwrap_or_else(|e| Err(Error::Setup(format!("the run's task failed: {e}"))))
    }

    /// Like [`Executor::run`], blocking the calling thread instead. Works from
    /// plain threads and from inside async code alike.
    pub fn run_blocking(
        &self,
        language: &dyn Language,
        code: &str,
        options: RunOptions,
    ) -> Result<RunResult, Error> {
        crate::check_code(code)?;
        let program = invoke(language, code, &options)?;
        let module = self.inner.cache.get(language)?;
        let (spec, control) = self.set_up(program, &options, None)?;
        let plan = BootPlan::new(&self.inner, language);
        block_on(
            &self.inner.handle,
            supervise(self.inner.clone(), module, plan, spec, control),
        )
    }

    /// Starts a [`Session`] of `language`: one interpreter kept alive for many
    /// runs. `options` apply to the whole session: host functions and stdin
    /// (read on as runs consume it) are the session's; the memory cap bounds
    /// the interpreter over its life; the timeout, output cap and host-call
    /// cap apply to each run (the timeout also to the start-up). A cancel
    /// handle stops the current run and ends the session.
    ///
    /// Fails with [`Error::InvalidOption`] if the language has no session
    /// mode ([`Language::session_program`]).
    pub async fn session(&self, language: &dyn Language, options: RunOptions) -> Result<Session, Error> {
        let module = self.module(language).await?;
        let (start, guest) = self.prepare_session(language, module, &options)?;
        // On goru's runtime, so the session's tasks outlive the caller's.
        let task = self.inner.handle.spawn(session::start(start, guest));
        task.await
            .unwrap_or_else(|e| Err(Error::Setup(format!("starting the session failed: {e}"))))
    }

    /// [`Executor::session`], blocking the calling thread.
    pub fn session_blocking(&self, language: &dyn Language, options: RunOptions) -> Result<Session, Error> {
        let module = self.inner.cache.get(language)?;
        let (start, guest) = self.prepare_session(language, module, &options)?;
        block_on(&self.inner.handle, session::start(start, guest))
    }

    /// The session's spec and control (its start-up is bounded by the
    /// timeout), and the closure that runs its guest to the end.
    fn prepare_session(
        &self,
        language: &dyn Language,
        module: wasmer::Module,
        options: &RunOptions,
    ) -> Result<(session::Start, impl session::Guest), Error> {
        let program = language.session_program().ok_or_else(|| {
            Error::InvalidOption(format!("the {} language has no session mode", language.name()))
        })?;
        let (link, requests, ready) = session::Link::new();
        let (mut spec, control) = self.set_up(program, options, Some(language))?;
        spec.session = Some(Arc::new(link));
        let start = session::Start {
            language: language.name().to_owned(),
            spec,
            control,
            requests,
            ready,
            handle: self.inner.handle.clone(),
            output: options.output.clone(),
        };
        let inner = self.inner.clone();
        let plan = BootPlan::new(&inner, language);
        let guest =
            move |spec: RunSpec, control: &Arc<RunControl>| inner.run_guest(&plan, &module, spec, control);
        Ok((start, guest))
    }

    /// What the guest thread needs: `program` with the options' limits, stdin
    /// and read-only directories (checked here), and its host functions in
    /// the order they are asked (the run's, then the executor's); and the
    /// run's control (its deadline starts now), tied to the caller's cancel
    /// handle, with the soft interrupts of `soft` (a session's language).
    fn set_up(
        &self,
        program: Program,
        options: &RunOptions,
        soft: Option<&dyn Language>,
    ) -> Result<(RunSpec, Arc<RunControl>), Error> {
        let host: Vec<_> = options.host.iter().chain(&self.inner.host).cloned().collect();
        let host_dirs: Vec<HostDir> = options
            .host_dirs
            .iter()
            .cloned()
            .chain(host.iter().flat_map(|provider| provider.host_dirs()))
            .collect();
        instance::check_host_dirs(&host_dirs)?;
        let mut spec = RunSpec::new(
            program,
            options.limits.over(self.inner.default_limits),
            options.stdin.clone(),
            host,
            self.inner.handle.clone(),
        );
        spec.host_dirs = host_dirs;
        spec.terminal = options.terminal;
        spec.stdout.stream_to(options.output.as_ref());
        spec.stderr.stream_to(options.output.as_ref());
        let mut control = RunControl::new(spec.limits.timeout);
        if let Some(language) = soft {
            control = control.with_soft_interrupts(language);
        }
        let control = Arc::new(control);
        if let Some(cancel) = &options.cancel {
            cancel.bind(&control);
        }
        Ok((spec, control))
    }

    /// `language`'s module from memory, else compiled (or loaded from disk)
    /// without blocking the caller.
    async fn module(&self, language: &dyn Language) -> Result<wasmer::Module, Error> {
        match self.inner.cache.get_loaded(language) {
            Some(module) => Ok(module),
            None => self.compile_in_background(language).await,
        }
    }

    /// Loads or compiles on a blocking thread. Only the first run of a
    /// language gets here. The disk cache is tried first; only if it has
    /// nothing is the wasm copied (so the language need not be `'static`)
    /// and compiled: a process that finds its modules on disk never reads
    /// the tens of megabytes of embedded wasm.
    async fn compile_in_background(&self, language: &dyn Language) -> Result<wasmer::Module, Error> {
        let key = self.inner.cache.key(language);
        let inner = self.inner.clone();
        let stored_key = key.clone();
        let stored = self
            .inner
            .handle
            .spawn_blocking(move || inner.cache.get_stored(&stored_key))
            .await
            .unwrap_or(None);
        if let Some(module) = stored {
            return Ok(module);
        }
        let name = language.name().to_string();
        let wasm = language.wasm().to_vec();
        let inner = self.inner.clone();
        self.inner
            .handle
            .spawn_blocking(move || inner.cache.get_keyed(&key, &name, &wasm))
            .await
            .unwrap_or_else(|e| Err(Error::Setup(format!("the compile task failed: {e}"))))
    }
}

impl Inner {
    /// Boots `module` as `plan` says (from the snapshot where it can) and
    /// runs it to the end on the current thread.
    fn run_guest(
        &self,
        plan: &BootPlan,
        module: &wasmer::Module,
        spec: RunSpec,
        control: &Arc<RunControl>,
    ) -> Result<RunResult, Error> {
        let boot = self.boot(plan, module, spec.limits.memory_pages())?;
        instance::run(
            &self.engine,
            &self.wasi_runtime,
            module,
            &boot,
            spec,
            control,
            None,
        )
    }
}

/// Runs the guest on a thread of its own and enforces the deadline from outside.
///
/// Once the run is stopped, the caller gets its answer within
/// [`STOP_GRACE`]: the guest traps at its next loop check or leaves its
/// host-side wait well before that. Should it not (a goru bug: some host
/// path that does not watch the stop), the run is reported as stopped with
/// the output so far and the thread is left to end on its own.
async fn supervise(
    inner: Arc<Inner>,
    module: wasmer::Module,
    plan: BootPlan,
    spec: RunSpec,
    control: Arc<RunControl>,
) -> Result<RunResult, Error> {
    let (stdout, stderr, timeout) = (spec.stdout.clone(), spec.stderr.clone(), spec.limits.timeout);
    let (done, guest) = tokio::sync::oneshot::channel();
    {
        let control = control.clone();
        let inner = inner.clone();
        guest_thread::spawn(&inner.handle.clone(), move || {
            let result = guest_thread::catch_panic(|| inner.run_guest(&plan, &module, spec, &control));
            let _ = done.send(result);
        })?;
    }
    tokio::pin!(guest);
    let _finished = FinishOnDrop(control.clone());
    let _unstream = Unstream([stdout.clone(), stderr.clone()]);
    let deadline = tokio::time::Instant::from_std(control.deadline());
    tokio::select! {
        finished = &mut guest => return flatten(finished),
        () = tokio::time::sleep_until(deadline) => control.stop(StopReason::Timeout),
        () = control.stop_requested() => {}
    }
    match tokio::time::timeout(STOP_GRACE, guest).await {
        Ok(finished) => flatten(finished),
        Err(_) => {
            tracing::warn!(grace = ?STOP_GRACE, "a stopped guest did not end within the grace period; reporting the run as stopped");
            let output = Box::new(Capture::take_output(&stdout, &stderr));
            let reason = control.requested_stop().unwrap_or(StopReason::Timeout);
            Err(reason.error(timeout, output))
        }
    }
}

/// The program that runs `code` as `options` name it, or why `language`
/// cannot.
fn invoke(language: &dyn Language, code: &str, options: &RunOptions) -> Result<Program, Error> {
    language.invoke(code, &options.invocation).ok_or_else(|| {
        Error::InvalidOption(format!(
            "the {} language takes no arguments or module to run",
            language.name()
        ))
    })
}

fn flatten(
    joined: Result<Result<RunResult, Error>, tokio::sync::oneshot::error::RecvError>,
) -> Result<RunResult, Error> {
    joined.unwrap_or_else(|_| Err(Error::HostPanic("the guest thread ended without a result".into())))
}

/// Marks the run finished, so late stop requests do nothing.
struct FinishOnDrop(Arc<RunControl>);

impl Drop for FinishOnDrop {
    fn drop(&mut self) {
        self.0.finish();
    }
}

/// Drops the run's output senders once its caller has its answer, so the
/// receiver sees the end even if a stopped guest thread lingers.
struct Unstream([Capture; 2]);

impl Drop for Unstream {
    fn drop(&mut self) {
        for capture in &self.0 {
            capture.stream_to(None);
        }
    }
}

/// Stops the guest when the future awaiting it is dropped.
struct StopOnDrop(Arc<RunControl>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop(StopReason::Cancelled);
    }
}
