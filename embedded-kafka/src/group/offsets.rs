//! The offsets of one group: committed offsets per partition, and offsets staged
//! by transactional producers (TxnOffsetCommit) that become committed only when
//! their transaction commits.

use std::collections::{BTreeMap, HashMap};

/// A topic partition, ordered by topic then partition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    /// The topic name.
    pub topic: String,
    /// The partition index.
    pub partition: i32,
}

impl TopicPartition {
    /// The partition `partition` of `topic`.
    pub fn new(topic: impl Into<String>, partition: i32) -> TopicPartition {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }
}

/// An offset committed for a partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedOffset {
    /// The next offset the group will consume.
    pub offset: i64,
    /// The leader epoch of the last consumed record, or -1.
    pub leader_epoch: i32,
    /// Client metadata stored with the offset.
    pub metadata: String,
}

/// An offset with the order in which it was written, so that when a transaction
/// completes its offsets replace only older commits (as Kafka's log order decides).
#[derive(Debug, Clone)]
struct SequencedOffset {
    sequence: u64,
    offset: CommittedOffset,
}

/// Committed and pending transactional offsets of one group.
#[derive(Debug, Default)]
pub(crate) struct GroupOffsets {
    committed: BTreeMap<TopicPartition, SequencedOffset>,
    /// Producer id to the offsets its open transaction staged.
    pending: HashMap<i64, BTreeMap<TopicPartition, SequencedOffset>>,
    next_sequence: u64,
}

impl GroupOffsets {
    fn next_sequence(&mut self) -> u64 {
        self.next_sequence += 1;
        self.next_sequence
    }

    /// Commits `offset` for `partition`.
    pub(crate) fn commit(&mut self, partition: TopicPartition, offset: CommittedOffset) {
        let sequence = self.next_sequence();
        self.committed
            .insert(partition, SequencedOffset { sequence, offset });
    }

    /// The committed offset of `partition`.
    pub(crate) fn committed(&self, partition: &TopicPartition) -> Option<&CommittedOffset> {
        self.committed.get(partition).map(|o| &o.offset)
    }

    /// Every committed offset, ordered by topic and partition.
    pub(crate) fn all_committed(
        &self,
    ) -> impl Iterator<Item = (&TopicPartition, &CommittedOffset)> {
        self.committed.iter().map(|(tp, o)| (tp, &o.offset))
    }

    /// Stages `offset` for `partition` in the open transaction of `producer_id`.
    pub(crate) fn stage(
        &mut self,
        producer_id: i64,
        partition: TopicPartition,
        offset: CommittedOffset,
    ) {
        let sequence = self.next_sequence();
        self.pending
            .entry(producer_id)
            .or_default()
            .insert(partition, SequencedOffset { sequence, offset });
    }

    /// Whether an open transaction staged an offset for `partition`.
    pub(crate) fn has_pending(&self, partition: &TopicPartition) -> bool {
        self.pending
            .values()
            .any(|staged| staged.contains_key(partition))
    }

    /// Ends the transaction of `producer_id`: on commit its staged offsets replace
    /// older committed ones, on abort they are dropped. Returns the offsets that
    /// became committed.
    pub(crate) fn complete_transaction(
        &mut self,
        producer_id: i64,
        committed: bool,
    ) -> Vec<(TopicPartition, CommittedOffset)> {
        let Some(staged) = self.pending.remove(&producer_id) else {
            return Vec::new();
        };
        if !committed {
            return Vec::new();
        }
        let mut applied = Vec::new();
        for (partition, staged) in staged {
            let newer = self
                .committed
                .get(&partition)
                .is_none_or(|current| current.sequence < staged.sequence);
            if newer {
                applied.push((partition.clone(), staged.offset.clone()));
                self.committed.insert(partition, staged);
            }
        }
        applied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(offset: i64) -> CommittedOffset {
        CommittedOffset {
            offset,
            leader_epoch: -1,
            metadata: String::new(),
        }
    }

    #[test]
    fn staged_offsets_are_invisible_until_the_transaction_commits() {
        let tp = TopicPartition::new("t", 0);
        let mut offsets = GroupOffsets::default();
        offsets.commit(tp.clone(), at(5));
        offsets.stage(7, tp.clone(), at(9));
        assert_eq!(offsets.committed(&tp), Some(&at(5)));
        assert!(offsets.has_pending(&tp));
        assert_eq!(
            offsets.complete_transaction(7, true),
            vec![(tp.clone(), at(9))]
        );
        assert_eq!(offsets.committed(&tp), Some(&at(9)));
        assert!(!offsets.has_pending(&tp));
    }

    #[test]
    fn aborted_offsets_are_dropped() {
        let tp = TopicPartition::new("t", 1);
        let mut offsets = GroupOffsets::default();
        offsets.stage(7, tp.clone(), at(9));
        assert!(offsets.complete_transaction(7, false).is_empty());
        assert_eq!(offsets.committed(&tp), None);
        assert!(!offsets.has_pending(&tp));
        assert_eq!(offsets.all_committed().count(), 0);
    }

    #[test]
    fn a_commit_written_after_the_staged_offset_wins() {
        let tp = TopicPartition::new("t", 2);
        let mut offsets = GroupOffsets::default();
        offsets.stage(7, tp.clone(), at(9));
        offsets.commit(tp.clone(), at(12));
        assert!(offsets.complete_transaction(7, true).is_empty());
        assert_eq!(offsets.committed(&tp), Some(&at(12)));
    }
}
