//! Typed key-value stores for the DSL and the Processor API: serdes over a byte
//! store (RocksDB or in-memory, possibly cached and logged), each value kept with
//! the timestamp of the record that wrote it (Kafka Streams' timestamped layout:
//! 8 bytes big-endian timestamp, then the serialized value).

use super::TaskStore;
use crate::error::StreamsError;
use crate::record::Change;
use crate::serde::SerdeRef;
use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;
use streams_state::{CachingKeyValueStore, KeyValueStore, StateStore, StateStoreError};

/// A value and the timestamp of the record that last wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueAndTimestamp<V> {
    /// The value.
    pub value: V,
    /// Milliseconds since the epoch.
    pub timestamp: i64,
}

/// Updates a caching store wrote down, waiting to be forwarded: key, new value,
/// old value, all as stored bytes.
pub(crate) type FlushedBytes = Vec<(Vec<u8>, Option<Vec<u8>>, Option<Vec<u8>>)>;

/// A typed, timestamped key-value store owned by one task.
///
/// Reached from a processor with
/// `ctx.state_store::<TimestampedKeyValueStore<K, V>>("name")`, and from the
/// TopologyTestDriver for assertions.
pub struct TimestampedKeyValueStore<K, V> {
    name: String,
    inner: CachingKeyValueStore,
    key_serde: SerdeRef<K>,
    value_serde: SerdeRef<V>,
    flushed: Rc<RefCell<FlushedBytes>>,
}

impl<K: 'static, V: 'static> TimestampedKeyValueStore<K, V> {
    /// Wraps a byte store; with a cache, what the cache writes down is kept for
    /// [`take_flushed`](Self::take_flushed).
    pub(crate) fn new(
        name: String,
        mut inner: CachingKeyValueStore,
        key_serde: SerdeRef<K>,
        value_serde: SerdeRef<V>,
    ) -> Self {
        let flushed: Rc<RefCell<FlushedBytes>> = Rc::default();
        if inner.caching_enabled() {
            let sink = flushed.clone();
            inner.set_flush_listener(Box::new(move |key, new, old| {
                sink.borrow_mut().push((
                    key.to_vec(),
                    new.map(<[u8]>::to_vec),
                    old.map(<[u8]>::to_vec),
                ));
            }));
        }
        Self {
            name,
            inner,
            key_serde,
            value_serde,
            flushed,
        }
    }

    /// The store's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// True when writes go through a cache and downstream sees them only when the
    /// cache writes them down.
    pub fn is_caching(&self) -> bool {
        self.inner.caching_enabled()
    }

    /// Writes the cache down to the store (without making the store durable);
    /// the updates become available from [`take_flushed`](Self::take_flushed).
    pub fn flush_cache(&mut self) -> Result<(), StreamsError> {
        Ok(self.inner.flush_cache()?)
    }

    /// The updates the cache wrote down since the last call (on eviction or
    /// [`flush_cache`](Self::flush_cache)), in write order, as typed changes with
    /// the timestamp of their new value (the old one for deletes).
    pub fn take_flushed(&mut self) -> Result<Vec<(K, Change<V>, i64)>, StreamsError> {
        if self.flushed.borrow().is_empty() {
            return Ok(Vec::new());
        }
        let flushed = std::mem::take(&mut *self.flushed.borrow_mut());
        self.decode_flushed(flushed)
    }

    /// The key's stored bytes, or `None` when the key serializes to null (a record
    /// with a null key cannot be stored; the caller drops it).
    pub fn key_bytes(&self, key: &K) -> Result<Option<Vec<u8>>, StreamsError> {
        self.key_serde.serialize_nullable(key).map_err(|e| {
            self.corrupt(format!(
                "key does not serialize with {}: {e}",
                self.key_serde.name()
            ))
        })
    }

    fn corrupt(&self, detail: String) -> StreamsError {
        StateStoreError::Corrupt {
            store: self.name.clone(),
            detail,
        }
        .into()
    }

    fn required_key_bytes(&self, key: &K) -> Result<Vec<u8>, StreamsError> {
        self.key_bytes(key)?
            .ok_or_else(|| self.corrupt("a null key cannot be stored".into()))
    }

    fn encode(&self, value: &V, timestamp: i64) -> Result<Vec<u8>, StreamsError> {
        let serialized = self.value_serde.serialize(value).map_err(|e| {
            self.corrupt(format!(
                "value does not serialize with {}: {e}",
                self.value_serde.name()
            ))
        })?;
        let mut bytes = Vec::with_capacity(8 + serialized.len());
        bytes.extend_from_slice(&timestamp.to_be_bytes());
        bytes.extend_from_slice(&serialized);
        Ok(bytes)
    }

