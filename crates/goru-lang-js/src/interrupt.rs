//! Where the pinned `qjs` keeps its pending-signal state, so the host can
//! interrupt a session's running code as Ctrl-C interrupts `qjs`'s own REPL.
//!
//! quickjs-libc's C signal handler sets a bit of `os_pending_signals` (a
//! static `uint64_t`). While `std.evalScript` runs code it installs an
//! interrupt handler that QuickJS polls every few thousand operations
//! (calls and backward jumps), and that reads the `SIGINT` bit: once set, the
//! running code gets an uncatchable `InternalError: interrupted`, which
//! unwinds it through every `try`; `evalScript` then clears the bit and
//! makes the error an ordinary one, which the session shim reports as the
//! run's exception. The runtime and its globals live on. Code run from
//! timers or promise jobs after `evalScript` returned has no interrupt
//! handler: it is not interrupted softly.
//!
//! The address holds for the exact pinned binary (`interpreter.toml`) only.
//! It was read from the code of quickjs-libc's `interrupt_handler`; a test
//! reads it again from the embedded module and compares, so a new pin fails
//! that test until it is updated.

use goru_core::SoftInterrupt;

/// `os_pending_signals`' address in linear memory (its low word: WASI's
/// signal numbers are all below 32).
pub(crate) const OS_PENDING_SIGNALS: u32 = 0x0001_e778;

/// WASI's `SIGINT`.
const SIGINT: u32 = 2;

/// The store that makes `SIGINT` pending: the same for an interrupt and a
/// timeout (the host knows which it asked for and reports it).
pub(crate) fn soft_interrupt() -> SoftInterrupt {
    SoftInterrupt::new().store(OS_PENDING_SIGNALS, 1 << SIGINT)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where the code section holds `interrupt_handler`'s body (function
    /// 90, named so in the module's name section).
    const INTERRUPT_HANDLER_AT: usize = 0x62d4;

    /// The address as a 5-byte unsigned LEB128, as clang writes a load's
    /// offset.
    fn leb128_5(mut value: u32) -> [u8; 5] {
        let mut bytes = [0; 5];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = (value & 0x7f) as u8 | if i < 4 { 0x80 } else { 0 };
            value >>= 7;
        }
        bytes
    }

    /// `interrupt_handler` returns `(os_pending_signals >> SIGINT) & 1`,
    /// reading the address above.
    #[test]
    fn the_pending_signals_address_is_where_the_interrupt_handler_reads() {
        let mut body = vec![
            0x00, // no locals
            0x41, 0x00, // i32.const 0
            0x28, 0x02, // i32.load align=4 offset=...
        ];
        body.extend(leb128_5(OS_PENDING_SIGNALS));
        body.extend([
            0x41,
            SIGINT as u8,
            0x76, // i32.const SIGINT; i32.shr_u
            0x41,
            0x01,
            0x71, // i32.const 1; i32.and
            0x0b, // end
        ]);
        let wasm = crate::QUICKJS_WASM;
        // The body's size, then the body.
        assert_eq!(wasm[INTERRUPT_HANDLER_AT - 1], body.len() as u8);
        assert_eq!(&wasm[INTERRUPT_HANDLER_AT..][..body.len()], &body[..]);
        assert!(
            wasm.windows(b"interrupt_handler".len())
                .any(|w| w == b"interrupt_handler"),
            "the name section names it"
        );
    }
}
