//! The consumer context of a stream thread: librdkafka reports assignments and
//! revocations inside `poll`; the context only records them, and the thread
//! handles them right after `poll` returns (commit and suspend revoked tasks,
//! then unassign; assign, create or resume tasks and start restoring them), the
//! way librdkafka lets applications defer the (un)assign call.

use crate::metrics::ThreadSensors;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::topic_partition_list::TopicPartitionList;
use rdkafka::types::RDKafkaRespErr;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use streams_state::TopicPartition;

/// A group rebalance event waiting for the thread.
#[derive(Debug)]
pub(crate) enum RebalanceEvent {
    /// These partitions are now ours; the thread must assign them.
    Assign(Vec<TopicPartition>),
    /// Every partition is being taken away (eager protocol); the thread must
    /// commit, suspend its tasks and unassign.
    Revoke(Vec<TopicPartition>),
    /// The rebalance failed.
    Error(KafkaError),
}

/// Records rebalance events for the thread; once the thread is closing (its
/// tasks committed and closed), applies them at once instead, so that leaving
/// the group does not wait for a thread that no longer polls.
#[derive(Default)]
pub(crate) struct RebalanceRecorder {
    events: Mutex<VecDeque<RebalanceEvent>>,
    closing: AtomicBool,
    /// Where librdkafka's statistics go (consumer lag).
    statistics: Option<Arc<ThreadSensors>>,
}

impl RebalanceRecorder {
    /// A recorder that also forwards the consumer's statistics to `sensors`.
    pub(crate) fn with_statistics(sensors: Arc<ThreadSensors>) -> Self {
        Self {
            statistics: Some(sensors),
            ..Self::default()
        }
    }

    /// From now on, (un)assign inside the callback.
    pub(crate) fn set_closing(&self) {
        self.closing.store(true, Ordering::SeqCst);
    }

    /// The oldest event not yet handled.
    pub(crate) fn next_event(&self) -> Option<RebalanceEvent> {
        self.events
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop_front()
    }

    fn push(&self, event: RebalanceEvent) {
        self.events
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push_back(event);
    }
}

impl ClientContext for RebalanceRecorder {
    fn stats(&self, statistics: rdkafka::Statistics) {
        if let Some(sensors) = &self.statistics {
            sensors.record_consumer_statistics(&statistics);
        }
    }
}

impl ConsumerContext for RebalanceRecorder {
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        partitions: &mut TopicPartitionList,
    ) {
        if self.closing.load(Ordering::SeqCst) {
            let result = match err {
                RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => consumer.assign(partitions),
                _ => consumer.unassign(),
            };
            if let Err(error) = result {
                tracing::warn!(%error, "applying a rebalance while closing failed");
            }
            return;
        }
        let event = match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                RebalanceEvent::Assign(topic_partitions(partitions))
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                RebalanceEvent::Revoke(topic_partitions(partitions))
            }
            other => RebalanceEvent::Error(KafkaError::Rebalance(other.into())),
        };
        tracing::debug!(?event, "rebalance event");
        self.push(event);
    }
}

/// The partitions of a librdkafka list.
pub(crate) fn topic_partitions(list: &TopicPartitionList) -> Vec<TopicPartition> {
    list.elements()
        .iter()
        .map(|e| TopicPartition::new(e.topic(), e.partition()))
        .collect()
}
