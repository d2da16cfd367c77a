//! goru's stack patch to the pinned QuickJS-NG 0.11.0 WASI `qjs`, so deep
//! recursion ends in a catchable `RangeError` instead of corrupting the
//! guest's memory and trapping.
//!
//! Two defects of that build, seen in its bytes and in QuickJS's source:
//! - Its stack check is compiled out: under `__wasi__`, `update_stack_limit`
//!   sets `rt->stack_limit = 0` whatever `JS_SetMaxStackSize` (`qjs
//!   --stack-size`) asked, so `js_check_stack_overflow` never fires.
//! - Its shadow stack (the linear-memory stack C code uses, `__stack_pointer`)
//!   is 64 KiB placed right above the data and the allocator's state: a deep
//!   recursion writes down through them (about 85 JS frames in) and the guest
//!   runs on with corrupted memory until it traps on garbage.
//!
//! The patch, three same-length byte substitutions, each checked against the
//! pinned bytes first (so code offsets, and the debug info, stay valid):
//! 1. `JS_SetMaxStackSize(rt, size)` sets `rt->stack_limit = rt->stack_top - size`
//!    (the check QuickJS performs everywhere compares the frame address with
//!    `stack_limit`), so `qjs --stack-size` works.
//! 2. and 3. The initial memory grows from 3 to 16 pages and the stack starts at
//!    the top of it: the stack gets [192 KiB, 1 MiB) to itself, above the
//!    allocator's first chunk, which ends at 192 KiB; the heap grows from 1 MiB
//!    up, as `sbrk` extends the memory.

/// Where `qjs`'s code section holds `JS_SetMaxStackSize`'s body (function 359:
/// no locals, then its instructions).
const SET_MAX_STACK_SIZE_AT: usize = 0x3_b7de;

/// Its body as pinned: `rt->stack_limit = 0; rt->stack_size = size` (the
/// JSRuntime fields are `stack_size` at 120, `stack_top` at 124,
/// `stack_limit` at 128).
const SET_MAX_STACK_SIZE: [u8; 17] = [
    0x00, // no locals
    0x20, 0x00, 0x41, 0x00, 0x36, 0x02, 0x80, 0x01, // local.get 0; i32.const 0; i32.store offset=128
    0x20, 0x00, 0x20, 0x01, 0x36, 0x02, 0x78, // local.get 0; local.get 1; i32.store offset=120
    0x0b, // end
];

/// The patched body: `rt->stack_limit = rt->stack_top - size` (`stack_size`
/// is read by nothing in a WASI build, so it is left alone).
const SET_STACK_LIMIT: [u8; 17] = [
    0x00, // no locals
    0x20, 0x00, 0x20, 0x00, 0x28, 0x02, 0x7c, // local.get 0; local.get 0; i32.load offset=124
    0x20, 0x01, 0x6b, // local.get 1; i32.sub
    0x36, 0x02, 0x80, 0x01, // i32.store offset=128
    0x01, 0x0b, // nop; end
];

/// Where the memory section holds memory 0's limits: a flag (0, no maximum)
/// and the initial page count.
const MEMORY_LIMITS_AT: usize = 0xc6f;

/// Where the global section holds global 0, `__stack_pointer`: a mutable
/// i32 (`7f 01`) set by `i32.const` (`41`) with a 3-byte signed LEB128.
const STACK_POINTER_AT: usize = 0xc74;

/// The pinned layout: 3 pages, the stack from 193,056 down to the data's end
/// (about 127 KiB).
const PINNED_PAGES: u8 = 3;
const PINNED_STACK_POINTER: i32 = 193_056;

/// The patched layout: 16 pages, the stack from 16 bytes below 1 MiB down to
/// the allocator's first chunk at 192 KiB (1 MiB itself does not fit 3 bytes
/// of signed LEB128). `qjs --stack-size` must stay well below the 832 KiB
/// this gives (see `STACK_LIMIT` in lib.rs).
const PAGES: u8 = 16;
const STACK_TOP: i32 = PAGES as i32 * 65_536 - 16;

/// The patched bytes, or why the input is not the build this patch is for.
pub fn patch(mut wasm: Vec<u8>) -> Result<Vec<u8>, String> {
    super::patch::replace(
        &mut wasm,
        SET_MAX_STACK_SIZE_AT,
        &SET_MAX_STACK_SIZE,
        &SET_STACK_LIMIT,
    )?;
    super::patch::replace(&mut wasm, MEMORY_LIMITS_AT, &[0x00, PINNED_PAGES], &[0x00, PAGES])?;
    super::patch::replace(
        &mut wasm,
        STACK_POINTER_AT,
        &i32_global(PINNED_STACK_POINTER),
        &i32_global(STACK_TOP),
    )?;
    Ok(wasm)
}

/// A mutable i32 global set to `value`, up to its init expression's `end`:
/// `value` as a signed LEB128 of exactly 3 bytes.
fn i32_global(value: i32) -> [u8; 6] {
    assert!((0..1 << 20).contains(&value), "fits 3 bytes of signed LEB128");
    [
        0x7f, // i32
        0x01, // mutable
        0x41, // i32.const
        (value & 0x7f) as u8 | 0x80,
        ((value >> 7) & 0x7f) as u8 | 0x80,
        ((value >> 14) & 0x7f) as u8,
    ]
}
