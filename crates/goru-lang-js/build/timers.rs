//! goru's timer patch to the pinned QuickJS-NG 0.11.0 WASI `qjs`: a timer of
//! 0 ms is due at once instead of 1 ms later.
//!
//! `os.setTimeout(f, 0)` is how the guest shim waits for the current job
//! and its promise jobs to finish (before it sends a batch of async host
//! calls, and before a session run reports its result). QuickJS raises every
//! delay below 1 ms to 1 ms (`js_os_setTimeout`: `if (delay < 1) delay =
//! 1;`), so each such wait became a `poll` with a 1 ms timeout, a 1 ms sleep
//! in `poll_oneoff`: a session run or a lone `asyncCall` cost over a
//! millisecond, nearly all of it asleep. Patched, the clamp is to 0: a due
//! timer runs at the loop's next turn without any `poll`. User timers keep
//! node's 1 ms minimum: the guest's `setTimeout` asks for at least 1 ms
//! (see `globals.js`).

/// Where `js_os_setTimeout` (function 116) clamps the delay: `if (!(delay >
/// 0)) delay = 1;` compiled as `i64.const 0; i64.gt_s; br_if 0; local.get
/// 5; i64.const 1; i64.store offset=8` (the delay lives in the frame).
const CLAMP_AT: usize = 0x76cc;
const CLAMP_TO_ONE: [u8; 12] = [
    0x42, 0x00, 0x55, 0x0d, 0x00, 0x20, 0x05, 0x42, 0x01, 0x37, 0x03, 0x08,
];
/// The same with `i64.const 0` stored: `if (!(delay > 0)) delay = 0;`.
const CLAMP_TO_ZERO: [u8; 12] = [
    0x42, 0x00, 0x55, 0x0d, 0x00, 0x20, 0x05, 0x42, 0x00, 0x37, 0x03, 0x08,
];

/// The patched bytes, or why the input is not the build this patch is for.
pub fn patch(mut wasm: Vec<u8>) -> Result<Vec<u8>, String> {
    super::patch::replace(&mut wasm, CLAMP_AT, &CLAMP_TO_ONE, &CLAMP_TO_ZERO)?;
    Ok(wasm)
}
