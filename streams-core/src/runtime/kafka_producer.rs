//! The [`ProducerClient`] on librdkafka: a `BaseProducer` whose context tracks
//! deliveries (the last acknowledged offset of each changelog partition, for
//! checkpoints; the records refused on their own account, with the task that
//! sent each, for its production handler; and the first other failure,
//! classified), with librdkafka's transactional calls for exactly-once.

use super::consumer::GroupMetadata;
use super::producer::ProducerClient;
use super::producer_error::{ErrorClass, ProducerError};
use super::rejected_record::{RejectedRecord, delivery_operation, is_record_failure};
use crate::record::{Headers, ProducedRecord};
use crate::task::TaskId;
use rdkafka::ClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Header, Headers as _, Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::util::Timeout;
use rdkafka::{Offset, TopicPartitionList};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;
use streams_state::TopicPartition;

/// Tracks what the producer delivered: the last acknowledged offset of each
/// changelog partition, the records refused on their own account, and the
/// first other failure.
pub(crate) struct DeliveryTracker {
    changelog_topics: HashSet<String>,
    acked: Mutex<HashMap<TopicPartition, i64>>,
    failure: Mutex<Option<ProducerError>>,
    rejected: Mutex<Vec<RejectedRecord>>,
    /// The tasks that sent records, by the slot each record's delivery
    /// opaque names (a number is free to pass; a task id boxed per record
    /// would cost an allocation).
    senders: Mutex<Vec<TaskId>>,
}

impl DeliveryTracker {
    pub(crate) fn new(changelog_topics: HashSet<String>) -> Self {
        Self {
            changelog_topics,
            acked: Mutex::default(),
            failure: Mutex::default(),
            rejected: Mutex::default(),
            senders: Mutex::default(),
        }
    }

    /// The record of a failed delivery report, as it was sent.
    fn refused_record(message: &BorrowedMessage<'_>) -> ProducedRecord {
        let mut headers = Headers::new();
        if let Some(borrowed) = message.headers() {
            for header in borrowed.iter() {
                headers.add(header.key, header.value.map(<[u8]>::to_vec));
            }
        }
        ProducedRecord {
            topic: message.topic().into(),
            partition: Some(message.partition()),
            key: message.key().map(<[u8]>::to_vec),
            value: message.payload().map(<[u8]>::to_vec),
            timestamp: message.timestamp().to_millis().unwrap_or(-1),
            headers,
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
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, sender: usize) {
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
                let task = lock(&self.senders).get(sender).copied();
                if let Some(task) = task
                    && is_record_failure(error.rdkafka_error_code())
                    && !self.changelog_topics.contains(message.topic())
                {
                    tracing::warn!(topic = message.topic(), partition = message.partition(), %task, %error, "the broker refused a record");
                    lock(&self.rejected).push(RejectedRecord {
                        task,
                        record: Self::refused_record(message),
                        error: ProducerError::delivery(
                            delivery_operation(message.topic(), message.partition()),
                            error.clone(),
                        ),
                    });
                    return;
                }
                let mut failure = lock(&self.failure);
                if failure.is_none() {
                    tracing::warn!(topic = message.topic(), partition = message.partition(), %error, "a record could not be delivered");
                    *failure = Some(ProducerError::delivery(
                        delivery_operation(message.topic(), message.partition()),
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
    /// The delivery-opaque slot of each task that sent (see [`DeliveryTracker`]).
    sender_slots: RefCell<HashMap<TaskId, usize>>,
}

impl KafkaProducerClient {
    pub(crate) fn new(producer: BaseProducer<DeliveryTracker>, request_timeout: Duration) -> Self {
        Self {
            producer,
            request_timeout,
            partition_counts: RefCell::default(),
            sender_slots: RefCell::default(),
        }
    }

    /// The slot naming `task` in delivery reports.
    fn slot_of(&self, task: TaskId) -> usize {
        *self
            .sender_slots
            .borrow_mut()
            .entry(task)
            .or_insert_with(|| {
                let mut senders = lock(&self.producer.context().senders);
                senders.push(task);
                senders.len() - 1
            })
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
    fn send(&self, record: &ProducedRecord, task: TaskId) -> Result<(), ProducerError> {
        let headers = headers_of(record);
        let slot = self.slot_of(task);
        loop {
            let mut message: BaseRecord<'_, [u8], [u8], usize> =
                BaseRecord::with_opaque_to(&record.topic, slot).timestamp(record.timestamp);
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

    fn take_rejected(&self) -> Vec<RejectedRecord> {
        std::mem::take(&mut *lock(&self.producer.context().rejected))
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
