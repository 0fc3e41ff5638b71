//! [`TableStore`]: the store of a materialized table as the operators that
//! look its rows up see it, a timestamped key-value store or a versioned one
//! (a source table materialized with `Materialized::versioned`).

use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::StoreAccess;
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
    /// The key's bytes and its row: with `as_of`, for a versioned store the
    /// version valid then; otherwise (or for a plain store, which has no
    /// history) the current row. `None` when the key serializes to null.
    pub(crate) fn lookup<K: 'static, V: 'static>(
        &self,
        key: &K,
        as_of: Option<i64>,
        stores: &mut StoreAccess<'_>,
    ) -> Result<Option<KeyLookup<V>>, ProcessError> {
        if !self.versioned {
            let store = stores.state_store::<TimestampedKeyValueStore<K, V>>(&self.name)?;
            return Ok(store.lookup(key)?);
        }
        let store = stores.state_store::<VersionedKeyValueStore<K, V>>(&self.name)?;
        let Some(key_bytes) = store.key_bytes(key)? else {
            return Ok(None);
        };
        let current = match as_of {
            Some(as_of) => store.get_as_of_by_key_bytes(&key_bytes, as_of)?,
            None => store.get(key)?,
        };
        Ok(Some(KeyLookup {
            key: key_bytes,
            current: current.map(row),
        }))
    }
}
