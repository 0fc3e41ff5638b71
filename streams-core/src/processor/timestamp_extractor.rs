//! Timestamp extractors: how a source gives each input record the timestamp
//! the whole sub-topology then uses (Kafka Streams' `TimestampExtractor`):
//! windows, stream time and the timestamps of output records. The built-ins
//! read the record's own timestamp and differ in what they do with a negative
//! one, or use the wall clock.

use crate::record::{Headers, RecordMetadata};
use std::time::{SystemTime, UNIX_EPOCH};

/// Partition time before any record of the partition got a timestamp
/// (Kafka's `ConsumerRecord.NO_TIMESTAMP`).
pub const UNKNOWN_PARTITION_TIME: i64 = -1;

/// A timestamp extractor shared by a source's instances in every task.
pub type TimestampExtractorRef<K, V> = std::sync::Arc<dyn TimestampExtractor<K, V>>;

/// The deserialized input record an extractor reads.
#[derive(Debug)]
pub struct ExtractorInput<'a, K, V> {
    /// The deserialized key.
    pub key: &'a K,
    /// The deserialized value; `None` for a tombstone read by a table source
    /// (a stream source always has one).
    pub value: Option<&'a V>,
    /// The timestamp the record carries (CreateTime or LogAppendTime).
    pub timestamp: i64,
    /// Topic, partition and offset it was read from.
    pub metadata: &'a RecordMetadata,
    /// Its headers.
    pub headers: &'a Headers,
}

/// Why no timestamp could be extracted; the task fails with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampExtractionError {
    /// The record's timestamp is negative and the extractor refuses it
    /// ([`FailOnInvalidTimestamp`]).
    #[error(
        "the record at {metadata} has the invalid timestamp {timestamp}: use LogAndSkipOnInvalidTimestamp or UsePartitionTimeOnInvalidTimestamp to go on, or fix the producer"
    )]
    Invalid {
        /// Where the record came from.
        metadata: RecordMetadata,
        /// Its timestamp.
        timestamp: i64,
    },
    /// The record's timestamp is negative and no record of its partition has a
    /// timestamp yet to use instead ([`UsePartitionTimeOnInvalidTimestamp`]).
    #[error(
        "the record at {metadata} has the invalid timestamp {timestamp} and its partition time is unknown (no earlier valid record), so no timestamp can be inferred"
    )]
    UnknownPartitionTime {
        /// Where the record came from.
        metadata: RecordMetadata,
        /// Its timestamp.
        timestamp: i64,
    },
    /// A user extractor failed.
    #[error("the timestamp extractor failed on the record at {metadata}: {reason}")]
    Failed {
        /// Where the record came from.
        metadata: RecordMetadata,
        /// Why.
        reason: String,
    },
}

/// Gives an input record its timestamp. `partition_time` is the largest
/// timestamp extracted so far from the record's partition, or
/// [`UNKNOWN_PARTITION_TIME`]. A negative result drops the record (logged and
/// counted as a dropped record, as Kafka Streams does); an error fails the
/// task.
///
/// A source with an extractor deserializes each record once more to show it
/// to the extractor when the record is buffered (the task orders its input
/// partitions by the extracted timestamps before it processes anything). If
/// the record does not deserialize, it keeps its own timestamp and the
/// deserialization handler sees it when it is processed.
///
/// Closures `Fn(&ExtractorInput<K, V>, i64) -> i64` are extractors:
///
/// ```
/// use streams_core::processor::{ExtractorInput, TimestampExtractor};
/// fn event_time(record: &ExtractorInput<'_, String, (i64, String)>, _partition_time: i64) -> i64 {
///     record.value.map_or(record.timestamp, |(at, _)| *at)
/// }
/// fn takes<E: TimestampExtractor<String, (i64, String)>>(_: E) {}
/// takes(event_time);
/// ```
pub trait TimestampExtractor<K, V>: Send + Sync {
    /// The timestamp of `record`.
    fn extract(
        &self,
        record: &ExtractorInput<'_, K, V>,
        partition_time: i64,
    ) -> Result<i64, TimestampExtractionError>;
}

