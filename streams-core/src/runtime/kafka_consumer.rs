//! The [`GroupConsumer`] of a stream thread on librdkafka: a `BaseConsumer`
//! whose context records rebalance events ([`RebalanceRecorder`]), turning
//! fetched messages into owned [`ConsumedRecord`]s with interned topic names.

use super::RuntimeError;
use super::consumer::{GroupConsumer, GroupMetadata};
use super::rebalance::{RebalanceEvent, RebalanceRecorder};
use crate::record::{ConsumedRecord, Headers, RecordMetadata};
use crate::topology::OffsetResetPolicy;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Headers as _, Message};
use rdkafka::{Offset, TopicPartitionList};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use streams_state::TopicPartition;

/// A librdkafka group consumer.
pub(crate) struct KafkaGroupConsumer {
    consumer: BaseConsumer<RebalanceRecorder>,
    topic_names: HashMap<String, Arc<str>>,
    request_timeout: Duration,
    /// Where a partition without a committed offset starts (`auto.offset.reset`).
    reset: Offset,
    /// Topics whose source overrides `reset`, with where they start.
    topic_resets: HashMap<String, Offset>,
}

/// The shared name of `topic`, so records do not each allocate it.
fn intern(names: &mut HashMap<String, Arc<str>>, topic: &str) -> Arc<str> {
    match names.get(topic) {
        Some(name) => name.clone(),
        None => {
            let name: Arc<str> = Arc::from(topic);
            names.insert(topic.to_string(), name.clone());
            name
        }
    }
}

impl KafkaGroupConsumer {
    /// Wraps `consumer`; `reset_to_latest` follows `auto.offset.reset`, which
    /// the sources of the topics in `topic_resets` override.
    pub(crate) fn new(
        consumer: BaseConsumer<RebalanceRecorder>,
        request_timeout: Duration,
        reset_to_latest: bool,
        topic_resets: &HashMap<String, OffsetResetPolicy>,
    ) -> Self {
        let offset = |latest: bool| {
            if latest {
                Offset::End
            } else {
                Offset::Beginning
            }
        };
        Self {
            consumer,
            topic_names: HashMap::new(),
            request_timeout,
            reset: offset(reset_to_latest),
            topic_resets: topic_resets
                .iter()
                .map(|(topic, policy)| {
                    (topic.clone(), offset(*policy == OffsetResetPolicy::Latest))
                })
                .collect(),
        }
    }

    /// Where a partition of `topic` without a committed offset starts.
    fn reset_of(&self, topic: &str) -> Offset {
        self.topic_resets.get(topic).copied().unwrap_or(self.reset)
    }
}

/// A librdkafka list of `partitions`.
pub(crate) fn partition_list(partitions: &[TopicPartition]) -> TopicPartitionList {
    let mut list = TopicPartitionList::new();
    for partition in partitions {
        list.add_partition(&partition.topic, partition.partition);
    }
    list
}

fn consumed_record(message: &BorrowedMessage<'_>, topic: Arc<str>) -> ConsumedRecord {
    let mut headers = Headers::new();
    if let Some(borrowed) = message.headers() {
        for header in borrowed.iter() {
            headers.add(header.key, header.value.map(<[u8]>::to_vec));
        }
    }
    ConsumedRecord {
        metadata: RecordMetadata {
            topic,
            partition: message.partition(),
            offset: message.offset(),
        },
        timestamp: message.timestamp().to_millis().unwrap_or(-1),
        key: message.key().map(<[u8]>::to_vec),
        value: message.payload().map(<[u8]>::to_vec),
        headers,
    }
}

impl GroupConsumer for KafkaGroupConsumer {
    fn subscribe(&mut self, topics: &[String]) -> Result<(), RuntimeError> {
        let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
        self.consumer
            .subscribe(&topics)
            .map_err(|e| RuntimeError::kafka("subscribing to the source topics", e))
    }

    fn rejoin(&mut self, topics: &[String]) -> Result<(), RuntimeError> {
        self.consumer.unsubscribe();
        self.subscribe(topics)
    }

    fn poll(&mut self, timeout: Duration) -> Option<Result<ConsumedRecord, KafkaError>> {
        Some(self.consumer.poll(timeout)?.map(|message| {
            let topic = intern(&mut self.topic_names, message.topic());
            consumed_record(&message, topic)
        }))
    }

    fn next_rebalance_event(&mut self) -> Option<RebalanceEvent> {
        self.consumer.context().next_event()
    }

