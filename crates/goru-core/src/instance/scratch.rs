//! The guest's filesystem: an in-memory tree private to one run, bounded in
//! bytes and entries, with goru's devices and read-only host mounts in it.
//!
//! It replaces virtual-fs's `TmpFileSystem`, whose files grow their buffer
//! before asking the memory limiter (so `truncate(2**62)` aborted the host on
//! a failed allocation, and a seek to 2^32 made it hold 4 GiB before failing),
//! whose limiter counted capacity and lost count after a refused write, and
//! whose full-filesystem error reaches the guest as `EIO`. Here every byte and
//! every entry is charged to a [`Quota`] before anything is allocated, a file
//! holds exactly its length, and refusals become `ENOSPC` (see `imports.rs`).
//!
//! Symlinks cannot be created in it (`EPERM`): wasmer-wasix would otherwise
//! fall back to keeping them in an unbounded table of its own.

mod device;
mod file;
mod imports;
mod quota;
mod tree;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use futures::future::BoxFuture;
use virtual_fs::random_file::RandomFile;
use virtual_fs::{
    DeviceFile, DirEntry, FileOpener, FileSystem, FsError, Metadata, NullFile, OpenOptions,
    OpenOptionsConfig, ReadDir, VirtualFile, ZeroFile,
};

use crate::{Error, Limits};
use device::OpenDevice;
use file::{FileData, OpenFile};
pub(crate) use imports::{MODULE as WASI_MODULE, install as install_imports, typed as typed_import};
pub(crate) use quota::Quota;
use tree::{Kind, Mounted, NodeId, Parent, Resolved, Tree};

/// Directories every run starts with (nothing may be mounted in them).
pub(super) const DIRS: [&str; 4] = ["/dev", "/etc", "/tmp", "/.goru"];

/// One run's scratch filesystem; clones share it.
#[derive(Debug, Clone)]
pub(crate) struct ScratchFs {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    tree: Mutex<Tree>,
    quota: Arc<Quota>,
}

/// Lets an open handle remove its own entry (WASI unlinks an open file
/// through its handle).
#[derive(Debug)]
struct Link {
    shared: Weak<Shared>,
    node: NodeId,
}

impl Link {
    fn unlink(&self) -> Result<(), FsError> {
        let Some(shared) = self.shared.upgrade() else {
            return Ok(());
        };
        // Already gone (unlinked by path, or replaced by a rename) is fine.
        let removed = shared.tree().remove(self.node, &shared.quota);
        drop(removed);
        Ok(())
    }
}

impl Shared {
    fn tree(&self) -> MutexGuard<'_, Tree> {
        self.tree.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ScratchFs {
    /// An empty filesystem with `/dev` (null, zero, urandom, stdin, stdout,
    /// stderr), `/etc`, `/tmp` and `/.goru`, bounded by `limits`.
    pub(crate) fn new(limits: &Limits) -> Result<Self, Error> {
        let bytes = u64::try_from(limits.scratch_fs_bytes).unwrap_or(u64::MAX);
        let fs = Self {
            shared: Arc::new(Shared {
                tree: Mutex::new(Tree::new()),
                quota: Arc::new(Quota::new(bytes, limits.scratch_fs_entries)),
            }),
        };
        let setup = |what: &str, e: FsError| Error::Setup(format!("creating {what}: {e}"));
        for dir in DIRS {
            fs.shared
                .tree()
                .make_dirs(Path::new(dir))
                .map_err(|e| setup(dir, e))?;
        }
        let devices: [(&str, Box<dyn VirtualFile + Send + Sync>); 6] = [
            ("/dev/null", Box::<NullFile>::default()),
            ("/dev/zero", Box::<ZeroFile>::default()),
            ("/dev/urandom", Box::<RandomFile>::default()),
            ("/dev/stdin", Box::new(DeviceFile::new(DeviceFile::STDIN))),
            ("/dev/stdout", Box::new(DeviceFile::new(DeviceFile::STDOUT))),
            ("/dev/stderr", Box::new(DeviceFile::new(DeviceFile::STDERR))),
        ];
        for (path, device) in devices {
            fs.insert_device_file(Path::new(path), device)
                .map_err(|e| setup(path, e))?;
        }
        Ok(fs)
    }

    /// Puts a device at `path` (its directory must exist). Every open of it
    /// shares `device`.
    pub(crate) fn insert_device_file(
        &self,
        path: &Path,
        device: Box<dyn VirtualFile + Send + Sync>,
    ) -> Result<(), FsError> {
        self.insert_host_entry(path, Kind::Device(Arc::new(Mutex::new(device))))
    }

    /// Shows `fs` at `path`, making the directories above it if needed.
    pub(crate) fn mount(&self, path: &Path, fs: Arc<dyn FileSystem + Send + Sync>) -> Result<(), FsError> {
        let parent = path.parent().ok_or(FsError::InvalidInput)?;
        self.shared.tree().make_dirs(parent)?;
        self.insert_host_entry(path, Kind::Mount(fs))
    }

    /// An entry goru makes: not charged to the guest.
    fn insert_host_entry(&self, path: &Path, kind: Kind) -> Result<(), FsError> {
        let mut tree = self.shared.tree();
        match tree.resolve_parent(path)? {
            Parent::Dir(dir, name) => tree.insert(dir, name, kind, None).map(drop),
            Parent::Mounted(..) => Err(FsError::PermissionDenied),
        }
    }

    /// The quota, for the import wrappers that report its refusals.
    pub(crate) fn quota(&self) -> Arc<Quota> {
        self.shared.quota.clone()
    }

    fn tree(&self) -> MutexGuard<'_, Tree> {
        self.shared.tree()
    }

