//! Compiled modules: each compiled once per executor, then served from memory,
//! with an optional disk cache so a second process starts fast.

mod disk;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use sha2::{Digest, Sha256};
use wasmer::{Engine, Module};

use crate::{Error, Language};
pub(crate) use disk::DiskCache;

/// In-memory cache in front of an optional [`DiskCache`].
#[derive(Debug)]
pub(crate) struct ModuleCache {
    engine: Engine,
    engine_id: String,
    disk: Option<DiskCache>,
    /// One slot per module; the slot's lock makes concurrent first runs
    /// compile once and the others wait for the result.
    slots: Mutex<HashMap<String, Arc<Mutex<Option<Module>>>>>,
    /// SHA-256 of each language's wasm, by language name and wasm length,
    /// so languages that do not know their digest are hashed once.
    digests: Mutex<HashMap<(String, usize), [u8; 32]>>,
    /// Held while compiling: the stop-check middleware learns each module's
    /// stop-global index as the module is compiled (see `instance/interrupt.rs`),
    /// so two modules must not compile at once in one engine.
    compiling: Mutex<()>,
}

impl ModuleCache {
    pub(crate) fn new(engine: Engine, engine_id: String, disk_dir: Option<PathBuf>) -> Self {
        Self {
            engine,
            disk: disk_dir.map(DiskCache::new),
            engine_id,
            slots: Mutex::default(),
            digests: Mutex::default(),
            compiling: Mutex::default(),
        }
    }

    /// The module for `language`, if it is already in memory.
    pub(crate) fn get_loaded(&self, language: &dyn Language) -> Option<Module> {
        let key = self.key(language);
        let slot = lock(&self.slots).get(&key).cloned()?;
        lock(&slot).clone()
    }

    /// The module for `language`: from memory, else from disk, else compiled
    /// (and then stored on disk).
    pub(crate) fn get(&self, language: &dyn Language) -> Result<Module, Error> {
        self.get_keyed(&self.key(language), language.name(), language.wasm())
    }

    /// The module for `key` if it is in memory or in the disk cache (then
    /// kept in memory); never compiles, so it needs no wasm.
    pub(crate) fn get_stored(&self, key: &str) -> Option<Module> {
        let slot = lock(&self.slots).entry(key.to_string()).or_default().clone();
        let mut slot = lock(&slot);
        if let Some(module) = &*slot {
            return Some(module.clone());
        }
        let module = self.disk.as_ref()?.load(&self.engine, key)?;
        *slot = Some(module.clone());
        Some(module)
    }

    /// [`ModuleCache::get`] for a key from [`ModuleCache::key`].
    pub(crate) fn get_keyed(&self, key: &str, name: &str, wasm: &[u8]) -> Result<Module, Error> {
        let slot = lock(&self.slots).entry(key.to_string()).or_default().clone();
        let mut slot = lock(&slot);
        if let Some(module) = &*slot {
            return Ok(module.clone());
        }
        let module = self.load_or_compile(key, name, wasm)?;
        *slot = Some(module.clone());
        Ok(module)
    }

    fn load_or_compile(&self, key: &str, name: &str, wasm: &[u8]) -> Result<Module, Error> {
        if let Some(disk) = &self.disk
            && let Some(module) = disk.load(&self.engine, key)
        {
            return Ok(module);
        }
        let _span = tracing::info_span!("compile", language = name).entered();
        let started = std::time::Instant::now();
        let compiling = lock(&self.compiling);
        let module = Module::new(&self.engine, wasm).map_err(|e| Error::Compile {
            language: name.to_string(),
            message: e.to_string(),
        })?;
        drop(compiling);
        tracing::info!(language = name, elapsed = ?started.elapsed(), "compiled module");
        if let Some(disk) = &self.disk {
            disk.store(key, &module);
        }
        Ok(module)
    }

    /// The disk cache, if this cache has one.
    pub(crate) fn disk(&self) -> Option<&DiskCache> {
        self.disk.as_ref()
    }

    /// Cache key: language name, wasm digest and the engine's identity.
    pub(crate) fn key(&self, language: &dyn Language) -> String {
        let digest = language.wasm_sha256().unwrap_or_else(|| {
            let id = (language.name().to_string(), language.wasm().len());
            *lock(&self.digests)
                .entry(id)
                .or_insert_with(|| Sha256::digest(language.wasm()).into())
        });
        format!("{}-{}-{}", language.name(), hex::encode(digest), self.engine_id)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
