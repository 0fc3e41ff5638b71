//! Errors of the test driver's typed topics.

use crate::error::RecordPart;
use crate::serde::SerdeError;

/// Why a test topic could not be created or read.
#[derive(Debug, thiserror::Error)]
pub enum TestDriverError {
    /// The output topic has no (more) records.
    #[error("no record to read from topic '{topic}'")]
    NoRecord {
        /// The topic.
        topic: String,
    },
    /// The topology does not read this topic.
    #[error("the topology does not read topic '{topic}'; it reads: {known}")]
    NotAnInputTopic {
        /// The topic.
        topic: String,
        /// The topics it reads.
        known: String,
    },
    /// No serde is registered for a test topic's type.
    #[error(
        "no serde for `{type_name}` (topic '{topic}'): register one on the builder or use input_topic_with/output_topic_with"
    )]
    MissingSerde {
        /// The topic.
        topic: String,
        /// The type.
        type_name: &'static str,
    },
    /// No task has a store with this name and type.
    #[error("no state store '{store}' of type {type_name}")]
    UnknownStore {
        /// The store name.
        store: String,
        /// The requested type.
        type_name: &'static str,
    },
    /// Reading a store failed.
    #[error("reading state store '{store}' failed: {source}")]
    Store {
        /// The store name.
        store: String,
        /// Why.
        source: Box<crate::error::StreamsError>,
    },
    /// A produced record did not deserialize with the output topic's serdes.
    #[error(
        "record {index} of topic '{topic}': its {part} does not deserialize with {serde}: {source}"
    )]
    Deserialization {
        /// The topic.
        topic: String,
        /// Position of the record among those produced to the topic.
        index: usize,
        /// Key or value.
        part: RecordPart,
        /// The serde.
        serde: String,
        /// Why.
        source: SerdeError,
    },
}
