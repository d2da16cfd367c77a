//! Our wrappers around the WASI calls that write files, make descriptors and
//! make links: `ENOSPC` for a full scratch filesystem, `EMFILE` past the
//! descriptor cap, `EPERM` for every hard link.
//!
//! wasmer-wasix answers `path_link` by adding the new name to its own inode
//! table when the filesystem does not make the link, without bound and
//! across mounts (a read-only file could get a second name in `/tmp`). No
//! filesystem goru shows makes links, so the call is refused before it
//! reaches wasmer-wasix.
//!
//! wasmer-wasix turns any error of a file write into `EIO` (it maps I/O
//! errors by kind, and no kind becomes `ENOSPC`), so `fd_write`/`fd_pwrite`
//! report `ENOSPC` themselves when the filesystem refused the write for space.
//!
//! wasmer-wasix has no bound on open descriptors (a loop of `open` on one
//! file made 27 million, 3 GB, and a minute to tear down). In WASI preview 1
//! only `path_open` makes one (`sock_accept` needs a listening socket, which
//! a guest without networking cannot have; `fd_renumber` moves one and may
//! close another). We count the guest's opens less its closes and refuse an
//! open with `EMFILE` before it happens when the count is at the cap. The
//! count never takes the guest's word (it is kept here, not read from guest
//! memory), and closing a descriptor the guest did not open (stdio, the
//! preopened root) only frees a real one: at most the cap plus those few
//! are ever open.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use wasmer::{Extern, Function, FunctionEnv, FunctionEnvMut, Imports, RuntimeError, Store, TypedFunction};
use wasmer_wasix::WasiEnv;
use wasmer_wasix::types::wasi::Errno;

use super::Quota;
use crate::Error;

/// The WASI (preview 1) import module.
pub(crate) const MODULE: &str = "wasi_snapshot_preview1";

/// Replaces `fd_write`, `fd_pwrite`, `path_open` and `fd_close` in
/// `imports`. `env` is the WASI environment the originals were made with;
/// the guest may hold `open_files` descriptors of its own at once.
pub(crate) fn install(
    store: &mut Store,
    imports: &mut Imports,
    env: &FunctionEnv<WasiEnv>,
    quota: Arc<Quota>,
    open_files: usize,
) -> Result<(), Error> {
    if let Some(original) = typed::<(i32, i32, i32, i32), i32>(store, imports, "fd_write")? {
        let quota = quota.clone();
        let wrapper = move |mut ctx: FunctionEnvMut<'_, WasiEnv>, fd: i32, iovs: i32, len: i32, out: i32| {
            quota.take_refused_write();
            let errno = original.call(&mut ctx, fd, iovs, len, out)?;
            Ok::<_, RuntimeError>(no_space_if_refused(&quota, errno))
        };
        imports.define(
            MODULE,
            "fd_write",
            Function::new_typed_with_env(store, env, wrapper),
        );
    }
    if let Some(original) = typed::<(i32, i32, i32, i64, i32), i32>(store, imports, "fd_pwrite")? {
        let wrapper =
            move |mut ctx: FunctionEnvMut<'_, WasiEnv>, fd: i32, iovs: i32, len: i32, at: i64, out: i32| {
                quota.take_refused_write();
                let errno = original.call(&mut ctx, fd, iovs, len, at, out)?;
                Ok::<_, RuntimeError>(no_space_if_refused(&quota, errno))
            };
        imports.define(
            MODULE,
            "fd_pwrite",
            Function::new_typed_with_env(store, env, wrapper),
        );
    }

    if imports.get_export(MODULE, "path_link").is_some() {
        let refuse =
            |_: FunctionEnvMut<'_, WasiEnv>, _: i32, _: i32, _: i32, _: i32, _: i32, _: i32, _: i32| {
                Errno::Perm as i32
            };
        imports.define(
            MODULE,
            "path_link",
            Function::new_typed_with_env(store, env, refuse),
        );
    }

    let open = Arc::new(OpenCount {
        open: AtomicUsize::new(0),
        cap: open_files,
    });
    if let Some(original) = typed::<i32, i32>(store, imports, "fd_close")? {
        let open = open.clone();
        let wrapper = move |mut ctx: FunctionEnvMut<'_, WasiEnv>, fd: i32| {
            let errno = original.call(&mut ctx, fd)?;
            if errno == 0 {
                open.closed();
            }
            Ok::<_, RuntimeError>(errno)
        };
        imports.define(
            MODULE,
            "fd_close",
            Function::new_typed_with_env(store, env, wrapper),
        );
    }
    type PathOpenArgs = (i32, i32, i32, i32, i32, i64, i64, i32, i32);
    if let Some(original) = typed::<PathOpenArgs, i32>(store, imports, "path_open")? {
        #[allow(clippy::too_many_arguments)]
        let wrapper = move |mut ctx: FunctionEnvMut<'_, WasiEnv>,
                            dir: i32,
                            lookup: i32,
                            path: i32,
                            path_len: i32,
                            oflags: i32,
                            rights: i64,
                            inheriting: i64,
                            fdflags: i32,
                            out: i32| {
            if !open.try_open() {
                return Ok(Errno::Mfile as i32);
            }
            let errno = original.call(
                &mut ctx, dir, lookup, path, path_len, oflags, rights, inheriting, fdflags, out,
            );
            if !matches!(errno, Ok(0)) {
                open.closed();
            }
            errno
        };
        imports.define(
            MODULE,
            "path_open",
            Function::new_typed_with_env(store, env, wrapper),
        );
    }
    Ok(())
}

/// Descriptors the guest has open (opened less closed).
#[derive(Debug)]
struct OpenCount {
    open: AtomicUsize,
    cap: usize,
}

impl OpenCount {
    /// Counts one more, unless the count is at the cap.
    fn try_open(&self) -> bool {
        self.open
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < self.cap).then_some(n + 1)
            })
            .is_ok()
    }

    fn closed(&self) {
        let _ = self.open.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
            Some(n.saturating_sub(1))
        });
    }
}

/// The original import `name`, typed; `None` if there is none.
/// The import `name` of `imports`, typed, if the module has it.
pub(crate) fn typed<Args, Rets>(
    store: &Store,
    imports: &Imports,
    name: &str,
) -> Result<Option<TypedFunction<Args, Rets>>, Error>
where
    Args: wasmer::WasmTypeList,
    Rets: wasmer::WasmTypeList,
{
    let Some(Extern::Function(original)) = imports.get_export(MODULE, name) else {
        return Ok(None);
    };
    original
        .typed(store)
        .map(Some)
        .map_err(|e| Error::Setup(format!("wrapping {name}: {e}")))
}

fn no_space_if_refused(quota: &Quota, errno: i32) -> i32 {
    if quota.take_refused_write() && errno == Errno::Io as i32 {
        Errno::Nospc as i32
    } else {
        errno
    }
}