impl<K, V, F> TimestampExtractor<K, V> for F
where
    F: Fn(&ExtractorInput<'_, K, V>, i64) -> i64 + Send + Sync,
{
    fn extract(
        &self,
        record: &ExtractorInput<'_, K, V>,
        partition_time: i64,
    ) -> Result<i64, TimestampExtractionError> {
        Ok(self(record, partition_time))
    }
}

/// The record's own timestamp; a negative one fails the task (Kafka Streams'
/// default extractor).
#[derive(Debug, Clone, Copy, Default)]
pub struct FailOnInvalidTimestamp;

impl<K, V> TimestampExtractor<K, V> for FailOnInvalidTimestamp {
    fn extract(
        &self,
        record: &ExtractorInput<'_, K, V>,
        _partition_time: i64,
    ) -> Result<i64, TimestampExtractionError> {
        if record.timestamp < 0 {
            return Err(TimestampExtractionError::Invalid {
                metadata: record.metadata.clone(),
                timestamp: record.timestamp,
            });
        }
        Ok(record.timestamp)
    }
}

/// The record's own timestamp; a record with a negative one is logged and
/// dropped. A source without an extractor behaves this way.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogAndSkipOnInvalidTimestamp;

impl<K, V> TimestampExtractor<K, V> for LogAndSkipOnInvalidTimestamp {
    fn extract(
        &self,
        record: &ExtractorInput<'_, K, V>,
        _partition_time: i64,
    ) -> Result<i64, TimestampExtractionError> {
        if record.timestamp < 0 {
            tracing::warn!(record = %record.metadata, timestamp = record.timestamp, "skipping a record with an invalid timestamp");
        }
        Ok(record.timestamp)
    }
}

/// The record's own timestamp; a negative one is replaced by the partition
/// time (the largest timestamp of the partition so far). Fails the task when
/// the partition has no timestamp yet.
#[derive(Debug, Clone, Copy, Default)]
pub struct UsePartitionTimeOnInvalidTimestamp;

impl<K, V> TimestampExtractor<K, V> for UsePartitionTimeOnInvalidTimestamp {
    fn extract(
        &self,
        record: &ExtractorInput<'_, K, V>,
        partition_time: i64,
    ) -> Result<i64, TimestampExtractionError> {
        if record.timestamp >= 0 {
            return Ok(record.timestamp);
        }
        if partition_time < 0 {
            return Err(TimestampExtractionError::UnknownPartitionTime {
                metadata: record.metadata.clone(),
                timestamp: record.timestamp,
            });
        }
        Ok(partition_time)
    }
}

/// The wall-clock time (system time, also in the TopologyTestDriver, as
/// Kafka Streams' `WallclockTimestampExtractor`) when the record is buffered:
/// processing time instead of event time.
#[derive(Debug, Clone, Copy, Default)]
pub struct WallclockTimestampExtractor;

impl<K, V> TimestampExtractor<K, V> for WallclockTimestampExtractor {
    fn extract(
        &self,
        _record: &ExtractorInput<'_, K, V>,
        _partition_time: i64,
    ) -> Result<i64, TimestampExtractionError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Ok(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(
        metadata: &'a RecordMetadata,
        headers: &'a Headers,
        timestamp: i64,
    ) -> ExtractorInput<'a, (), ()> {
        ExtractorInput {
            key: &(),
            value: Some(&()),
            timestamp,
            metadata,
            headers,
        }
    }

    #[test]
    fn built_ins_treat_negative_timestamps_as_kafka_does() {
        let metadata = RecordMetadata {
            topic: "in".into(),
            partition: 0,
            offset: 7,
        };
        let headers = Headers::new();
        let valid = input(&metadata, &headers, 5);
        let invalid = input(&metadata, &headers, -3);
        assert_eq!(FailOnInvalidTimestamp.extract(&valid, 1), Ok(5));
        assert!(matches!(
            FailOnInvalidTimestamp.extract(&invalid, 1),
            Err(TimestampExtractionError::Invalid { timestamp: -3, .. })
        ));
        assert_eq!(LogAndSkipOnInvalidTimestamp.extract(&invalid, 1), Ok(-3));
        assert_eq!(UsePartitionTimeOnInvalidTimestamp.extract(&valid, 9), Ok(5));
        assert_eq!(
            UsePartitionTimeOnInvalidTimestamp.extract(&invalid, 9),
            Ok(9)
        );
        assert!(matches!(
            UsePartitionTimeOnInvalidTimestamp.extract(&invalid, UNKNOWN_PARTITION_TIME),
            Err(TimestampExtractionError::UnknownPartitionTime { .. })
        ));
    }
}
