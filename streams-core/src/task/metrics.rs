//! Per-task counters, kept in the task for its own use and the test driver (the
//! exported series are in [`crate::metrics`]).

/// Counters of one task, as Kafka Streams' task-level metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskMetrics {
    /// Records taken from the input buffer and processed.
    pub processed_records: u64,
    /// Records an error handler (deserialization, processing or production)
    /// skipped, whether or not it also sent them to a dead-letter topic.
    pub skipped_records: u64,
    /// Records an error handler sent to a dead-letter topic.
    pub dead_lettered_records: u64,
    /// Records dropped on purpose (invalid timestamps, null keys where a key is
    /// required, late records beyond grace).
    pub dropped_records: u64,
    /// Records handed to the collector.
    pub produced_records: u64,
    /// Punctuator calls.
    pub punctuations: u64,
}

impl std::ops::AddAssign for TaskMetrics {
    fn add_assign(&mut self, other: Self) {
        self.processed_records += other.processed_records;
        self.skipped_records += other.skipped_records;
        self.dead_lettered_records += other.dead_lettered_records;
        self.dropped_records += other.dropped_records;
        self.produced_records += other.produced_records;
        self.punctuations += other.punctuations;
    }
}
