//! Stream-table joins: each stream record looks up the table row of its key at
//! the time it is processed (the table is not a trigger).

use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::Record;
use streams_core::state::TimestampedKeyValueStore;

/// Joins a stream value with the current table value of its key; `None` from
/// the joiner means no output (an inner join without a row).
pub(crate) type StreamTableJoiner<V, VT, VR> =
    Arc<dyn Fn(V, Option<VT>) -> Option<VR> + Send + Sync>;

/// Looks each stream record's key up in the table's store.
pub(crate) struct StreamTableJoin<V, VT, VR> {
    pub(crate) store: Arc<str>,
    pub(crate) joiner: StreamTableJoiner<V, VT, VR>,
}

impl<K: Clone + 'static, V, VT: 'static, VR: Clone> Processor<K, V, K, VR>
    for StreamTableJoin<V, VT, VR>
{
    fn process(
        &mut self,
        record: Record<K, V>,
        ctx: &mut ProcessorContext<'_, K, VR>,
    ) -> Result<(), ProcessError> {
        let table = ctx.state_store::<TimestampedKeyValueStore<K, VT>>(&self.store)?;
        if table.key_bytes(&record.key)?.is_none() {
            tracing::debug!(store = %self.store, "dropping a stream record with a null key from a join");
            ctx.record_dropped();
            return Ok(());
        }
        let row = table.get(&record.key)?.map(|row| row.value);
        let Record {
            key,
            value,
            timestamp,
            headers,
        } = record;
        match (self.joiner)(value, row) {
            Some(joined) => ctx.forward(Record {
                key,
                value: joined,
                timestamp,
                headers,
            }),
            None => Ok(()),
        }
    }
}
