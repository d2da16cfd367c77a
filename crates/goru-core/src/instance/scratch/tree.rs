//! The directory tree of the scratch filesystem: entries by id, paths
//! resolved lexically (there are no symlinks in it), host directories
//! mounted at a node.

use std::collections::{BTreeMap, HashMap};
use std::ffi::{OsStr, OsString};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use virtual_fs::{FileSystem, FileType, FsError, Metadata, VirtualFile};

use super::file::{FileData, now};
use super::quota::Quota;

/// An entry's id; never reused within one filesystem, so a stale id finds
/// nothing rather than someone else's entry.
pub(super) type NodeId = u64;
pub(super) const ROOT: NodeId = 0;
/// Longest name of one entry, as on Linux.
const NAME_MAX: usize = 255;
/// Longest path of an entry, as on Linux. wasmer-wasix keeps the whole path
/// of every entry it has looked up, so without this a chain of nested
/// directories costs the host memory quadratic in its depth (a guest made
/// 2 GB of them in a minute).
const PATH_MAX: usize = 4096;

pub(super) type Device = Arc<Mutex<Box<dyn VirtualFile + Send + Sync>>>;
pub(super) type Mounted = Arc<dyn FileSystem + Send + Sync>;

#[derive(Debug)]
pub(super) enum Kind {
    Dir(BTreeMap<OsString, NodeId>),
    File(Arc<FileData>),
    Device(Device),
    /// Another filesystem shown at this directory (a read-only host dir).
    Mount(Mounted),
}

#[derive(Debug)]
pub(super) struct Node {
    parent: NodeId,
    name: OsString,
    pub(super) kind: Kind,
    /// Whether the entry counts against the guest's quota: goru's own
    /// entries (`/dev`, the channel, mounts) do not.
    counted: bool,
    created: u64,
    modified: u64,
}

/// What a path names.
pub(super) enum Resolved {
    Node(NodeId),
    /// A path inside a mount, relative to the mount's root.
    Mounted(Mounted, PathBuf),
}

/// Where an entry named by a path would live.
pub(super) enum Parent<'p> {
    Dir(NodeId, &'p OsStr),
    Mounted(Mounted, PathBuf),
}

#[derive(Debug)]
pub(super) struct Tree {
    nodes: HashMap<NodeId, Node>,
    next: NodeId,
}

/// The names along `path`; `.` is skipped and `..` goes up (never above `/`).
fn names(path: &Path) -> Result<Vec<&OsStr>, FsError> {
    let mut names = Vec::new();
    for component in path.components() {
        match component {
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir => {
                names.pop();
            }
            Component::Normal(name) => names.push(name),
            Component::Prefix(_) => return Err(FsError::InvalidInput),
        }
    }
    Ok(names)
}

fn mounted_path(names: &[&OsStr]) -> PathBuf {
    let mut path = PathBuf::from("/");
    path.extend(names);
    path
}

impl Tree {
    pub(super) fn new() -> Self {
        let time = now();
        let root = Node {
            parent: ROOT,
            name: OsString::from("/"),
            kind: Kind::Dir(BTreeMap::new()),
            counted: false,
            created: time,
            modified: time,
        };
        Self {
            nodes: HashMap::from([(ROOT, root)]),
            next: ROOT + 1,
        }
    }

    pub(super) fn kind(&self, id: NodeId) -> Option<&Kind> {
        self.nodes.get(&id).map(|n| &n.kind)
    }

    pub(super) fn metadata(&self, id: NodeId) -> Result<Metadata, FsError> {
        let node = self.nodes.get(&id).ok_or(FsError::EntryNotFound)?;
        let ft = match &node.kind {
            Kind::File(data) => return Ok(data.metadata()),
            Kind::Dir(_) | Kind::Mount(_) => FileType::new_dir(),
            Kind::Device(_) => FileType::new_file(),
        };
        Ok(Metadata {
            ft,
            accessed: node.modified,
            created: node.created,
            modified: node.modified,
            len: 0,
        })
    }

