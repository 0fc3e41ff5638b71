//! The group consumer a stream thread reads its input with, as a trait: the
//! loop, the task manager and the commit protocols drive it the same way
//! whether it is librdkafka's consumer ([`KafkaGroupConsumer`](super::kafka_consumer::KafkaGroupConsumer))
//! or the in-memory consumer of the unit tests.

use super::RuntimeError;
use super::rebalance::RebalanceEvent;
use crate::record::ConsumedRecord;
use rdkafka::error::KafkaError;
use std::time::Duration;
use streams_state::TopicPartition;

/// The group membership a transactional offset commit carries, so that the
/// group coordinator refuses offsets from a member of an older generation
/// (zombie fencing, KIP-447).
pub(crate) struct GroupMetadata {
    /// librdkafka's consumer group metadata (none from the unit tests' consumer).
    pub(crate) kafka: Option<rdkafka::consumer::ConsumerGroupMetadata>,
    /// The generation of the unit tests' consumer.
    #[cfg(test)]
    pub(crate) generation: i32,
}

impl GroupMetadata {
    /// librdkafka's metadata.
    pub(crate) fn of_kafka(metadata: rdkafka::consumer::ConsumerGroupMetadata) -> Self {
        Self {
            kafka: Some(metadata),
            #[cfg(test)]
            generation: -1,
        }
    }
}

/// What a stream thread needs of its group consumer.
pub(crate) trait GroupConsumer {
    /// Joins the group for `topics`.
    fn subscribe(&mut self, topics: &[String]) -> Result<(), RuntimeError>;

    /// Leaves the group and joins it again, so that a new generation confirms
    /// which partitions are this member's (after its tasks were lost).
    fn rejoin(&mut self, topics: &[String]) -> Result<(), RuntimeError>;

    /// The next record of an assigned, unpaused partition, waiting at most
    /// `timeout`; serves group events (which become rebalance events).
    fn poll(&mut self, timeout: Duration) -> Option<Result<ConsumedRecord, KafkaError>>;

    /// The oldest rebalance event the thread has not handled yet.
    fn next_rebalance_event(&mut self) -> Option<RebalanceEvent>;

    /// Makes `partitions` the assignment (eager protocol: the whole set).
    fn assign(&mut self, partitions: &[TopicPartition]) -> Result<(), RuntimeError>;

    /// Gives every partition up.
    fn unassign(&mut self) -> Result<(), RuntimeError>;

    /// Stops fetching `partitions` until resumed.
    fn pause(&mut self, partitions: &[TopicPartition]) -> Result<(), RuntimeError>;

    /// Fetches `partitions` again.
    fn resume(&mut self, partitions: &[TopicPartition]) -> Result<(), RuntimeError>;

    /// Moves the fetch position of `partitions` back to the group's committed
    /// offsets (to the reset policy's end where nothing is committed), dropping
    /// what was fetched beyond them.
    fn seek_to_committed(&mut self, partitions: &[TopicPartition]) -> Result<(), RuntimeError>;

    /// Commits `offsets` (the next offset to consume of each partition) for
    /// the group, synchronously: the at-least-once commit.
    fn commit(&mut self, offsets: &[(TopicPartition, i64)]) -> Result<(), KafkaError>;

    /// The current group membership, for a transactional offset commit.
    fn group_metadata(&self) -> Option<GroupMetadata>;

    /// Leaves the group (the partitions it holds are revoked and given up),
    /// waiting at most `timeout`.
    fn close(&mut self, timeout: Duration);
}
