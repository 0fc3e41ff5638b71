//! Tables fed by a processor's output instead of a topic: `KStream::to_table`
//! (every record upserts its key's row) and `Materialized` on a derived table
//! (a filter, `map_values` or join result: each change's new value upserts its
//! key, its absence deletes it).

use super::TableSource;
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::{Change, Record};

/// A table source whose input values `row` turns into the row to store
/// (`None` deletes). The old value forwarded is the one the store held, so
/// nothing upstream needs to send old values.
pub(crate) struct TableFeed<VIn, V> {
    pub(crate) source: TableSource,
    pub(crate) row: fn(VIn) -> Option<V>,
}

impl<V> TableFeed<V, V> {
    /// Every stream record's value upserts its key (`KStream::to_table`).
    pub(crate) fn from_stream(source: TableSource) -> Self {
        Self { source, row: Some }
    }
}

impl<V> TableFeed<Change<V>, V> {
    /// Each change of a derived table sets its key's row to the new value.
    pub(crate) fn from_table(source: TableSource) -> Self {
        Self {
            source,
            row: |change| change.new,
        }
    }
}

impl<K: Clone + 'static, VIn, V: Clone + 'static> Processor<K, VIn, K, Change<V>>
    for TableFeed<VIn, V>
{
    fn process(
        &mut self,
        record: Record<K, VIn>,
        ctx: &mut ProcessorContext<'_, K, Change<V>>,
    ) -> Result<(), ProcessError> {
        let Record {
            key,
            value,
            timestamp,
            headers,
        } = record;
        self.source.process(
            Record {
                key,
                value: (self.row)(value),
                timestamp,
                headers,
            },
            ctx,
        )
    }

    fn flush(&mut self, ctx: &mut ProcessorContext<'_, K, Change<V>>) -> Result<(), ProcessError> {
        Processor::<K, Option<V>, K, Change<V>>::flush(&mut self.source, ctx)
    }
}
