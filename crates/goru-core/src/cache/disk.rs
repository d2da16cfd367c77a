//! The on-disk module cache: serialized artifacts that are verified before wasmer sees them.
//!
//! Deserializing an artifact is `unsafe` in wasmer: a corrupt or foreign file
//! could run arbitrary native code. A file is only handed to wasmer when its
//! header names exactly the key we want and a BLAKE3 checksum over the payload
//! matches; anything else is ignored and rebuilt. Files are written to a
//! temporary name and renamed into place, so concurrent processes sharing the
//! directory never see a half-written file.
//!
//! Layout: `MAGIC` | key length (u32 LE) | key | payload length (u64 LE) |
//! BLAKE3(payload) (32 bytes) | payload.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmer::{Engine, Module};

const MAGIC: &[u8; 8] = b"GORUMOD1";

#[derive(Debug)]
pub(crate) struct DiskCache {
    dir: PathBuf,
}

impl DiskCache {
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    fn path(&self, key: &str) -> PathBuf {
        let name = hex::encode(&Sha256::digest(key.as_bytes())[..16]);
        self.dir.join(format!("{name}.module"))
    }

    /// The cached module for `key`, or `None` if absent or not trustworthy.
    pub(crate) fn load(&self, engine: &Engine, key: &str) -> Option<Module> {
        let path = self.path(key);
        let bytes = fs::read(&path).ok()?;
        let _span = tracing::debug_span!("cache_load", path = %path.display()).entered();
        let Some(payload) = verified_payload(&bytes, key) else {
            tracing::warn!(path = %path.display(), "ignoring a corrupt or foreign module cache file");
            let _ = fs::remove_file(&path);
            return None;
        };
        // SAFETY: the payload is byte for byte what `Module::serialize` wrote for
        // this exact key (wasm digest + wasmer version + compiler + CPU features):
        // the header and checksum were checked just above.
        match unsafe { Module::deserialize(engine, bytes::Bytes::copy_from_slice(payload)) } {
            Ok(module) => Some(module),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "could not deserialize cached module");
                let _ = fs::remove_file(&path);
                None
            }
        }
    }

    /// Stores `module` under `key`; failures are logged, never fatal.
    pub(crate) fn store(&self, key: &str, module: &Module) {
        if let Err(e) = self.try_store(key, module) {
            tracing::warn!(dir = %self.dir.display(), error = %e, "could not write the module cache");
        }
    }

    fn try_store(&self, key: &str, module: &Module) -> std::io::Result<()> {
        let payload = module
            .serialize()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        create_private_dir(&self.dir)?;
        let mut file = tempfile::NamedTempFile::new_in(&self.dir)?;
        file.write_all(MAGIC)?;
        file.write_all(&(key.len() as u32).to_le_bytes())?;
        file.write_all(key.as_bytes())?;
        file.write_all(&(payload.len() as u64).to_le_bytes())?;
        file.write_all(blake3::hash(&payload).as_bytes())?;
        file.write_all(&payload)?;
        file.as_file().sync_all()?;
        file.persist(self.path(key)).map_err(|e| e.error)?;
        Ok(())
    }
}

fn verified_payload<'a>(bytes: &'a [u8], key: &str) -> Option<&'a [u8]> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let (key_len, rest) = rest.split_first_chunk::<4>()?;
    let key_len = u32::from_le_bytes(*key_len) as usize;
    let (stored_key, rest) = rest.split_at_checked(key_len)?;
    if stored_key != key.as_bytes() {
        return None;
    }
    let (payload_len, rest) = rest.split_first_chunk::<8>()?;
    let (checksum, payload) = rest.split_first_chunk::<32>()?;
    if u64::try_from(payload.len()).ok()? != u64::from_le_bytes(*payload_len) {
        return None;
    }
    (blake3::hash(payload).as_bytes() == checksum).then_some(payload)
}

/// The cache holds native code, so only its owner may write there.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_for(key: &str, payload: &[u8]) -> Vec<u8> {
        let mut f = MAGIC.to_vec();
        f.extend((key.len() as u32).to_le_bytes());
        f.extend(key.as_bytes());
        f.extend((payload.len() as u64).to_le_bytes());
        f.extend(blake3::hash(payload).as_bytes());
        f.extend(payload);
        f
    }

    #[test]
    fn accepts_only_an_intact_file_for_the_same_key() {
        let good = file_for("k", b"payload");
        assert_eq!(verified_payload(&good, "k"), Some(&b"payload"[..]));
        assert_eq!(verified_payload(&good, "other"), None, "foreign key");
        assert_eq!(verified_payload(&good[..good.len() - 1], "k"), None, "truncated");
        let mut flipped = good.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(verified_payload(&flipped, "k"), None, "corrupt payload");
        assert_eq!(verified_payload(b"", "k"), None, "empty");
        assert_eq!(
            verified_payload(b"GORUMOD1\xff\xff\xff\xff", "k"),
            None,
            "absurd key length"
        );
    }
}
