//! Stream-table joins: each stream record looks up the table row of its key at
//! the time it is processed (the table is not a trigger).
//!
//! As in Kafka Streams 3.7, a stream record with a null value is dropped and
//! counted (a null on the joiner's table side means "no row", so a null stream
//! value would be ambiguous), and so is one with a null key in an inner join; in
//! a left join a record with a null key cannot match a row and is joined with
//! `None` at once, keeping its null key (KIP-962).

use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::Record;
use streams_core::serde::SerdeRef;
use streams_core::state::TimestampedKeyValueStore;

/// Joins a stream value with the current table value of its key; `None` from
/// the joiner means no output (an inner join without a row).
pub(crate) type StreamTableJoiner<V, VT, VR> =
    Arc<dyn Fn(V, Option<VT>) -> Option<VR> + Send + Sync>;

/// Looks each stream record's key up in the table's store.
pub(crate) struct StreamTableJoin<V, VT, VR> {
    pub(crate) store: Arc<str>,
    pub(crate) joiner: StreamTableJoiner<V, VT, VR>,
    /// A left join: records with a null key are joined with `None`.
    pub(crate) left: bool,
    /// The stream's value serde, which says which values are null; `None` when
    /// the value type has no serde (then no value is null).
    pub(crate) value_serde: Option<SerdeRef<V>>,
}

impl<V, VT, VR> StreamTableJoin<V, VT, VR> {
    fn drop_record<KOut, VOut>(&self, ctx: &mut ProcessorContext<'_, KOut, VOut>, reason: &str) {
        tracing::debug!(store = %self.store, reason, "dropping a stream record from a stream-table join");
        ctx.record_dropped();
    }
}

impl<K: Clone + 'static, V, VT: 'static, VR: Clone> Processor<K, V, K, VR>
    for StreamTableJoin<V, VT, VR>
{
    fn process(
        &mut self,
        record: Record<K, V>,
        ctx: &mut ProcessorContext<'_, K, VR>,
    ) -> Result<(), ProcessError> {
        if self
            .value_serde
            .as_ref()
            .is_some_and(|serde| serde.is_null(&record.value))
        {
            self.drop_record(ctx, "null value");
            return Ok(());
        }
        let table = ctx.state_store::<TimestampedKeyValueStore<K, VT>>(&self.store)?;
        let row = match table.lookup(&record.key)? {
            Some(found) => found.current.map(|row| row.value),
            None if self.left => None,
            None => {
                self.drop_record(ctx, "null key");
                return Ok(());
            }
        };
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