    fn link(&self, node: NodeId) -> Link {
        Link {
            shared: Arc::downgrade(&self.shared),
            node,
        }
    }

    /// Removes the entry at `path` if `check` accepts its kind.
    fn remove(
        &self,
        path: &Path,
        check: impl FnOnce(&Kind) -> Result<(), FsError>,
        in_mount: impl FnOnce(&dyn FileSystem, &Path) -> Result<(), FsError>,
    ) -> Result<(), FsError> {
        let removed = {
            let mut tree = self.tree();
            let id = match tree.resolve(path)? {
                Resolved::Mounted(fs, inner) => {
                    drop(tree);
                    return in_mount(fs.as_ref(), &inner);
                }
                Resolved::Node(id) => id,
            };
            match tree.kind(id) {
                Some(Kind::Mount(_)) => return Err(FsError::PermissionDenied),
                Some(kind) => check(kind)?,
                None => return Err(FsError::EntryNotFound),
            }
            tree.remove(id, &self.shared.quota)
                .ok_or(FsError::PermissionDenied)?
        };
        drop(removed);
        Ok(())
    }

    /// Renames within the tree, or says which mount the rename belongs to.
    fn rename_in_tree(&self, from: &Path, to: &Path) -> Result<Option<(Mounted, PathBuf, PathBuf)>, FsError> {
        let replaced = {
            let mut tree = self.tree();
            match (tree.resolve_parent(from)?, tree.resolve_parent(to)?) {
                (Parent::Dir(src, src_name), Parent::Dir(dst, dst_name)) => {
                    tree.rename((src, src_name), (dst, dst_name), &self.shared.quota)?
                }
                (Parent::Mounted(a, from), Parent::Mounted(b, to)) if Arc::ptr_eq(&a, &b) => {
                    return Ok(Some((a, from, to)));
                }
                // Across filesystems (EXDEV on Linux): the mounts are read-only.
                _ => return Err(FsError::PermissionDenied),
            }
        };
        drop(replaced);
        Ok(None)
    }
}

impl FileSystem for ScratchFs {
    fn readlink(&self, path: &Path) -> virtual_fs::Result<PathBuf> {
        let resolved = self.tree().resolve(path)?;
        match resolved {
            // Nothing here is a link.
            Resolved::Node(_) => Err(FsError::InvalidInput),
            Resolved::Mounted(fs, inner) => fs.readlink(&inner),
        }
    }

