//! Why a topology cannot be built or run, and what to change.

use crate::error::RecordPart;

/// A topology that cannot run. Each message says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopologyError {
    /// Nothing reads a topic.
    #[error(
        "the topology has no source node: read at least one topic (StreamsBuilder::stream or TopologyBuilder::add_source)"
    )]
    NoSource,

    /// Two nodes share a name.
    #[error(
        "two nodes are named '{name}': node names must be unique, so give one of them another name"
    )]
    DuplicateName {
        /// The repeated name.
        name: String,
    },

    /// A name cannot be used.
    #[error("the name '{name}' cannot be used: {reason}")]
    InvalidName {
        /// The name.
        name: String,
        /// Why.
        reason: String,
    },

    /// A processor or sink has no parent node.
    #[error("node '{node}' has no parent: connect it to at least one upstream node")]
    NoParent {
        /// The node.
        node: String,
    },

    /// No serde is known for a type that must be (de)serialized.
    #[error(
        "node '{node}' (topic {topic}) has no {part} serde for type `{type_name}`: pass one to this operator (Consumed/Produced/Repartitioned::with) or register a default with register_serde::<{type_name}>(...)"
    )]
    MissingSerde {
        /// The source, sink or repartition node.
        node: String,
        /// The topic it reads or writes.
        topic: String,
        /// Key or value.
        part: RecordPart,
        /// The Rust type that has no serde.
        type_name: &'static str,
    },

    /// Two source nodes read one topic.
    #[error(
        "topic '{topic}' is read by both '{first}' and '{second}': read it once and reuse the stream"
    )]
    TopicReadTwice {
        /// The topic.
        topic: String,
        /// The first source node.
        first: String,
        /// The second source node.
        second: String,
    },

    /// A partition count was set that cannot be used.
    #[error("topic '{topic}' cannot be given {partitions} partitions: {reason}")]
    InvalidPartitionCount {
        /// The topic (without the application id prefix).
        topic: String,
        /// The count asked for.
        partitions: u32,
        /// Why it cannot be used.
        reason: String,
    },

    /// Two stores share a name.
    #[error("two state stores are named '{store}': store names must be unique in a topology")]
    DuplicateStore {
        /// The repeated name.
        store: String,
    },

    /// A store cannot restore from the source topic it was given as changelog.
    #[error("state store '{store}' cannot use topic '{topic}' as its changelog: {reason}")]
    InvalidSourceChangelog {
        /// The store name.
        store: String,
        /// The source topic.
        topic: String,
        /// What is wrong.
        reason: String,
    },

    /// A processor is connected to a store that was never added.
    #[error(
        "processor '{node}' uses state store '{store}', which was never added: add it with add_state_store (or check the name)"
    )]
    UnknownStore {
        /// The store name.
        store: String,
        /// The processor.
        node: String,
    },

    /// A window store would drop windows before they close.
    #[error(
        "store '{store}' keeps windows for {retention_ms} ms, less than the window size plus grace ({minimum_ms} ms): raise it with Materialized::with_retention"
    )]
    RetentionTooShort {
        /// The store.
        store: String,
        /// The retention asked for.
        retention_ms: u128,
        /// Window size plus grace.
        minimum_ms: u128,
    },

    /// A session store would drop sessions that can still be extended or
    /// merged: its retention is below the inactivity gap plus the grace period.
    #[error(
        "store '{store}' keeps sessions for {retention_ms} ms, less than the inactivity gap plus grace ({minimum_ms} ms): raise it with Materialized::with_retention"
    )]
    SessionRetentionTooShort {
        /// The store.
        store: String,
        /// The retention asked for.
        retention_ms: u128,
        /// Inactivity gap plus grace.
        minimum_ms: u128,
    },

    /// A sliding-window store would drop windows that new records still need
    /// (a record reads windows up to twice the time difference back): its
    /// retention is below twice the time difference plus the grace period.
    #[error(
        "store '{store}' keeps windows for {retention_ms} ms, less than twice the time difference plus grace ({minimum_ms} ms): raise it with Materialized::with_retention"
    )]
    SlidingRetentionTooShort {
        /// The store.
        store: String,
        /// The retention asked for.
        retention_ms: u128,
        /// Twice the time difference plus grace.
        minimum_ms: u128,
    },

    /// `Suppressed::until_window_closes` on a table that does not come from a
    /// windowed aggregation, so no grace period says when its windows close.
    #[error(
        "suppression '{node}' waits until windows close, but its table does not come from a windowed aggregation (through filters and value mappers only), so it has no grace period: suppress the windowed aggregation's table or use Suppressed::until_time_limit"
    )]
    SuppressWithoutWindowGrace {
        /// The suppression node.
        node: String,
    },

    /// A node was renamed after other nodes were attached to it.
    #[error(
        "node '{node}' cannot be renamed to '{new_name}' after downstream operators were attached to it: call named() right after the operator"
    )]
    RenameAfterUse {
        /// The node's current name.
        node: String,
        /// The requested name.
        new_name: String,
    },

    /// No node has this name.
    #[error("no node is named '{name}'")]
    UnknownNode {
        /// The name.
        name: String,
    },

    /// A node does not accept the requested record type.
    #[error("node '{node}' does not accept records of type ({key}, {value})")]
    NodeInputType {
        /// The node.
        node: String,
        /// Requested key type.
        key: &'static str,
        /// Requested value type.
        value: &'static str,
    },

    /// A sub-topology id that does not exist.
    #[error("the topology has no sub-topology {id}")]
    UnknownSubtopology {
        /// The id.
        id: u32,
    },

    /// `KStream::print` cannot open the file it should print to.
    #[error("node '{node}' cannot print to the file {path}: {reason}")]
    PrintFile {
        /// The printing node.
        node: String,
        /// The file.
        path: String,
        /// Why it cannot be opened.
        reason: String,
    },

    /// A versioned store was asked for where the operator needs a plain
    /// key-value store.
    #[error(
        "store '{store}' is materialized as a versioned store, which {operation} does not support (versioned stores materialize source tables, StreamsBuilder::table, read by stream-table and table-table joins): remove Materialized::versioned"
    )]
    VersionedStoreUnsupported {
        /// The store.
        store: String,
        /// What cannot use it.
        operation: &'static str,
    },

    /// A stream-table join has a grace period its table cannot serve: the
    /// table is not versioned, or keeps less history than the grace period.
    #[error(
        "stream-table join '{join}' has a grace period of {grace_ms} ms, but {problem}: materialize the table with Materialized::versioned and a history retention of at least the grace period"
    )]
    JoinGraceWithoutHistory {
        /// The join node.
        join: String,
        /// The grace period asked for.
        grace_ms: u128,
        /// What is wrong with the table.
        problem: String,
    },

    /// A bug in the framework: please report it.
    #[error("internal error (please report): {0}")]
    Internal(String),
}
