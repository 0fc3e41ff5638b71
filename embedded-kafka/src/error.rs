//! Errors of the broker's public API.

use kafka_protocol::error::ResponseError;

/// What can go wrong starting, using or stopping the broker.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// Binding, accepting or storage I/O failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The broker refused a request with a Kafka error code.
    #[error("{operation} failed: {error:?}")]
    Refused {
        /// What was attempted.
        operation: String,
        /// The Kafka error.
        error: ResponseError,
    },
    /// The blocking runtime could not be built.
    #[error("cannot start the broker runtime: {0}")]
    Runtime(String),
}
