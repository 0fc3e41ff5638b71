//! Per-partition idempotent producer state: the epoch and sequence numbers each
//! producer id has written, used to reject gaps and to acknowledge retried
//! (duplicate) batches with their original offsets.

use crate::batch::BatchHeader;
use kafka_protocol::error::ResponseError;
use std::collections::VecDeque;

/// How many recent batches per producer are remembered for duplicate detection
/// (Kafka keeps five, matching `max.in.flight.requests.per.connection`).
const RECENT_BATCHES: usize = 5;

/// One remembered batch: its sequence range and where it was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct WrittenBatch {
    first_sequence: i32,
    last_sequence: i32,
    base_offset: i64,
}

/// What one producer id has written to a partition.
#[derive(Debug, Clone, Default)]
pub struct ProducerEntry {
    epoch: i16,
    recent: VecDeque<WrittenBatch>,
}

/// The verdict on a batch from an idempotent producer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceVerdict {
    /// Append the batch.
    Append,
    /// The batch was already written at this base offset: acknowledge, do not append.
    Duplicate(i64),
    /// Refuse the batch with this error.
    Reject(ResponseError),
}

impl ProducerEntry {
    /// The producer epoch last written.
    pub fn epoch(&self) -> i16 {
        self.epoch
    }

    fn last_sequence(&self) -> Option<i32> {
        self.recent.back().map(|b| b.last_sequence)
    }

    /// Checks a batch against this producer's state (None: producer unknown here).
    pub fn check(entry: Option<&ProducerEntry>, batch: &BatchHeader) -> SequenceVerdict {
        let first = batch.base_sequence;
        let Some(entry) = entry else {
            // Kafka accepts any sequence from a producer it has no state for (its
            // records may all have been deleted): the producer continues where it was.
            return SequenceVerdict::Append;
        };
        if batch.producer_epoch < entry.epoch {
            return SequenceVerdict::Reject(ResponseError::InvalidProducerEpoch);
        }
        if batch.control {
            return SequenceVerdict::Append;
        }
        if batch.producer_epoch > entry.epoch {
            return if first == 0 {
                SequenceVerdict::Append
            } else {
                SequenceVerdict::Reject(ResponseError::OutOfOrderSequenceNumber)
            };
        }
        let last = batch.last_sequence();
        if let Some(written) = entry
            .recent
            .iter()
            .find(|b| b.first_sequence == first && b.last_sequence == last)
        {
            return SequenceVerdict::Duplicate(written.base_offset);
        }
        let expected = match entry.last_sequence() {
            Some(i32::MAX) => 0,
            Some(previous) => previous + 1,
            None => 0,
        };
        if first == expected {
            SequenceVerdict::Append
        } else {
            SequenceVerdict::Reject(ResponseError::OutOfOrderSequenceNumber)
        }
    }

    /// Records an appended batch.
    pub fn record(&mut self, batch: &BatchHeader, base_offset: i64) {
        if batch.producer_epoch != self.epoch {
            self.epoch = batch.producer_epoch;
            self.recent.clear();
        }
        if batch.control || batch.base_sequence < 0 {
            return;
        }
        if self.recent.len() == RECENT_BATCHES {
            self.recent.pop_front();
        }
        self.recent.push_back(WrittenBatch {
            first_sequence: batch.base_sequence,
            last_sequence: batch.last_sequence(),
            base_offset,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(epoch: i16, base_sequence: i32, count: i64) -> BatchHeader {
        BatchHeader {
            offset_count: count,
            max_timestamp: 0,
            base_timestamp: 0,
            producer_id: 7,
            producer_epoch: epoch,
            base_sequence,
            transactional: false,
            control: false,
        }
    }

    #[test]
    fn sequences_must_follow_on_and_duplicates_return_their_offset() {
        let first = header(0, 0, 3);
        assert_eq!(ProducerEntry::check(None, &first), SequenceVerdict::Append);
        let mut entry = ProducerEntry::default();
        entry.record(&first, 100);
        assert_eq!(
            ProducerEntry::check(Some(&entry), &first),
            SequenceVerdict::Duplicate(100)
        );
        assert_eq!(
            ProducerEntry::check(Some(&entry), &header(0, 4, 1)),
            SequenceVerdict::Reject(ResponseError::OutOfOrderSequenceNumber)
        );
        assert_eq!(
            ProducerEntry::check(Some(&entry), &header(0, 3, 1)),
            SequenceVerdict::Append
        );
    }

    #[test]
    fn a_producer_without_state_here_may_continue_at_any_sequence() {
        assert_eq!(
            ProducerEntry::check(None, &header(0, 42, 1)),
            SequenceVerdict::Append
        );
    }

    #[test]
    fn old_epochs_are_fenced_and_new_epochs_restart_at_zero() {
        let mut entry = ProducerEntry::default();
        entry.record(&header(2, 0, 1), 0);
        assert_eq!(
            ProducerEntry::check(Some(&entry), &header(1, 1, 1)),
            SequenceVerdict::Reject(ResponseError::InvalidProducerEpoch)
        );
        assert_eq!(
            ProducerEntry::check(Some(&entry), &header(3, 5, 1)),
            SequenceVerdict::Reject(ResponseError::OutOfOrderSequenceNumber)
        );
        assert_eq!(
            ProducerEntry::check(Some(&entry), &header(3, 0, 1)),
            SequenceVerdict::Append
        );
    }
}
