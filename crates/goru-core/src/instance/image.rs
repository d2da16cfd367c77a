//! A snapshot's memory image, mapped copy-on-write into each restored instance (Linux) or copied.
//!
//! On Linux the image lives in a sealed memfd, or in the disk cache's file
//! (which is only ever replaced by a rename, never written in place, so its
//! pages are shared by every process that restores from it). Restoring maps it with
//! `MAP_PRIVATE | MAP_FIXED` over the first bytes of the instance's linear
//! memory: no byte is copied up front, every instance shares the image's
//! pages until it writes one, and a write copies only that page. The memfd
//! is sealed against writes, so nothing (no guest, no host bug) can change
//! the image under the instances that map it.
//!
//! The mapping replaces pages inside wasmer's reservation for the memory,
//! which is valid: wasmer addresses the memory only through its base
//! pointer, grows it by changing the protection of pages past the current
//! size (or, for a dynamic memory, by copying it elsewhere), and unmaps the
//! whole reservation, our mapping included, when the memory is dropped.

use wasmer::{AsStoreMut, Memory, Pages};

/// A snapshot of an interpreter's linear memory.
#[derive(Debug)]
pub(crate) struct MemoryImage {
    len: usize,
    #[cfg(target_os = "linux")]
    file: std::fs::File,
    /// Where in `file` the image starts (page-aligned).
    #[cfg(target_os = "linux")]
    offset: u64,
    #[cfg(not(target_os = "linux"))]
    bytes: Vec<u8>,
}

impl MemoryImage {
    /// Copies `memory` as it is now.
    pub(crate) fn capture(store: &mut impl AsStoreMut, memory: &Memory) -> Result<Vec<u8>, String> {
        memory
            .view(store)
            .copy_to_vec()
            .map_err(|e| format!("copying the memory: {e}"))
    }

    /// An image of the memory `bytes` (from [`MemoryImage::capture`]).
    #[cfg(target_os = "linux")]
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        use std::io::Write;
        use std::os::fd::FromRawFd;

        let name = c"goru-snapshot";
        // SAFETY: `name` is a valid C string; the result is checked.
        let fd = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING) };
        if fd < 0 {
            return Err(format!(
                "creating the snapshot's memfd: {}",
                std::io::Error::last_os_error()
            ));
        }
        // SAFETY: `fd` is a new descriptor that nothing else owns.
        let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
        file.write_all(bytes)
            .map_err(|e| format!("writing the snapshot's memfd: {e}"))?;
        let seals = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL;
        // SAFETY: plain fcntl on a descriptor we own; the result is checked.
        if unsafe { libc::fcntl(fd, libc::F_ADD_SEALS, seals) } != 0 {
            return Err(format!(
                "sealing the snapshot's memfd: {}",
                std::io::Error::last_os_error()
            ));
        }
        Ok(Self {
            len: bytes.len(),
            file,
            offset: 0,
        })
    }

    /// An image of `bytes`, which are `file`'s from `offset` on (a
    /// verified disk cache file).
    #[cfg(target_os = "linux")]
    pub(crate) fn from_file(file: &std::fs::File, offset: u64, bytes: &[u8]) -> Result<Self, String> {
        if !offset.is_multiple_of(page_size() as u64) {
            return Err("the snapshot file's image is not page-aligned".into());
        }
        let file = file
            .try_clone()
            .map_err(|e| format!("holding the snapshot file: {e}"))?;
        Ok(Self {
            len: bytes.len(),
            file,
            offset,
        })
    }

    /// An image of `bytes` (read from a disk cache file).
    #[cfg(not(target_os = "linux"))]
    pub(crate) fn from_file(_: &std::fs::File, _: u64, bytes: &[u8]) -> Result<Self, String> {
        Self::from_bytes(bytes)
    }

    /// An image of the memory `bytes` (from [`MemoryImage::capture`]).
    #[cfg(not(target_os = "linux"))]
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        Ok(Self {
            len: bytes.len(),
            bytes: bytes.to_vec(),
        })
    }

    /// The pages a memory restored from this image needs.
    pub(crate) fn pages(&self) -> u32 {
        (self.len as u64).div_ceil(u64::from(wasmer::WASM_PAGE_SIZE as u32)) as u32
    }

    /// Makes `memory` (a fresh instance's) hold the image, growing it first.
    pub(crate) fn write(&self, store: &mut impl AsStoreMut, memory: &Memory) -> Result<(), String> {
        let current = memory.view(store).size().0;
        if let Some(delta) = self.pages().checked_sub(current).filter(|d| *d > 0) {
            memory.grow(store, Pages(delta)).map_err(|e| e.to_string())?;
        }
        self.map_into(store, memory)
    }

    #[cfg(target_os = "linux")]
    fn map_into(&self, store: &mut impl AsStoreMut, memory: &Memory) -> Result<(), String> {
        use std::os::fd::AsRawFd;

        let view = memory.view(store);
        // Checked, not assumed: the mapping must not reach past the memory.
        if view.data_size() < self.len as u64 {
            return Err("the memory is smaller than the snapshot".into());
        }
        let base = view.data_ptr();
        if !(base as usize).is_multiple_of(page_size()) || !self.len.is_multiple_of(page_size()) {
            return Err("the memory is not page-aligned".into());
        }
        // SAFETY: [base, base + len) lies inside the memory's accessible
        // bytes (checked above), which wasmer owns and addresses only
        // through `base`; no reference into it is alive here. MAP_FIXED
        // replaces those pages with a private copy-on-write view of the
        // sealed image, readable and writable like the pages it replaces.
        let mapped = unsafe {
            libc::mmap(
                base.cast(),
                self.len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_FIXED,
                self.file.as_raw_fd(),
                self.offset as libc::off_t,
            )
        };
        if mapped == libc::MAP_FAILED || mapped != base.cast() {
            return Err(format!(
                "mapping the snapshot: {}",
                std::io::Error::last_os_error()
            ));
        }
        Ok(())
    }

    #[cfg(not(target_os = "linux"))]
    fn map_into(&self, store: &mut impl AsStoreMut, memory: &Memory) -> Result<(), String> {
        memory
            .view(store)
            .write(0, &self.bytes)
            .map_err(|e| format!("restoring the snapshot: {e}"))
    }
}

#[cfg(target_os = "linux")]
fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).unwrap_or(4096)
}
