//! Byte-level records at a task's I/O boundary: what is consumed from a topic
//! partition and what is produced to a topic.

use super::Headers;
use std::fmt;
use std::sync::Arc;

/// Where the record being processed came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordMetadata {
    /// Source topic.
    pub topic: Arc<str>,
    /// Source partition.
    pub partition: i32,
    /// Offset in the source partition.
    pub offset: i64,
}

impl fmt::Display for RecordMetadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "topic '{}' partition {} offset {}",
            self.topic, self.partition, self.offset
        )
    }
}

/// A record as consumed from Kafka, before deserialization.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumedRecord {
    /// Topic, partition and offset it was read from.
    pub metadata: RecordMetadata,
    /// Record timestamp (CreateTime or LogAppendTime) in milliseconds.
    pub timestamp: i64,
    /// Key bytes; `None` is a null key.
    pub key: Option<Vec<u8>>,
    /// Value bytes; `None` is a null value (tombstone).
    pub value: Option<Vec<u8>>,
    /// Record headers.
    pub headers: Headers,
}

/// A record a task sends to a topic, already serialized.
#[derive(Debug, Clone, PartialEq)]
pub struct ProducedRecord {
    /// Destination topic (internal topics already carry the application id prefix).
    pub topic: Arc<str>,
    /// Destination partition: the one the sink's partitioner chose, or the
    /// task's for changelog records; `None` (null keys) lets the producer choose.
    pub partition: Option<i32>,
    /// Key bytes; `None` is a null key.
    pub key: Option<Vec<u8>>,
    /// Value bytes; `None` is a tombstone.
    pub value: Option<Vec<u8>>,
    /// Record timestamp in milliseconds.
    pub timestamp: i64,
    /// Record headers.
    pub headers: Headers,
}
