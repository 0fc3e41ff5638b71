//! What follows an error (or a panic) that escapes a stream thread: the
//! uncaught-exception handler answers with a [`StreamThreadExceptionResponse`],
//! as Kafka Streams' `StreamsUncaughtExceptionHandler` does. The default
//! (`uncaught.exception.handler=shutdown_client`) shuts the instance down with
//! the error as its failure.

use super::{ConfigError, RuntimeError};
use std::str::FromStr;
use std::sync::Arc;

/// What to do after an error escaped a stream thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StreamThreadExceptionResponse {
    /// Start a new stream thread in place of the failed one. The failed
    /// thread's tasks are closed without a commit and taken up again from
    /// their last committed offsets. (A record that fails every time makes
    /// every replacement fail in turn.)
    ReplaceThread,
    /// Shut this instance down; it ends in [`Error`](super::StreamsState::Error)
    /// with the error as its [`failure`](super::KafkaStreams::failure).
    #[default]
    ShutdownClient,
    /// Shut every instance of the application down: this instance announces
    /// it on the application's control topic (`<application.id>-control`),
    /// which every instance watches; each one ends in `Error` with
    /// [`RuntimeError::ApplicationShutdown`].
    ShutdownApplication,
}

impl FromStr for StreamThreadExceptionResponse {
    type Err = ConfigError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.to_ascii_lowercase().as_str() {
            "replace_thread" => Ok(Self::ReplaceThread),
            "shutdown_client" => Ok(Self::ShutdownClient),
            "shutdown_application" => Ok(Self::ShutdownApplication),
            _ => Err(ConfigError::Invalid {
                setting: super::UNCAUGHT_EXCEPTION_HANDLER.to_string(),
                value: value.to_string(),
                reason: "use replace_thread, shutdown_client or shutdown_application".into(),
            }),
        }
    }
}

/// Decides what follows an error that escaped a stream thread; set it with
/// [`KafkaStreams::set_uncaught_exception_handler`](super::KafkaStreams::set_uncaught_exception_handler).
pub type UncaughtExceptionHandler =
    Arc<dyn Fn(&RuntimeError) -> StreamThreadExceptionResponse + Send + Sync>;

/// The handler that always answers `response` (what the setting configures).
pub(crate) fn fixed_response(response: StreamThreadExceptionResponse) -> UncaughtExceptionHandler {
    Arc::new(move |_| response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_parse_in_kafka_names_either_case() {
        assert_eq!(
            "REPLACE_THREAD"
                .parse::<StreamThreadExceptionResponse>()
                .unwrap(),
            StreamThreadExceptionResponse::ReplaceThread
        );
        assert_eq!(
            "shutdown_application"
                .parse::<StreamThreadExceptionResponse>()
                .unwrap(),
            StreamThreadExceptionResponse::ShutdownApplication
        );
        let error = "restart"
            .parse::<StreamThreadExceptionResponse>()
            .unwrap_err();
        assert!(error.to_string().contains("shutdown_client"), "{error}");
        assert_eq!(
            StreamThreadExceptionResponse::default(),
            StreamThreadExceptionResponse::ShutdownClient
        );
    }
}