    pub(super) fn resolve(&self, path: &Path) -> Result<Resolved, FsError> {
        self.resolve_names(&names(path)?)
    }

    fn resolve_names(&self, names: &[&OsStr]) -> Result<Resolved, FsError> {
        let mut id = ROOT;
        for (i, name) in names.iter().enumerate() {
            match self.kind(id) {
                Some(Kind::Dir(children)) => id = *children.get(*name).ok_or(FsError::EntryNotFound)?,
                Some(Kind::Mount(fs)) => return Ok(Resolved::Mounted(fs.clone(), mounted_path(&names[i..]))),
                Some(_) => return Err(FsError::BaseNotDirectory),
                None => return Err(FsError::EntryNotFound),
            }
        }
        Ok(Resolved::Node(id))
    }

    pub(super) fn resolve_parent<'p>(&self, path: &'p Path) -> Result<Parent<'p>, FsError> {
        let names = names(path)?;
        let (last, dirs) = names.split_last().ok_or(FsError::InvalidInput)?;
        match self.resolve_names(dirs)? {
            Resolved::Mounted(fs, dir) => Ok(Parent::Mounted(fs, dir.join(last))),
            Resolved::Node(id) => match self.kind(id) {
                Some(Kind::Dir(_)) => Ok(Parent::Dir(id, last)),
                Some(Kind::Mount(fs)) => Ok(Parent::Mounted(fs.clone(), mounted_path(&[last]))),
                _ => Err(FsError::BaseNotDirectory),
            },
        }
    }

    pub(super) fn child(&self, dir: NodeId, name: &OsStr) -> Option<NodeId> {
        match self.kind(dir) {
            Some(Kind::Dir(children)) => children.get(name).copied(),
            _ => None,
        }
    }

    /// The entries of directory `dir`, by name.
    pub(super) fn entries(&self, dir: NodeId) -> Result<Vec<(OsString, Metadata)>, FsError> {
        match self.kind(dir) {
            Some(Kind::Dir(children)) => children
                .iter()
                .map(|(name, id)| Ok((name.clone(), self.metadata(*id)?)))
                .collect(),
            Some(_) => Err(FsError::BaseNotDirectory),
            None => Err(FsError::EntryNotFound),
        }
    }

    /// The length of `id`'s path (`/` is 0, `/tmp` is 4).
    fn path_len(&self, mut id: NodeId) -> usize {
        let mut len = 0;
        while id != ROOT {
            let Some(node) = self.nodes.get(&id) else {
                break;
            };
            len += 1 + node.name.len();
            id = node.parent;
        }
        len
    }

    /// How much longer than `id`'s path the longest path beneath it is.
    fn deepest_below(&self, id: NodeId) -> usize {
        match self.kind(id) {
            Some(Kind::Dir(children)) => children
                .iter()
                .map(|(name, child)| 1 + name.len() + self.deepest_below(*child))
                .max()
                .unwrap_or(0),
            _ => 0,
        }
    }

    fn children_mut(&mut self, dir: NodeId) -> Result<&mut BTreeMap<OsString, NodeId>, FsError> {
        let node = self.nodes.get_mut(&dir).ok_or(FsError::EntryNotFound)?;
        node.modified = now();
        match &mut node.kind {
            Kind::Dir(children) => Ok(children),
            _ => Err(FsError::BaseNotDirectory),
        }
    }

    /// Adds `name` to `dir`. With a quota the entry is counted, and refused
    /// with `WriteZero` (the guest's `ENOSPC`) when none are left.
    pub(super) fn insert(
        &mut self,
        dir: NodeId,
        name: &OsStr,
        kind: Kind,
        quota: Option<&Quota>,
    ) -> Result<NodeId, FsError> {
        if name.len() > NAME_MAX || self.path_len(dir) + 1 + name.len() > PATH_MAX {
            return Err(FsError::InvalidInput);
        }
        if self.child(dir, name).is_some() {
            return Err(FsError::AlreadyExists);
        }
        if quota.is_some_and(|q| !q.add_entry()) {
            return Err(FsError::WriteZero);
        }
        let id = self.next;
        let inserted = self.children_mut(dir).map(|c| c.insert(name.to_owned(), id));
        if let Err(e) = inserted {
            if let Some(quota) = quota {
                quota.remove_entry();
            }
            return Err(e);
        }
        self.next += 1;
        let time = now();
        self.nodes.insert(
            id,
            Node {
                parent: dir,
                name: name.to_owned(),
                kind,
                counted: quota.is_some(),
                created: time,
                modified: time,
            },
        );
        Ok(id)
    }

    /// Takes entry `id` out of the tree. The caller drops it, after
    /// unlocking: dropping a device or the last reference to a file may
    /// take a moment.
    pub(super) fn remove(&mut self, id: NodeId, quota: &Quota) -> Option<Node> {
        if id == ROOT {
            return None;
        }
        let node = self.nodes.remove(&id)?;
        if let Ok(children) = self.children_mut(node.parent) {
            children.remove(&node.name);
        }
        if node.counted {
            quota.remove_entry();
        }
        Some(node)
    }

    /// Moves `src_name` of `src_dir` to `dst_name` of `dst_dir`, replacing
    /// what is there if POSIX `rename` would. Returns the replaced entry.
    pub(super) fn rename(
        &mut self,
        (src_dir, src_name): (NodeId, &OsStr),
        (dst_dir, dst_name): (NodeId, &OsStr),
        quota: &Quota,
    ) -> Result<Option<Node>, FsError> {
        let src = self.child(src_dir, src_name).ok_or(FsError::EntryNotFound)?;
        let moved_len = self.path_len(dst_dir) + 1 + dst_name.len() + self.deepest_below(src);
        if dst_name.len() > NAME_MAX || moved_len > PATH_MAX {
            return Err(FsError::InvalidInput);
        }
        let src_is_dir = match self.kind(src) {
            Some(Kind::Mount(_)) => return Err(FsError::PermissionDenied),
            Some(kind) => matches!(kind, Kind::Dir(_)),
            None => return Err(FsError::EntryNotFound),
        };
        let existing = self.child(dst_dir, dst_name);
        if existing == Some(src) {
            return Ok(None);
        }
        if src_is_dir {
            // A directory cannot move beneath itself.
            let mut at = dst_dir;
            while at != ROOT {
                if at == src {
                    return Err(FsError::InvalidInput);
                }
                at = self.nodes.get(&at).map_or(ROOT, |n| n.parent);
            }
        }
        let replaced = match existing {
            None => None,
            Some(old) => {
                match (self.kind(old), src_is_dir) {
                    (Some(Kind::Mount(_)), _) => return Err(FsError::PermissionDenied),
                    (Some(Kind::Dir(children)), true) if !children.is_empty() => {
                        return Err(FsError::DirectoryNotEmpty);
                    }
                    (Some(Kind::Dir(_)), false) => return Err(FsError::NotAFile),
                    (Some(Kind::File(_) | Kind::Device(_)), true) => return Err(FsError::BaseNotDirectory),
                    _ => {}
                }
                self.remove(old, quota)
            }
        };
        self.children_mut(src_dir)?.remove(src_name);
        self.children_mut(dst_dir)?.insert(dst_name.to_owned(), src);
        if let Some(node) = self.nodes.get_mut(&src) {
            node.parent = dst_dir;
            dst_name.clone_into(&mut node.name);
        }
        Ok(replaced)
    }

    /// Makes the directories along `path` that are missing (uncounted);
    /// returns the last one.
    pub(super) fn make_dirs(&mut self, path: &Path) -> Result<NodeId, FsError> {
        let mut id = ROOT;
        for name in names(path)? {
            id = match self.child(id, name) {
                Some(child) if matches!(self.kind(child), Some(Kind::Dir(_))) => child,
                Some(_) => return Err(FsError::BaseNotDirectory),
                None => self.insert(id, name, Kind::Dir(BTreeMap::new()), None)?,
            };
        }
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> Kind {
        Kind::Dir(BTreeMap::new())
    }

    #[test]
    fn paths_resolve_lexically_and_never_above_the_root() {
        let mut tree = Tree::new();
        let tmp = tree.make_dirs(Path::new("/tmp")).unwrap();
        assert!(matches!(tree.resolve(Path::new("/tmp/../../tmp/.")), Ok(Resolved::Node(id)) if id == tmp));
        assert!(matches!(
            tree.resolve(Path::new("/nope")),
            Err(FsError::EntryNotFound)
        ));
    }

    #[test]
    fn entries_are_counted_and_refused_past_the_quota() {
        let quota = Quota::new(0, 2);
        let mut tree = Tree::new();
        let a = tree.insert(ROOT, OsStr::new("a"), dir(), Some(&quota)).unwrap();
        tree.insert(a, OsStr::new("b"), dir(), Some(&quota)).unwrap();
        assert_eq!(
            tree.insert(a, OsStr::new("c"), dir(), Some(&quota)).unwrap_err(),
            FsError::WriteZero
        );
        // goru's own entries are not the guest's to pay for.
        tree.insert(ROOT, OsStr::new("dev"), dir(), None).unwrap();
        let b = tree.child(a, OsStr::new("b")).unwrap();
        assert!(tree.remove(b, &quota).is_some());
        tree.insert(a, OsStr::new("c"), dir(), Some(&quota)).unwrap();
    }

    #[test]
    fn paths_are_at_most_path_max_long() {
        let quota = Quota::new(0, 100);
        let mut tree = Tree::new();
        let name = OsString::from("a".repeat(NAME_MAX));
        let mut at = ROOT;
        // 16 levels of `/` + 255 bytes make 4096.
        for _ in 0..16 {
            at = tree.insert(at, &name, dir(), Some(&quota)).unwrap();
        }
        assert_eq!(
            tree.insert(at, OsStr::new("b"), dir(), Some(&quota)).unwrap_err(),
            FsError::InvalidInput
        );
        // Nor can a deep tree move somewhere that makes it longer.
        let top = tree.child(ROOT, &name).unwrap();
        let short = OsStr::new("s");
        tree.rename((ROOT, &name), (ROOT, short), &quota).unwrap();
        tree.insert(ROOT, OsStr::new("x"), dir(), Some(&quota)).unwrap();
        let x = tree.child(ROOT, OsStr::new("x")).unwrap();
        assert_eq!(
            tree.rename((ROOT, short), (x, &name), &quota).unwrap_err(),
            FsError::InvalidInput
        );
        assert_eq!(tree.child(ROOT, short), Some(top));
    }

    #[test]
    fn a_directory_cannot_move_beneath_itself() {
        let quota = Quota::new(0, 10);
        let mut tree = Tree::new();
        let a = tree.insert(ROOT, OsStr::new("a"), dir(), Some(&quota)).unwrap();
        let b = tree.insert(a, OsStr::new("b"), dir(), Some(&quota)).unwrap();
        assert_eq!(
            tree.rename((ROOT, OsStr::new("a")), (b, OsStr::new("a")), &quota)
                .unwrap_err(),
            FsError::InvalidInput
        );
        tree.rename((a, OsStr::new("b")), (ROOT, OsStr::new("b")), &quota)
            .unwrap();
        assert_eq!(tree.child(ROOT, OsStr::new("b")), Some(b));
        assert_eq!(tree.child(a, OsStr::new("b")), None);
    }
}
