//! Records the broker refused on their own account: a delivery report that
//! failed because of the record itself (too large for the topic's
//! `max.message.bytes`, a topic that does not exist, a record the broker
//! calls invalid), not because of the producer or the connection. Under
//! at-least-once such a record meets the production exception handler of the
//! task that sent it, as a send error does in Kafka Streams'
//! `RecordCollectorImpl` (fail: the task fails at the thread's next round or
//! commit; continue: skipped and counted; dead letter: the refused record
//! goes to the dead-letter topic). Under exactly-once a refused record fails
//! the transaction instead (see [`StreamsProducer::take_rejected`]).
//!
//! Changelog records are never refused this way: skipping one would leave the
//! store and its changelog apart, so their failures stop the thread.
//!
//! [`StreamsProducer::take_rejected`]: super::producer::StreamsProducer::take_rejected

use super::producer_error::ProducerError;
use crate::record::ProducedRecord;
use crate::task::TaskId;
use rdkafka::error::RDKafkaErrorCode;

/// One record the broker (or librdkafka, after sending) refused.
#[derive(Debug, Clone)]
pub(crate) struct RejectedRecord {
    /// The task whose collector sent it.
    pub(crate) task: TaskId,
    /// The record as sent (with the partition it went to).
    pub(crate) record: ProducedRecord,
    /// The delivery failure.
    pub(crate) error: ProducerError,
}

/// What a delivery report's failure names: the topic and partition.
pub(crate) fn delivery_operation(topic: &str, partition: i32) -> String {
    format!("delivering a record to topic '{topic}' partition {partition}")
}

/// Whether a delivery failure with `code` is the record's own fault, so
/// that skipping the record leaves the producer and everything else sent
/// with it intact.
pub(crate) fn is_record_failure(code: Option<RDKafkaErrorCode>) -> bool {
    matches!(
        code,
        Some(
            RDKafkaErrorCode::MessageSizeTooLarge
                | RDKafkaErrorCode::MessageBatchTooLarge
                | RDKafkaErrorCode::InvalidRecord
                | RDKafkaErrorCode::InvalidMessage
                | RDKafkaErrorCode::InvalidMessageSize
                | RDKafkaErrorCode::InvalidTimestamp
                | RDKafkaErrorCode::UnknownTopicOrPartition
                | RDKafkaErrorCode::UnknownTopic
                | RDKafkaErrorCode::UnknownPartition
                | RDKafkaErrorCode::InvalidTopic
                | RDKafkaErrorCode::TopicAuthorizationFailed
                | RDKafkaErrorCode::PolicyViolation
        )
    )
}

#[cfg(test)]
#[path = "rejected_record_tests.rs"]
mod tests;
