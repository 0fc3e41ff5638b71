//! Table-table joins: an update on either side looks up the other side's current
//! row and emits the joined row's new and old value, with the headers of the
//! update that triggered it (as Kafka Streams forwards the current record).
//! A versioned table is looked up by its latest version; its out-of-order
//! updates never reach the join (its source does not forward them).

use super::TableRows;
use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::{Change, Headers, Record};
use streams_core::state::ValueAndTimestamp;

/// Joins a left and a right row (either may be missing); `None` means no row in
/// the result (how inner, left and outer joins differ).
pub(crate) type RowJoiner<V1, V2, VR> =
    Arc<dyn Fn(Option<V1>, Option<V2>) -> Option<VR> + Send + Sync>;

/// Handles the left side's updates, looking the right side's row up in
/// `other` (its store, or the store it is derived from).
pub(crate) struct TableTableJoin<K, V1, V2, VR> {
    pub(crate) other: TableRows<K, V2>,
    pub(crate) joiner: RowJoiner<V1, V2, VR>,
}

/// Handles the right side's updates, looking the left side's row up.
pub(crate) struct RightSide<K, V1, V2, VR> {
    pub(crate) other: TableRows<K, V1>,
    pub(crate) joiner: RowJoiner<V1, V2, VR>,
}

/// The current row of `key` in `rows`.
fn other_row<K, V, KOut, VOut>(
    rows: &TableRows<K, V>,
    key: &K,
    ctx: &mut ProcessorContext<'_, KOut, VOut>,
) -> Result<Option<ValueAndTimestamp<V>>, ProcessError> {
    Ok(rows
        .lookup(key, None, &mut ctx.store_access())?
        .and_then(|found| found.current))
}

fn joined<K: Clone, VR: Clone>(
    ctx: &mut ProcessorContext<'_, K, Change<VR>>,
    key: K,
    change: Change<VR>,
    timestamp: i64,
    headers: Headers,
) -> Result<(), ProcessError> {
    if change.new.is_none() && change.old.is_none() {
        return Ok(());
    }
    ctx.forward(Record::new(key, change, timestamp).with_headers(headers))
}

/// The left side's updates (`Change<V1>`), looking up the right table.
impl<K: Clone + 'static, V1: Clone, V2: Clone + 'static, VR: Clone>
    Processor<K, Change<V1>, K, Change<VR>> for TableTableJoin<K, V1, V2, VR>
{
    fn process(
        &mut self,
        record: Record<K, Change<V1>>,
        ctx: &mut ProcessorContext<'_, K, Change<VR>>,
    ) -> Result<(), ProcessError> {
        let other = other_row(&self.other, &record.key, ctx)?;
        let timestamp = other
            .as_ref()
            .map_or(record.timestamp, |o| o.timestamp.max(record.timestamp));
        let right = other.map(|o| o.value);
        let change = Change::new(
            (self.joiner)(record.value.new, right.clone()),
            (self.joiner)(record.value.old, right),
        );
        joined(ctx, record.key, change, timestamp, record.headers)
    }
}

/// The right side's updates (`Change<V2>`), looking up the left table.
impl<K: Clone + 'static, V1: Clone + 'static, V2: Clone, VR: Clone>
    Processor<K, Change<V2>, K, Change<VR>> for RightSide<K, V1, V2, VR>
{
    fn process(
        &mut self,
        record: Record<K, Change<V2>>,
        ctx: &mut ProcessorContext<'_, K, Change<VR>>,
    ) -> Result<(), ProcessError> {
        let other = other_row(&self.other, &record.key, ctx)?;
        let timestamp = other
            .as_ref()
            .map_or(record.timestamp, |o| o.timestamp.max(record.timestamp));
        let left = other.map(|o| o.value);
        let change = Change::new(
            (self.joiner)(left.clone(), record.value.new),
            (self.joiner)(left, record.value.old),
        );
        joined(ctx, record.key, change, timestamp, record.headers)
    }
}
