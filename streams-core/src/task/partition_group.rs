//! The input buffer of a task: one queue per input partition, drained in timestamp
//! order across partitions so that stream time advances as evenly as it can.

use crate::processor::UNKNOWN_PARTITION_TIME;
use crate::record::ConsumedRecord;
use std::collections::VecDeque;
use std::sync::Arc;

/// Buffered input of one task.
#[derive(Default)]
pub(crate) struct PartitionGroup {
    queues: Vec<PartitionQueue>,
    buffered: usize,
}

struct PartitionQueue {
    topic: Arc<str>,
    partition: i32,
    records: VecDeque<ConsumedRecord>,
    /// Offset of the last record taken out for processing.
    last_taken: Option<i64>,
    /// The largest timestamp of the records buffered so far.
    partition_time: i64,
}

impl PartitionQueue {
    /// Whether this queue's partition is one of `partitions`.
    fn is_in(&self, partitions: &[(Arc<str>, i32)]) -> bool {
        partitions
            .iter()
            .any(|(topic, partition)| *partition == self.partition && *topic == self.topic)
    }
}

impl PartitionGroup {
    /// The partition time of a partition: the largest timestamp buffered so
    /// far ([`UNKNOWN_PARTITION_TIME`] before the first).
    pub(crate) fn partition_time(&self, topic: &str, partition: i32) -> i64 {
        self.queues
            .iter()
            .find(|q| q.partition == partition && &*q.topic == topic)
            .map_or(UNKNOWN_PARTITION_TIME, |q| q.partition_time)
    }

    /// Appends a record (its timestamp already extracted) to its partition's
    /// queue.
    pub(crate) fn push(&mut self, record: ConsumedRecord) {
        let metadata = &record.metadata;
        let position = self
            .queues
            .iter()
            .position(|q| q.partition == metadata.partition && q.topic == metadata.topic);
        let queue = match position {
            Some(position) => &mut self.queues[position],
            None => {
                self.queues.push(PartitionQueue {
                    topic: metadata.topic.clone(),
                    partition: metadata.partition,
                    records: VecDeque::new(),
                    last_taken: None,
                    partition_time: UNKNOWN_PARTITION_TIME,
                });
                let last = self.queues.len() - 1;
                &mut self.queues[last]
            }
        };
        queue.partition_time = queue.partition_time.max(record.timestamp);
        queue.records.push_back(record);
        self.buffered += 1;
    }

    /// Removes the head record with the smallest timestamp (the first partition
    /// wins ties, so the order is deterministic).
    #[cfg(test)]
    pub(crate) fn pop_next(&mut self) -> Option<ConsumedRecord> {
        self.pop_next_outside(&[])
    }

    /// Like `pop_next`, skipping the partitions in `stopped`.
    pub(crate) fn pop_next_outside(
        &mut self,
        stopped: &[(Arc<str>, i32)],
    ) -> Option<ConsumedRecord> {
        let queue = self
            .queues
            .iter_mut()
            .filter(|q| !q.records.is_empty() && !q.is_in(stopped))
            .min_by_key(|q| q.records.front().map(|r| r.timestamp))?;
        let record = queue.records.pop_front()?;
        queue.last_taken = Some(record.metadata.offset);
        self.buffered -= 1;
        Some(record)
    }

    /// Records buffered for one partition.
    pub(crate) fn buffered_in(&self, topic: &str, partition: i32) -> usize {
        self.queues
            .iter()
            .find(|q| q.partition == partition && &*q.topic == topic)
            .map_or(0, |q| q.records.len())
    }

    /// For each partition a record was taken from: the offset to resume from
    /// (the last taken offset + 1), as a consumer commits it.
    pub(crate) fn next_offsets(&self) -> impl Iterator<Item = (&Arc<str>, i32, i64)> {
        self.queues
            .iter()
            .filter_map(|q| q.last_taken.map(|o| (&q.topic, q.partition, o + 1)))
    }

