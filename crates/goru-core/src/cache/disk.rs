//! The on-disk cache: serialized modules, verified before wasmer sees them, and snapshot memory images.
//!
//! Deserializing an artifact is `unsafe` in wasmer: a corrupt or foreign file
//! could run arbitrary native code. A file is only handed to wasmer when its
//! header names exactly the key we want and a BLAKE3 checksum over the payload
//! matches; anything else is ignored and rebuilt. Files are written to a
//! temporary name and renamed into place, so concurrent processes sharing the
//! directory never see a half-written file.
//!
//! Layout: magic (`GORUMOD2` for a module, `GORUIMG1` for a snapshot's
//! memory image) | key length (u32 LE) | key | payload length (u64 LE) |
//! BLAKE3(payload) (32 bytes) | zero padding to a multiple of
//! [`PAYLOAD_ALIGN`] | payload. Modules are deserialized straight from the
//! mapped file, and wasmer wants its metadata aligned.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmer::{Engine, Module};

/// What a cache file holds: its magic and its file name's extension.
#[derive(Debug, Clone, Copy)]
struct Kind {
    magic: &'static [u8; 8],
    extension: &'static str,
}

const MODULE: Kind = Kind {
    magic: b"GORUMOD2",
    extension: "module",
};

const IMAGE: Kind = Kind {
    magic: b"GORUIMG1",
    extension: "snapshot",
};

#[derive(Debug)]
pub(crate) struct DiskCache {
    dir: PathBuf,
}

impl DiskCache {
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    fn path(&self, key: &str, kind: Kind) -> PathBuf {
        let name = hex::encode(&Sha256::digest(key.as_bytes())[..16]);
        self.dir.join(format!("{name}.{}", kind.extension))
    }

    /// The cached module for `key`, or `None` if absent or not trustworthy.
    ///
    /// The file is mapped, not read: wasmer deserializes from the page
    /// cache's pages, with no copy of the (tens of megabytes of) artifact.
    pub(crate) fn load(&self, engine: &Engine, key: &str) -> Option<Module> {
        let started = std::time::Instant::now();
        let path = self.path(key, MODULE);
        let file = fs::File::open(&path).ok()?;
        let _span = tracing::debug_span!("cache_load", path = %path.display()).entered();
        // SAFETY: the file is ours (a private directory) and is only ever
        // replaced by renaming a new file over it, which leaves this mapping
        // on the old contents; it is never written in place.
        let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
        let Some(payload) = verified_payload(&map, MODULE.magic, key) else {
            tracing::warn!(path = %path.display(), "ignoring a corrupt or foreign module cache file");
            let _ = fs::remove_file(&path);
            return None;
        };
        let start = payload.as_ptr() as usize - map.as_ptr() as usize;
        let payload = bytes::Bytes::from_owner(map).slice(start..);
        // SAFETY: the payload is byte for byte what `Module::serialize` wrote for
        // this exact key (wasm digest + wasmer version + compiler + CPU features):
        // the header and checksum were checked just above.
        let module = unsafe { Module::deserialize(engine, payload) };
        tracing::debug!(elapsed = ?started.elapsed(), "loaded the module from the disk cache");
        match module {
            Ok(module) => Some(module),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "could not deserialize cached module");
                let _ = fs::remove_file(&path);
                None
            }
        }
    }

    /// `use_image(file, offset, image)` of the cached snapshot memory image
    /// for `key` (`image` is `file`'s bytes from `offset` on, checked), or
    /// `None` if there is none or it is not intact.
    pub(crate) fn load_image<R>(
        &self,
        key: &str,
        use_image: impl FnOnce(&fs::File, u64, &[u8]) -> R,
    ) -> Option<R> {
        let path = self.path(key, IMAGE);
        let file = fs::File::open(&path).ok()?;
        // SAFETY: as for modules (see `load`): never written in place.
        let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
        let Some(payload) = verified_payload(&map, IMAGE.magic, key) else {
            tracing::warn!(path = %path.display(), "ignoring a corrupt or foreign snapshot cache file");
            let _ = fs::remove_file(&path);
            return None;
        };
        let offset = (payload.as_ptr() as usize - map.as_ptr() as usize) as u64;
        Some(use_image(&file, offset, payload))
    }

    /// Stores a snapshot memory image under `key`; failures are logged.
    pub(crate) fn store_image(&self, key: &str, image: &[u8]) {
        if let Err(e) = self.write(key, IMAGE, image) {
            tracing::warn!(dir = %self.dir.display(), error = %e, "could not write the snapshot cache");
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
        self.write(key, MODULE, &payload)
    }

    fn write(&self, key: &str, kind: Kind, payload: &[u8]) -> std::io::Result<()> {
        create_private_dir(&self.dir)?;
        let mut file = tempfile::NamedTempFile::new_in(&self.dir)?;
        file.write_all(&header(kind.magic, key, payload))?;
        file.write_all(payload)?;
        file.as_file().sync_all()?;
        file.persist(self.path(key, kind)).map_err(|e| e.error)?;
        Ok(())
    }
}