    fn read_dir(&self, path: &Path) -> virtual_fs::Result<ReadDir> {
        let tree = self.tree();
        let resolved = tree.resolve(path)?;
        let (fs, inner) = match resolved {
            Resolved::Node(id) => match tree.kind(id) {
                Some(Kind::Mount(fs)) => (fs.clone(), PathBuf::from("/")),
                _ => {
                    let entries = tree
                        .entries(id)?
                        .into_iter()
                        .map(|(name, metadata)| DirEntry {
                            path: path.join(name),
                            metadata: Ok(metadata),
                        })
                        .collect();
                    return Ok(ReadDir::new(entries));
                }
            },
            Resolved::Mounted(fs, inner) => (fs, inner),
        };
        drop(tree);
        // The mount names its entries by its own paths: show them by ours.
        let entries = fs
            .read_dir(&inner)?
            .filter_map(Result::ok)
            .map(|entry| DirEntry {
                path: path.join(entry.file_name()),
                metadata: entry.metadata,
            })
            .collect();
        Ok(ReadDir::new(entries))
    }

    fn create_dir(&self, path: &Path) -> virtual_fs::Result<()> {
        let mut tree = self.tree();
        match tree.resolve_parent(path)? {
            Parent::Dir(dir, name) => tree
                .insert(dir, name, Kind::Dir(BTreeMap::new()), Some(&self.shared.quota))
                .map(drop),
            Parent::Mounted(fs, inner) => {
                drop(tree);
                fs.create_dir(&inner)
            }
        }
    }

    fn create_symlink(&self, _source: &Path, _target: &Path) -> virtual_fs::Result<()> {
        // Not `Unsupported`: wasmer-wasix would then keep the link itself,
        // outside any bound.
        Err(FsError::PermissionDenied)
    }

    fn hard_link(&self, _source: &Path, _target: &Path) -> virtual_fs::Result<()> {
        Err(FsError::PermissionDenied)
    }

    fn remove_dir(&self, path: &Path) -> virtual_fs::Result<()> {
        self.remove(
            path,
            |kind| match kind {
                Kind::Dir(children) if children.is_empty() => Ok(()),
                Kind::Dir(_) => Err(FsError::DirectoryNotEmpty),
                _ => Err(FsError::BaseNotDirectory),
            },
            |fs, inner| fs.remove_dir(inner),
        )
    }

    fn rename<'a>(&'a self, from: &'a Path, to: &'a Path) -> BoxFuture<'a, virtual_fs::Result<()>> {
        Box::pin(async move {
            match self.rename_in_tree(from, to)? {
                Some((fs, from, to)) => fs.rename(&from, &to).await,
                None => Ok(()),
            }
        })
    }

    fn metadata(&self, path: &Path) -> virtual_fs::Result<Metadata> {
        let tree = self.tree();
        match tree.resolve(path)? {
            Resolved::Node(id) => tree.metadata(id),
            Resolved::Mounted(fs, inner) => {
                drop(tree);
                fs.metadata(&inner)
            }
        }
    }

    fn symlink_metadata(&self, path: &Path) -> virtual_fs::Result<Metadata> {
        self.metadata(path)
    }

    fn remove_file(&self, path: &Path) -> virtual_fs::Result<()> {
        self.remove(
            path,
            |kind| match kind {
                Kind::Dir(_) => Err(FsError::NotAFile),
                _ => Ok(()),
            },
            |fs, inner| fs.remove_file(inner),
        )
    }

    fn new_open_options(&self) -> OpenOptions<'_> {
        OpenOptions::new(self)
    }
}

