//! One partition's log: raw record batches in offset order, the high watermark, the
//! last stable offset, open and aborted transactions and idempotent producer state.

use crate::batch::{self, BatchHeader, Marker};
use crate::producer_state::{ProducerEntry, SequenceVerdict};
use crate::storage::PartitionFile;
use bytes::{Bytes, BytesMut};
use kafka_protocol::error::ResponseError;
use std::collections::{BTreeMap, HashMap};

/// A batch as stored: the original bytes (their base offset field is rewritten when
/// served) and the offsets and timestamp assigned to it.
#[derive(Debug, Clone)]
struct StoredBatch {
    base_offset: i64,
    last_offset: i64,
    max_timestamp: i64,
    bytes: Bytes,
}

/// A transaction aborted on this partition, as reported in read_committed fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbortedTxn {
    /// Producer id of the transaction.
    pub producer_id: i64,
    /// First offset the transaction wrote here.
    pub first_offset: i64,
    /// Offset of the abort marker.
    pub last_offset: i64,
}

/// The result of appending one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// Written at this base offset.
    At(i64),
    /// A retry of a batch already written at this base offset.
    Duplicate(i64),
}

/// Offsets a fetch or ListOffsets reports for a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watermarks {
    /// First offset still in the log.
    pub log_start: i64,
    /// Offset the next record will get.
    pub high: i64,
    /// First offset of the oldest open transaction, or the high watermark.
    pub last_stable: i64,
}

/// What a fetch read from the partition.
#[derive(Debug, Default)]
pub struct FetchedData {
    /// Whole batches with their base offsets, ready to send.
    pub records: BytesMut,
    /// Aborted transactions overlapping the returned range (read_committed only).
    pub aborted: Vec<AbortedTxn>,
}

/// One partition's log and transactional bookkeeping.
#[derive(Debug, Default)]
pub struct PartitionLog {
    batches: Vec<StoredBatch>,
    log_start: i64,
    next_offset: i64,
    producers: HashMap<i64, ProducerEntry>,
    /// Open transactions by first offset -> producer id.
    open_by_offset: BTreeMap<i64, i64>,
    /// Open transactions by producer id -> first offset.
    open_by_producer: HashMap<i64, i64>,
    aborted: Vec<AbortedTxn>,
    file: Option<PartitionFile>,
}

impl PartitionLog {
    /// An empty log, persisted to `file` when given.
    pub fn new(file: Option<PartitionFile>) -> Self {
        Self {
            file,
            ..Self::default()
        }
    }

    /// Persists further appends to `file` (after replay).
    pub fn attach_file(&mut self, file: PartitionFile) {
        self.file = Some(file);
    }

    /// Log start, high watermark and last stable offset (never below the log start,
    /// as in Kafka, even when DeleteRecords passed an open transaction's first offset).
    pub fn watermarks(&self) -> Watermarks {
        Watermarks {
            log_start: self.log_start,
            high: self.next_offset,
            last_stable: self
                .open_by_offset
                .keys()
                .next()
                .map_or(self.next_offset, |first| (*first).max(self.log_start)),
        }
    }

    /// Validates and appends one batch from a producer.
    pub fn append(
        &mut self,
        header: &BatchHeader,
        bytes: Bytes,
    ) -> Result<Appended, ResponseError> {
        if header.control {
            return Err(ResponseError::InvalidRecord);
        }
        if header.producer_id >= 0 {
            match ProducerEntry::check(self.producers.get(&header.producer_id), header) {
                SequenceVerdict::Append => {}
                SequenceVerdict::Duplicate(offset) => return Ok(Appended::Duplicate(offset)),
                SequenceVerdict::Reject(error) => return Err(error),
            }
        }
        let base = self.write(header, bytes)?;
        Ok(Appended::At(base))
    }

    /// Writes a transaction marker for `producer_id` and closes its transaction here.
    pub fn write_marker(
        &mut self,
        marker: Marker,
        producer_id: i64,
        producer_epoch: i16,
        timestamp: i64,
    ) -> Result<(), ResponseError> {
        let bytes = batch::control_batch(marker, producer_id, producer_epoch, 0, timestamp);
        let header = batch::parse_header(&bytes);
        self.write(&header, bytes)?;
        Ok(())
    }

    fn write(&mut self, header: &BatchHeader, bytes: Bytes) -> Result<i64, ResponseError> {
        let base = self.next_offset;
        if let Some(file) = &mut self.file {
            file.append(&bytes, base).map_err(|error| {
                tracing::error!(%error, "cannot persist a record batch");
                ResponseError::KafkaStorageError
            })?;
        }
        self.index(header, bytes, base);
        Ok(base)
    }