    fn assign(&mut self, partitions: &[TopicPartition]) -> Result<(), RuntimeError> {
        let mut list = partition_list(partitions);
        let overridden: Vec<TopicPartition> = partitions
            .iter()
            .filter(|p| self.topic_resets.contains_key(&*p.topic))
            .cloned()
            .collect();
        if !overridden.is_empty() {
            // librdkafka has one auto.offset.reset for all topics: partitions
            // of a source with its own policy and no committed offset get an
            // explicit start instead.
            let committed = self
                .consumer
                .committed_offsets(partition_list(&overridden), self.request_timeout)
                .map_err(|e| RuntimeError::kafka("reading the committed offsets", e))?;
            for element in committed.elements() {
                if !matches!(element.offset(), Offset::Offset(_)) {
                    list.set_partition_offset(
                        element.topic(),
                        element.partition(),
                        self.reset_of(element.topic()),
                    )
                    .map_err(|e| RuntimeError::kafka("preparing the assignment", e))?;
                }
            }
        }
        self.consumer
            .assign(&list)
            .map_err(|e| RuntimeError::kafka("assigning partitions", e))
    }

    fn unassign(&mut self) -> Result<(), RuntimeError> {
        self.consumer
            .unassign()
            .map_err(|e| RuntimeError::kafka("unassigning revoked partitions", e))
    }

    fn pause(&mut self, partitions: &[TopicPartition]) -> Result<(), RuntimeError> {
        self.consumer
            .pause(&partition_list(partitions))
            .map_err(|e| RuntimeError::kafka("pausing partitions", e))
    }

    fn resume(&mut self, partitions: &[TopicPartition]) -> Result<(), RuntimeError> {
        self.consumer
            .resume(&partition_list(partitions))
            .map_err(|e| RuntimeError::kafka("resuming partitions", e))
    }

    fn seek_to_committed(&mut self, partitions: &[TopicPartition]) -> Result<(), RuntimeError> {
        if partitions.is_empty() {
            return Ok(());
        }
        let committed = self
            .consumer
            .committed_offsets(partition_list(partitions), self.request_timeout)
            .map_err(|e| RuntimeError::kafka("reading the committed offsets", e))?;
        let mut positions = TopicPartitionList::new();
        for element in committed.elements() {
            let offset = match element.offset() {
                Offset::Offset(offset) => Offset::Offset(offset),
                _ => self.reset_of(element.topic()),
            };
            positions
                .add_partition_offset(element.topic(), element.partition(), offset)
                .map_err(|e| RuntimeError::kafka("preparing the rewind", e))?;
        }
        let sought = self
            .consumer
            .seek_partitions(positions, self.request_timeout)
            .map_err(|e| RuntimeError::kafka("rewinding to the committed offsets", e))?;
        for element in sought.elements() {
            element.error().map_err(|e| {
                RuntimeError::kafka(
                    format!(
                        "rewinding topic '{}' partition {} to its committed offset",
                        element.topic(),
                        element.partition()
                    ),
                    e,
                )
            })?;
        }
        Ok(())
    }

    fn commit(&mut self, offsets: &[(TopicPartition, i64)]) -> Result<(), KafkaError> {
        let mut list = TopicPartitionList::new();
        for (partition, next) in offsets {
            list.add_partition_offset(
                &partition.topic,
                partition.partition,
                Offset::Offset(*next),
            )?;
        }
        self.consumer.commit(&list, CommitMode::Sync)
    }

    fn group_metadata(&self) -> Option<GroupMetadata> {
        self.consumer.group_metadata().map(GroupMetadata::of_kafka)
    }

    /// Applies the rebalance events the thread did not get to (librdkafka
    /// waits for their (un)assign call before it lets the member leave), then
    /// closes the consumer: it revokes what is assigned (applied by the
    /// recorder, now in closing mode), leaves the group, and reports closed.
    fn close(&mut self, timeout: Duration) {
        self.consumer.context().set_closing();
        while let Some(event) = self.consumer.context().next_event() {
            let applied = match event {
                RebalanceEvent::Assign(partitions) => {
                    self.consumer.assign(&partition_list(&partitions))
                }
                RebalanceEvent::Revoke(_) => self.consumer.unassign(),
                RebalanceEvent::Error(_) => Ok(()),
            };
            if let Err(error) = applied {
                tracing::debug!(%error, "applying a pending rebalance while closing failed");
            }
        }
        if let Err(error) = self.consumer.close_queue() {
            tracing::warn!(%error, "closing the consumer failed");
            return;
        }
        let deadline = Instant::now() + timeout;
        while !self.consumer.closed() && Instant::now() < deadline {
            if let Some(Err(error)) = self.consumer.poll(Duration::from_millis(50)) {
                tracing::debug!(%error, "polling while leaving the group failed");
            }
        }
        if !self.consumer.closed() {
            tracing::warn!(
                waited_ms = timeout.as_millis(),
                "the consumer did not leave the group in time"
            );
        }
    }
}

impl Drop for KafkaGroupConsumer {
    /// A thread that panicked could not close its consumer: librdkafka closes
    /// it on drop, and the recorder must then apply the revocation at once
    /// (no thread polls its events any more).
    fn drop(&mut self) {
        self.consumer.context().set_closing();
    }
}