    /// Whether a partition not in `stopped` has a record buffered.
    pub(crate) fn has_next_outside(&self, stopped: &[(Arc<str>, i32)]) -> bool {
        self.queues
            .iter()
            .any(|q| !q.records.is_empty() && !q.is_in(stopped))
    }

    /// Records buffered across all partitions.
    pub(crate) fn buffered(&self) -> usize {
        self.buffered
    }

    /// Drops every buffered record (they will be fetched again).
    pub(crate) fn clear(&mut self) {
        for queue in &mut self.queues {
            queue.records.clear();
        }
        self.buffered = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Headers, RecordMetadata};

    fn record(topic: &str, partition: i32, offset: i64, timestamp: i64) -> ConsumedRecord {
        ConsumedRecord {
            metadata: RecordMetadata {
                topic: topic.into(),
                partition,
                offset,
            },
            timestamp,
            key: None,
            value: None,
            headers: Headers::new(),
        }
    }

    #[test]
    fn drains_by_smallest_head_timestamp_keeping_partition_order() {
        let mut group = PartitionGroup::default();
        group.push(record("a", 0, 0, 30));
        group.push(record("a", 0, 1, 10));
        group.push(record("b", 0, 0, 20));
        assert_eq!(group.buffered(), 3);
        assert_eq!(group.buffered_in("a", 0), 2);
        assert_eq!(group.buffered_in("a", 1), 0);
        assert_eq!(group.partition_time("a", 0), 30);
        assert_eq!(group.partition_time("a", 1), UNKNOWN_PARTITION_TIME);
        assert_eq!(group.next_offsets().count(), 0);
        let order: Vec<(String, i64)> = std::iter::from_fn(|| group.pop_next())
            .map(|r| (r.metadata.topic.to_string(), r.metadata.offset))
            .collect();
        // Within a partition, offset order is kept even when timestamps go backwards.
        assert_eq!(order, [("b".into(), 0), ("a".into(), 0), ("a".into(), 1)]);
        assert_eq!(group.buffered(), 0);
        let mut next: Vec<(String, i32, i64)> = group
            .next_offsets()
            .map(|(t, p, o)| (t.to_string(), p, o))
            .collect();
        next.sort();
        assert_eq!(next, [("a".into(), 0, 2), ("b".into(), 0, 1)]);
    }

    #[test]
    fn stopped_partitions_are_skipped_and_the_others_drain() {
        let mut group = PartitionGroup::default();
        group.push(record("retry", 0, 0, 1));
        group.push(record("in", 0, 0, 5));
        group.push(record("in", 0, 1, 6));
        let stopped = [(Arc::from("retry"), 0)];
        let order: Vec<(String, i64)> = std::iter::from_fn(|| group.pop_next_outside(&stopped))
            .map(|r| (r.metadata.topic.to_string(), r.metadata.offset))
            .collect();
        assert_eq!(order, [("in".into(), 0), ("in".into(), 1)]);
        assert!(
            !group.has_next_outside(&stopped),
            "only the stopped one is left"
        );
        assert!(group.has_next_outside(&[]));
        assert_eq!(group.buffered_in("retry", 0), 1);
        assert_eq!(group.pop_next().map(|r| r.timestamp), Some(1));
    }

    #[test]
    fn clearing_drops_buffered_records_and_keeps_the_offsets_to_resume_from() {
        let mut group = PartitionGroup::default();
        group.push(record("a", 0, 0, 10));
        group.push(record("a", 0, 1, 20));
        assert!(group.pop_next().is_some());
        group.clear();
        assert_eq!(group.buffered(), 0);
        assert_eq!(group.buffered_in("a", 0), 0);
        assert!(group.pop_next().is_none());
        let next: Vec<i64> = group.next_offsets().map(|(_, _, o)| o).collect();
        assert_eq!(next, [1]);
    }
}