    /// Adds a batch at `base` to the in-memory state (also used on replay).
    pub fn index(&mut self, header: &BatchHeader, bytes: Bytes, base: i64) {
        let last = base + header.offset_count - 1;
        if header.producer_id >= 0 {
            self.producers
                .entry(header.producer_id)
                .or_default()
                .record(header, base);
        }
        if header.transactional {
            if header.control {
                if let Some(first) = self.open_by_producer.remove(&header.producer_id) {
                    self.open_by_offset.remove(&first);
                    if control_marker(&bytes) == Some(Marker::Abort) {
                        self.aborted.push(AbortedTxn {
                            producer_id: header.producer_id,
                            first_offset: first,
                            last_offset: base,
                        });
                    }
                }
            } else if let std::collections::hash_map::Entry::Vacant(open) =
                self.open_by_producer.entry(header.producer_id)
            {
                open.insert(base);
                self.open_by_offset.insert(base, header.producer_id);
            }
        }
        self.batches.push(StoredBatch {
            base_offset: base,
            last_offset: last,
            max_timestamp: header.max_timestamp,
            bytes,
        });
        self.next_offset = last + 1;
    }

    /// Reads whole batches from `offset` up to `upper` (exclusive), at most
    /// `max_bytes` unless the first batch alone is larger and `must_return_one`.
    pub fn read(
        &self,
        offset: i64,
        upper: i64,
        max_bytes: usize,
        must_return_one: bool,
        with_aborted: bool,
    ) -> Result<FetchedData, ResponseError> {
        if offset < self.log_start || offset > self.next_offset {
            return Err(ResponseError::OffsetOutOfRange);
        }
        let mut data = FetchedData::default();
        let first = self.batches.partition_point(|b| b.last_offset < offset);
        let mut end_offset = offset;
        for stored in &self.batches[first..] {
            if stored.base_offset >= upper {
                break;
            }
            let fits = data.records.len() + stored.bytes.len() <= max_bytes;
            let first_of_response = must_return_one && data.records.is_empty();
            if !fits && !first_of_response {
                break;
            }
            batch::put_with_base_offset(&mut data.records, &stored.bytes, stored.base_offset);
            end_offset = stored.last_offset + 1;
        }
        if with_aborted && end_offset > offset {
            data.aborted = self
                .aborted
                .iter()
                .filter(|a| a.last_offset >= offset && a.first_offset < end_offset)
                .copied()
                .collect();
        }
        Ok(data)
    }

    /// The first offset whose record timestamp is at least `timestamp`, with that
    /// record's timestamp; None when no record is that recent.
    pub fn offset_for_timestamp(&self, timestamp: i64) -> Option<(i64, i64)> {
        self.batches
            .iter()
            .find(|b| b.max_timestamp >= timestamp && !batch::parse_header(&b.bytes).control)
            .map(|b| batch::first_offset_at_or_after(&b.bytes, b.base_offset, timestamp))
    }

    /// The offset and timestamp of the record with the largest timestamp.
    pub fn max_timestamp_offset(&self) -> Option<(i64, i64)> {
        self.batches
            .iter()
            .filter(|b| !batch::parse_header(&b.bytes).control)
            .max_by_key(|b| b.max_timestamp)
            .map(|b| (b.last_offset, b.max_timestamp))
    }

    /// Moves the log start to `offset` (DeleteRecords), dropping whole batches below it.
    pub fn delete_before(&mut self, offset: i64) -> Result<i64, ResponseError> {
        let target = if offset == -1 {
            self.next_offset
        } else {
            offset
        };
        if target < 0 || target > self.next_offset {
            return Err(ResponseError::OffsetOutOfRange);
        }
        if target > self.log_start {
            if let Some(file) = &mut self.file {
                file.set_log_start(target).map_err(|error| {
                    tracing::error!(%error, "cannot persist the log start offset");
                    ResponseError::KafkaStorageError
                })?;
            }
            self.apply_log_start(target);
        }
        Ok(self.log_start)
    }

    /// Applies a log start offset (also used on replay).
    pub fn apply_log_start(&mut self, offset: i64) {
        self.log_start = self.log_start.max(offset);
        let keep_from = self
            .batches
            .partition_point(|b| b.last_offset < self.log_start);
        self.batches.drain(..keep_from);
        self.aborted.retain(|a| a.last_offset >= offset);
    }

    /// Whether `producer_id` has an open transaction on this partition.
    pub fn has_open_transaction(&self, producer_id: i64) -> bool {
        self.open_by_producer.contains_key(&producer_id)
    }

    /// The epoch this partition last saw from `producer_id`.
    pub fn producer_epoch(&self, producer_id: i64) -> Option<i16> {
        self.producers.get(&producer_id).map(ProducerEntry::epoch)
    }

    /// Highest producer id that wrote here (to resume id allocation after replay).
    pub fn max_producer_id(&self) -> Option<i64> {
        self.producers.keys().max().copied()
    }

