//! Why a broker-backed application cannot start or stopped: each message says
//! what to change.

use super::{ConfigError, QueryError, StreamsState};
use crate::error::StreamsError;

/// Errors of [`KafkaStreams`](super::KafkaStreams) and its stream threads.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The configuration is not usable.
    #[error(transparent)]
    Config(#[from] ConfigError),

    /// Source topics the topology reads do not exist.
    #[error(
        "the source topics {} do not exist: create them before starting the application (the runtime creates only its internal topics)",
        .topics.join(", ")
    )]
    MissingSourceTopics {
        /// The missing topics.
        topics: Vec<String>,
    },

    /// Topics read together by one sub-topology have different partition counts.
    #[error(
        "sub-topology {subtopology} reads topics that must be co-partitioned but have different partition counts: {}; give them the same number of partitions (or repartition one side, e.g. with KStream::repartition)",
        .topics.iter().map(|(topic, partitions)| format!("'{topic}' ({partitions} partitions)")).collect::<Vec<_>>().join(", ")
    )]
    CoPartitioning {
        /// The sub-topology.
        subtopology: u32,
        /// Each topic it reads with its partition count.
        topics: Vec<(String, i32)>,
    },

    /// An internal topic exists with a partition count other than the one the
    /// topology needs.
    #[error(
        "internal topic '{topic}' has {actual} partitions but the topology needs {expected}: delete it (kafka-topics --delete) or reset the application so it is created again"
    )]
    InternalTopicPartitions {
        /// The topic.
        topic: String,
        /// Partitions the topology needs.
        expected: i32,
        /// Partitions it has.
        actual: i32,
    },

    /// A Kafka client operation failed.
    #[error("{operation} failed: {source}")]
    Kafka {
        /// What was being done.
        operation: String,
        /// librdkafka's error.
        source: rdkafka::error::KafkaError,
    },

    /// Processing, a state store or the state directory failed.
    #[error(transparent)]
    Streams(#[from] StreamsError),

    /// A task's checkpoint claims more of a changelog than the changelog holds
    /// (the topic was deleted or truncated).
    #[error(
        "task {task}: the checkpoint says changelog '{topic}' partition {partition} is applied up to offset {checkpoint}, but the changelog ends at {end}: delete the task's state directory so it is restored from the changelog"
    )]
    CheckpointAhead {
        /// The task.
        task: String,
        /// Changelog topic.
        topic: String,
        /// Changelog partition.
        partition: i32,
        /// Checkpointed offset.
        checkpoint: i64,
        /// The changelog's end offset.
        end: i64,
    },

    /// Restoration read nothing for too long.
    #[error(
        "task {task}: restoring changelog '{topic}' partition {partition} stalled at offset {at} of {end} for {waited_ms} ms: check that the brokers are reachable"
    )]
    RestoreStalled {
        /// The task.
        task: String,
        /// Changelog topic.
        topic: String,
        /// Changelog partition.
        partition: i32,
        /// Next offset it waited for.
        at: i64,
        /// End offset it restores up to.
        end: i64,
        /// How long it waited.
        waited_ms: u128,
    },

    /// The group no longer accepts this member's commits (it was evicted, or a
    /// rebalance moved on): its tasks are lost and must be taken up again.
    #[error("the consumer group moved this thread's tasks: {reason}")]
    TaskMigrated {
        /// What the broker answered.
        reason: String,
    },

    /// The operation is not allowed in the current state.
    #[error("cannot {operation} while the application is {state:?}: {hint}")]
    IllegalState {
        /// What was attempted.
        operation: &'static str,
        /// The state it was in.
        state: StreamsState,
        /// What to do instead.
        hint: &'static str,
    },

    /// The instance stopped (closed, or a stream thread failed).
    #[error("the instance is {state:?}: {cause}")]
    Stopped {
        /// Its state.
        state: StreamsState,
        /// Why.
        cause: String,
    },

    /// A bounded wait ran out.
    #[error("timed out after {waited_ms} ms waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long it waited.
        waited_ms: u128,
    },

    /// An interactive query could not be answered.
    #[error(transparent)]
    Query(#[from] QueryError),

    /// A stream thread could not be started.
    #[error("cannot start stream thread '{thread}': {source}")]
    ThreadSpawn {
        /// The thread name.
        thread: String,
        /// Why.
        source: std::io::Error,
    },

    /// Another instance of the application uses the state directory.
    #[error(
        "the state directory {} is locked by another instance of this application: give each instance its own state.dir, or stop the other one",
        path.display()
    )]
    StateDirectoryLocked {
        /// The application's state directory (`<state.dir>/<application.id>`).
        path: std::path::PathBuf,
    },

    /// A task failed while processing, punctuating or committing.
    #[error("task {task} failed: {source}")]
    TaskFailed {
        /// The task.
        task: String,
        /// What failed.
        #[source]
        source: Box<StreamsError>,
    },

    /// Code of a task panicked outside the processing guard (a panic in a
    /// processor, punctuator or serde meets `processing.exception.handler`
    /// first and, when that fails the task, arrives as [`TaskFailed`](Self::TaskFailed)).
    #[error("task {task} panicked{}: {message}", record_suffix(.record))]
    TaskPanicked {
        /// The task.
        task: String,
        /// The record it was processing (topic, partition, offset), if any.
        record: Option<String>,
        /// The panic message.
        message: String,
    },

    /// The runtime itself panicked on a stream thread (a bug: please report it).
    #[error("stream thread '{thread}' panicked: {message}")]
    ThreadPanicked {
        /// The thread.
        thread: String,
        /// The panic message.
        message: String,
    },

    /// Exactly-once: the transaction was aborted; the thread's tasks go back
    /// to their last commit (handled by the thread).
    #[error("the transaction was aborted: {reason}")]
    TaskCorrupted {
        /// Why.
        reason: String,
    },

    /// A task could not be created within `task.timeout.ms`.
    #[error(
        "task {task} could not be created within task.timeout.ms ({waited_ms} ms): {reason}; make sure no other instance uses the same state.dir, or raise task.timeout.ms"
    )]
    TaskCreationTimeout {
        /// The task.
        task: String,
        /// How long creation was retried.
        waited_ms: u128,
        /// The last reason it failed.
        reason: String,
    },

    /// The runtime moved a task between states Kafka Streams does not allow
    /// (a bug: please report it).
    #[error("internal error: task {task} cannot move from {from} to {to}")]
    TaskState {
        /// The task.
        task: String,
        /// Its state.
        from: String,
        /// The state it was moved to.
        to: String,
    },

    /// An instance's uncaught-exception handler answered SHUTDOWN_APPLICATION.
    #[error("instance {process_id} shut the whole application down: {reason}")]
    ApplicationShutdown {
        /// The process id of the instance that asked.
        process_id: String,
        /// The error that made it ask.
        reason: String,
    },
}

fn record_suffix(record: &Option<String>) -> String {
    record
        .as_ref()
        .map(|r| format!(" on the record at {r}"))
        .unwrap_or_default()
}

impl RuntimeError {
    /// Whether the thread lost its tasks to a rebalance (it recovers by
    /// rejoining; not a failure of the application).
    pub fn is_task_migrated(&self) -> bool {
        matches!(self, Self::TaskMigrated { .. })
    }

    /// Whether the thread's transaction was aborted (it recovers by taking
    /// its tasks back to their last commit).
    pub fn is_task_corrupted(&self) -> bool {
        matches!(self, Self::TaskCorrupted { .. })
    }

    /// A Kafka error with what was being done.
    pub(crate) fn kafka(operation: impl Into<String>, source: rdkafka::error::KafkaError) -> Self {
        Self::Kafka {
            operation: operation.into(),
            source,
        }
    }
}
