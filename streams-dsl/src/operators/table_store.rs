//! [`TableStore`]: the store of a materialized table as the operators that
//! look its rows up see it, a timestamped key-value store or a versioned one
//! (a source table materialized with `Materialized::versioned`).

use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::ProcessorContext;
use streams_core::state::{
    KeyLookup, TimestampedKeyValueStore, ValueAndTimestamp, VersionedKeyValueStore, VersionedRecord,
};

/// A table's store, named, and whether it is versioned.
#[derive(Debug, Clone)]
pub(crate) struct TableStore {
    pub(crate) name: Arc<str>,
    pub(crate) versioned: bool,
}

fn row<V>(version: VersionedRecord<V>) -> ValueAndTimestamp<V> {
    ValueAndTimestamp {
        value: version.value,
        timestamp: version.timestamp,
    }
}

impl TableStore {
    /// The key's current row (for a versioned store, its latest version).
    pub(crate) fn latest<K: 'static, V: 'static, KOut, VOut>(
        &self,
        key: &K,
        ctx: &mut ProcessorContext<'_, KOut, VOut>,
    ) -> Result<Option<ValueAndTimestamp<V>>, ProcessError> {
        if self.versioned {
            let store = ctx.state_store::<VersionedKeyValueStore<K, V>>(&self.name)?;
            Ok(store.get(key)?.map(row))
        } else {
            let store = ctx.state_store::<TimestampedKeyValueStore<K, V>>(&self.name)?;
            Ok(store.get(key)?)
        }
    }

    /// The key's bytes and its row at `as_of`: for a versioned store the
    /// version valid then, for a plain one the current row (it has no
    /// history). `None` when the key serializes to null.
    pub(crate) fn lookup_as_of<K: 'static, V: 'static, KOut, VOut>(
        &self,
        key: &K,
        as_of: i64,
        ctx: &mut ProcessorContext<'_, KOut, VOut>,
    ) -> Result<Option<KeyLookup<V>>, ProcessError> {
        if !self.versioned {
            let store = ctx.state_store::<TimestampedKeyValueStore<K, V>>(&self.name)?;
            return Ok(store.lookup(key)?);
        }
        let store = ctx.state_store::<VersionedKeyValueStore<K, V>>(&self.name)?;
        let Some(key) = store.key_bytes(key)? else {
            return Ok(None);
        };
        let current = store.get_as_of_by_key_bytes(&key, as_of)?.map(row);
        Ok(Some(KeyLookup { key, current }))
    }
}