impl FileOpener for ScratchFs {
    fn open(
        &self,
        path: &Path,
        conf: &OpenOptionsConfig,
    ) -> virtual_fs::Result<Box<dyn VirtualFile + Send + Sync + 'static>> {
        if conf.truncate && !conf.write {
            return Err(FsError::PermissionDenied);
        }
        let writable = conf.write || conf.append;
        let mut tree = self.tree();
        let (dir, name) = match tree.resolve_parent(path)? {
            Parent::Dir(dir, name) => (dir, name),
            Parent::Mounted(fs, inner) => {
                drop(tree);
                return fs.new_open_options().options(conf.clone()).open(inner);
            }
        };
        let id = match tree.child(dir, name) {
            Some(_) if conf.create_new => return Err(FsError::AlreadyExists),
            Some(id) => id,
            None if !(conf.create || conf.create_new) => return Err(FsError::EntryNotFound),
            None if !writable => return Err(FsError::PermissionDenied),
            None => {
                let data = FileData::new(self.shared.quota.clone());
                tree.insert(dir, name, Kind::File(data), Some(&self.shared.quota))?
            }
        };
        match tree.kind(id) {
            Some(Kind::File(data)) => {
                let data = data.clone();
                drop(tree);
                if conf.truncate {
                    data.set_len(0)?;
                }
                let file = OpenFile::new(data, self.link(id), conf.read, writable, conf.append);
                Ok(Box::new(file))
            }
            Some(Kind::Device(device)) => {
                let device = device.clone();
                drop(tree);
                let mut file = OpenDevice::new(device, self.link(id));
                if conf.truncate {
                    file.set_len(0)?;
                }
                Ok(Box::new(file))
            }
            Some(Kind::Dir(_) | Kind::Mount(_)) => Err(FsError::NotAFile),
            None => Err(FsError::EntryNotFound),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

    fn fs(bytes: usize, entries: usize) -> ScratchFs {
        ScratchFs::new(
            &Limits::default()
                .scratch_fs_bytes(bytes)
                .scratch_fs_entries(entries),
        )
        .unwrap()
    }

    fn open(fs: &ScratchFs, path: &str) -> Box<dyn VirtualFile + Send + Sync> {
        fs.new_open_options()
            .read(true)
            .write(true)
            .create(true)
            .open(path)
            .unwrap()
    }

    #[test]
    fn a_sparse_write_past_the_cap_is_refused_without_allocating() {
        let fs = fs(1 << 20, 10);
        let mut file = open(&fs, "/tmp/x");
        futures::executor::block_on(async {
            file.seek(std::io::SeekFrom::Start(1 << 62)).await.unwrap();
            let err = file.write(b"x").await.unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::StorageFull);
        });
        assert_eq!(file.set_len(1 << 62), Err(FsError::WriteZero));
        assert_eq!(file.size(), 0);
        assert_eq!(fs.quota().bytes_used(), 0);
    }

    #[test]
    fn files_read_back_what_was_written_and_free_their_bytes_when_removed() {
        let fs = fs(1 << 20, 10);
        let mut file = open(&fs, "/tmp/x");
        let mut back = String::new();
        futures::executor::block_on(async {
            file.write_all(b"hello").await.unwrap();
            file.seek(std::io::SeekFrom::Start(0)).await.unwrap();
            file.read_to_string(&mut back).await.unwrap();
        });
        assert_eq!(back, "hello");
        assert_eq!(fs.metadata(Path::new("/tmp/x")).unwrap().len, 5);
        futures::executor::block_on(fs.rename(Path::new("/tmp/x"), Path::new("/y"))).unwrap();
        fs.remove_file(Path::new("/y")).unwrap();
        // Still open: the bytes live until the handle goes.
        assert_eq!(fs.quota().bytes_used(), 5);
        drop(file);
        assert_eq!(fs.quota().bytes_used(), 0);
    }

    #[test]
    fn entries_beyond_the_cap_are_refused() {
        let fs = fs(1 << 20, 2);
        fs.create_dir(Path::new("/tmp/a")).unwrap();
        open(&fs, "/tmp/a/f");
        assert_eq!(fs.create_dir(Path::new("/tmp/b")), Err(FsError::WriteZero));
        let refused = fs.new_open_options().write(true).create(true).open("/tmp/g");
        assert_eq!(refused.err(), Some(FsError::WriteZero));
        fs.remove_file(Path::new("/tmp/a/f")).unwrap();
        fs.create_dir(Path::new("/tmp/b")).unwrap();
    }

    #[test]
    fn symlinks_are_refused() {
        let fs = fs(1 << 20, 10);
        assert_eq!(
            fs.create_symlink(Path::new("/tmp"), Path::new("/tmp/link")),
            Err(FsError::PermissionDenied)
        );
    }
}
