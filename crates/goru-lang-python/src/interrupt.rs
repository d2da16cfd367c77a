//! Where the pinned CPython keeps its pending-signal state, so the host can
//! raise a signal in a session's interpreter as a Unix signal handler would.
//!
//! CPython's C handler (`trip_signal` in Modules/signalmodule.c) marks the
//! signal's handler tripped, sets `is_tripped`, then `signals_pending` and
//! the interpreter's `eval_breaker`; the eval loop sees the breaker at its
//! next backward jump or call and runs the Python-level handler, which the
//! session shim installs: `KeyboardInterrupt` for `SIGINT`, `TimeoutError`
//! for `SIGXCPU` (the CPU-time-limit signal), and only while a run's code
//! is running. The stores below do the same, in the same order.
//!
//! The addresses hold for the exact pinned binary (runtimes/runtimes.toml)
//! only. They were read from its DWARF (`_PyRuntime`, a static in linear
//! memory, and the member offsets of `_PyRuntimeState`); a test reads them
//! again from the embedded module and compares, so a new interpreter pin
//! fails that test until they are updated.

use goru_core::{InterruptKind, SoftInterrupt};

/// `_PyRuntime`'s address in linear memory.
pub(crate) const PY_RUNTIME: u32 = 0x003a_5888;
/// `offsetof(_PyRuntimeState, signals)`.
pub(crate) const SIGNALS: u32 = 0x500;
/// `offsetof(struct _signals_runtime_state, handlers)`, and the size of one
/// handler (`{_Py_atomic_int tripped; _Py_atomic_address func;}`), whose
/// `tripped` comes first.
pub(crate) const HANDLERS: u32 = 0x0;
pub(crate) const HANDLER_SIZE: u32 = 8;
/// `offsetof(struct _signals_runtime_state, is_tripped)`.
pub(crate) const IS_TRIPPED: u32 = 0x210;
/// `offsetof(_PyRuntimeState, ceval)`.
pub(crate) const CEVAL: u32 = 0x7f8;
/// `offsetof(struct _ceval_runtime_state, signals_pending)`.
pub(crate) const SIGNALS_PENDING: u32 = 0x4;
/// `offsetof(_PyRuntimeState, _main_interpreter)`.
pub(crate) const MAIN_INTERPRETER: u32 = 0xa608;
/// `offsetof(PyInterpreterState, ceval)`.
pub(crate) const INTERPRETER_CEVAL: u32 = 0xec;
/// `offsetof(struct _ceval_state, eval_breaker)`.
pub(crate) const EVAL_BREAKER: u32 = 0x0;

/// WASI's `SIGINT`.
const SIGINT: u32 = 2;
/// WASI's `SIGXCPU`.
const SIGXCPU: u32 = 24;