    /// Decodes stored bytes (timestamp prefix, then the value).
    pub(crate) fn decode(&self, bytes: &[u8]) -> Result<ValueAndTimestamp<V>, StreamsError> {
        if bytes.len() < 8 {
            return Err(self.corrupt(format!(
                "a stored value has {} bytes, fewer than its 8-byte timestamp",
                bytes.len()
            )));
        }
        let (timestamp, value) = bytes.split_at(8);
        let mut prefix = [0; 8];
        prefix.copy_from_slice(timestamp);
        let value = self.value_serde.deserialize(value).map_err(|e| {
            self.corrupt(format!(
                "a stored value does not deserialize with {}: {e}",
                self.value_serde.name()
            ))
        })?;
        Ok(ValueAndTimestamp {
            value,
            timestamp: i64::from_be_bytes(prefix),
        })
    }

    fn decode_key(&self, bytes: &[u8]) -> Result<K, StreamsError> {
        self.key_serde.deserialize(bytes).map_err(|e| {
            self.corrupt(format!(
                "a stored key does not deserialize with {}: {e}",
                self.key_serde.name()
            ))
        })
    }

    /// The value of `key`, with its timestamp.
    pub fn get(&self, key: &K) -> Result<Option<ValueAndTimestamp<V>>, StreamsError> {
        let key = self.required_key_bytes(key)?;
        self.inner
            .get(&key)?
            .map(|bytes| self.decode(&bytes))
            .transpose()
    }

    /// Stores `value` for `key`, written at `timestamp`.
    pub fn put(&mut self, key: &K, value: &V, timestamp: i64) -> Result<(), StreamsError> {
        let key = self.required_key_bytes(key)?;
        let value = self.encode(value, timestamp)?;
        self.inner.put(&key, &value)?;
        Ok(())
    }

    /// Removes `key`, returning what it held.
    pub fn delete(&mut self, key: &K) -> Result<Option<ValueAndTimestamp<V>>, StreamsError> {
        let key = self.required_key_bytes(key)?;
        self.inner
            .delete(&key)?
            .map(|bytes| self.decode(&bytes))
            .transpose()
    }

    /// Every entry, in the byte order of the serialized keys.
    pub fn all(&self) -> Result<Vec<(K, ValueAndTimestamp<V>)>, StreamsError> {
        self.inner
            .all()?
            .map(|entry| {
                let (key, value) = entry?;
                Ok((self.decode_key(&key)?, self.decode(&value)?))
            })
            .collect()
    }

    /// Entries with `from <= key <= to` (by serialized bytes).
    pub fn range(&self, from: &K, to: &K) -> Result<Vec<(K, ValueAndTimestamp<V>)>, StreamsError> {
        let (from, to) = (self.required_key_bytes(from)?, self.required_key_bytes(to)?);
        self.inner
            .range(&from, &to)?
            .map(|entry| {
                let (key, value) = entry?;
                Ok((self.decode_key(&key)?, self.decode(&value)?))
            })
            .collect()
    }

    /// An estimate of the number of entries.
    pub fn approximate_num_entries(&self) -> Result<u64, StreamsError> {
        Ok(self.inner.approximate_num_entries()?)
    }

    /// Decodes updates a cache wrote down into typed changes with the timestamp of
    /// their new (or, for deletes, old) value.
    fn decode_flushed(
        &self,
        flushed: FlushedBytes,
    ) -> Result<Vec<(K, Change<V>, i64)>, StreamsError> {
        flushed
            .into_iter()
            .map(|(key, new, old)| {
                let new = new.map(|b| self.decode(&b)).transpose()?;
                let old = old.map(|b| self.decode(&b)).transpose()?;
                let timestamp = new.as_ref().or(old.as_ref()).map_or(0, |v| v.timestamp);
                Ok((
                    self.decode_key(&key)?,
                    Change::new(new.map(|v| v.value), old.map(|v| v.value)),
                    timestamp,
                ))
            })
            .collect()
    }
}

impl<K: 'static, V: 'static> TaskStore for TimestampedKeyValueStore<K, V> {
    fn flush(&mut self) -> Result<(), StreamsError> {
        Ok(self.inner.flush()?)
    }

    fn close(&mut self) -> Result<(), StreamsError> {
        Ok(self.inner.close()?)
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
