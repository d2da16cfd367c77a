//! The one edit goru's build patches make to the pinned `qjs`: a same-length
//! byte substitution, checked against the pinned bytes first, so code
//! offsets (and the debug info) stay valid.

/// Replaces `expected` at `at` with `new`, or says why the input is not the
/// build the patches were made for.
pub fn replace(wasm: &mut [u8], at: usize, expected: &[u8], new: &[u8]) -> Result<(), String> {
    assert_eq!(expected.len(), new.len(), "a same-length substitution");
    match wasm.get_mut(at..at + expected.len()) {
        Some(bytes) if bytes == expected => {
            bytes.copy_from_slice(new);
            Ok(())
        }
        found => Err(format!(
            "expected {expected:02x?} at {at:#x}, found {found:02x?}: not the QuickJS-NG 0.11.0 build goru's patches were made for"
        )),
    }
}
