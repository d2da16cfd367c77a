//! Derives a snapshot-ready module from a pinned interpreter: its data moved out of the way of a restored memory.
//!
//! An instance restored from a snapshot gets its linear memory from the
//! snapshot; the module's data segments, which the engine writes into memory
//! when it instantiates, would overwrite the interpreter's initialised state
//! with the state it had before start-up. So the derived module has no data
//! segments: the data section's contents move, verbatim, into the custom
//! section [`DATA_SECTION`], and the host writes them into a fresh memory
//! itself when it starts the interpreter from scratch (goru-core does this
//! for any module with that section). Debug sections are dropped: the engine
//! does not read them, and the pinned CPython's DWARF is of no use anyway
//! (every function's `DW_AT_low_pc` is 0 and the line tables are empty).
//!
//! A restored instance enters `_start` again. wasi-libc's `_start` refuses
//! that: it begins `if (started == 0) { started = 1; ...; main(); ... }
//! __builtin_trap();`. The derived module stores 0 instead of 1 there (a
//! one-byte change, found by that exact instruction pattern), so `_start`
//! never marks itself started. A module without the guard is left as it is.
//!
//! Everything else is copied byte for byte, so the result depends only on
//! the input and its digest can be pinned beside the original's.

use std::borrow::Cow;

use wasmparser::{Parser, Payload};

/// The custom section holding the original module's data section contents.
pub const DATA_SECTION: &str = "goru.data";

/// Why a module could not be derived.
#[derive(Debug, thiserror::Error)]
pub enum DeriveError {
    /// The input is not a well-formed module.
    #[error("malformed wasm module: {0}")]
    Wasm(#[from] wasmparser::BinaryReaderError),
    /// The module already has a section named [`DATA_SECTION`].
    #[error("the module already has a `{DATA_SECTION}` section")]
    AlreadyDerived,
}

/// Returns `wasm` with its data section moved into [`DATA_SECTION`] and its
/// `.debug_*` sections removed.
///
/// ```
/// use goru_interpreters::snapshot_module::{derive, DATA_SECTION};
///
/// // (module (memory 1) (data (i32.const 8) "hi"))
/// let wasm = [
///     0, 97, 115, 109, 1, 0, 0, 0, 5, 3, 1, 0, 1, 11, 8, 1, 0, 65, 8, 11, 2, 104, 105,
/// ];
/// let derived = derive(&wasm).unwrap();
/// assert!(derived.windows(DATA_SECTION.len()).any(|w| w == DATA_SECTION.as_bytes()));
/// assert!(derived.len() > wasm.len());
/// ```
pub fn derive(wasm: &[u8]) -> Result<Vec<u8>, DeriveError> {
    let mut patched;
    let wasm = match started_flag_store(wasm)? {
        Some(offset) => {
            patched = wasm.to_vec();
            patched[offset] = 0;
            &patched[..]
        }
        None => wasm,
    };
    let mut module = wasm_encoder::Module::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload?;
        let Some((id, range)) = payload.as_section() else {
            continue;
        };
        let contents = &wasm[range.start as usize..range.end as usize];
        match &payload {
            Payload::CustomSection(section) if section.name() == DATA_SECTION => {
                return Err(DeriveError::AlreadyDerived);
            }
            Payload::CustomSection(section) if section.name().starts_with(".debug_") => {}
            // Counts the segments that are gone (valid while no code refers to them).
            Payload::DataCountSection { .. } => {}
            Payload::DataSection(_) => {
                module.section(&wasm_encoder::CustomSection {
                    name: Cow::Borrowed(DATA_SECTION),
                    data: Cow::Borrowed(contents),
                });
            }
            // A custom section's contents include its name: copied whole.
            _ => {
                module.section(&wasm_encoder::RawSection { id, data: contents });
            }
        }
    }
    Ok(module.finish())
}

/// Where, in `wasm`, the constant 1 that `_start` stores into wasi-libc's
/// `started` flag is: `_start` must begin `block; i32.const A; i32.load;
/// i32.eqz; if; i32.const A; i32.const 1; i32.store`.
fn started_flag_store(wasm: &[u8]) -> Result<Option<usize>, DeriveError> {
    let mut start = None;
    let mut imported_functions = 0;
    let mut defined = 0;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    if matches!(
                        import?.ty,
                        wasmparser::TypeRef::Func(_) | wasmparser::TypeRef::FuncExact(_)
                    ) {
                        imported_functions += 1;
                    }
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    if export.name == "_start" && export.kind == wasmparser::ExternalKind::Func {
                        start = Some(export.index);
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                if start == Some(imported_functions + defined) {
                    return guard_store(&body);
                }
                defined += 1;
            }
            _ => {}
        }
    }
    Ok(None)
}

fn guard_store(body: &wasmparser::FunctionBody<'_>) -> Result<Option<usize>, DeriveError> {
    use wasmparser::Operator as Op;

    let mut operators = body.get_operators_reader()?;
    let mut next = || -> Result<(Op<'_>, usize), DeriveError> {
        let offset = operators.original_position() as usize;
        Ok((operators.read()?, offset))
    };
    let (Op::Block { .. }, _) = next()? else {
        return Ok(None);
    };
    let (Op::I32Const { value: flag }, _) = next()? else {
        return Ok(None);
    };
    let (Op::I32Load { .. }, _) = next()? else {
        return Ok(None);
    };
    let (Op::I32Eqz, _) = next()? else { return Ok(None) };
    let (Op::If { .. }, _) = next()? else {
        return Ok(None);
    };
    let (Op::I32Const { value }, _) = next()? else {
        return Ok(None);
    };
    let (Op::I32Const { value: 1 }, one) = next()? else {
        return Ok(None);
    };
    let (Op::I32Store { .. }, _) = next()? else {
        return Ok(None);
    };
    // `i32.const 1` is two bytes, the opcode then the LEB128 of 1.
    Ok((value == flag).then_some(one + 1))
}
