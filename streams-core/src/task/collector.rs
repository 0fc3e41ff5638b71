//! Where a task's output records go.

use crate::error::StreamsError;
use crate::record::ProducedRecord;

/// Receives every record a task produces (sink outputs, repartition records). The
/// runtime hands them to a Kafka producer; the TopologyTestDriver captures them.
pub trait RecordCollector {
    /// Accepts one serialized record.
    fn send(&mut self, record: ProducedRecord) -> Result<(), StreamsError>;

    /// How many partitions `topic` has (what a custom partitioner needs).
    /// Collectors that cannot tell say so.
    fn partition_count(&mut self, topic: &str) -> Result<i32, StreamsError> {
        Err(StreamsError::Produce {
            topic: topic.to_string(),
            reason: "this collector does not know partition counts".into(),
        })
    }
}
