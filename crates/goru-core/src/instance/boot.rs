//! How a fresh instance's memory gets its first contents: as compiled, from data moved aside, or from a snapshot.
//!
//! A snapshot is the linear memory of an interpreter that started, readied
//! itself and exited without tearing down ([`crate::Language::snapshot_program`]).
//! A run restored from it gets a new instance whose memory is that image and
//! enters `_start` again, skipping the interpreter's start-up. Such modules
//! carry their data segments in the custom section [`DATA_SECTION`] instead
//! of a data section, so that instantiating never writes over a restored
//! memory; a run that starts from scratch has that data written here first.

use std::sync::Arc;

use wasmer::sys::wasmparser::{BinaryReader, DataKind, DataSectionReader, Operator};
use wasmer::{AsStoreMut, Memory, Module};

pub(crate) use super::image::MemoryImage;
use crate::Error;

/// The custom section that holds a module's data section contents (as
/// goru-interpreters' `snapshot_module` writes it).
pub(crate) const DATA_SECTION: &str = "goru.data";

/// What an instance's memory holds before `_start`.
#[derive(Debug, Clone)]
pub(crate) enum Boot {
    /// What instantiating left there (an ordinary module).
    AsCompiled,
    /// The module's data, moved aside, written in first.
    Data(Arc<DataSegments>),
    /// A snapshot's memory.
    Restore(Arc<MemoryImage>),
}

impl Boot {
    /// Fills `memory` as this boot says. Fails with the engine's message
    /// when the memory cannot grow to the size needed (the run's cap).
    pub(crate) fn fill(&self, store: &mut impl AsStoreMut, memory: &Memory) -> Result<(), String> {
        match self {
            Boot::AsCompiled => Ok(()),
            Boot::Data(data) => data.write(store, memory),
            Boot::Restore(image) => image.write(store, memory),
        }
    }
}

/// The data segments of a module from [`DATA_SECTION`]: where each goes.
#[derive(Debug)]
pub(crate) struct DataSegments {
    segments: Vec<(u64, Box<[u8]>)>,
}

impl DataSegments {
    /// The module's moved-aside data, or `None` if it has none (an
    /// ordinary module, booted [`Boot::AsCompiled`]).
    pub(crate) fn of(module: &Module) -> Result<Option<Self>, Error> {
        let Some(section) = module.custom_sections(DATA_SECTION).next() else {
            return Ok(None);
        };
        let malformed =
            |e: &dyn std::fmt::Display| Error::Setup(format!("the module's `{DATA_SECTION}` section: {e}"));
        let reader = DataSectionReader::new(BinaryReader::new(&section, 0)).map_err(|e| malformed(&e))?;
        let mut segments = Vec::new();
        for data in reader {
            let data = data.map_err(|e| malformed(&e))?;
            let DataKind::Active {
                memory_index: 0,
                offset_expr,
            } = data.kind
            else {
                return Err(malformed(&"only active segments of memory 0 are supported"));
            };
            let offset = match offset_expr
                .get_operators_reader()
                .read()
                .map_err(|e| malformed(&e))?
            {
                Operator::I32Const { value } => u64::from(value as u32),
                Operator::I64Const { value } => value as u64,
                _ => return Err(malformed(&"a segment's offset is not a constant")),
            };
            segments.push((offset, data.data.into()));
        }
        Ok(Some(Self { segments }))
    }

    fn write(&self, store: &mut impl AsStoreMut, memory: &Memory) -> Result<(), String> {
        let view = memory.view(store);
        for (offset, bytes) in &self.segments {
            view.write(*offset, bytes)
                .map_err(|e| format!("writing the module's data: {e}"))?;
        }
        Ok(())
    }
}
