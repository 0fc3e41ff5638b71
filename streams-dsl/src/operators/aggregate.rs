//! Aggregations into a key-value store: grouped streams (count, reduce,
//! aggregate), grouped tables (with adder and subtractor), and table sources.
//!
//! With caching on, updates are forwarded when the cache writes them down (on
//! eviction or commit), so repeated updates of a key between commits reach
//! downstream once; with caching off, every update is forwarded at once.
//! Either way an update carries the headers of the record that caused it (with
//! caching, the last one that wrote the key), as in Kafka Streams.

use super::PendingHeaders;
use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::{Change, Headers, Record};
use streams_core::state::{KeyLookup, TimestampedKeyValueStore, ValueAndTimestamp};

/// Forwards what a caching store wrote down, with the headers of each key's
/// last write.
fn forward_flushed<K: Clone + 'static, V: Clone + 'static>(
    store_name: &str,
    pending: &mut PendingHeaders,
    ctx: &mut ProcessorContext<'_, K, Change<V>>,
) -> Result<(), ProcessError> {
    let store = ctx.state_store::<TimestampedKeyValueStore<K, V>>(store_name)?;
    let mut records = Vec::new();
    for (key, change, timestamp) in store.take_flushed()? {
        let headers = match pending.is_empty() {
            true => Headers::new(),
            false => match store.key_bytes(&key)? {
                Some(key_bytes) => pending.take(&key_bytes),
                None => Headers::new(),
            },
        };
        records.push(Record::new(key, change, timestamp).with_headers(headers));
    }
    for record in records {
        ctx.forward(record)?;
    }
    Ok(())
}

/// Writes the cache down and forwards it (the commit-time flush of every
/// aggregating processor).
fn flush_and_forward<K: Clone + 'static, V: Clone + 'static>(
    store_name: &str,
    pending: &mut PendingHeaders,
    ctx: &mut ProcessorContext<'_, K, Change<V>>,
) -> Result<(), ProcessError> {
    ctx.state_store::<TimestampedKeyValueStore<K, V>>(store_name)?
        .flush_cache()?;
    forward_flushed(store_name, pending, ctx)
}

/// The key and value of an update, and the headers and time of the record
/// that caused it.
struct Update<K, V> {
    key: K,
    new: Option<V>,
    old: Option<V>,
    timestamp: i64,
    headers: Headers,
}

/// Writes the update's new value (or deletes) under the looked-up key bytes
/// and forwards the change, directly or through the cache.
fn update<K: Clone + 'static, V: Clone + 'static>(
    store_name: &str,
    pending: &mut PendingHeaders,
    ctx: &mut ProcessorContext<'_, K, Change<V>>,
    key_bytes: &[u8],
    update: Update<K, V>,
) -> Result<(), ProcessError> {
    let store = ctx.state_store::<TimestampedKeyValueStore<K, V>>(store_name)?;
    if store.is_caching() {
        pending.written(key_bytes, &update.headers);
        store.write_at(key_bytes, update.new.as_ref(), update.timestamp)?;
        if store.has_flushed() {
            forward_flushed(store_name, pending, ctx)?;
        }
        return Ok(());
    }
    store.write_at(key_bytes, update.new.as_ref(), update.timestamp)?;
    if update.new.is_some() || update.old.is_some() {
        let change = Change::new(update.new, update.old);
        ctx.forward(Record::new(update.key, change, update.timestamp).with_headers(update.headers))
    } else {
        Ok(())
    }
}

/// The key's bytes and current value, or `None` (counted as dropped) for a
/// null key.
fn lookup<K: 'static, V: 'static, KOut, VOut>(
    store_name: &str,
    key: &K,
    ctx: &mut ProcessorContext<'_, KOut, VOut>,
) -> Result<Option<KeyLookup<V>>, ProcessError> {
    let found = ctx
        .state_store::<TimestampedKeyValueStore<K, V>>(store_name)?
        .lookup(key)?;
    if found.is_none() {
        tracing::debug!(store = store_name, "dropping a record with a null key");
        ctx.record_dropped();
    }
    Ok(found)
}

/// The previous aggregate and the timestamp of the new one: the later of the
/// record's and the previous aggregate's, as Kafka Streams stamps aggregates.
pub(crate) fn previous_aggregate<VA>(
    old: Option<ValueAndTimestamp<VA>>,
    record_timestamp: i64,
) -> (Option<VA>, i64) {
    match old {
        Some(old) => (Some(old.value), old.timestamp.max(record_timestamp)),
        None => (None, record_timestamp),
    }
}

/// One aggregation step: the new aggregate from the key, the value and the old
/// aggregate (`None` for the first value of a key).
pub(crate) type AggregateStep<K, V, VA> = Arc<dyn Fn(&K, V, Option<VA>) -> VA + Send + Sync>;

/// Aggregates a grouped stream per key.
pub(crate) struct StreamAggregate<K, V, VA> {
    pub(crate) store: Arc<str>,
    pub(crate) step: AggregateStep<K, V, VA>,
    pub(crate) pending: PendingHeaders,
}

