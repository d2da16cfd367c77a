//! What the guest learns about its standard streams: a stream is a terminal
//! (`isatty()`) only if the embedder said so.
//!
//! wasmer-wasix describes descriptors 0, 1 and 2 as character devices that
//! cannot seek, which is what wasi-libc's `isatty` takes for a terminal, so
//! every guest believed its output went to one (and libraries wrote colour
//! escapes into files). Our `fd_fdstat_get` reports the streams that are not
//! terminals as of unknown type, as other WASI hosts do for pipes.

use wasmer::{FunctionEnv, FunctionEnvMut, Imports, RuntimeError, Store};
use wasmer_wasix::WasiEnv;
use wasmer_wasix::types::wasi::Filetype;

use super::scratch::{WASI_MODULE, typed_import};
use crate::{Error, Terminal};

/// Replaces `fd_fdstat_get` in `imports` so that only the streams
/// `terminal` names look like terminals.
pub(crate) fn install(
    store: &mut Store,
    imports: &mut Imports,
    env: &FunctionEnv<WasiEnv>,
    terminal: Terminal,
) -> Result<(), Error> {
    let Some(original) = typed_import::<(i32, i32), i32>(store, imports, "fd_fdstat_get")? else {
        return Ok(());
    };
    let is_terminal = [terminal.stdin, terminal.stdout, terminal.stderr];
    let wrapper = move |mut ctx: FunctionEnvMut<'_, WasiEnv>, fd: i32, out: i32| {
        let errno = original.call(&mut ctx, fd, out)?;
        let not_a_terminal = usize::try_from(fd)
            .ok()
            .and_then(|fd| is_terminal.get(fd))
            .is_some_and(|terminal| !terminal);
        if errno == 0 && not_a_terminal {
            let (env, store) = ctx.data_and_store_mut();
            // `fs_filetype` is the first byte of the `fdstat` the call just
            // wrote at `out`; the guest owns that memory, so a failed write
            // (it cannot fail after the call succeeded) is its own problem.
            if let Some(view) = env.try_memory_view(&store) {
                let _ = view.write_u8(u64::from(out as u32), Filetype::Unknown as u8);
            }
        }
        Ok::<_, RuntimeError>(errno)
    };
    imports.define(
        WASI_MODULE,
        "fd_fdstat_get",
        wasmer::Function::new_typed_with_env(store, env, wrapper),
    );
    Ok(())
}
