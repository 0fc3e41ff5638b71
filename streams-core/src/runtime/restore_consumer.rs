//! The restore consumer of a stream thread: reads changelog partitions by
//! assignment (no group, no commits) for the [`StateUpdater`](super::state_updater::StateUpdater).

use super::RuntimeError;
use super::changelog_reader::{ChangelogEntry, ChangelogReader};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use std::time::Duration;
use streams_state::TopicPartition;

/// A changelog reader on a librdkafka consumer.
pub(crate) struct RestoreConsumer {
    consumer: BaseConsumer,
    assigned: Vec<TopicPartition>,
    request_timeout: Duration,
}

impl RestoreConsumer {
    pub(crate) fn new(consumer: BaseConsumer, request_timeout: Duration) -> Self {
        Self {
            consumer,
            assigned: Vec::new(),
            request_timeout,
        }
    }
}

impl ChangelogReader for RestoreConsumer {
    fn end_offset(&mut self, partition: &TopicPartition) -> Result<i64, RuntimeError> {
        let (_, high) = self
            .consumer
            .fetch_watermarks(&partition.topic, partition.partition, self.request_timeout)
            .map_err(|e| {
                RuntimeError::kafka(
                    format!(
                        "reading the end offset of changelog '{}' partition {}",
                        partition.topic, partition.partition
                    ),
                    e,
                )
            })?;
        Ok(high)
    }

    fn committed_offset(
        &mut self,
        partition: &TopicPartition,
    ) -> Result<Option<i64>, RuntimeError> {
        let mut list = TopicPartitionList::new();
        list.add_partition(&partition.topic, partition.partition);
        let committed = self
            .consumer
            .committed_offsets(list, self.request_timeout)
            .map_err(|e| {
                RuntimeError::kafka(
                    format!(
                        "reading the committed offset of source topic '{}' partition {}",
                        partition.topic, partition.partition
                    ),
                    e,
                )
            })?;
        Ok(committed
            .elements()
            .first()
            .and_then(|element| match element.offset() {
                Offset::Offset(offset) => Some(offset),
                _ => None,
            }))
    }

    fn assign(&mut self, partitions: &[(TopicPartition, Option<i64>)]) -> Result<(), RuntimeError> {
        let mut list = TopicPartitionList::new();
        for (partition, start) in partitions {
            let offset = start.map_or(Offset::Beginning, Offset::Offset);
            list.add_partition_offset(&partition.topic, partition.partition, offset)
                .map_err(|e| RuntimeError::kafka("preparing the restore assignment", e))?;
        }
        self.consumer
            .assign(&list)
            .map_err(|e| RuntimeError::kafka("assigning changelog partitions", e))?;
        self.assigned = partitions.iter().map(|(p, _)| p.clone()).collect();
        Ok(())
    }

    fn poll(&mut self, timeout: Duration, max: usize) -> Result<Vec<ChangelogEntry>, RuntimeError> {
        let mut entries = Vec::new();
        let mut wait = timeout;
        while entries.len() < max {
            match self.consumer.poll(wait) {
                None => break,
                Some(Err(error)) => {
                    tracing::warn!(%error, "reading a changelog failed; retrying");
                    break;
                }
                Some(Ok(message)) => {
                    let Some(partition) = self.assigned.iter().position(|p| {
                        p.partition == message.partition() && p.topic == message.topic()
                    }) else {
                        continue;
                    };
                    entries.push(ChangelogEntry {
                        partition,
                        offset: message.offset(),
                        key: message.key().map(<[u8]>::to_vec),
                        value: message.payload().map(<[u8]>::to_vec),
                        timestamp: message.timestamp().to_millis().unwrap_or(-1),
                    });
                }
            }
            wait = Duration::ZERO;
        }
        Ok(entries)
    }

    fn position(&mut self, index: usize) -> Result<Option<i64>, RuntimeError> {
        let Some(partition) = self.assigned.get(index) else {
            return Ok(None);
        };
        let positions = self
            .consumer
            .position()
            .map_err(|e| RuntimeError::kafka("reading the restore position", e))?;
        Ok(positions
            .find_partition(&partition.topic, partition.partition)
            .and_then(|element| match element.offset() {
                Offset::Offset(offset) => Some(offset),
                _ => None,
            }))
    }

    fn unassign(&mut self) -> Result<(), RuntimeError> {
        self.assigned.clear();
        self.consumer
            .unassign()
            .map_err(|e| RuntimeError::kafka("releasing changelog partitions", e))
    }
}
