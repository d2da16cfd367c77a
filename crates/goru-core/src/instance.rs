//! One run: a fresh wasmer `Store` and WASI environment around a compiled module.
//!
//! Runs share nothing but the compiled [`wasmer::Module`]. The steps are kept
//! apart (set up the environment, instantiate, call `_start`, collect) so that
//! a later pool can keep instantiated interpreters ready, or restore them from
//! a snapshot, and only pay for the last two steps per run.

pub(crate) mod boot;
mod channel;
mod classify;
pub(crate) mod control;
mod device;
mod host_dir;
mod image;
pub(crate) mod interrupt;
pub(crate) mod memory;
mod poll_oneoff;
pub(crate) use host_dir::check as check_host_dirs;
mod scratch;
pub(crate) mod stdin;
pub(crate) mod stdio;
mod terminal;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Instant;

use tokio::io::AsyncReadExt;
use virtual_fs::FileSystem;
use wasmer::{Extern, Instance, Module, RuntimeError, Store};
use wasmer_wasix::{PluggableRuntime, WasiEnv, WasiError};

use crate::host::HostFunctions;
use crate::output::OutputStream;
use crate::protocol::EXCEPTION_REPORT_PATH;
use crate::session::Link;
use crate::{Error, GuestException, HostDir, Limits, Program, RunResult, Terminal};
use boot::{Boot, MemoryImage};
use classify::{Ended, classify};
use control::RunControl;
use memory::MemoryBudget;
use scratch::ScratchFs;
use stdio::Capture;

/// Everything one run needs besides the module. The sinks, the memory
/// budget and the call budget are shared with the caller, so a session can
/// read and reset them between the runs of one instance.
#[derive(Debug)]
pub(crate) struct RunSpec {
    pub(crate) program: Program,
    pub(crate) limits: Limits,
    pub(crate) stdin: stdin::Stdin,
    /// Which standard streams the guest is told are terminals.
    pub(crate) terminal: Terminal,
    pub(crate) host: Vec<Arc<dyn HostFunctions>>,
    pub(crate) handle: tokio::runtime::Handle,
    pub(crate) stdout: Capture,
    pub(crate) stderr: Capture,
    pub(crate) budget: Arc<MemoryBudget>,
    pub(crate) calls_left: Arc<AtomicUsize>,
    /// Host directories the guest sees through its own file APIs.
    pub(crate) host_dirs: Vec<HostDir>,
    /// The session this run serves, if it is one.
    pub(crate) session: Option<Arc<Link>>,
}

impl RunSpec {
    /// A spec with fresh sinks and budgets sized by `limits`.
    pub(crate) fn new(
        program: Program,
        limits: Limits,
        stdin: stdin::Stdin,
        host: Vec<Arc<dyn HostFunctions>>,
        handle: tokio::runtime::Handle,
    ) -> Self {
        Self {
            stdout: Capture::new(OutputStream::Stdout, limits.output_bytes),
            stderr: Capture::new(OutputStream::Stderr, limits.output_bytes),
            terminal: Terminal::default(),
            budget: MemoryBudget::new(limits.memory_pages()),
            calls_left: Arc::new(AtomicUsize::new(limits.host_calls)),
            host_dirs: Vec::new(),
            session: None,
            program,
            limits,
            stdin,
            host,
            handle,
        }
    }
}

/// Runs `module` to completion on the current thread, its memory first
/// filled as `boot` says. With `image`, a guest that exits with status 0
/// leaves a copy of its memory as it was then there (see
/// [`MemoryImage::capture`]).
pub(crate) fn run(
    engine: &wasmer::Engine,
    runtime: &Arc<PluggableRuntime>,
    module: &Module,
    boot: &Boot,
    spec: RunSpec,
    control: &Arc<RunControl>,
    image: Option<&mut Option<Vec<u8>>>,
) -> Result<RunResult, Error> {
    let started = Instant::now();
    let _span = tracing::debug_span!("run", program = %spec.program.args.first().map_or("", String::as_str))
        .entered();
    let (stdout, stderr, budget) = (&spec.stdout, &spec.stderr, &spec.budget);
    let fs = scratch_fs(&spec.limits)?;
    let channel = channel::ChannelConfig {
        providers: spec.host.clone(),
        frame_bytes: spec.limits.host_frame_bytes,
        calls_in_flight: spec.limits.host_calls_in_flight,
        calls_left: spec.calls_left.clone(),
        handle: spec.handle.clone(),
        session: spec.session.clone(),
    };
    channel::install(&fs, channel, control.clone())
        .map_err(|e| Error::Setup(format!("creating the host-call channel: {e}")))?;
    for dir in &spec.host_dirs {
        host_dir::mount(&fs, dir, spec.calls_left.clone())?;
    }

    let mut store = Store::new(engine.clone());
    // Whatever path the run takes, a panic included, the stop flag is
    // withdrawn while `store` (which owns the flag's storage) is still alive:
    // the guard is declared after the store, so it is dropped first.
    let withdraw = control::WithdrawFlag(control);
    let outcome = instantiate_and_start(&mut store, runtime, module, boot, &spec, control, &fs, image);
    drop(withdraw);

    let output = Capture::take_output(stdout, stderr);
    let exception = read_exception_report(&fs);
    classify(outcome, output, exception, control, budget, &spec.limits, started)
}

fn scratch_fs(limits: &Limits) -> Result<ScratchFs, Error> {
    ScratchFs::new(limits)
}

