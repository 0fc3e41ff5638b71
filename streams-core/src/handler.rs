//! What happens to an input record whose key or value does not deserialize.

/// The deserialization error handler (Kafka Streams'
/// `default.deserialization.exception.handler`, plus KIP-1034's dead-letter queue).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum DeserializationHandler {
    /// Stop the task with an error naming the topic, partition, offset and serde.
    #[default]
    LogAndFail,
    /// Log a warning, count the record in `skipped_records`, and go on.
    LogAndContinue,
    /// Send the original bytes (key, value, headers, timestamp) to this topic, with
    /// `__streams.errors.*` headers saying what failed and where, and go on.
    DeadLetterQueue {
        /// The dead-letter topic.
        topic: String,
    },
}
