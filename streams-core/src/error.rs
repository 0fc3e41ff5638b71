//! Errors of the runtime: what went wrong, where (topic, partition, offset, node),
//! and what to change.

use crate::record::RecordMetadata;
use crate::serde::SerdeError;
use crate::topology::TopologyError;
use std::error::Error;
use std::fmt;
use std::sync::Arc;

/// A boxed error from user code or a lower layer.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// Which half of a record a serde failed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordPart {
    /// The key.
    Key,
    /// The value.
    Value,
}

impl fmt::Display for RecordPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecordPart::Key => "key",
            RecordPart::Value => "value",
        })
    }
}

/// Errors raised while building or running a topology.
#[derive(Debug, thiserror::Error)]
pub enum StreamsError {
    /// The topology cannot run as built.
    #[error(transparent)]
    Topology(#[from] TopologyError),

    /// An input record could not be deserialized.
    #[error(
        "failed to deserialize the {part} of the record at {metadata} with serde {serde}: {source}"
    )]
    Deserialization {
        /// Where the record came from.
        metadata: RecordMetadata,
        /// Key or value.
        part: RecordPart,
        /// The serde that failed.
        serde: String,
        /// Why.
        source: Box<SerdeError>,
    },

    /// A source's timestamp extractor refused an input record.
    #[error(transparent)]
    TimestampExtraction(#[from] crate::processor::TimestampExtractionError),

    /// An output record could not be serialized.
    #[error(
        "failed to serialize the {part} of a record for topic '{topic}' at sink '{node}' with serde {serde}: {source}"
    )]
    Serialization {
        /// Destination topic.
        topic: String,
        /// Sink node name.
        node: String,
        /// Key or value.
        part: RecordPart,
        /// The serde that failed.
        serde: String,
        /// Why.
        source: Box<SerdeError>,
    },

    /// A processor failed.
    #[error("processor '{node}' failed{}: {source}", input_suffix(.input))]
    Processing {
        /// The node whose processor returned the error.
        node: String,
        /// The input record being processed, if any (none in punctuators).
        input: Option<RecordMetadata>,
        /// The processor's error.
        source: BoxError,
    },

    /// A state store failed.
    #[error(transparent)]
    Store(Box<streams_state::StateStoreError>),

    /// The state directory cannot be used.
    #[error("cannot use the state directory {}: {source}", path.display())]
    StateDirectory {
        /// The directory.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },

    /// A sink's partitioner chose a partition the topic does not have.
    #[error(
        "the partitioner of sink '{node}' chose partition {partition} of topic '{topic}', which has {partitions} partitions: return a partition from 0 to {partitions} - 1, or None for the default partitioning"
    )]
    PartitionOutOfRange {
        /// Sink node name.
        node: String,
        /// Destination topic.
        topic: String,
        /// The partition it chose.
        partition: i32,
        /// Partitions of the topic.
        partitions: i32,
    },

    /// A record could not be handed to the producer.
    #[error("could not send a record to topic '{topic}': {reason}")]
    Produce {
        /// Destination topic.
        topic: String,
        /// Why.
        reason: String,
    },

    /// The producer cannot take records any more: an earlier record could not be
    /// delivered. Not a failure of the record being sent, so the production
    /// handler does not apply; the task stops.
    #[error("the producer failed earlier: {reason}")]
    ProducerFailed {
        /// The earlier failure.
        reason: String,
    },
}

impl From<streams_state::StateStoreError> for StreamsError {
    fn from(error: streams_state::StateStoreError) -> Self {
        StreamsError::Store(Box::new(error))
    }
}

fn input_suffix(input: &Option<RecordMetadata>) -> String {
    input
        .as_ref()
        .map(|m| format!(" on the record at {m}"))
        .unwrap_or_default()
}

/// The error a processor returns. Any error converts into it with `?`; the runtime
/// adds the node name and the input record's topic, partition and offset.
///
/// ```
/// use streams_core::error::ProcessError;
/// fn parse(text: &str) -> Result<i64, ProcessError> {
///     Ok(text.parse::<i64>()?)
/// }
/// assert!(parse("x").is_err());
/// ```
#[derive(Debug)]
pub struct ProcessError {
    /// Set once the processing handler of the node where the error arose decided
    /// to fail; nodes upstream pass the error on unhandled.
    node: Option<Arc<str>>,
    source: BoxError,
    panicked: bool,
}

impl ProcessError {
    /// An error with a message.
    pub fn msg(message: impl Into<String>) -> Self {
        Self {
            node: None,
            source: message.into().into(),
            panicked: false,
        }
    }

    /// The error of user code that panicked, with the panic message.
    pub(crate) fn from_panic(payload: Box<dyn std::any::Any + Send>) -> Self {
        Self {
            node: None,
            source: format!("panicked: {}", panic_message(payload.as_ref())).into(),
            panicked: true,
        }
    }

    /// Whether a node already applied its processing handler to this error.
    pub(crate) fn is_handled(&self) -> bool {
        self.node.is_some()
    }

    /// The short name of the kind of error, for handlers and dead-letter headers.
    pub(crate) fn exception_name(&self) -> &'static str {
        if self.panicked {
            return "Panic";
        }
        match self.source.downcast_ref::<StreamsError>() {
            Some(StreamsError::Serialization { .. }) => "SerializationError",
            Some(StreamsError::Produce { .. } | StreamsError::ProducerFailed { .. }) => {
                "ProductionError"
            }
            Some(StreamsError::Store(_)) => "StateStoreError",
            _ => "ProcessingError",
        }
    }

    /// The underlying error.
    pub(crate) fn source_error(&self) -> &(dyn Error + 'static) {
        self.source.as_ref()
    }

    /// Records the node where the error arose, unless an inner node already did.
    pub(crate) fn at_node(mut self, node: &Arc<str>) -> Self {
        if self.node.is_none() {
            self.node = Some(node.clone());
        }
        self
    }

    /// Converts to the runtime error, keeping a typed [`StreamsError`] raised
    /// downstream (for example a sink's serialization failure) as it is.
    pub(crate) fn into_streams_error(self, input: Option<RecordMetadata>) -> StreamsError {
        match self.source.downcast::<StreamsError>() {
            Ok(streams_error) => *streams_error,
            Err(source) => StreamsError::Processing {
                node: self.node.as_deref().unwrap_or("<unknown>").to_string(),
                input,
                source,
            },
        }
    }
}

impl fmt::Display for ProcessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.node {
            Some(node) => write!(f, "processor '{node}': {}", self.source),
            None => write!(f, "{}", self.source),
        }
    }
}

impl<E: Error + Send + Sync + 'static> From<E> for ProcessError {
    fn from(error: E) -> Self {
        Self {
            node: None,
            source: Box::new(error),
            panicked: false,
        }
    }
}

/// The message of a panic payload (`panic!` with a literal or a formatted message).
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message")
}
