//! The broker-backed runtime: [`KafkaStreams`] runs a topology on a Kafka cluster
//! with stream threads that share the work through a consumer group, restore
//! state from changelogs and commit at least once; its key-value stores answer
//! interactive queries while it runs.

mod config;
mod config_error;
mod error;
mod interactive_queries;
mod internal_topics;
mod kafka_streams;
mod metrics;
mod producer;
mod query_error;
mod query_router;
mod rebalance;
mod restore_consumer;
mod restorer;
mod state;
mod stream_thread;
mod task_checkpoint;
mod topic_plan;

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
pub use config_error::ConfigError;
pub use error::RuntimeError;
pub use kafka_streams::KafkaStreams;
pub use metrics::StreamsMetrics;
pub use query_error::QueryError;
pub(crate) use state::StateMachine;
pub use state::{StateListener, StreamsState};
pub use task_checkpoint::CHECKPOINT_FILE;
pub use topic_plan::{InternalTopic, InternalTopicKind, SubtopologyPlan, TopicPlan};
