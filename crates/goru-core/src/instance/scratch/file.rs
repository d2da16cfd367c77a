//! Regular files of the scratch filesystem: contents kept in fixed-size
//! chunks whose allocation is always exactly the file's length, charged to
//! the run's [`Quota`] before a byte is allocated.
//!
//! A file's size is what it costs the host, sparse or not: a write or a
//! truncate that would take the filesystem past its cap is refused (the
//! guest sees `ENOSPC`), so a guest that seeks to 2^62 and writes one byte
//! costs nothing. Chunks keep appends cheap: growing a file reallocates at
//! most one chunk, never the whole file.

use std::collections::TryReserveError;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use virtual_fs::{FileType, FsError, Metadata, VirtualFile};

use super::Link;
use super::quota::Quota;

/// Bytes per chunk: small enough that growing the last one is a cheap copy,
/// large enough that the chunk table is a rounding error.
const CHUNK: usize = 16 << 10;

/// Nanoseconds since the Unix epoch, as WASI timestamps are.
pub(super) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// The bytes of a file. Every chunk but the last is full; each chunk's
/// capacity equals its length, so the allocation is the file's length.
#[derive(Debug, Default)]
struct Content {
    chunks: Vec<Vec<u8>>,
    len: u64,
}

/// Where byte `at` lives: chunk index and offset in it.
fn locate(at: u64) -> (usize, usize) {
    let chunk = CHUNK as u64;
    // Both fit: `at` is below the file's length, which the quota keeps small.
    ((at / chunk) as usize, (at % chunk) as usize)
}

impl Content {
    fn read_at(&self, pos: u64, buf: &mut [u8]) -> usize {
        let n = usize::try_from(self.len.saturating_sub(pos)).map_or(buf.len(), |left| left.min(buf.len()));
        let mut done = 0;
        while done < n {
            let (index, offset) = locate(pos + done as u64);
            let chunk = &self.chunks[index];
            let k = (n - done).min(chunk.len() - offset);
            buf[done..done + k].copy_from_slice(&chunk[offset..offset + k]);
            done += k;
        }
        n
    }

    /// Overwrites from `pos`, which with `data` lies within the length.
    fn copy_in(&mut self, pos: u64, data: &[u8]) {
        let mut done = 0;
        while done < data.len() {
            let (index, offset) = locate(pos + done as u64);
            let chunk = &mut self.chunks[index];
            let k = (data.len() - done).min(chunk.len() - offset);
            chunk[offset..offset + k].copy_from_slice(&data[done..done + k]);
            done += k;
        }
    }

    /// Grows to `new_len` with zeros. On failure the length is unchanged.
    fn grow(&mut self, new_len: u64) -> Result<(), TryReserveError> {
        let old = self.len;
        let result = self.grow_inner(new_len);
        if result.is_err() {
            self.truncate(old);
        }
        result
    }

    fn grow_inner(&mut self, new_len: u64) -> Result<(), TryReserveError> {
        while self.len < new_len {
            if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
                self.chunks.try_reserve(1)?;
                self.chunks.push(Vec::new());
            }
            let Some(last) = self.chunks.last_mut() else {
                unreachable!("a chunk was just ensured");
            };
            let room = (CHUNK - last.len()) as u64;
            let add = room.min(new_len - self.len) as usize;
            last.try_reserve_exact(add)?;
            last.resize(last.len() + add, 0);
            self.len += add as u64;
        }
        Ok(())
    }

    /// Shrinks to `new_len` (no-op if longer), giving the memory back.
    fn truncate(&mut self, new_len: u64) {
        if new_len < self.len {
            let keep = new_len.div_ceil(CHUNK as u64) as usize;
            self.chunks.truncate(keep);
            if let Some(last) = self.chunks.last_mut() {
                last.truncate((new_len - (keep as u64 - 1) * CHUNK as u64) as usize);
                last.shrink_to_fit();
            }
            self.len = new_len;
        }
        // A failed `grow` can leave an empty chunk behind.
        if self.chunks.last().is_some_and(Vec::is_empty) {
            self.chunks.pop();
        }
        if self.chunks.is_empty() {
            self.chunks = Vec::new();
        }
    }
}

#[derive(Debug)]
struct State {
    content: Content,
    created: u64,
    modified: u64,
    accessed: u64,
}

