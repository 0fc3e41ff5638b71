//! The error a serde returns.

use std::error::Error;

/// Why a value could not be serialized or deserialized. The runtime adds where it
/// happened (topic, partition, offset, serde name) when it reports the failure.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SerdeError {
    message: String,
    #[source]
    source: Option<Box<dyn Error + Send + Sync>>,
}

impl SerdeError {
    /// An error with a message only.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    /// An error with a message and the underlying cause.
    pub fn with_source(
        message: impl Into<String>,
        source: impl Into<Box<dyn Error + Send + Sync>>,
    ) -> Self {
        Self {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// The message, without the cause.
    pub fn message(&self) -> &str {
        &self.message
    }
}
