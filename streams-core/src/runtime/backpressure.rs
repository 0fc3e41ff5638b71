//! Backpressure on the group consumer. A poll round stops at the first
//! partition whose task buffer reaches `buffered.records.per.partition`; the
//! rest stays in the consumer's queue. librdkafka drops what it prefetched for
//! a partition when the partition is paused, so pausing one that is about to
//! drain only costs refetching: only a partition still full one round later
//! (its task is not draining it, e.g. it waits for another input) is paused,
//! and resumed once its buffer is half empty.

use std::collections::HashSet;
use streams_state::TopicPartition;

/// Which partitions filled up and which are paused for it.
#[derive(Debug, Default)]
pub(crate) struct Backpressure {
    bound: usize,
    /// Partitions whose buffer reached the bound in the last poll round.
    filled: HashSet<TopicPartition>,
    /// Partitions paused because their buffer stayed full.
    paused: HashSet<TopicPartition>,
}

impl Backpressure {
    /// Backpressure at `bound` buffered records per partition.
    pub(crate) fn new(bound: usize) -> Self {
        Self {
            bound,
            ..Self::default()
        }
    }

    /// Whether a partition with `buffered` records is full.
    pub(crate) fn is_full(&self, buffered: usize) -> bool {
        buffered >= self.bound
    }

    /// Notes that a partition's buffer is full (the poll round stops).
    pub(crate) fn filled(&mut self, partition: TopicPartition) {
        self.filled.insert(partition);
    }

    /// The partitions that filled up last round and are still full now
    /// (`buffered` tells a partition's current count): they are to be paused.
    pub(crate) fn still_full(
        &mut self,
        buffered: impl Fn(&TopicPartition) -> usize,
    ) -> Vec<TopicPartition> {
        let mut full: Vec<TopicPartition> = std::mem::take(&mut self.filled)
            .into_iter()
            .filter(|partition| {
                !self.paused.contains(partition) && buffered(partition) >= self.bound
            })
            .collect();
        full.sort();
        full
    }

    /// Records that `partitions` were paused.
    pub(crate) fn paused(&mut self, partitions: Vec<TopicPartition>) {
        self.paused.extend(partitions);
    }

    /// The paused partitions whose buffer drained to half the bound or less:
    /// they are to be resumed (and are no longer counted as paused).
    pub(crate) fn drained(
        &mut self,
        buffered: impl Fn(&TopicPartition) -> usize,
    ) -> Vec<TopicPartition> {
        let resume_below = self.bound / 2 + 1;
        let mut drained: Vec<TopicPartition> = self
            .paused
            .iter()
            .filter(|partition| buffered(partition) < resume_below)
            .cloned()
            .collect();
        for partition in &drained {
            self.paused.remove(partition);
        }
        drained.sort();
        drained
    }

    /// Forgets everything (the partitions were revoked or their tasks lost);
    /// returns the partitions it had paused.
    pub(crate) fn clear(&mut self) -> Vec<TopicPartition> {
        self.filled.clear();
        self.paused.drain().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn only_a_partition_full_in_two_rounds_is_paused_and_it_resumes_at_half() {
        let a = TopicPartition::new("in", 0);
        let b = TopicPartition::new("in", 1);
        let mut backpressure = Backpressure::new(10);
        assert!(backpressure.is_full(10) && !backpressure.is_full(9));
        let mut buffered = HashMap::from([(a.clone(), 10), (b.clone(), 10)]);
        backpressure.filled(a.clone());
        backpressure.filled(b.clone());
        // By the next round, b's task drained it; a's did not.
        buffered.insert(b.clone(), 3);
        let full = backpressure.still_full(|p| buffered[p]);
        assert_eq!(full, std::slice::from_ref(&a));
        backpressure.paused(full);
        assert!(
            backpressure.still_full(|p| buffered[p]).is_empty(),
            "asked once"
        );
        buffered.insert(a.clone(), 6);
        assert!(backpressure.drained(|p| buffered[p]).is_empty(), "6 > 10/2");
        buffered.insert(a.clone(), 5);
        assert_eq!(
            backpressure.drained(|p| buffered[p]),
            std::slice::from_ref(&a)
        );
        assert!(backpressure.clear().is_empty());
    }

    #[test]
    fn clearing_hands_back_the_paused_partitions() {
        let a = TopicPartition::new("in", 0);
        let mut backpressure = Backpressure::new(1);
        backpressure.filled(a.clone());
        let full = backpressure.still_full(|_| 1);
        backpressure.paused(full);
        assert_eq!(backpressure.clear(), [a]);
        assert!(backpressure.still_full(|_| 1).is_empty());
    }
}
