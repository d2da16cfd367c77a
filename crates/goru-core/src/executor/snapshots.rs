//! The executor's snapshots: one per language, taken on first use, from which its runs and sessions start.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Instant;

use sha2::{Digest, Sha256};
use wasmer::Module;

use super::Inner;
use crate::instance::boot::{Boot, DataSegments, MemoryImage};
use crate::instance::control::RunControl;
use crate::instance::{self, RunSpec, stdin};
use crate::{Error, Language, Program};

/// What a run needs to know, owned, to boot its language's instance: the
/// run's guest thread gets the boot (taking the snapshot if it is the first).
#[derive(Debug, Clone)]
pub(crate) struct BootPlan {
    key: String,
    name: String,
    snapshot_program: Option<Program>,
}

impl BootPlan {
    /// The plan of a run of `language`. The snapshot program (tens of KB of
    /// shim source) is asked for only while the snapshot is not yet held:
    /// once it is, every later run restores it without reading the program.
    pub(crate) fn new(inner: &Inner, language: &dyn Language) -> Self {
        let key = inner.cache.key(language);
        let wanted = inner.snapshots.enabled && !inner.snapshots.settled(&key);
        Self {
            snapshot_program: wanted.then(|| language.snapshot_program()).flatten(),
            name: language.name().to_owned(),
            key,
        }
    }

    /// The disk cache's key for the snapshot: the module's key (wasm,
    /// engine, goru version), the snapshot program, and the boot format.
    fn image_key(&self, program: &Program) -> String {
        let mut digest = Sha256::new();
        for part in program
            .args
            .iter()
            .chain(program.env.iter().flat_map(|(k, v)| [k, v]))
        {
            digest.update((part.len() as u64).to_le_bytes());
            digest.update(part.as_bytes());
        }
        format!(
            "{}-image{IMAGE_FORMAT}-{}",
            self.key,
            hex::encode(digest.finalize())
        )
    }
}

/// Changes when what a snapshot holds or how it is restored changes, so
/// that images cached by another goru are not used.
const IMAGE_FORMAT: u32 = 1;

/// Snapshots by module key; each is taken once, by the first run that
/// needs it, while later runs of the language wait for it.
#[derive(Debug)]
pub(crate) struct Snapshots {
    enabled: bool,
    entries: Mutex<HashMap<String, Arc<Entry>>>,
}

/// A module's snapshot, and its moved-aside data (read from the module
/// only when a run starts from scratch).
#[derive(Debug, Default)]
struct Entry {
    data: OnceLock<Option<Arc<DataSegments>>>,
    image: OnceLock<Option<Arc<MemoryImage>>>,
}

impl Entry {
    fn data(&self, module: &Module) -> Result<Option<Arc<DataSegments>>, Error> {
        if let Some(data) = self.data.get() {
            return Ok(data.clone());
        }
        let data = DataSegments::of(module)?.map(Arc::new);
        Ok(self.data.get_or_init(|| data).clone())
    }
}

impl Snapshots {
    pub(crate) fn new(enabled: bool) -> Self {
        Self {
            enabled,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the snapshot of module `key` was already taken, loaded, or
    /// given up on: a later boot reads what was settled, not the program.
    fn settled(&self, key: &str) -> bool {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .is_some_and(|entry| entry.image.get().is_some())
    }
}

impl Inner {
    /// How a run of `plan`'s language whose memory cap is `memory_pages`
    /// boots `module`: from the snapshot if there is one and it fits under
    /// the cap, else from scratch. Blocks while the snapshot is taken.
    pub(crate) fn boot(&self, plan: &BootPlan, module: &Module, memory_pages: u32) -> Result<Boot, Error> {
        let entry = {
            let mut entries = self
                .snapshots
                .entries
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            entries.entry(plan.key.clone()).or_default().clone()
        };
        let image = entry.image.get_or_init(|| {
            let program = plan.snapshot_program.as_ref()?;
            let key = plan.image_key(program);
            self.cached_snapshot(&key).or_else(|| {
                let data = entry
                    .data(module)
                    .inspect_err(|e| tracing::warn!(error = %e, "cannot take the snapshot"))
                    .ok()?;
                let image = self.take_snapshot(&plan.name, module, data, program.clone())?;
                if let Some(disk) = self.cache.disk() {
                    disk.store_image(&key, &image);
                }
                held(MemoryImage::from_bytes(&image))
            })
        });
        Ok(match image {
            Some(image) if image.pages() <= memory_pages => Boot::Restore(image.clone()),
            _ => entry.data(module)?.map_or(Boot::AsCompiled, Boot::Data),
        })
    }

    /// The snapshot another executor (or process) left in the disk cache.
    fn cached_snapshot(&self, key: &str) -> Option<Arc<MemoryImage>> {
        held(self.cache.disk()?.load_image(key, MemoryImage::from_file)?)
    }

    /// Runs `program` from scratch and returns its memory; on failure, logs
    /// why and returns `None` (runs then start from scratch too).
    fn take_snapshot(
        &self,
        name: &str,
        module: &Module,
        data: Option<Arc<DataSegments>>,
        program: Program,
    ) -> Option<Vec<u8>> {
        let started = Instant::now();
        let _span = tracing::debug_span!("snapshot", language = name).entered();
        let boot = data.map_or(Boot::AsCompiled, Boot::Data);
        // goru's own code, not the embedder's: the stock limits, whatever
        // the executor's defaults for runs are.
        let limits = crate::Limits::default();
        let spec = RunSpec::new(
            program,
            limits,
            stdin::Stdin::default(),
            Vec::new(),
            self.handle.clone(),
        );
        let control = Arc::new(RunControl::new(limits.timeout));
        let mut image = None;
        let result = instance::run(
            &self.engine,
            &self.wasi_runtime,
            module,
            &boot,
            spec,
            &control,
            Some(&mut image),
        );
        match (result, image) {
            (Ok(_), Some(image)) => {
                tracing::debug!(bytes = image.len(), elapsed = ?started.elapsed(), "took the snapshot");
                Some(image)
            }
            (Ok(result), None) => {
                tracing::warn!(
                    language = name,
                    status = result.exit_code,
                    stderr = %result.stderr_lossy(),
                    "the snapshot program did not exit with status 0; runs start from scratch"
                );
                None
            }
            (Err(e), _) => {
                tracing::warn!(language = name, error = %e, "taking the snapshot failed; runs start from scratch");
                None
            }
        }
    }
}

/// The image, shared, or `None` (logged) if it could not be held: runs
/// then start from scratch.
fn held(image: Result<MemoryImage, String>) -> Option<Arc<MemoryImage>> {
    image
        .inspect_err(|e| tracing::warn!(error = %e, "could not hold the snapshot; runs start from scratch"))
        .ok()
        .map(Arc::new)
}
