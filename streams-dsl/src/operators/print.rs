//! `print`: writes each record as a `[label]: key, value` line and forwards
//! nothing.

use crate::printed::KeyValueMapper;
use std::io::Write;
use std::sync::{Arc, Mutex};
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::Record;

/// Where a printing node writes, shared by its instances in every task.
pub(crate) type SharedWriter = Arc<Mutex<Box<dyn Write + Send>>>;

/// Writes one line per record and flushes it.
pub(crate) struct Print<K, V> {
    pub(crate) label: Arc<str>,
    pub(crate) mapper: KeyValueMapper<K, V>,
    pub(crate) writer: SharedWriter,
}

impl<K, V> Processor<K, V, (), ()> for Print<K, V> {
    fn process(
        &mut self,
        record: Record<K, V>,
        _ctx: &mut ProcessorContext<'_, (), ()>,
    ) -> Result<(), ProcessError> {
        let line = (self.mapper)(&record.key, &record.value);
        // A writer poisoned by a panic elsewhere still takes whole lines.
        let mut writer = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        writeln!(writer, "[{}]: {line}", self.label)?;
        writer.flush()?;
        Ok(())
    }
}
