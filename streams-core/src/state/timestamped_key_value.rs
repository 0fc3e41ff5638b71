//! Typed key-value stores for the DSL and the Processor API: serdes over a byte
//! store (RocksDB or in-memory, possibly cached and logged), each value kept with
//! the timestamp of the record that wrote it (Kafka Streams' timestamped layout:
//! 8 bytes big-endian timestamp, then the serialized value).

use super::ByteStoreFacade;
use super::codec::StoreCodec;
use super::flushed::Flushed;
use crate::error::StreamsError;
use crate::record::Change;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use streams_state::{
    CachingKeyValueStore, KeyValueIter, KeyValueStore, KeyValueUpdate, StateStore,
};

/// A value and the timestamp of the record that last wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueAndTimestamp<V> {
    /// The value.
    pub value: V,
    /// Milliseconds since the epoch.
    pub timestamp: i64,
}

/// An update a caching store wrote down, waiting to be forwarded: key, new
/// value, old value, all as stored bytes, and for a delete the timestamp of the
/// record that deleted (when it was written with
/// [`TimestampedKeyValueStore::write_at`]).
type FlushedBytes = (Vec<u8>, Option<Vec<u8>>, Option<Vec<u8>>, Option<i64>);

/// Timestamps of the deletes waiting in the cache, by key bytes: a cached
/// delete holds no value to carry its timestamp.
type PendingDeletes = Rc<RefCell<HashMap<Vec<u8>, i64>>>;

/// A key's stored bytes and its current value, from
/// [`TimestampedKeyValueStore::lookup`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLookup<V> {
    /// The serialized key, to write back with `write_at`.
    pub key: Vec<u8>,
    /// The current value, if any.
    pub current: Option<ValueAndTimestamp<V>>,
}

/// A typed, timestamped key-value store owned by one task.
///
/// Reached from a processor with
/// `ctx.state_store::<TimestampedKeyValueStore<K, V>>("name")`, and from the
/// TopologyTestDriver for assertions.
pub struct TimestampedKeyValueStore<K, V> {
    codec: StoreCodec<K, V>,
    inner: CachingKeyValueStore,
    flushed: Flushed<FlushedBytes>,
    pending_deletes: PendingDeletes,
}

impl<K: 'static, V: 'static> TimestampedKeyValueStore<K, V> {
    /// Wraps a byte store; with a cache, what the cache writes down is kept for
    /// [`take_flushed`](Self::take_flushed).
    pub(crate) fn new(codec: StoreCodec<K, V>, mut inner: CachingKeyValueStore) -> Self {
        let pending_deletes: PendingDeletes = Rc::default();
        let deletes = pending_deletes.clone();
        let flushed = Flushed::listen(&mut inner, |sink| {
            Box::new(move |key, new, old| {
                let deleted_at = match new {
                    Some(_) => None,
                    None => deletes.borrow_mut().remove(key),
                };
                sink.push((
                    key.to_vec(),
                    new.map(<[u8]>::to_vec),
                    old.map(<[u8]>::to_vec),
                    deleted_at,
                ));
            })
        });
        Self {
            codec,
            inner,
            flushed,
            pending_deletes,
        }
    }

    /// The store's name.
    pub fn name(&self) -> &str {
        &self.codec.store
    }

    /// True when writes go through a cache and downstream sees them only when the
    /// cache writes them down.
    pub fn is_caching(&self) -> bool {
        self.inner.caching_enabled()
    }

    /// Writes the cache down to the store (without making the store durable);
    /// the updates become available from [`take_flushed`](Self::take_flushed).
    pub fn flush_cache(&mut self) -> Result<(), StreamsError> {
        self.inner.flush_cache()?;
        // Every cached delete was written down; those left are of keys created
        // and deleted between flushes, which the store never held.
        self.pending_deletes.borrow_mut().clear();
        Ok(())
    }

    /// The updates the cache wrote down since the last call (on eviction or
    /// [`flush_cache`](Self::flush_cache)), in write order, as typed changes with
    /// the timestamp of their new value, or for deletes the timestamp they were
    /// written at with [`write_at`](Self::write_at) (as Kafka Streams forwards
    /// the timestamp of the record that deleted); a delete through
    /// [`delete`](Self::delete) has only the old value's.
    pub fn take_flushed(&mut self) -> Result<Vec<(K, Change<V>, i64)>, StreamsError> {
        self.flushed.take(|(key, new, old, deleted_at)| {
            let new = new.map(|b| self.codec.decode(&b)).transpose()?;
            let old = old.map(|b| self.codec.decode(&b)).transpose()?;
            let timestamp = deleted_at
                .unwrap_or_else(|| new.as_ref().or(old.as_ref()).map_or(0, |v| v.timestamp));
            Ok((
                self.codec.decode_key(&key)?,
                Change::new(new.map(|v| v.value), old.map(|v| v.value)),
                timestamp,
            ))
        })
    }

    /// The key's stored bytes, or `None` when the key serializes to null (a record
    /// with a null key cannot be stored; the caller drops it).
    pub fn key_bytes(&self, key: &K) -> Result<Option<Vec<u8>>, StreamsError> {
        self.codec.key_bytes(key)
    }