    /// Deletes the partition's files.
    pub fn remove_files(&mut self) {
        if let Some(file) = self.file.take() {
            file.remove();
        }
    }
}

/// The marker type of a control batch, read from its single record's key.
fn control_marker(batch_bytes: &[u8]) -> Option<Marker> {
    let key = batch::first_record_key(batch_bytes)?;
    match key.get(2..4) {
        Some([0, 0]) => Some(Marker::Abort),
        Some([0, 1]) => Some(Marker::Commit),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{control_batch, parse_header};

    /// A one-record batch from `producer_id` (transactional when asked); control
    /// batches are the only batches the tests can build without a record encoder,
    /// so data batches are control batches with the control bit cleared.
    fn data_batch(producer_id: i64, transactional: bool) -> (BatchHeader, Bytes) {
        let bytes = control_batch(Marker::Commit, producer_id, 0, 0, 10);
        let mut header = parse_header(&bytes);
        header.control = false;
        header.transactional = transactional;
        header.base_sequence = 0;
        (header, bytes)
    }

    #[test]
    fn reads_return_whole_batches_within_the_byte_limits() {
        let mut log = PartitionLog::new(None);
        for _ in 0..3 {
            let (header, bytes) = data_batch(-1, false);
            log.append(&header, bytes).expect("append");
        }
        let batch_len = data_batch(-1, false).1.len();
        let all = log.read(0, 3, usize::MAX, true, false).expect("read");
        assert_eq!(all.records.len(), 3 * batch_len);
        let two = log
            .read(1, 3, 2 * batch_len + 1, true, false)
            .expect("read");
        assert_eq!(two.records.len(), 2 * batch_len);
        assert_eq!(
            i64::from_be_bytes(two.records[..8].try_into().expect("offset")),
            1
        );
        let oversized = log.read(0, 3, 1, true, false).expect("read");
        assert_eq!(
            oversized.records.len(),
            batch_len,
            "one batch even if over the limit"
        );
        assert!(
            log.read(0, 3, 1, false, false)
                .expect("read")
                .records
                .is_empty()
        );
        assert_eq!(
            log.read(4, 3, 100, true, false).unwrap_err(),
            ResponseError::OffsetOutOfRange
        );
        assert!(
            log.read(3, 3, 100, true, false)
                .expect("at end")
                .records
                .is_empty()
        );
    }

    #[test]
    fn open_transactions_hold_the_last_stable_offset_and_aborts_are_indexed() {
        let mut log = PartitionLog::new(None);
        let (plain, plain_bytes) = data_batch(-1, false);
        log.append(&plain, plain_bytes).expect("append");
        let (txn, txn_bytes) = data_batch(7, true);
        log.append(&txn, txn_bytes).expect("append");
        let (later, later_bytes) = data_batch(-1, false);
        log.append(&later, later_bytes).expect("append");
        assert_eq!(
            log.watermarks(),
            Watermarks {
                log_start: 0,
                high: 3,
                last_stable: 1
            }
        );
        log.write_marker(Marker::Abort, 7, 0, 20).expect("marker");
        assert_eq!(log.watermarks().last_stable, 4);
        let read = log.read(0, 4, usize::MAX, true, true).expect("read");
        assert_eq!(
            read.aborted,
            vec![AbortedTxn {
                producer_id: 7,
                first_offset: 1,
                last_offset: 3
            }]
        );
        assert!(
            log.read(4, 4, usize::MAX, true, true)
                .expect("read")
                .aborted
                .is_empty()
        );
    }

    #[test]
    fn the_last_stable_offset_does_not_fall_below_the_log_start() {
        let mut log = PartitionLog::new(None);
        let (txn, txn_bytes) = data_batch(7, true);
        log.append(&txn, txn_bytes).expect("append");
        let (plain, plain_bytes) = data_batch(-1, false);
        log.append(&plain, plain_bytes).expect("append");
        assert_eq!(log.watermarks().last_stable, 0);
        assert_eq!(log.delete_before(1), Ok(1));
        assert_eq!(log.watermarks().last_stable, 1);
    }

    #[test]
    fn delete_before_moves_the_log_start_and_drops_old_batches() {
        let mut log = PartitionLog::new(None);
        for _ in 0..4 {
            let (header, bytes) = data_batch(-1, false);
            log.append(&header, bytes).expect("append");
        }
        assert_eq!(log.delete_before(2), Ok(2));
        assert_eq!(log.watermarks().log_start, 2);
        assert_eq!(
            log.read(1, 4, 100, true, false).unwrap_err(),
            ResponseError::OffsetOutOfRange
        );
        assert_eq!(log.delete_before(9), Err(ResponseError::OffsetOutOfRange));
        assert_eq!(log.delete_before(-1), Ok(4));
    }
}