impl<K: Clone + 'static, V, VA: Clone + 'static> Processor<K, V, K, Change<VA>>
    for StreamAggregate<K, V, VA>
{
    fn process(
        &mut self,
        record: Record<K, V>,
        ctx: &mut ProcessorContext<'_, K, Change<VA>>,
    ) -> Result<(), ProcessError> {
        let Some(KeyLookup {
            key: key_bytes,
            current: old,
        }) = lookup::<K, VA, _, _>(&self.store, &record.key, ctx)?
        else {
            return Ok(());
        };
        let (old_value, timestamp) = previous_aggregate(old, record.timestamp);
        let new = (self.step)(&record.key, record.value, old_value.clone());
        let change = Update {
            key: record.key,
            new: Some(new),
            old: old_value,
            timestamp,
            headers: record.headers,
        };
        update(&self.store, &mut self.pending, ctx, &key_bytes, change)
    }

    fn flush(&mut self, ctx: &mut ProcessorContext<'_, K, Change<VA>>) -> Result<(), ProcessError> {
        flush_and_forward(&self.store, &mut self.pending, ctx)
    }
}

/// One table-aggregation step: the new aggregate (`None` deletes the row) from
/// the key, a row value and the current aggregate.
pub(crate) type TableStep<K, V, VA> = Arc<dyn Fn(&K, V, Option<VA>) -> Option<VA> + Send + Sync>;

/// Aggregates a grouped table per key: subtracts the old value of an updated row
/// and adds the new one.
pub(crate) struct TableAggregate<K, V, VA> {
    pub(crate) store: Arc<str>,
    pub(crate) add: TableStep<K, V, VA>,
    pub(crate) subtract: TableStep<K, V, VA>,
    pub(crate) pending: PendingHeaders,
}

impl<K: Clone + 'static, V, VA: Clone + 'static> Processor<K, Change<V>, K, Change<VA>>
    for TableAggregate<K, V, VA>
{
    fn process(
        &mut self,
        record: Record<K, Change<V>>,
        ctx: &mut ProcessorContext<'_, K, Change<VA>>,
    ) -> Result<(), ProcessError> {
        let Some(KeyLookup {
            key: key_bytes,
            current: old,
        }) = lookup::<K, VA, _, _>(&self.store, &record.key, ctx)?
        else {
            return Ok(());
        };
        let (old_value, timestamp) = previous_aggregate(old, record.timestamp);
        let mut aggregate = old_value.clone();
        if let Some(removed) = record.value.old {
            aggregate = (self.subtract)(&record.key, removed, aggregate);
        }
        if let Some(added) = record.value.new {
            aggregate = (self.add)(&record.key, added, aggregate);
        }
        let change = Update {
            key: record.key,
            new: aggregate,
            old: old_value,
            timestamp,
            headers: record.headers,
        };
        update(&self.store, &mut self.pending, ctx, &key_bytes, change)
    }

    fn flush(&mut self, ctx: &mut ProcessorContext<'_, K, Change<VA>>) -> Result<(), ProcessError> {
        flush_and_forward(&self.store, &mut self.pending, ctx)
    }
}

/// Materializes a topic as a table: a value upserts its key, a null deletes it.
pub(crate) struct TableSource {
    pub(crate) store: Arc<str>,
    pub(crate) pending: PendingHeaders,
}

impl<K: Clone + 'static, V: Clone + 'static> Processor<K, Option<V>, K, Change<V>> for TableSource {
    fn process(
        &mut self,
        record: Record<K, Option<V>>,
        ctx: &mut ProcessorContext<'_, K, Change<V>>,
    ) -> Result<(), ProcessError> {
        let Some(KeyLookup {
            key: key_bytes,
            current: old,
        }) = lookup::<K, V, _, _>(&self.store, &record.key, ctx)?
        else {
            return Ok(());
        };
        let change = Update {
            key: record.key,
            new: record.value,
            old: old.map(|old| old.value),
            timestamp: record.timestamp,
            headers: record.headers,
        };
        update(&self.store, &mut self.pending, ctx, &key_bytes, change)
    }

    fn flush(&mut self, ctx: &mut ProcessorContext<'_, K, Change<V>>) -> Result<(), ProcessError> {
        flush_and_forward(&self.store, &mut self.pending, ctx)
    }
}

/// Keeps a derived table's rows in a store (for joins), forwarding nothing.
pub(crate) struct TableMaterialize {
    pub(crate) store: Arc<str>,
}

impl<K: Clone + 'static, V: Clone + 'static> Processor<K, Change<V>, K, Change<V>>
    for TableMaterialize
{
    fn process(
        &mut self,
        record: Record<K, Change<V>>,
        ctx: &mut ProcessorContext<'_, K, Change<V>>,
    ) -> Result<(), ProcessError> {
        let store = ctx.state_store::<TimestampedKeyValueStore<K, V>>(&self.store)?;
        if store.key_bytes(&record.key)?.is_none() {
            return Ok(());
        }
        match record.value.new {
            Some(value) => store.put(&record.key, &value, record.timestamp)?,
            None => {
                store.delete(&record.key)?;
            }
        }
        Ok(())
    }
}
