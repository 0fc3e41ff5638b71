//! Table-table joins: an update on either side looks up the other side's current
//! row and emits the joined row's new and old value, with the headers of the
//! update that triggered it (as Kafka Streams forwards the current record).
//! A versioned table is looked up by its latest version; its out-of-order
//! updates never reach the join (its source does not forward them).

use super::TableStore;
use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::{Change, Headers, Record};

/// Joins a left and a right row (either may be missing); `None` means no row in
/// the result (how inner, left and outer joins differ).
pub(crate) type RowJoiner<V1, V2, VR> =
    Arc<dyn Fn(Option<V1>, Option<V2>) -> Option<VR> + Send + Sync>;

/// Handles the left side's updates, looking the right side up in `other_store`
/// (wrapped in [`RightSide`] it handles the right side's).
pub(crate) struct TableTableJoin<V1, V2, VR> {
    pub(crate) other_store: TableStore,
    pub(crate) joiner: RowJoiner<V1, V2, VR>,
}

impl<V1: Clone, V2: Clone, VR> TableTableJoin<V1, V2, VR> {
    fn join(&self, left: Option<V1>, right: Option<V2>) -> Option<VR> {
        (self.joiner)(left, right)
    }
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
    Processor<K, Change<V1>, K, Change<VR>> for TableTableJoin<V1, V2, VR>
{
    fn process(
        &mut self,
        record: Record<K, Change<V1>>,
        ctx: &mut ProcessorContext<'_, K, Change<VR>>,
    ) -> Result<(), ProcessError> {
        let other = self.other_store.latest::<K, V2, _, _>(&record.key, ctx)?;
        let timestamp = other
            .as_ref()
            .map_or(record.timestamp, |o| o.timestamp.max(record.timestamp));
        let right = other.map(|o| o.value);
        let change = Change::new(
            self.join(record.value.new, right.clone()),
            self.join(record.value.old, right),
        );
        joined(ctx, record.key, change, timestamp, record.headers)
    }
}

/// The right side's updates, looking up the left table.
pub(crate) struct RightSide<V1, V2, VR>(pub(crate) TableTableJoin<V1, V2, VR>);

impl<K: Clone + 'static, V1: Clone + 'static, V2: Clone, VR: Clone>
    Processor<K, Change<V2>, K, Change<VR>> for RightSide<V1, V2, VR>
{
    fn process(
        &mut self,
        record: Record<K, Change<V2>>,
        ctx: &mut ProcessorContext<'_, K, Change<VR>>,
    ) -> Result<(), ProcessError> {
        let join = &self.0;
        let other = join.other_store.latest::<K, V1, _, _>(&record.key, ctx)?;
        let timestamp = other
            .as_ref()
            .map_or(record.timestamp, |o| o.timestamp.max(record.timestamp));
        let left = other.map(|o| o.value);
        let change = Change::new(
            join.join(left.clone(), record.value.new),
            join.join(left, record.value.old),
        );
        joined(ctx, record.key, change, timestamp, record.headers)
    }
}