    /// The key's bytes with its current value, for a read-modify-write: `None`
    /// when the key serializes to null (such a record cannot be stored).
    pub fn lookup(&self, key: &K) -> Result<Option<KeyLookup<V>>, StreamsError> {
        let Some(key) = self.codec.key_bytes(key)? else {
            return Ok(None);
        };
        let current = self
            .inner
            .get(&key)?
            .map(|bytes| self.codec.decode(&bytes))
            .transpose()?;
        Ok(Some(KeyLookup { key, current }))
    }

    /// Stores `value` (or deletes, for `None`) under key bytes from
    /// [`lookup`](Self::lookup).
    pub fn write_at(
        &mut self,
        key: &[u8],
        value: Option<&V>,
        timestamp: i64,
    ) -> Result<(), StreamsError> {
        match value {
            Some(value) => {
                let value = self.codec.encode(value, timestamp)?;
                self.inner.put(key, &value)?;
                if self.inner.caching_enabled() {
                    self.pending_deletes.borrow_mut().remove(key);
                }
            }
            None => {
                if self.inner.caching_enabled() {
                    self.pending_deletes
                        .borrow_mut()
                        .insert(key.to_vec(), timestamp);
                }
                self.inner.delete(key)?;
            }
        }
        Ok(())
    }

    /// True when the cache wrote updates down that [`take_flushed`](Self::take_flushed)
    /// has not returned yet.
    pub fn has_flushed(&self) -> bool {
        !self.flushed.is_empty()
    }

    /// The value of `key`, with its timestamp.
    pub fn get(&self, key: &K) -> Result<Option<ValueAndTimestamp<V>>, StreamsError> {
        let key = self.codec.required_key_bytes(key)?;
        self.inner
            .get(&key)?
            .map(|bytes| self.codec.decode(&bytes))
            .transpose()
    }

    /// Stores `value` for `key`, written at `timestamp`.
    pub fn put(&mut self, key: &K, value: &V, timestamp: i64) -> Result<(), StreamsError> {
        let key = self.codec.required_key_bytes(key)?;
        let value = self.codec.encode(value, timestamp)?;
        self.inner.put(&key, &value)?;
        Ok(())
    }

    /// Removes `key`, returning what it held.
    pub fn delete(&mut self, key: &K) -> Result<Option<ValueAndTimestamp<V>>, StreamsError> {
        let key = self.codec.required_key_bytes(key)?;
        self.inner
            .delete(&key)?
            .map(|bytes| self.codec.decode(&bytes))
            .transpose()
    }

    fn decode_entries(
        &self,
        entries: KeyValueIter<'_>,
    ) -> Result<Vec<(K, ValueAndTimestamp<V>)>, StreamsError> {
        entries
            .map(|entry| {
                let (key, value) = entry?;
                Ok((self.codec.decode_key(&key)?, self.codec.decode(&value)?))
            })
            .collect()
    }

    /// Every entry, in the byte order of the serialized keys.
    pub fn all(&self) -> Result<Vec<(K, ValueAndTimestamp<V>)>, StreamsError> {
        self.decode_entries(self.inner.all()?)
    }

    /// Entries with `from <= key <= to` (by serialized bytes).
    pub fn range(&self, from: &K, to: &K) -> Result<Vec<(K, ValueAndTimestamp<V>)>, StreamsError> {
        let (from, to) = (
            self.codec.required_key_bytes(from)?,
            self.codec.required_key_bytes(to)?,
        );
        self.decode_entries(self.inner.range(&from, &to)?)
    }

    /// Entries whose serialized key starts with the serialized `prefix`, in
    /// the byte order of the serialized keys (Kafka Streams' `prefixScan`).
    /// `prefix` is a key of the store's type whose serde writes only the
    /// leading part of full keys, such as a composite key without its last
    /// component.
    pub fn prefix_scan(&self, prefix: &K) -> Result<Vec<(K, ValueAndTimestamp<V>)>, StreamsError> {
        let prefix = self.codec.required_key_bytes(prefix)?;
        self.decode_entries(self.inner.prefix_scan(&prefix)?)
    }

    /// `value` serialized as this store stores it (without the timestamp),
    /// with the store's value serde and changelog topic as context: what an
    /// operator hashes to recognize a stored value later.
    pub fn value_bytes(&self, value: &V) -> Result<Vec<u8>, StreamsError> {
        self.codec.encode_value(value)
    }

    /// An estimate of the number of entries.
    pub fn approximate_num_entries(&self) -> Result<u64, StreamsError> {
        Ok(self.inner.approximate_num_entries()?)
    }
}

impl<K: 'static, V: 'static> ByteStoreFacade for TimestampedKeyValueStore<K, V> {
    fn byte_store(&self) -> &dyn StateStore {
        &self.inner
    }

    fn byte_store_mut(&mut self) -> &mut dyn StateStore {
        &mut self.inner
    }

    fn restore_records(&mut self, records: &[KeyValueUpdate]) -> Result<(), StreamsError> {
        Ok(self.inner.restore_batch(records)?)
    }

    /// Every cached delete was written down.
    fn flushed(&mut self) {
        self.pending_deletes.borrow_mut().clear();
    }
}