fn verified_payload<'a>(bytes: &'a [u8], magic: &[u8; 8], key: &str) -> Option<&'a [u8]> {
    let rest = bytes.strip_prefix(magic)?;
    let (key_len, rest) = rest.split_first_chunk::<4>()?;
    let key_len = u32::from_le_bytes(*key_len) as usize;
    let (stored_key, rest) = rest.split_at_checked(key_len)?;
    if stored_key != key.as_bytes() {
        return None;
    }
    let (payload_len, rest) = rest.split_first_chunk::<8>()?;
    let (checksum, rest) = rest.split_first_chunk::<32>()?;
    let payload = rest.get(padding(bytes.len() - rest.len())..)?;
    if u64::try_from(payload.len()).ok()? != u64::from_le_bytes(*payload_len) {
        return None;
    }
    (blake3::hash(payload).as_bytes() == checksum).then_some(payload)
}

/// Where a cache file's payload starts: a multiple of this many bytes (a
/// page, so that a snapshot image can be mapped straight from its file).
const PAYLOAD_ALIGN: usize = 4096;

/// A cache file's header for `payload`, padded to [`PAYLOAD_ALIGN`].
fn header(magic: &[u8; 8], key: &str, payload: &[u8]) -> Vec<u8> {
    let mut header = magic.to_vec();
    header.extend((key.len() as u32).to_le_bytes());
    header.extend(key.as_bytes());
    header.extend((payload.len() as u64).to_le_bytes());
    header.extend(blake3::hash(payload).as_bytes());
    header.resize(header.len() + padding(header.len()), 0);
    header
}

fn padding(header_len: usize) -> usize {
    header_len.next_multiple_of(PAYLOAD_ALIGN) - header_len
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
        let mut f = header(MODULE.magic, key, payload);
        assert_eq!(f.len() % PAYLOAD_ALIGN, 0);
        f.extend(payload);
        f
    }

    #[test]
    fn accepts_only_an_intact_file_for_the_same_key() {
        let good = file_for("k", b"payload");
        assert_eq!(verified_payload(&good, MODULE.magic, "k"), Some(&b"payload"[..]));
        assert_eq!(
            verified_payload(&good, MODULE.magic, "other"),
            None,
            "foreign key"
        );
        assert_eq!(
            verified_payload(&good[..good.len() - 1], MODULE.magic, "k"),
            None,
            "truncated"
        );
        let mut flipped = good.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(
            verified_payload(&flipped, MODULE.magic, "k"),
            None,
            "corrupt payload"
        );
        assert_eq!(verified_payload(b"", MODULE.magic, "k"), None, "empty");
        assert_eq!(
            verified_payload(b"GORUMOD2\xff\xff\xff\xff", MODULE.magic, "k"),
            None,
            "absurd key length"
        );
        assert_eq!(
            verified_payload(&good, IMAGE.magic, "k"),
            None,
            "a module is not an image"
        );
    }
}