#[allow(clippy::too_many_arguments)]
fn instantiate_and_start(
    store: &mut Store,
    runtime: &Arc<PluggableRuntime>,
    module: &Module,
    boot: &Boot,
    spec: &RunSpec,
    control: &Arc<RunControl>,
    fs: &ScratchFs,
    image: Option<&mut Option<Vec<u8>>>,
) -> Result<Ended, Error> {
    let budget = &spec.budget;
    let setup = |what: &str, e: &dyn std::fmt::Display| Error::Setup(format!("{what}: {e}"));
    let (name, args) = spec
        .program
        .args
        .split_first()
        .ok_or_else(|| Error::InvalidOption("the language gave an empty argv".into()))?;
    let builder = WasiEnv::builder(name.as_str())
        .args(args)
        .envs(spec.program.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(spec.stdin.file(spec.limits.input_bytes, control))
        .stdout(spec.stdout.file(control))
        .stderr(spec.stderr.file(control))
        .fs(Arc::new(fs.clone()) as Arc<dyn FileSystem + Send + Sync>)
        .preopen_dir("/")
        .map_err(|e| setup("preopening /", &e))?
        .runtime(runtime.clone() as Arc<dyn wasmer_wasix::Runtime + Send + Sync>);
    let mut func_env = builder
        .finalize(store)
        .map_err(|e| setup("building the WASI environment", &e))?;
    let mut imports = func_env
        .import_object(store, module)
        .map_err(|e| setup("resolving WASI imports", &e))?;
    let poll_env = poll_oneoff::install(store, &mut imports, control.clone());
    scratch::install_imports(
        store,
        &mut imports,
        &func_env.env,
        fs.quota(),
        spec.limits.open_files,
    )?;
    terminal::install(store, &mut imports, &func_env.env, spec.terminal)?;

    let instance = memory::with_budget(budget, || {
        Instance::new(store, module, &imports).map_err(Box::new)
    });
    let instance = match instance.map_err(|e| *e) {
        Ok(instance) => instance,
        Err(wasmer::InstantiationError::Start(trap)) => return Ok(Ended::Trapped(trap)),
        Err(e) if budget.was_hit() => return Ok(Ended::Trapped(RuntimeError::new(e.to_string()))),
        Err(e) => return Err(setup("instantiating", &e)),
    };
    func_env
        .initialize(store, instance.clone())
        .map_err(|e| setup("initialising WASI", &e))?;
    let memory = instance
        .exports
        .iter()
        .find_map(|(_, e)| match e {
            Extern::Memory(m) => Some(m.clone()),
            _ => None,
        })
        .ok_or_else(|| Error::Setup("the module exports no memory".into()))?;
    if let Some(poll_env) = &poll_env {
        poll_oneoff::set_memory(store, poll_env, memory.clone());
    }
    if let Err(e) = boot.fill(store, &memory) {
        if budget.was_hit() {
            return Ok(Ended::Trapped(RuntimeError::new(e)));
        }
        return Err(Error::Setup(e));
    }
    // SAFETY: `run` withdraws the flag (`WithdrawFlag`) before the store is dropped.
    control.set_flag(unsafe { interrupt::StopFlag::of(store, &instance)? });
    // SAFETY: as for the stop flag, withdrawn with it (`clear_flag`).
    control.set_memory(unsafe { interrupt::GuestMemory::of(store, &memory) });
    let start = instance
        .exports
        .get_function("_start")
        .map_err(|e| setup("finding _start", &e))?
        .clone();

    if control.stop_reason().is_some() {
        // Stopped before the guest ran a single instruction.
        return Ok(Ended::Trapped(RuntimeError::user(Box::new(poll_oneoff::Stopped))));
    }
    let ended = match start.call(store, &[]) {
        Ok(_) => Ended::Exited(0),
        Err(err) => match err.downcast::<WasiError>() {
            Ok(WasiError::Exit(code)) => Ended::Exited(crate::result::exit_status(code.raw())),
            Ok(other) => Ended::Trapped(RuntimeError::user(Box::new(other))),
            Err(err) => Ended::Trapped(err),
        },
    };
    if let (Some(image), Ended::Exited(0)) = (image, &ended) {
        *image = Some(MemoryImage::capture(store, &memory).map_err(Error::Setup)?);
    }
    let exit_code = match &ended {
        Ended::Exited(code) => wasmer_wasix::types::wasi::ExitCode::from(*code as u16),
        Ended::Trapped(_) => wasmer_wasix::types::wasi::ExitCode::from(1u16),
    };
    func_env.on_exit(store, Some(exit_code));
    Ok(ended)
}

fn read_exception_report(fs: &ScratchFs) -> Option<GuestException> {
    let mut file = fs
        .new_open_options()
        .read(true)
        .open(Path::new(EXCEPTION_REPORT_PATH))
        .ok()?;
    let mut json = Vec::new();
    // The report is a small in-memory file: reading it never actually waits.
    futures::executor::block_on(file.read_to_end(&mut json)).ok()?;
    match serde_json::from_slice(&json) {
        Ok(exception) => Some(exception),
        Err(e) => {
            // Not serde's message: it can quote what the guest wrote.
            let (category, line, column) = (e.classify(), e.line(), e.column());
            tracing::warn!(
                ?category,
                line,
                column,
                "ignoring a malformed exception report from the guest"
            );
            None
        }
    }
}