/// One regular file. Its bytes are given back to the quota when the last
/// reference goes: the directory entry, or the last open handle of a file
/// unlinked while open.
#[derive(Debug)]
pub(super) struct FileData {
    state: Mutex<State>,
    quota: Arc<Quota>,
}

fn no_space() -> io::Error {
    io::Error::new(io::ErrorKind::StorageFull, "the scratch filesystem is full")
}

impl FileData {
    pub(super) fn new(quota: Arc<Quota>) -> Arc<Self> {
        let time = now();
        Arc::new(Self {
            state: Mutex::new(State {
                content: Content::default(),
                created: time,
                modified: time,
                accessed: time,
            }),
            quota,
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn metadata(&self) -> Metadata {
        let state = self.state();
        Metadata {
            ft: FileType::new_file(),
            accessed: state.accessed,
            created: state.created,
            modified: state.modified,
            len: state.content.len,
        }
    }

    /// Writes `buf` at `pos` (at the end if `append`), as much of it as the
    /// quota allows; returns where the write started and how many bytes it
    /// took. Refuses with `StorageFull` if not one byte fits.
    fn write(&self, pos: u64, append: bool, buf: &[u8]) -> io::Result<(u64, usize)> {
        let mut state = self.state();
        let size = state.content.len;
        let pos = if append { size } else { pos };
        if buf.is_empty() {
            return Ok((pos, 0));
        }
        let end = pos
            .checked_add(buf.len() as u64)
            .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
        let mut n = buf.len();
        if end > size {
            // Grow by the gap up to `pos` (zeros) plus the new bytes; at
            // least one new byte must fit.
            let least = (pos + 1).saturating_sub(size);
            let Some(taken) = self.quota.take_bytes(least, end - size) else {
                self.quota.note_refused_write();
                return Err(no_space());
            };
            let new_len = size + taken;
            n = (new_len - pos) as usize;
            if state.content.grow(new_len).is_err() {
                self.quota.release_bytes(taken);
                self.quota.note_refused_write();
                return Err(no_space());
            }
        }
        state.content.copy_in(pos, &buf[..n]);
        state.modified = now();
        Ok((pos, n))
    }

    pub(super) fn set_len(&self, new_len: u64) -> Result<(), FsError> {
        let mut state = self.state();
        let size = state.content.len;
        if new_len > size {
            let grow = new_len - size;
            // `WriteZero` is what wasmer-wasix reports as `ENOSPC`.
            self.quota.take_bytes(grow, grow).ok_or(FsError::WriteZero)?;
            if state.content.grow(new_len).is_err() {
                self.quota.release_bytes(grow);
                return Err(FsError::WriteZero);
            }
        } else {
            state.content.truncate(new_len);
            self.quota.release_bytes(size - new_len);
        }
        state.modified = now();
        Ok(())
    }
}

impl Drop for FileData {
    fn drop(&mut self) {
        let len = self.state().content.len;
        self.quota.release_bytes(len);
    }
}

/// An open regular file: a cursor over a [`FileData`].
#[derive(Debug)]
pub(super) struct OpenFile {
    data: Arc<FileData>,
    link: Link,
    cursor: u64,
    seek: Option<io::Result<u64>>,
    readable: bool,
    writable: bool,
    append: bool,
}

impl OpenFile {
    pub(super) fn new(data: Arc<FileData>, link: Link, readable: bool, writable: bool, append: bool) -> Self {
        Self {
            data,
            link,
            cursor: 0,
            seek: None,
            readable,
            writable,
            append,
        }
    }

    fn position(&self, from: io::SeekFrom) -> io::Result<u64> {
        let invalid = || io::Error::from(io::ErrorKind::InvalidInput);
        let (base, offset) = match from {
            io::SeekFrom::Start(at) => return i64::try_from(at).map(|_| at).map_err(|_| invalid()),
            io::SeekFrom::End(offset) => (self.data.state().content.len, offset),
            io::SeekFrom::Current(offset) => (self.cursor, offset),
        };
        let at = i128::from(base) + i128::from(offset);
        // Offsets are `off_t` to the guest: at most `i64::MAX`.
        i64::try_from(at)
            .ok()
            .and_then(|at| u64::try_from(at).ok())
            .ok_or_else(invalid)
    }
}

fn denied(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, format!("not opened for {what}"))
}

impl AsyncRead for OpenFile {
    fn poll_read(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.readable {
            return Poll::Ready(Err(denied("reading")));
        }
        let mut state = this.data.state();
        let n = state.content.read_at(this.cursor, buf.initialize_unfilled());
        buf.advance(n);
        state.accessed = now();
        this.cursor += n as u64;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for OpenFile {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if !this.writable {
            return Poll::Ready(Err(denied("writing")));
        }
        let (at, n) = this.data.write(this.cursor, this.append, buf)?;
        this.cursor = at + n as u64;
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl AsyncSeek for OpenFile {
    fn start_seek(self: Pin<&mut Self>, position: io::SeekFrom) -> io::Result<()> {
        let this = self.get_mut();
        this.seek = Some(this.position(position));
        Ok(())
    }

    fn poll_complete(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let this = self.get_mut();
        let result = match this.seek.take() {
            Some(Ok(at)) => {
                this.cursor = at;
                Ok(at)
            }
            Some(Err(e)) => Err(e),
            None => Ok(this.cursor),
        };
        Poll::Ready(result)
    }
}

impl VirtualFile for OpenFile {
    fn last_accessed(&self) -> u64 {
        self.data.state().accessed
    }

    fn last_modified(&self) -> u64 {
        self.data.state().modified
    }

    fn created_time(&self) -> u64 {
        self.data.state().created
    }

    fn set_times(&mut self, atime: Option<u64>, mtime: Option<u64>) -> virtual_fs::Result<()> {
        let mut state = self.data.state();
        if let Some(atime) = atime {
            state.accessed = atime;
        }
        if let Some(mtime) = mtime {
            state.modified = mtime;
        }
        Ok(())
    }

    fn size(&self) -> u64 {
        self.data.state().content.len
    }

    fn set_len(&mut self, new_size: u64) -> virtual_fs::Result<()> {
        if !self.writable {
            return Err(FsError::PermissionDenied);
        }
        self.data.set_len(new_size)
    }

    fn unlink(&mut self) -> virtual_fs::Result<()> {
        self.link.unlink()
    }

    fn poll_read_ready(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let left = self.data.state().content.len.saturating_sub(self.cursor);
        Poll::Ready(Ok(usize::try_from(left).unwrap_or(usize::MAX)))
    }

    fn poll_write_ready(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(8192))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(len: u64) -> Content {
        let mut c = Content::default();
        c.grow(len).unwrap();
        c
    }

    #[test]
    fn allocation_equals_length() {
        for len in [
            0,
            1,
            CHUNK as u64 - 1,
            CHUNK as u64,
            CHUNK as u64 + 1,
            5 * CHUNK as u64 + 7,
        ] {
            let mut c = content(len);
            let allocated: usize = c.chunks.iter().map(Vec::capacity).sum();
            assert_eq!(allocated as u64, len);
            c.truncate(len / 3);
            let allocated: usize = c.chunks.iter().map(Vec::capacity).sum();
            assert_eq!(allocated as u64, len / 3);
        }
    }

    #[test]
    fn bytes_cross_chunk_boundaries() {
        let mut c = content(3 * CHUNK as u64);
        let data: Vec<u8> = (0..2 * CHUNK + 10).map(|i| i as u8).collect();
        c.copy_in(CHUNK as u64 / 2, &data);
        let mut back = vec![0; data.len()];
        assert_eq!(c.read_at(CHUNK as u64 / 2, &mut back), data.len());
        assert_eq!(back, data);
        let mut tail = [0u8; 8];
        assert_eq!(c.read_at(3 * CHUNK as u64 - 3, &mut tail), 3);
        assert_eq!(c.read_at(3 * CHUNK as u64, &mut tail), 0);
    }

    #[test]
    fn a_write_past_the_quota_takes_what_fits_then_is_refused() {
        let quota = Arc::new(Quota::new(10, 10));
        let file = FileData::new(quota.clone());
        assert_eq!(file.write(0, false, b"12345678").unwrap(), (0, 8));
        assert_eq!(file.write(8, false, b"abcdef").unwrap(), (8, 2));
        let err = file.write(10, false, b"x").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::StorageFull);
        assert!(quota.take_refused_write());
        // Sparse or not: the gap counts.
        assert!(file.write(1 << 62, false, b"x").is_err());
        assert_eq!(file.set_len(1 << 62), Err(FsError::WriteZero));
        assert_eq!(quota.bytes_used(), 10);
        file.set_len(4).unwrap();
        assert_eq!(quota.bytes_used(), 4);
        drop(file);
        assert_eq!(quota.bytes_used(), 0);
    }
}
