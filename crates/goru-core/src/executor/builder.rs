//! `ExecutorBuilder`: engine, compiler, caches, default limits, precompiled languages.

use std::path::PathBuf;
use std::sync::Arc;

use wasmer::sys::{CompilerConfig, Cranelift, CraneliftOptLevel, EngineBuilder};
use wasmer_wasix::PluggableRuntime;
use wasmer_wasix::runtime::task_manager::tokio::TokioTaskManager;

use super::{Executor, Inner, runtime};
use crate::cache::ModuleCache;
use crate::instance::interrupt::LoopCheck;
use crate::instance::memory::CappedTunables;
use crate::{Error, HostFunctions, Language, Limits};

/// Which compiler turns interpreter modules into native code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Compiler {
    /// Cranelift with optimisations: slower to compile (about 6 s for
    /// CPython, once, then cached), fastest to run. The default.
    #[default]
    Cranelift,
    /// Cranelift without optimisations: faster to compile, slower to run.
    CraneliftUnoptimized,
}

/// Builds an [`Executor`].
///
/// Defaults: [`Compiler::Cranelift`]; disk cache on, in
/// [`ExecutorBuilder::default_cache_dir`]; [`Limits::default`]; nothing
/// precompiled; goru's own process-wide multi-threaded tokio runtime.
///
/// ```no_run
/// use goru_core::{Compiler, Executor, Limits};
/// use std::time::Duration;
///
/// let executor = Executor::builder()
///     .compiler(Compiler::Cranelift)
///     .cache_dir("/var/cache/goru")
///     .default_limits(Limits::default().timeout(Duration::from_secs(5)))
///     .build()?;
/// # Ok::<(), goru_core::Error>(())
/// ```
#[derive(Debug)]
pub struct ExecutorBuilder {
    precompile: Vec<Arc<dyn Language>>,
    compiler: Compiler,
    cache_dir: Option<PathBuf>,
    default_limits: Limits,
    handle: Option<tokio::runtime::Handle>,
    host: Vec<Arc<dyn HostFunctions>>,
    snapshots: bool,
}

impl Default for ExecutorBuilder {
    fn default() -> Self {
        Self {
            precompile: Vec::new(),
            compiler: Compiler::default(),
            cache_dir: Self::default_cache_dir(),
            default_limits: Limits::default(),
            handle: None,
            host: Vec::new(),
            snapshots: true,
        }
    }
}

impl ExecutorBuilder {
    /// `$XDG_CACHE_HOME/goru/modules` (or the platform's cache directory).
    pub fn default_cache_dir() -> Option<PathBuf> {
        dirs::cache_dir().map(|d| d.join("goru").join("modules"))
    }

    /// Compiles (or loads) `language` in [`ExecutorBuilder::build`], so the
    /// first run does not pay for it.
    pub fn precompile(mut self, language: impl Language) -> Self {
        self.precompile.push(Arc::new(language));
        self
    }

    /// The compiler; see [`Compiler`].
    pub fn compiler(mut self, compiler: Compiler) -> Self {
        self.compiler = compiler;
        self
    }

    /// Turns the disk cache on (in the default directory) or off.
    pub fn disk_cache(mut self, enabled: bool) -> Self {
        self.cache_dir = if enabled { Self::default_cache_dir() } else { None };
        self
    }

    /// Keeps the disk cache in `dir` (created, mode 0700, on first write).
    /// The directory holds native code: it must be writable by its owner only.
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Lets every run call `functions` (asked after the run's own, see
    /// [`crate::RunOptions::host_functions`]; later calls here are asked
    /// first). Default: no host functions.
    pub fn host_functions(mut self, functions: Arc<dyn HostFunctions>) -> Self {
        self.host.insert(0, functions);
        self
    }

    /// Limits for runs that do not set their own.
    pub fn default_limits(mut self, limits: Limits) -> Self {
        self.default_limits = limits;
        self
    }

    /// Whether runs and sessions of a language that offers a snapshot
    /// ([`Language::snapshot_program`]) start from one (default: yes). The
    /// executor takes each language's snapshot on its first run, once, and
    /// starts every later instance from a copy of it instead of the
    /// interpreter's own start-up (for CPython, tens of milliseconds). Off,
    /// every run starts from scratch.
    ///
    /// ```no_run
    /// let executor = goru_core::Executor::builder().snapshots(false).build()?;
    /// # Ok::<(), goru_core::Error>(())
    /// ```
    pub fn snapshots(mut self, enabled: bool) -> Self {
        self.snapshots = enabled;
        self
    }

    /// Runs guests on this (multi-threaded) tokio runtime instead of goru's own.
    pub fn tokio_handle(mut self, handle: tokio::runtime::Handle) -> Self {
        self.handle = Some(handle);
        self
    }

    /// Creates the engine and compiles the languages asked for.
    pub fn build(self) -> Result<Executor, Error> {
        let handle = match self.handle {
            Some(handle) => handle,
            None => runtime::shared()?,
        };
        let mut cranelift = Cranelift::new();
        cranelift.opt_level(match self.compiler {
            Compiler::Cranelift => CraneliftOptLevel::Speed,
            Compiler::CraneliftUnoptimized => CraneliftOptLevel::None,
        });
        cranelift.push_middleware(Arc::new(LoopCheck::default()));
        let mut engine = EngineBuilder::new(cranelift)
            .set_features(Some(wasm_features()))
            .engine();
        engine.set_tunables(CappedTunables);
        let engine_id = format!(
            "goru{}-stopglobal2-nothreads-{}-{}-{:?}",
            env!("CARGO_PKG_VERSION"),
            engine.deterministic_id(),
            engine.target().triple(),
            engine.target().cpu_features(),
        );
        let engine: wasmer::Engine = engine.into();

        let mut wasi_runtime = PluggableRuntime::new(Arc::new(TokioTaskManager::new(handle.clone())));
        wasi_runtime.set_engine(engine.clone());
        let inner = Inner {
            cache: ModuleCache::new(engine.clone(), engine_id, self.cache_dir),
            engine,
            wasi_runtime: Arc::new(wasi_runtime),
            handle,
            default_limits: self.default_limits,
            host: self.host,
            snapshots: super::snapshots::Snapshots::new(self.snapshots),
        };
        let executor = Executor {
            inner: Arc::new(inner),
        };
        std::thread::scope(|scope| {
            let jobs: Vec<_> = self
                .precompile
                .iter()
                .map(|language| scope.spawn(|| executor.prepare(language.as_ref())))
                .collect();
            jobs.into_iter().try_for_each(|job| {
                job.join()
                    .unwrap_or_else(|_| Err(Error::Setup("a precompile thread panicked".into())))
            })
        })?;
        Ok(executor)
    }
}

/// The wasm proposals a module may use: wasmer's defaults without threads.
/// A shared memory would let a module block in `memory.atomic.wait`, a wait
/// no stop can cut short (it is neither a loop nor a host call); the pinned
/// interpreters are single-threaded WASI builds and need none of it.
fn wasm_features() -> wasmer::sys::Features {
    let mut features = wasmer::sys::Features::new();
    features.threads(false);
    features
}
