//! A stream thread's producer: the [`RecordCollector`] its tasks send output,
//! repartition and changelog records to, the delivery tracking that feeds
//! checkpoints (acknowledged changelog offsets) and surfaces send failures, the
//! partition counts sinks partition with, and the flush step of a commit.

use super::RuntimeError;
use crate::error::StreamsError;
use crate::record::ProducedRecord;
use crate::task::RecordCollector;
use rdkafka::ClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::Mutex;
use std::time::Duration;
use streams_state::TopicPartition;

/// Tracks what the producer delivered: the last acknowledged offset of each
/// changelog partition, and the first failure.
pub(crate) struct DeliveryTracker {
    changelog_topics: HashSet<String>,
    acked: Mutex<HashMap<TopicPartition, i64>>,
    failure: Mutex<Option<String>>,
}

impl DeliveryTracker {
    pub(crate) fn new(changelog_topics: HashSet<String>) -> Self {
        Self {
            changelog_topics,
            acked: Mutex::default(),
            failure: Mutex::default(),
        }
    }

    fn failure(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl ClientContext for DeliveryTracker {}

impl ProducerContext for DeliveryTracker {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(message) => {
                if self.changelog_topics.contains(message.topic()) {
                    let mut acked = self
                        .acked
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    let offset = acked
                        .entry(TopicPartition::new(message.topic(), message.partition()))
                        .or_insert(message.offset());
                    *offset = (*offset).max(message.offset());
                }
            }
            Err((error, message)) => {
                let mut failure = self
                    .failure
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if failure.is_none() {
                    tracing::error!(topic = message.topic(), partition = message.partition(), %error, "a record could not be delivered");
                    *failure = Some(format!(
                        "delivering a record to topic '{}' partition {} failed: {error}",
                        message.topic(),
                        message.partition()
                    ));
                }
            }
        }
    }
}

/// Longest a topic's metadata (its partition count) may take to arrive.
const METADATA_TIMEOUT: Duration = Duration::from_secs(30);

/// The producer of one stream thread, shared by its tasks' collectors.
pub(crate) struct ThreadProducer {
    producer: BaseProducer<DeliveryTracker>,
    /// Partition counts of the topics written so far, from the cluster's metadata.
    partitions: RefCell<HashMap<String, i32>>,
}

impl ThreadProducer {
    pub(crate) fn new(producer: BaseProducer<DeliveryTracker>) -> Self {
        Self {
            producer,
            partitions: RefCell::default(),
        }
    }

    /// How many partitions `topic` has: asked of the cluster the first time,
    /// then remembered (partitions added later are not seen until restart).
    fn partitions(&self, topic: &str) -> Result<i32, StreamsError> {
        if let Some(&partitions) = self.partitions.borrow().get(topic) {
            return Ok(partitions);
        }
        let failure = |reason: String| StreamsError::Produce {
            topic: topic.to_string(),
            reason,
        };
        let metadata = self
            .producer
            .client()
            .fetch_metadata(Some(topic), METADATA_TIMEOUT)
            .map_err(|e| failure(format!("reading its partition count failed: {e}")))?;
        let partitions = metadata
            .topics()
            .iter()
            .find(|t| t.name() == topic && t.error().is_none())
            .map_or(0, |t| t.partitions().len() as i32);
        if partitions == 0 {
            return Err(failure(
                "the topic does not exist: create it before the application writes to it".into(),
            ));
        }
        self.partitions
            .borrow_mut()
            .insert(topic.to_string(), partitions);
        Ok(partitions)
    }

    /// Serves delivery reports without blocking.
    pub(crate) fn poll(&self) {
        self.producer.poll(Duration::ZERO);
    }

    /// Sends one record, waiting for queue space when the local queue is full.
    fn send(&self, record: &ProducedRecord) -> Result<(), StreamsError> {
        if let Some(reason) = self.producer.context().failure() {
            return Err(StreamsError::ProducerFailed { reason });
        }
        let headers = (!record.headers.is_empty()).then(|| {
            record
                .headers
                .iter()
                .fold(OwnedHeaders::new(), |headers, header| {
                    headers.insert(Header {
                        key: &header.key,
                        value: header.value.as_deref(),
                    })
                })
        });
        loop {
            let mut message: BaseRecord<'_, [u8], [u8]> =
                BaseRecord::to(&record.topic).timestamp(record.timestamp);
            if let Some(key) = &record.key {
                message = message.key(key.as_slice());
            }
            if let Some(value) = &record.value {
                message = message.payload(value.as_slice());
            }
            if let Some(partition) = record.partition {
                message = message.partition(partition);
            }
            if let Some(headers) = &headers {
                message = message.headers(headers.clone());
            }
            match self.producer.send(message) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    self.producer.poll(Duration::from_millis(10));
                }
                Err((error, _)) => {
                    return Err(StreamsError::Produce {
                        topic: record.topic.to_string(),
                        reason: error.to_string(),
                    });
                }
            }
        }
    }

    /// Waits until every record sent so far is acknowledged (or `timeout`
    /// passes) and fails if any could not be delivered: the at-least-once
    /// commit's step between flushing the tasks and committing offsets.
    pub(crate) fn flush(&self, timeout: Duration) -> Result<(), RuntimeError> {
        self.producer
            .flush(timeout)
            .map_err(|e| RuntimeError::kafka("flushing the producer", e))?;
        match self.producer.context().failure() {
            Some(reason) => Err(RuntimeError::Streams(StreamsError::Produce {
                topic: "<several>".into(),
                reason,
            })),
            None => Ok(()),
        }
    }

    /// The last acknowledged offset of a changelog partition, if any record
    /// of it was acknowledged.
    pub(crate) fn acked_offset(&self, partition: &TopicPartition) -> Option<i64> {
        self.producer
            .context()
            .acked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(partition)
            .copied()
    }
}

/// The collector of one task: hands records to the thread's producer.
pub(crate) struct KafkaRecordCollector {
    producer: Rc<ThreadProducer>,
}

impl KafkaRecordCollector {
    pub(crate) fn new(producer: Rc<ThreadProducer>) -> Self {
        Self { producer }
    }
}

impl RecordCollector for KafkaRecordCollector {
    fn send(&mut self, record: ProducedRecord) -> Result<(), StreamsError> {
        self.producer.send(&record)
    }

    fn partitions(&mut self, topic: &str) -> Result<i32, StreamsError> {
        self.producer.partitions(topic)
    }
}
