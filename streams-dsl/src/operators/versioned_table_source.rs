//! The source of a table materialized in a versioned store (KIP-914): every
//! update goes into the store at its timestamp, but only one that becomes its
//! key's latest version is forwarded; an out-of-order update (older than the
//! key's latest version) only lands in the history, where as-of lookups see
//! it.

use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::{Change, Record};
use streams_core::state::{PutOutcome, VersionedKeyValueStore};

/// Materializes a topic as a versioned table: a value is a version of its
/// key, a null a tombstone version.
pub(crate) struct VersionedTableSource {
    pub(crate) store: Arc<str>,
}

impl<K: Clone + 'static, V: Clone + 'static> Processor<K, Option<V>, K, Change<V>>
    for VersionedTableSource
{
    fn process(
        &mut self,
        record: Record<K, Option<V>>,
        ctx: &mut ProcessorContext<'_, K, Change<V>>,
    ) -> Result<(), ProcessError> {
        let store = ctx.state_store::<VersionedKeyValueStore<K, V>>(&self.store)?;
        let Some(key) = store.key_bytes(&record.key)? else {
            tracing::debug!(store = &*self.store, "dropping a record with a null key");
            ctx.record_dropped();
            return Ok(());
        };
        let old = store.get_by_key_bytes(&key)?.map(|latest| latest.value);
        match store.write_at(&key, record.value.as_ref(), record.timestamp)? {
            PutOutcome::Latest => {}
            PutOutcome::Historical { valid_to } => {
                tracing::debug!(
                    store = &*self.store,
                    timestamp = record.timestamp,
                    valid_to,
                    "an out-of-order table update went into the history, not downstream"
                );
                return Ok(());
            }
            PutOutcome::Rejected => {
                tracing::debug!(
                    store = &*self.store,
                    timestamp = record.timestamp,
                    "dropping a table update older than the store's history retention"
                );
                ctx.record_dropped();
                return Ok(());
            }
        }
        if record.value.is_none() && old.is_none() {
            return Ok(());
        }
        let Record {
            key,
            value,
            timestamp,
            headers,
        } = record;
        ctx.forward(Record::new(key, Change::new(value, old), timestamp).with_headers(headers))
    }
}
