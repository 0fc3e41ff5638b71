//! Subject name strategies: which registry subject a topic's keys or values use.

use crate::RegistryError;
use streams_core::serde::SerdeContext;

/// How a serde names the subject of a record's schema, as Confluent's
/// `key.subject.name.strategy` / `value.subject.name.strategy`.
///
/// ```
/// use streams_core::record::Headers;
/// use streams_core::serde::SerdeContext;
/// use streams_schema_registry::SubjectNameStrategy;
/// let headers = Headers::new();
/// let value = SerdeContext::value("orders", &headers);
/// assert_eq!(SubjectNameStrategy::Topic.subject(&value, Some("shop.Order")).unwrap(), "orders-value");
/// assert_eq!(SubjectNameStrategy::Record.subject(&value, Some("shop.Order")).unwrap(), "shop.Order");
/// assert_eq!(SubjectNameStrategy::TopicRecord.subject(&value, Some("shop.Order")).unwrap(), "orders-shop.Order");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubjectNameStrategy {
    /// `<topic>-key` or `<topic>-value` (Confluent's default `TopicNameStrategy`).
    #[default]
    Topic,
    /// The record's fully-qualified name (`RecordNameStrategy`): one subject per
    /// record type, whatever the topic.
    Record,
    /// `<topic>-<record name>` (`TopicRecordNameStrategy`).
    TopicRecord,
}

impl SubjectNameStrategy {
    /// The subject for the record half and topic of `context`; `record_name` is
    /// the schema's fully-qualified name (Avro record, Protobuf message, JSON
    /// Schema `title`), needed by the record strategies.
    pub fn subject(
        self,
        context: &SerdeContext<'_>,
        record_name: Option<&str>,
    ) -> Result<String, RegistryError> {
        let record = || {
            record_name.ok_or_else(|| {
                RegistryError::InvalidSchema(format!(
                    "{self:?} subject names need a named schema (an Avro record, a Protobuf message, a JSON Schema with a title)"
                ))
            })
        };
        Ok(match self {
            SubjectNameStrategy::Topic => format!("{}-{}", context.topic(), context.part()),
            SubjectNameStrategy::Record => record()?.to_string(),
            SubjectNameStrategy::TopicRecord => format!("{}-{}", context.topic(), record()?),
        })
    }
}
