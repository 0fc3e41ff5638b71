//! The [`ProducerClient`] on librdkafka: a `BaseProducer` whose context tracks
//! deliveries (the last acknowledged offset of each changelog partition, for
//! checkpoints, and the first failure, classified), with librdkafka's
//! transactional calls for exactly-once.

use super::consumer::GroupMetadata;
use super::producer::ProducerClient;
use super::producer_error::{ErrorClass, ProducerError};
use crate::record::ProducedRecord;
use rdkafka::ClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::util::Timeout;
use rdkafka::{Offset, TopicPartitionList};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;
use streams_state::TopicPartition;

/// Tracks what the producer delivered: the last acknowledged offset of each
/// changelog partition, and the first failure.
pub(crate) struct DeliveryTracker {
    changelog_topics: HashSet<String>,
    acked: Mutex<HashMap<TopicPartition, i64>>,
    failure: Mutex<Option<ProducerError>>,
}

impl DeliveryTracker {
    pub(crate) fn new(changelog_topics: HashSet<String>) -> Self {
        Self {
            changelog_topics,
            acked: Mutex::default(),
            failure: Mutex::default(),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl ClientContext for DeliveryTracker {}

impl ProducerContext for DeliveryTracker {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(message) => {
                if self.changelog_topics.contains(message.topic()) {
                    let mut acked = lock(&self.acked);
                    let offset = acked
                        .entry(TopicPartition::new(message.topic(), message.partition()))
                        .or_insert(message.offset());
                    *offset = (*offset).max(message.offset());
                }
            }
            Err((error, message)) => {
                let mut failure = lock(&self.failure);
                if failure.is_none() {
                    tracing::warn!(topic = message.topic(), partition = message.partition(), %error, "a record could not be delivered");
                    *failure = Some(ProducerError::delivery(
                        format!(
                            "delivering a record to topic '{}' partition {}",
                            message.topic(),
                            message.partition()
                        ),
                        error.clone(),
                    ));
                }
            }
        }
    }
}

/// A librdkafka producer.
pub(crate) struct KafkaProducerClient {
    producer: BaseProducer<DeliveryTracker>,
    request_timeout: Duration,
    partition_counts: RefCell<HashMap<String, i32>>,
}

impl KafkaProducerClient {
    pub(crate) fn new(producer: BaseProducer<DeliveryTracker>, request_timeout: Duration) -> Self {
        Self {
            producer,
            request_timeout,
            partition_counts: RefCell::default(),
        }
    }
}

fn headers_of(record: &ProducedRecord) -> Option<OwnedHeaders> {
    (!record.headers.is_empty()).then(|| {
        record
            .headers
            .iter()
            .fold(OwnedHeaders::new(), |headers, header| {
                headers.insert(Header {
                    key: &header.key,
                    value: header.value.as_deref(),
                })
            })
    })
}

impl ProducerClient for KafkaProducerClient {
    fn send(&self, record: &ProducedRecord) -> Result<(), ProducerError> {
        let headers = headers_of(record);
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
                    return Err(ProducerError::delivery(
                        format!("sending a record to topic '{}'", record.topic),
                        error,
                    ));
                }
            }
        }
    }

    fn poll(&self) {
        self.producer.poll(Duration::ZERO);
    }

    fn flush(&self, timeout: Duration) -> Result<(), ProducerError> {
        self.producer
            .flush(timeout)
            .map_err(|e| ProducerError::delivery("flushing the producer", e))
    }

    fn take_delivery_failure(&self) -> Option<ProducerError> {
        lock(&self.producer.context().failure).take()
    }

    fn acked_offset(&self, partition: &TopicPartition) -> Option<i64> {
        lock(&self.producer.context().acked).get(partition).copied()
    }

    fn forget_acked(&self, partitions: &[TopicPartition]) {
        let mut acked = lock(&self.producer.context().acked);
        for partition in partitions {
            acked.remove(partition);
        }
    }

    fn partitions(&self, topic: &str) -> Result<i32, ProducerError> {
        if let Some(count) = self.partition_counts.borrow().get(topic) {
            return Ok(*count);
        }
        let operation = || format!("reading the partition count of topic '{topic}'");
        let metadata = self
            .producer
            .client()
            .fetch_metadata(Some(topic), self.request_timeout)
            .map_err(|e| ProducerError::delivery(operation(), e))?;
        let count = metadata
            .topics()
            .iter()
            .find(|t| t.name() == topic && t.error().is_none())
            .map(|t| t.partitions().len() as i32)
            .filter(|&count| count > 0)
            .ok_or_else(|| ProducerError {
                operation: format!(
                    "{}: the topic does not exist, create it before the application writes to it",
                    operation()
                ),
                error: KafkaError::MetadataFetch(RDKafkaErrorCode::UnknownTopicOrPartition),
                class: ErrorClass::Fatal,
            })?;
        self.partition_counts
            .borrow_mut()
            .insert(topic.to_string(), count);
        Ok(count)
    }

    fn fatal_error(&self) -> Option<String> {
        self.producer
            .client()
            .fatal_error()
            .map(|(code, reason)| format!("{code}: {reason}"))
    }

    fn init_transactions(&self, timeout: Duration) -> Result<(), ProducerError> {
        self.producer
            .init_transactions(timeout)
            .map_err(|e| ProducerError::transactional("registering the transactional producer", e))
    }

    fn begin_transaction(&self) -> Result<(), ProducerError> {
        self.producer
            .begin_transaction()
            .map_err(|e| ProducerError::transactional("beginning a transaction", e))
    }

    fn send_offsets_to_transaction(
        &self,
        offsets: &[(TopicPartition, i64)],
        group: &GroupMetadata,
        timeout: Duration,
    ) -> Result<(), ProducerError> {
        let operation = "adding the consumed offsets to the transaction";
        let Some(metadata) = &group.kafka else {
            return Err(ProducerError {
                operation: operation.into(),
                error: KafkaError::MessageProduction(RDKafkaErrorCode::InvalidArgument),
                class: ErrorClass::Fatal,
            });
        };
        let mut list = TopicPartitionList::new();
        for (partition, next) in offsets {
            list.add_partition_offset(&partition.topic, partition.partition, Offset::Offset(*next))
                .map_err(|e| ProducerError::delivery(operation, e))?;
        }
        self.producer
            .send_offsets_to_transaction(&list, metadata, timeout)
            .map_err(|e| ProducerError::transactional(operation, e))
    }

    /// Blocks for at most the rest of `transaction.timeout.ms`, as librdkafka
    /// recommends (a shorter timeout risks desynchronising its state).
    fn commit_transaction(&self) -> Result<(), ProducerError> {
        self.producer
            .commit_transaction(Timeout::Never)
            .map_err(|e| ProducerError::transactional("committing the transaction", e))
    }

    fn abort_transaction(&self) -> Result<(), ProducerError> {
        self.producer
            .abort_transaction(Timeout::Never)
            .map_err(|e| ProducerError::transactional("aborting the transaction", e))
    }
}
