//! What happens to a record when something fails on its way through a task: it
//! does not deserialize (`deserialization.exception.handler`), a processor returns
//! an error or panics (`processing.exception.handler`, KIP-1033), or its output
//! cannot be serialized, sent or delivered (`production.exception.handler`; a
//! record the broker refuses after it was sent reaches it from the runtime's
//! delivery reports, under at-least-once). One handler
//! shape serves all three: fail, continue (counted in `skipped_records`), send the
//! original record to a dead-letter topic (KIP-1034) and continue, or decide per
//! error in code.
//!
//! Dead-letter records keep the source record's key and value bytes, timestamp and
//! headers, and add `__streams.errors.*` headers saying what failed and where (see
//! [`DeadLetterHeaders`]).
//!
//! Where this differs from Kafka Streams: Kafka's fail handlers write the
//! dead-letter record and then still fail; here a dead-letter topic parks the
//! record and processing continues (failing after parking it would only park it
//! again when the restarted task reads it anew). A custom handler that wants both
//! returns [`HandlerResponse::Fail`] after producing whatever it needs.

use crate::record::{ConsumedRecord, Headers, ProducedRecord, RecordMetadata};
use crate::task::TaskId;
use std::error::Error;
use std::fmt;
use std::sync::Arc;

/// Which step of a record's way failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorStage {
    /// The source record's key or value did not deserialize.
    Deserialization,
    /// A processor returned an error or panicked.
    Processing,
    /// An output record could not be serialized, sent or delivered.
    Production,
}

impl ErrorStage {
    /// The name used in logs and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorStage::Deserialization => "deserialization",
            ErrorStage::Processing => "processing",
            ErrorStage::Production => "production",
        }
    }
}

impl fmt::Display for ErrorStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a handler is told about a failure.
#[derive(Debug, Clone, Copy)]
pub struct ErrorContext<'a> {
    /// Which step failed.
    pub stage: ErrorStage,
    /// The task the record belongs to.
    pub task_id: TaskId,
    /// The node where it failed (`None` for deserialization and delivery errors).
    pub node: Option<&'a str>,
    /// Where the source record came from; `None` inside a punctuation, or for a
    /// delivery error whose source record is no longer known.
    pub source: Option<&'a RecordMetadata>,
    /// A short name of the kind of error (`ProcessingError`, `Panic`,
    /// `SerializationError`, ...); it is the `__streams.errors.exception` header.
    pub exception: &'a str,
    /// The error.
    pub error: &'a (dyn Error + 'static),
}

/// What a handler decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandlerResponse {
    /// Stop the task with the error.
    Fail,
    /// Drop the record (at the failing node only: other branches still see it),
    /// count it in `skipped_records`, and go on.
    Continue,
    /// Send the source record to this topic with `__streams.errors.*` headers,
    /// count it in `skipped_records` and `dead_lettered_records`, and go on.
    DeadLetter {
        /// The dead-letter topic.
        topic: String,
    },
}

