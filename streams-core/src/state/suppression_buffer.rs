//! The typed suppression buffer: table updates held back by `KTable::suppress`,
//! one per key, ordered by buffer time, logged to the store's changelog.

use super::ByteStoreFacade;
use super::buffered_change::BufferedChange;
use super::codec::StoreCodec;
use crate::error::StreamsError;
use crate::record::{Change, Record};
use streams_state::{InMemoryTimeOrderedBuffer, KeyValueUpdate, StateStore};

/// Buffered updates with their buffer times, as
/// [`SuppressionBuffer::entries`] lists them.
pub type BufferedUpdates<K, V> = Vec<(i64, Record<K, Change<V>>)>;

/// Table updates waiting to be forwarded, at most one per key: a later update of
/// a buffered key replaces its value and timestamp but keeps its place in the
/// buffer-time order and the value the row had before the first buffered update
/// (the old value downstream last saw).
///
/// Reached from a processor with
/// `ctx.state_store::<SuppressionBuffer<K, V>>("name")`, and from the
/// TopologyTestDriver for assertions. Changes are logged when the buffer is
/// flushed ([`write_changelog`](Self::write_changelog), at commit), once per key.
pub struct SuppressionBuffer<K, V> {
    codec: StoreCodec<K, V>,
    inner: InMemoryTimeOrderedBuffer,
}

impl<K: 'static, V: 'static> SuppressionBuffer<K, V> {
    pub(crate) fn new(codec: StoreCodec<K, V>, inner: InMemoryTimeOrderedBuffer) -> Self {
        Self { codec, inner }
    }

    /// The store's name.
    pub fn name(&self) -> &str {
        &self.codec.store
    }

    fn serialize(&self, value: Option<&V>) -> Result<Option<Vec<u8>>, StreamsError> {
        value
            .map(|value| self.codec.encode_value(value))
            .transpose()
    }

    fn deserialize(&self, bytes: Option<Vec<u8>>) -> Result<Option<V>, StreamsError> {
        bytes
            .map(|bytes| self.codec.decode_value(&bytes))
            .transpose()
    }

    fn decode(&self, key: &[u8], value: &[u8]) -> Result<Record<K, Change<V>>, StreamsError> {
        let buffered =
            BufferedChange::decode(value).map_err(|detail| self.codec.corrupt(detail))?;
        Ok(Record {
            key: self.codec.decode_key(key)?,
            value: Change::new(
                self.deserialize(buffered.new)?,
                self.deserialize(buffered.prior)?,
            ),
            timestamp: buffered.timestamp,
            headers: buffered.headers,
        })
    }

    /// Buffers `record` at `buffer_time` (a key already buffered keeps its
    /// time and prior value). Returns false, buffering nothing, when the key
    /// serializes to null.
    pub fn put(
        &mut self,
        buffer_time: i64,
        record: &Record<K, Change<V>>,
    ) -> Result<bool, StreamsError> {
        let Some(key) = self.codec.key_bytes(&record.key)? else {
            return Ok(false);
        };
        let prior = match self.inner.get(&key)? {
            Some(buffered) => {
                BufferedChange::decode(buffered)
                    .map_err(|detail| self.codec.corrupt(detail))?
                    .prior
            }
            None => self.serialize(record.value.old.as_ref())?,
        };
        let buffered = BufferedChange {
            timestamp: record.timestamp,
            prior,
            new: self.serialize(record.value.new.as_ref())?,
            headers: record.headers.clone(),
        };
        self.inner.put(buffer_time, &key, buffered.encode())?;
        Ok(true)
    }

    /// Removes the update with the smallest buffer time and returns it as the
    /// record to forward: the latest value as new, the prior value as old, the
    /// latest update's timestamp and headers.
    pub fn pop_oldest(&mut self) -> Result<Option<Record<K, Change<V>>>, StreamsError> {
        match self.inner.pop_oldest()? {
            Some(entry) => Ok(Some(self.decode(&entry.key, &entry.value)?)),
            None => Ok(None),
        }
    }

    /// The smallest buffer time, or `None` when nothing is buffered.
    pub fn min_buffer_time(&self) -> Option<i64> {
        self.inner.min_time()
    }

    /// Number of buffered updates (one per key).
    pub fn num_records(&self) -> usize {
        self.inner.len()
    }

    /// Bytes the buffered updates account for (keys, serialized updates and
    /// buffer times).
    pub fn size_bytes(&self) -> usize {
        self.inner.size_bytes()
    }

    /// Every buffered update with its buffer time, in buffer-time order, as
    /// [`pop_oldest`](Self::pop_oldest) would return them.
    pub fn entries(&self) -> Result<BufferedUpdates<K, V>, StreamsError> {
        self.inner
            .entries()?
            .into_iter()
            .map(|entry| Ok((entry.time, self.decode(&entry.key, &entry.value)?)))
            .collect()
    }

    /// Logs the keys changed since the last call to the changelog (once each:
    /// the buffered update, or a tombstone for a key that left the buffer).
    pub fn write_changelog(&mut self) -> Result<(), StreamsError> {
        Ok(self.inner.flush()?)
    }

    /// Rebuilds buffered updates from changelog records (key, value; `None` for
    /// a tombstone), as this store logged them.
    pub fn restore(&mut self, records: &[KeyValueUpdate]) -> Result<(), StreamsError> {
        Ok(self.inner.restore_batch(records)?)
    }
}

impl<K: 'static, V: 'static> ByteStoreFacade for SuppressionBuffer<K, V> {
    fn byte_store(&self) -> &dyn StateStore {
        &self.inner
    }

    fn byte_store_mut(&mut self) -> &mut dyn StateStore {
        &mut self.inner
    }

    fn restore_records(&mut self, records: &[KeyValueUpdate]) -> Result<(), StreamsError> {
        self.restore(records)
    }
}
