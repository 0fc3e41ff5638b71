//! Stream-table and stream-global-table joins: each stream record looks up a
//! table row at the time it is processed (the table is not a trigger): the row
//! of its key in the task's table store, or the row of the key a selector
//! picks from the record in a global store. A table materialized in a
//! versioned store is read as of the stream record's timestamp (KIP-914), so
//! a late stream record joins the row that was valid when it happened; with a
//! grace period, stream records first wait in a buffer ([`JoinGrace`]).
//!
//! As in Kafka Streams 3.7, a stream record with a null value is dropped and
//! counted (a null on the joiner's table side means "no row", so a null stream
//! value would be ambiguous), and so is one with a null key in an inner join; in
//! a left join a record with a null key cannot match a row and is joined with
//! `None` at once, keeping its null key (KIP-962).

use super::{JoinGrace, TableRows};
use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::Record;
use streams_core::serde::SerdeRef;
use streams_core::state::KeyLookup;

/// Joins a stream value with the current table value of its key; `None` from
/// the joiner means no output (an inner join without a row).
pub(crate) type StreamTableJoiner<V, VT, VR> =
    Arc<dyn Fn(V, Option<VT>) -> Option<VR> + Send + Sync>;

/// Where a stream record's table row is found.
pub(crate) trait RowLookup<K, V, VT> {
    /// The store's name, for logs.
    fn store(&self) -> &str;

    /// The row for the record with `key`, `value` and `timestamp`: `None`
    /// when its join key is null (it cannot have a row), else the key's row,
    /// if any (current, or valid at `timestamp` in a versioned store).
    fn lookup<KOut, VOut>(
        &self,
        key: &K,
        value: &V,
        timestamp: i64,
        ctx: &mut ProcessorContext<'_, KOut, VOut>,
    ) -> Result<Option<KeyLookup<VT>>, ProcessError>;
}

/// The row of the record's own key in a table of the task: its store, or the
/// store it is derived from through its value getter; for a versioned store
/// the row valid at the record's timestamp.
pub(crate) struct LocalRow<K, VT> {
    /// The table's store or, for a derived table, its node; for logs.
    pub(crate) table: Arc<str>,
    pub(crate) rows: TableRows<K, VT>,
}

impl<K: 'static, V, VT: 'static> RowLookup<K, V, VT> for LocalRow<K, VT> {
    fn store(&self) -> &str {
        &self.table
    }

    fn lookup<KOut, VOut>(
        &self,
        key: &K,
        _: &V,
        timestamp: i64,
        ctx: &mut ProcessorContext<'_, KOut, VOut>,
    ) -> Result<Option<KeyLookup<VT>>, ProcessError> {
        self.rows
            .lookup(key, Some(timestamp), &mut ctx.store_access())
    }
}

/// Picks a global table's key from a stream record.
pub(crate) type GlobalKeySelector<K, V, KG> = Arc<dyn Fn(&K, &V) -> KG + Send + Sync>;

/// The row of the key `selector` picks from the record, in a global store.
pub(crate) struct GlobalRow<K, V, KG> {
    pub(crate) store: Arc<str>,
    pub(crate) selector: GlobalKeySelector<K, V, KG>,
}

impl<K, V, KG: 'static, VT: 'static> RowLookup<K, V, VT> for GlobalRow<K, V, KG> {
    fn store(&self) -> &str {
        &self.store
    }

    fn lookup<KOut, VOut>(
        &self,
        key: &K,
        value: &V,
        _: i64,
        ctx: &mut ProcessorContext<'_, KOut, VOut>,
    ) -> Result<Option<KeyLookup<VT>>, ProcessError> {
        let global_key = (self.selector)(key, value);
        Ok(ctx
            .global_store::<KG, VT>(&self.store)?
            .lookup(&global_key)?)
    }
}

/// Looks each stream record's row up where `rows` says and joins it.
pub(crate) struct StreamTableJoin<V, VT, VR, L> {
    pub(crate) rows: L,
    pub(crate) joiner: StreamTableJoiner<V, VT, VR>,
    /// A left join: records with a null join key are joined with `None`.
    pub(crate) left: bool,
    /// The stream's value serde, which says which values are null; `None` when
    /// the value type has no serde (then no value is null).
    pub(crate) value_serde: Option<SerdeRef<V>>,
    /// The grace period buffering stream records (`Joined::with_grace_period`).
    pub(crate) grace: Option<JoinGrace>,
}

impl<V, VT, VR, L> StreamTableJoin<V, VT, VR, L> {
    fn drop_record<KOut, VOut>(
        &self,
        store: &str,
        ctx: &mut ProcessorContext<'_, KOut, VOut>,
        reason: &str,
    ) {
        tracing::debug!(
            store,
            reason,
            "dropping a stream record from a stream-table join"
        );
        ctx.record_dropped();
    }
}

impl<V, VT, VR: Clone, L> StreamTableJoin<V, VT, VR, L> {
    /// Looks `record`'s row up and forwards the joined record.
    fn join_one<K: Clone + 'static>(
        &self,
        record: Record<K, V>,
        ctx: &mut ProcessorContext<'_, K, VR>,
    ) -> Result<(), ProcessError>
    where
        VT: 'static,
        L: RowLookup<K, V, VT>,
    {
        let row = match self
            .rows
            .lookup(&record.key, &record.value, record.timestamp, ctx)?
        {
            Some(found) => found.current.map(|row| row.value),
            None if self.left => None,
            None => {
                self.drop_record(self.rows.store(), ctx, "null join key");
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

impl<K: Clone + 'static, V: 'static, VT: 'static, VR: Clone, L: RowLookup<K, V, VT>>
    Processor<K, V, K, VR> for StreamTableJoin<V, VT, VR, L>
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
            self.drop_record(self.rows.store(), ctx, "null value");
            return Ok(());
        }
        let ready = match &mut self.grace {
            Some(grace) => grace.admit(record, ctx)?,
            None => vec![record],
        };
        for record in ready {
            self.join_one(record, ctx)?;
        }
        Ok(())
    }

    fn flush(&mut self, ctx: &mut ProcessorContext<'_, K, VR>) -> Result<(), ProcessError> {
        match &self.grace {
            Some(grace) => grace.flush::<K, V, _, _>(ctx),
            None => Ok(()),
        }
    }
}