/// A handler that decides per error, in code.
pub type CustomHandler = Arc<dyn Fn(&ErrorContext<'_>) -> HandlerResponse + Send + Sync>;

/// An error handler: what to do with a record that fails at one [`ErrorStage`].
///
/// ```
/// use streams_core::handler::{ErrorHandler, ErrorStage, HandlerResponse};
/// // Park records that fail in processing, but fail on anything else.
/// let handler = ErrorHandler::custom(|failure| match failure.stage {
///     ErrorStage::Processing => HandlerResponse::DeadLetter { topic: "orders-dlq".into() },
///     _ => HandlerResponse::Fail,
/// });
/// # let _ = handler;
/// ```
#[derive(Clone, Default)]
pub enum ErrorHandler {
    /// Stop the task with an error naming the topic, partition, offset, node and
    /// cause (Kafka's `LogAndFail*` handlers).
    #[default]
    LogAndFail,
    /// Log a warning, count the record in `skipped_records`, and go on (Kafka's
    /// `LogAndContinue*` handlers).
    LogAndContinue,
    /// Send the original bytes (key, value, headers, timestamp) to this topic, with
    /// `__streams.errors.*` headers saying what failed and where, and go on.
    DeadLetterQueue {
        /// The dead-letter topic.
        topic: String,
    },
    /// Decide per error.
    Custom(CustomHandler),
}

impl ErrorHandler {
    /// A handler deciding per error with `decide`.
    pub fn custom(
        decide: impl Fn(&ErrorContext<'_>) -> HandlerResponse + Send + Sync + 'static,
    ) -> Self {
        ErrorHandler::Custom(Arc::new(decide))
    }

    /// What this handler does with this failure.
    pub fn respond(&self, failure: &ErrorContext<'_>) -> HandlerResponse {
        match self {
            ErrorHandler::LogAndFail => HandlerResponse::Fail,
            ErrorHandler::LogAndContinue => HandlerResponse::Continue,
            ErrorHandler::DeadLetterQueue { topic } => HandlerResponse::DeadLetter {
                topic: topic.clone(),
            },
            ErrorHandler::Custom(decide) => decide(failure),
        }
    }
}

impl fmt::Debug for ErrorHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorHandler::LogAndFail => f.write_str("LogAndFail"),
            ErrorHandler::LogAndContinue => f.write_str("LogAndContinue"),
            ErrorHandler::DeadLetterQueue { topic } => f
                .debug_struct("DeadLetterQueue")
                .field("topic", topic)
                .finish(),
            ErrorHandler::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

impl PartialEq for ErrorHandler {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (ErrorHandler::LogAndFail, ErrorHandler::LogAndFail)
            | (ErrorHandler::LogAndContinue, ErrorHandler::LogAndContinue) => true,
            (
                ErrorHandler::DeadLetterQueue { topic: a },
                ErrorHandler::DeadLetterQueue { topic: b },
            ) => a == b,
            (ErrorHandler::Custom(a), ErrorHandler::Custom(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// The deserialization error handler (`deserialization.exception.handler`).
pub type DeserializationHandler = ErrorHandler;
/// The processing error handler (`processing.exception.handler`, KIP-1033).
pub type ProcessingHandler = ErrorHandler;
/// The production error handler (`production.exception.handler`).
pub type ProductionHandler = ErrorHandler;

/// The three handlers a task applies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ErrorHandlers {
    /// Source records that do not deserialize.
    pub deserialization: DeserializationHandler,
    /// Processor errors and panics.
    pub processing: ProcessingHandler,
    /// Output that cannot be serialized, sent or delivered.
    pub production: ProductionHandler,
}

impl ErrorHandlers {
    /// The handler of a stage.
    pub fn for_stage(&self, stage: ErrorStage) -> &ErrorHandler {
        match stage {
            ErrorStage::Deserialization => &self.deserialization,
            ErrorStage::Processing => &self.processing,
            ErrorStage::Production => &self.production,
        }
    }
}

/// The headers a dead-letter record gets, after the source record's own
/// (Kafka's KIP-1034 names, plus the node and the application id).
pub struct DeadLetterHeaders;

impl DeadLetterHeaders {
    /// The kind of error (`DeserializationError`, `ProcessingError`, `Panic`,
    /// `SerializationError`, `ProductionError`).
    pub const EXCEPTION: &'static str = "__streams.errors.exception";
    /// The error message (for a panic, the panic message).
    pub const MESSAGE: &'static str = "__streams.errors.message";
    /// The source topic (absent, with the partition and offset, for an
    /// output record the broker refused: its source is no longer known).
    pub const TOPIC: &'static str = "__streams.errors.topic";
    /// The source partition, in decimal.
    pub const PARTITION: &'static str = "__streams.errors.partition";
    /// The source offset, in decimal.
    pub const OFFSET: &'static str = "__streams.errors.offset";
    /// The node where the record failed (absent for deserialization errors).
    pub const NODE: &'static str = "__streams.errors.node";
    /// The application id.
    pub const APPLICATION_ID: &'static str = "__streams.errors.application.id";
}

/// Builds the dead-letter record of a failure: the source record's bytes,
/// timestamp and headers, plus the [`DeadLetterHeaders`].
pub fn dead_letter_record(
    topic: &str,
    source: &ConsumedRecord,
    failure: &ErrorContext<'_>,
    application_id: &str,
) -> ProducedRecord {
    ProducedRecord {
        topic: topic.into(),
        partition: None,
        key: source.key.clone(),
        value: source.value.clone(),
        timestamp: source.timestamp,
        headers: with_error_headers(
            source.headers.clone(),
            Some(&source.metadata),
            failure,
            application_id,
        ),
    }
}

/// Builds the dead-letter record of an output record the broker refused
/// after the task sent it (its source record is no longer known): the
/// refused record's bytes, timestamp and headers, plus the
/// [`DeadLetterHeaders`] but the source topic, partition and offset (the
/// message names the topic and partition the record was refused on).
pub fn dead_letter_of_refused(
    topic: &str,
    refused: &ProducedRecord,
    failure: &ErrorContext<'_>,
    application_id: &str,
) -> ProducedRecord {
    ProducedRecord {
        topic: topic.into(),
        partition: None,
        key: refused.key.clone(),
        value: refused.value.clone(),
        timestamp: refused.timestamp,
        headers: with_error_headers(refused.headers.clone(), None, failure, application_id),
    }
}

/// `headers` followed by the [`DeadLetterHeaders`] of `failure` (the source
/// ones only when the source is known): what a dead-letter record carries
/// after its original headers.
pub fn with_error_headers(
    mut headers: Headers,
    source: Option<&RecordMetadata>,
    failure: &ErrorContext<'_>,
    application_id: &str,
) -> Headers {
    headers
        .add(
            DeadLetterHeaders::EXCEPTION,
            Some(failure.exception.as_bytes().to_vec()),
        )
        .add(
            DeadLetterHeaders::MESSAGE,
            Some(failure.error.to_string().into_bytes()),
        );
    if let Some(source) = source {
        headers
            .add(
                DeadLetterHeaders::TOPIC,
                Some(source.topic.as_bytes().to_vec()),
            )
            .add(
                DeadLetterHeaders::PARTITION,
                Some(source.partition.to_string().into_bytes()),
            )
            .add(
                DeadLetterHeaders::OFFSET,
                Some(source.offset.to_string().into_bytes()),
            );
    }
    if let Some(node) = failure.node {
        headers.add(DeadLetterHeaders::NODE, Some(node.as_bytes().to_vec()));
    }
    headers.add(
        DeadLetterHeaders::APPLICATION_ID,
        Some(application_id.as_bytes().to_vec()),
    );
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure<'a>(error: &'a (dyn Error + 'static), node: Option<&'a str>) -> ErrorContext<'a> {
        ErrorContext {
            stage: ErrorStage::Processing,
            task_id: TaskId {
                subtopology: 0,
                partition: 2,
            },
            node,
            source: None,
            exception: "ProcessingError",
            error,
        }
    }

    #[test]
    fn built_in_handlers_answer_their_fixed_response() {
        let error = std::io::Error::other("boom");
        let failure = failure(&error, None);
        assert_eq!(
            ErrorHandler::LogAndFail.respond(&failure),
            HandlerResponse::Fail
        );
        assert_eq!(
            ErrorHandler::LogAndContinue.respond(&failure),
            HandlerResponse::Continue
        );
        assert_eq!(
            ErrorHandler::DeadLetterQueue { topic: "d".into() }.respond(&failure),
            HandlerResponse::DeadLetter { topic: "d".into() }
        );
        let custom = ErrorHandler::custom(|f| {
            if f.error.to_string() == "boom" {
                HandlerResponse::Continue
            } else {
                HandlerResponse::Fail
            }
        });
        assert_eq!(custom.respond(&failure), HandlerResponse::Continue);
        assert_eq!(custom, custom.clone());
        assert_ne!(custom, ErrorHandler::LogAndFail);
    }

    #[test]
    fn dead_letter_records_keep_the_source_bytes_and_say_what_failed() {
        let source = ConsumedRecord {
            metadata: RecordMetadata {
                topic: "orders".into(),
                partition: 3,
                offset: 41,
            },
            timestamp: 1_234,
            key: Some(b"k".to_vec()),
            value: None,
            headers: Headers::new().with("trace", b"t-1"),
        };
        let error = std::io::Error::other("no such customer");
        let record = dead_letter_record(
            "orders-dlq",
            &source,
            &failure(&error, Some("enrich")),
            "app-1",
        );
        assert_eq!(&*record.topic, "orders-dlq");
        assert_eq!(
            (
                record.key.as_deref(),
                record.value.as_deref(),
                record.timestamp
            ),
            (Some(&b"k"[..]), None, 1_234)
        );
        let headers: Vec<(&str, Option<&[u8]>)> = record
            .headers
            .iter()
            .map(|h| (h.key.as_str(), h.value.as_deref()))
            .collect();
        assert_eq!(
            headers,
            vec![
                ("trace", Some(&b"t-1"[..])),
                (DeadLetterHeaders::EXCEPTION, Some(&b"ProcessingError"[..])),
                (DeadLetterHeaders::MESSAGE, Some(&b"no such customer"[..])),
                (DeadLetterHeaders::TOPIC, Some(&b"orders"[..])),
                (DeadLetterHeaders::PARTITION, Some(&b"3"[..])),
                (DeadLetterHeaders::OFFSET, Some(&b"41"[..])),
                (DeadLetterHeaders::NODE, Some(&b"enrich"[..])),
                (DeadLetterHeaders::APPLICATION_ID, Some(&b"app-1"[..])),
            ]
        );
    }
}