/// The stores that trip `kind`'s signal.
pub(crate) fn soft_interrupt(kind: InterruptKind) -> SoftInterrupt {
    let signal = match kind {
        InterruptKind::Interrupt => SIGINT,
        InterruptKind::Timeout => SIGXCPU,
    };
    let signals = PY_RUNTIME + SIGNALS;
    SoftInterrupt::new()
        .store(signals + HANDLERS + signal * HANDLER_SIZE, 1)
        .store(signals + IS_TRIPPED, 1)
        .store(PY_RUNTIME + CEVAL + SIGNALS_PENDING, 1)
        .store(
            PY_RUNTIME + MAIN_INTERPRETER + INTERPRETER_CEVAL + EVAL_BREAKER,
            1,
        )
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use gimli::{AttributeValue, EndianSlice, LittleEndian, Operation};

    use super::*;

    type Reader<'a> = EndianSlice<'a, LittleEndian>;

    fn leb(bytes: &mut &[u8]) -> usize {
        let (mut value, mut shift) = (0usize, 0);
        loop {
            let (byte, rest) = bytes.split_first().expect("a LEB128 number");
            *bytes = rest;
            value |= usize::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return value;
            }
            shift += 7;
        }
    }

    /// The module's custom sections by name.
    fn custom_sections(wasm: &[u8]) -> HashMap<&str, &[u8]> {
        let mut sections = HashMap::new();
        let mut rest = &wasm[8..];
        while let Some((&id, after)) = rest.split_first() {
            rest = after;
            let size = leb(&mut rest);
            let (mut body, after) = rest.split_at(size);
            rest = after;
            if id == 0 {
                let name_len = leb(&mut body);
                let (name, data) = body.split_at(name_len);
                sections.insert(std::str::from_utf8(name).unwrap(), data);
            }
        }
        sections
    }

    /// What the DWARF says: `_PyRuntime`'s address, and each named
    /// struct's member offsets (anonymous ones keyed by their member names).
    #[derive(Default)]
    struct Layout {
        runtime: Option<u64>,
        members: HashMap<String, HashMap<String, u64>>,
        sizes: HashMap<String, u64>,
    }

    fn name<'a>(
        dwarf: &gimli::Dwarf<Reader<'a>>,
        unit: &gimli::Unit<Reader<'a>>,
        value: AttributeValue<Reader<'a>>,
    ) -> String {
        dwarf
            .attr_string(unit, value)
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    fn layout(wasm: &[u8]) -> Layout {
        let sections = custom_sections(wasm);
        let dwarf = gimli::Dwarf::load(|id| {
            Ok::<_, gimli::Error>(EndianSlice::new(
                sections.get(id.name()).copied().unwrap_or(&[]),
                LittleEndian,
            ))
        })
        .unwrap();
        let mut found = Layout::default();
        let mut units = dwarf.units();
        while let Some(header) = units.next().unwrap() {
            let unit = dwarf.unit(header).unwrap();
            let mut tree = unit.entries_tree(None).unwrap();
            walk(&dwarf, &unit, tree.root().unwrap(), &mut found);
        }
        found
    }

    /// Records what `node` and the entries beneath it say (structures may
    /// be nested in others).
    fn walk<'a>(
        dwarf: &gimli::Dwarf<Reader<'a>>,
        unit: &gimli::Unit<Reader<'a>>,
        node: gimli::EntriesTreeNode<'_, '_, Reader<'a>>,
        found: &mut Layout,
    ) {
        let entry = node.entry().clone();
        let entry_name = entry.attr_value(gimli::DW_AT_name).map(|v| name(dwarf, unit, v));
        if entry.tag() == gimli::DW_TAG_variable && entry_name.as_deref() == Some("_PyRuntime") {
            if let Some(AttributeValue::Exprloc(expr)) = entry.attr_value(gimli::DW_AT_location)
                && let Some(Operation::Address { address }) = expr.operations(unit.encoding()).next().unwrap()
            {
                found.runtime = Some(address);
            }
            return;
        }
        let mut members = HashMap::new();
        let mut children = node.children();
        while let Some(child) = children.next().unwrap() {
            let member = child.entry().clone();
            if member.tag() == gimli::DW_TAG_member {
                let member_name = member.attr_value(gimli::DW_AT_name).map(|v| name(dwarf, unit, v));
                let offset = member
                    .attr_value(gimli::DW_AT_data_member_location)
                    .and_then(|v| v.udata_value());
                if let (Some(member_name), Some(offset)) = (member_name, offset) {
                    members.insert(member_name, offset);
                }
            } else {
                walk(dwarf, unit, child, found);
            }
        }
        if entry.tag() != gimli::DW_TAG_structure_type || members.is_empty() {
            return;
        }
        let key = entry_name.unwrap_or_else(|| {
            let mut names: Vec<_> = members.keys().cloned().collect();
            names.sort();
            format!("{{{}}}", names.join(","))
        });
        if let Some(size) = entry
            .attr_value(gimli::DW_AT_byte_size)
            .and_then(|v| v.udata_value())
        {
            found.sizes.entry(key.clone()).or_insert(size);
        }
        found.members.entry(key).or_insert(members);
    }

    /// The addresses above are what the pinned interpreter's DWARF says (the
    /// embedded module is derived from it without its debug sections).
    #[test]
    fn the_signal_state_addresses_match_the_interpreters_debug_info() {
        let pinned =
            std::fs::read(env!("GORU_PYTHON_WASM_ORIGINAL")).expect("the pinned interpreter is on disk");
        let layout = layout(&pinned);
        let offset = |structure: &str, member: &str| -> u32 {
            let offset = layout.members.get(structure).and_then(|m| m.get(member));
            u32::try_from(*offset.unwrap_or_else(|| panic!("{structure}.{member} not in the DWARF"))).unwrap()
        };
        assert_eq!(layout.runtime, Some(u64::from(PY_RUNTIME)), "_PyRuntime");
        assert_eq!(offset("pyruntimestate", "signals"), SIGNALS);
        assert_eq!(offset("_signals_runtime_state", "handlers"), HANDLERS);
        assert_eq!(offset("{func,tripped}", "tripped"), 0);
        assert_eq!(layout.sizes.get("{func,tripped}"), Some(&u64::from(HANDLER_SIZE)));
        assert_eq!(offset("_signals_runtime_state", "is_tripped"), IS_TRIPPED);
        assert_eq!(offset("pyruntimestate", "ceval"), CEVAL);
        assert_eq!(offset("_ceval_runtime_state", "signals_pending"), SIGNALS_PENDING);
        assert_eq!(offset("pyruntimestate", "_main_interpreter"), MAIN_INTERPRETER);
        assert_eq!(offset("_is", "ceval"), INTERPRETER_CEVAL);
        assert_eq!(offset("_ceval_state", "eval_breaker"), EVAL_BREAKER);
    }

    #[test]
    fn each_kind_trips_its_own_signal_then_the_shared_flags() {
        let interrupt = soft_interrupt(InterruptKind::Interrupt);
        let timeout = soft_interrupt(InterruptKind::Timeout);
        assert_eq!(interrupt.stores()[0].0, PY_RUNTIME + SIGNALS + 2 * HANDLER_SIZE);
        assert_eq!(timeout.stores()[0].0, PY_RUNTIME + SIGNALS + 24 * HANDLER_SIZE);
        assert_eq!(interrupt.stores()[1..], timeout.stores()[1..]);
        assert!(
            interrupt
                .stores()
                .iter()
                .all(|&(address, value)| address % 4 == 0 && value == 1)
        );
    }
}
