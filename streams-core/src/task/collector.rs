//! Where a task's output records go.

use crate::error::StreamsError;
use crate::record::ProducedRecord;

/// Receives every record a task produces (sink outputs, repartition records). The
/// runtime hands them to a Kafka producer; the TopologyTestDriver captures them.
pub trait RecordCollector {
    /// Accepts one serialized record.
    fn send(&mut self, record: ProducedRecord) -> Result<(), StreamsError>;

    /// How many partitions `topic` has: sinks partition their records with
    /// it. Fails for a topic that does not exist.
    fn partitions(&mut self, topic: &str) -> Result<i32, StreamsError>;
}
