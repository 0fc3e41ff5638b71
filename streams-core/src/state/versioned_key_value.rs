//! The typed versioned key-value store (Kafka Streams' `VersionedKeyValueStore`,
//! KIP-889): serdes over a byte-level
//! [`VersionedKeyValueStore`](streams_state::VersionedKeyValueStore), RocksDB or
//! in memory, logged or not, never cached.

use super::ByteStoreFacade;
use super::codec::StoreCodec;
use crate::error::StreamsError;
use streams_state::{KeyValueUpdate, PutOutcome, StateStore, VersionedValue};

/// One version of a key's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionedRecord<V> {
    /// The value.
    pub value: V,
    /// When this version became valid (the timestamp it was written at),
    /// milliseconds since the epoch.
    pub timestamp: i64,
    /// When the key's next version replaced it, `None` for the latest.
    pub valid_to: Option<i64>,
}

/// A typed store keeping every version of each key's value for its history
/// retention, owned by one task.
///
/// Reached from a processor with
/// `ctx.state_store::<VersionedKeyValueStore<K, V>>("name")`, and from the
/// TopologyTestDriver for assertions. Declared with
/// [`KeyValueStoreBuilder::versioned`](super::KeyValueStoreBuilder::versioned).
/// See [`streams_state::VersionedKeyValueStore`] for the semantics of writes
/// out of order, tombstones and the history retention.
pub struct VersionedKeyValueStore<K, V> {
    codec: StoreCodec<K, V>,
    inner: Box<dyn streams_state::VersionedKeyValueStore>,
}

impl<K: 'static, V: 'static> VersionedKeyValueStore<K, V> {
    pub(crate) fn new(
        codec: StoreCodec<K, V>,
        inner: Box<dyn streams_state::VersionedKeyValueStore>,
    ) -> Self {
        Self { codec, inner }
    }

    /// The store's name.
    pub fn name(&self) -> &str {
        &self.codec.store
    }

    /// How long versions are kept after they stop being the latest, in
    /// milliseconds.
    pub fn history_retention_ms(&self) -> i64 {
        self.inner.history_retention()
    }

    /// The largest timestamp written so far.
    pub fn observed_stream_time(&self) -> Option<i64> {
        self.inner.observed_stream_time()
    }

    /// The key's bytes, or `None` when the key serializes to null (a record
    /// with a null key cannot be stored; the caller drops it).
    pub fn key_bytes(&self, key: &K) -> Result<Option<Vec<u8>>, StreamsError> {
        self.codec.key_bytes(key)
    }

    /// Writes a version of `key` valid from `timestamp`, saying whether it is
    /// the latest, went into the history, or was rejected as older than the
    /// history retention.
    pub fn put(&mut self, key: &K, value: &V, timestamp: i64) -> Result<PutOutcome, StreamsError> {
        let key = self.codec.required_key_bytes(key)?;
        self.write_at(&key, Some(value), timestamp)
    }

    /// Writes a tombstone for `key` at `timestamp`, returning the version
    /// valid at `timestamp` before it.
    pub fn delete(
        &mut self,
        key: &K,
        timestamp: i64,
    ) -> Result<Option<VersionedRecord<V>>, StreamsError> {
        let key = self.codec.required_key_bytes(key)?;
        self.inner
            .delete(&key, timestamp)?
            .map(|version| self.decode(version))
            .transpose()
    }

    /// Writes `value` (`None`: a tombstone) under key bytes from
    /// [`key_bytes`](Self::key_bytes) at `timestamp`.
    pub fn write_at(
        &mut self,
        key: &[u8],
        value: Option<&V>,
        timestamp: i64,
    ) -> Result<PutOutcome, StreamsError> {
        let value = value
            .map(|value| self.codec.encode_value(value))
            .transpose()?;
        Ok(self.inner.put(key, value.as_deref(), timestamp)?)
    }

    /// The key's latest version, `None` if it has none or it was deleted.
    pub fn get(&self, key: &K) -> Result<Option<VersionedRecord<V>>, StreamsError> {
        let key = self.codec.required_key_bytes(key)?;
        self.get_by_key_bytes(&key)
    }

    /// The version of `key` valid at `as_of`: `None` when there is none, the
    /// key was deleted then, or `as_of` is older than the history retention.
    pub fn get_as_of(
        &self,
        key: &K,
        as_of: i64,
    ) -> Result<Option<VersionedRecord<V>>, StreamsError> {
        let key = self.codec.required_key_bytes(key)?;
        self.get_as_of_by_key_bytes(&key, as_of)
    }

    /// [`get`](Self::get) for key bytes from [`key_bytes`](Self::key_bytes).
    pub fn get_by_key_bytes(&self, key: &[u8]) -> Result<Option<VersionedRecord<V>>, StreamsError> {
        self.inner
            .get(key)?
            .map(|version| self.decode(version))
            .transpose()
    }

    /// [`get_as_of`](Self::get_as_of) for key bytes from
    /// [`key_bytes`](Self::key_bytes).
    pub fn get_as_of_by_key_bytes(
        &self,
        key: &[u8],
        as_of: i64,
    ) -> Result<Option<VersionedRecord<V>>, StreamsError> {
        self.inner
            .get_as_of(key, as_of)?
            .map(|version| self.decode(version))
            .transpose()
    }

    fn decode(&self, version: VersionedValue) -> Result<VersionedRecord<V>, StreamsError> {
        Ok(VersionedRecord {
            value: self.codec.decode_value(&version.value)?,
            timestamp: version.valid_from,
            valid_to: version.valid_to,
        })
    }
}

impl<K: 'static, V: 'static> ByteStoreFacade for VersionedKeyValueStore<K, V> {
    fn byte_store(&self) -> &dyn StateStore {
        &*self.inner
    }

    fn byte_store_mut(&mut self) -> &mut dyn StateStore {
        &mut *self.inner
    }

    fn restore_records(&mut self, records: &[KeyValueUpdate]) -> Result<(), StreamsError> {
        Ok(self.inner.restore_batch(records)?)
    }
}
