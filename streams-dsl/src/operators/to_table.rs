//! `KStream::to_table`: every record of the stream upserts its key's row.

use super::TableSource;
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::{Change, Record};

/// A table source fed by a stream's records instead of a topic's: a value
/// upserts its key.
pub(crate) struct StreamToTable(pub(crate) TableSource);

impl<K: Clone + 'static, V: Clone + 'static> Processor<K, V, K, Change<V>> for StreamToTable {
    fn process(
        &mut self,
        record: Record<K, V>,
        ctx: &mut ProcessorContext<'_, K, Change<V>>,
    ) -> Result<(), ProcessError> {
        let Record {
            key,
            value,
            timestamp,
            headers,
        } = record;
        self.0.process(
            Record {
                key,
                value: Some(value),
                timestamp,
                headers,
            },
            ctx,
        )
    }

    fn flush(&mut self, ctx: &mut ProcessorContext<'_, K, Change<V>>) -> Result<(), ProcessError> {
        Processor::<K, Option<V>, K, Change<V>>::flush(&mut self.0, ctx)
    }
}
