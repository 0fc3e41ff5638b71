//! The broker-backed runtime: [`KafkaStreams`] runs a topology on a Kafka cluster
//! with stream threads that share the work through a consumer group, restore
//! state from changelogs without blocking their loop and commit at least once;
//! its key-value stores answer interactive queries while it runs.
//!
//! Inside a stream thread: the loop (`stream_thread`), the task manager
//! (`task_manager`) and the state updater (`state_updater`) work with the
//! clients through traits (`consumer`, `producer`, `changelog_reader`), and
//! commit through a `commit_protocol`.

mod active_task;
mod application_shutdown;
mod at_least_once;
mod backpressure;
mod changelog_reader;
mod client_supplier;
mod commit_protocol;
mod config;
mod config_error;
mod consumer;
mod error;
mod exactly_once;
#[cfg(test)]
mod fake_cluster;
mod global_thread;
mod interactive_queries;
mod internal_topics;
mod kafka_consumer;
mod kafka_producer;
mod kafka_streams;
mod metrics;
mod producer;
mod producer_error;
mod query_error;
mod query_router;
mod rebalance;
mod rejected_record;
mod restore_consumer;
mod restore_listener;
mod state;
mod state_directory;
mod state_updater;
mod stream_thread;
mod task_checkpoint;
mod task_factory;
mod task_manager;
#[cfg(test)]
mod test_support;
mod thread_runner;
mod thread_shared;
mod topic_plan;
mod uncaught_handler;

pub use config::{
    APPLICATION_ID, BOOTSTRAP_SERVERS, BUFFERED_RECORDS_PER_PARTITION, CACHE_MAX_BYTES,
    COMMIT_INTERVAL_MS, DEAD_LETTER_QUEUE_TOPIC, DESERIALIZATION_EXCEPTION_HANDLER,
    MAX_TASK_IDLE_MS, NUM_STREAM_THREADS, POLL_MS, PROCESSING_GUARANTEE, ProcessingGuarantee,
    REPLICATION_FACTOR, STATE_DIR, StreamsConfig, StreamsConfigBuilder,
};
pub use config::{
    DEFAULT_ROCKSDB_BLOCK_CACHE_BYTES, DEFAULT_ROCKSDB_WRITE_BUFFER_BYTES,
    DEFAULT_UNCOMMITTED_MAX_BYTES, ROCKSDB_BLOCK_CACHE_BYTES, ROCKSDB_WRITE_BUFFER_BYTES,
    STATESTORE_UNCOMMITTED_MAX_BYTES, StateStoreConfig,
};
pub use config::{TASK_TIMEOUT_MS, TOPOLOGY_OPTIMIZATION, UNCAUGHT_EXCEPTION_HANDLER};
pub use config_error::ConfigError;
pub use error::RuntimeError;
pub use kafka_streams::KafkaStreams;
pub use metrics::StreamsMetrics;
pub use query_error::QueryError;
pub use restore_listener::StateRestoreListener;
pub(crate) use state::StateMachine;
pub use state::{StateListener, StreamsState};
pub use state_directory::{LOCK_FILE, PROCESS_METADATA_FILE};
pub use task_checkpoint::CHECKPOINT_FILE;
pub use topic_plan::{InternalTopic, InternalTopicKind, SubtopologyPlan, TopicPlan};
pub use uncaught_handler::{StreamThreadExceptionResponse, UncaughtExceptionHandler};
