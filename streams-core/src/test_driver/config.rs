//! Settings of a `TopologyTestDriver`.

use crate::handler::{DeserializationHandler, ProcessingHandler, ProductionHandler};
use crate::metrics::RecordingLevel;
use std::collections::HashMap;

/// How a [`TopologyTestDriver`](super::TopologyTestDriver) runs a topology.
#[derive(Debug, Clone)]
pub struct TestDriverConfig {
    /// Application id: prefixes internal topic names. Default `test-driver-app`.
    pub application_id: String,
    /// The mocked wall clock's start, in milliseconds. Default 0.
    pub wall_clock_start_ms: i64,
    /// What to do with input that does not deserialize. Default: fail.
    pub deserialization_handler: DeserializationHandler,
    /// What to do when a processor fails or panics. Default: fail.
    pub processing_handler: ProcessingHandler,
    /// What to do with output that cannot be serialized or sent. Default: fail.
    pub production_handler: ProductionHandler,
    /// Which metrics are recorded (read them with
    /// `TopologyTestDriver::metrics_registry`). Default INFO.
    pub metrics_recording_level: RecordingLevel,
    /// Commit (flush caches and stores) after every piped record, as Kafka
    /// Streams' test driver does. Default true; turn it off and call
    /// `TopologyTestDriver::commit` to see what caching collapses between commits.
    pub commit_after_each_record: bool,
    /// Bytes of the write cache shared by all caching stores. Default 10 MiB.
    pub cache_max_bytes: usize,
    /// Capacity of the block cache all RocksDB stores of the driver share
    /// (memtables charged to it). Default as `rocksdb.block.cache.bytes`.
    pub rocksdb_block_cache_bytes: usize,
    /// Bytes all memtables of the driver's RocksDB stores may take. Default as
    /// `rocksdb.write.buffer.bytes`.
    pub rocksdb_write_buffer_bytes: usize,
    /// Partition counts of the topics the topology writes (full names), which
    /// its sinks' partitioners partition by; a topic not listed has one
    /// partition. The driver still runs one task per sub-topology.
    pub topic_partitions: HashMap<String, i32>,
}

impl TestDriverConfig {
    /// Gives `topic` `partitions` partitions for the sinks writing it.
    ///
    /// ```
    /// use streams_core::test_driver::TestDriverConfig;
    /// let config = TestDriverConfig::default().with_partitions("orders", 4);
    /// assert_eq!(config.topic_partitions["orders"], 4);
    /// ```
    pub fn with_partitions(mut self, topic: impl Into<String>, partitions: i32) -> Self {
        self.topic_partitions.insert(topic.into(), partitions);
        self
    }
}

impl Default for TestDriverConfig {
    fn default() -> Self {
        Self {
            application_id: "test-driver-app".into(),
            wall_clock_start_ms: 0,
            deserialization_handler: DeserializationHandler::default(),
            processing_handler: ProcessingHandler::default(),
            production_handler: ProductionHandler::default(),
            metrics_recording_level: RecordingLevel::default(),
            commit_after_each_record: true,
            cache_max_bytes: 10 * 1024 * 1024,
            rocksdb_block_cache_bytes: crate::runtime::DEFAULT_ROCKSDB_BLOCK_CACHE_BYTES,
            rocksdb_write_buffer_bytes: crate::runtime::DEFAULT_ROCKSDB_WRITE_BUFFER_BYTES,
            topic_partitions: HashMap::new(),
        }
    }
}
