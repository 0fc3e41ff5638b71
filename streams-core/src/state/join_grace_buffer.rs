//! The typed grace-period buffer of a stream-table join (KIP-923): stream
//! records held back until stream time has passed their timestamp by the
//! grace period, so the versioned table has seen what was valid at their time.
//! Every record is kept (keys repeat), ordered by timestamp and, among equal
//! timestamps, by arrival; logged to the store's changelog.

use super::ByteStoreFacade;
use super::buffered_change::BufferedChange;
use super::codec::StoreCodec;
use crate::error::StreamsError;
use crate::record::Record;
use streams_state::{InMemoryTimeOrderedBuffer, KeyValueUpdate, StateStore};

/// Bytes of the arrival sequence number in front of each buffered key.
const SEQUENCE_BYTES: usize = 8;

/// Stream records waiting for a stream-table join, one entry per record.
///
/// Reached from a processor with
/// `ctx.state_store::<JoinGraceBuffer<K, V>>("name")`. Entries are keyed by an
/// arrival sequence number followed by the record's key, so equal keys do not
/// replace each other and equal timestamps leave in arrival order.
pub struct JoinGraceBuffer<K, V> {
    codec: StoreCodec<K, V>,
    inner: InMemoryTimeOrderedBuffer,
    /// The next arrival number; `None` until the first put after opening or
    /// restoring, which continues after the largest buffered one.
    next_sequence: Option<u64>,
}

impl<K: 'static, V: 'static> JoinGraceBuffer<K, V> {
    pub(crate) fn new(codec: StoreCodec<K, V>, inner: InMemoryTimeOrderedBuffer) -> Self {
        Self {
            codec,
            inner,
            next_sequence: None,
        }
    }

    /// The store's name.
    pub fn name(&self) -> &str {
        &self.codec.store
    }

    fn sequence_after_buffered(&self) -> Result<u64, StreamsError> {
        let mut next = 0;
        for entry in self.inner.entries()? {
            if let Some(bytes) = entry.key.get(..SEQUENCE_BYTES) {
                let mut sequence = [0; SEQUENCE_BYTES];
                sequence.copy_from_slice(bytes);
                next = next.max(u64::from_be_bytes(sequence).saturating_add(1));
            }
        }
        Ok(next)
    }

    /// Buffers `record` at its timestamp. Returns false, buffering nothing,
    /// when its key serializes to null.
    pub fn put(&mut self, record: &Record<K, V>) -> Result<bool, StreamsError> {
        let Some(key) = self.codec.key_bytes(&record.key)? else {
            return Ok(false);
        };
        let sequence = match self.next_sequence {
            Some(sequence) => sequence,
            None => self.sequence_after_buffered()?,
        };
        self.next_sequence = Some(sequence.wrapping_add(1));
        let mut entry_key = Vec::with_capacity(SEQUENCE_BYTES + key.len());
        entry_key.extend_from_slice(&sequence.to_be_bytes());
        entry_key.extend_from_slice(&key);
        let buffered = BufferedChange {
            timestamp: record.timestamp,
            prior: None,
            new: Some(self.codec.encode_value(&record.value)?),
            headers: record.headers.clone(),
        };
        self.inner
            .put(record.timestamp, &entry_key, buffered.encode())?;
        Ok(true)
    }

    /// Removes and returns the oldest record if its timestamp is at most
    /// `deadline`.
    pub fn pop_due(&mut self, deadline: i64) -> Result<Option<Record<K, V>>, StreamsError> {
        if self.inner.min_time().is_none_or(|oldest| oldest > deadline) {
            return Ok(None);
        }
        let Some(entry) = self.inner.pop_oldest()? else {
            return Ok(None);
        };
        let key = entry.key.get(SEQUENCE_BYTES..).ok_or_else(|| {
            self.codec
                .corrupt("a buffered key is shorter than its sequence number".into())
        })?;
        let buffered =
            BufferedChange::decode(&entry.value).map_err(|detail| self.codec.corrupt(detail))?;
        let value = buffered.new.ok_or_else(|| {
            self.codec
                .corrupt("a buffered stream record has no value".into())
        })?;
        Ok(Some(Record {
            key: self.codec.decode_key(key)?,
            value: self.codec.decode_value(&value)?,
            timestamp: buffered.timestamp,
            headers: buffered.headers,
        }))
    }

    /// Number of buffered records.
    pub fn num_records(&self) -> usize {
        self.inner.len()
    }

    /// Logs the entries changed since the last call to the changelog.
    pub fn write_changelog(&mut self) -> Result<(), StreamsError> {
        Ok(self.inner.flush()?)
    }
}

impl<K: 'static, V: 'static> ByteStoreFacade for JoinGraceBuffer<K, V> {
    fn byte_store(&self) -> &dyn StateStore {
        &self.inner
    }

    fn byte_store_mut(&mut self) -> &mut dyn StateStore {
        &mut self.inner
    }

    fn restore_records(&mut self, records: &[KeyValueUpdate]) -> Result<(), StreamsError> {
        self.next_sequence = None;
        Ok(self.inner.restore_batch(records)?)
    }
}
