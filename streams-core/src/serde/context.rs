//! Where a value is being serialized to or deserialized from: the topic, whether
//! it is the record's key or value, and the record's headers. Schema-registry
//! serdes name their subjects from it (`<topic>-key`, `<topic>-value`), as Kafka's
//! `Serializer::serialize(topic, headers, data)` lets them.

use crate::error::RecordPart;
use crate::record::Headers;

/// The context the framework passes to
/// [`Serde::serialize_with_context`](super::Serde::serialize_with_context) and
/// [`Serde::deserialize_with_context`](super::Serde::deserialize_with_context).
///
/// The topic is the one the bytes are written to or read from: a sink's or
/// source's topic, a repartition topic (`<application.id>-<name>-repartition`),
/// or for a store the changelog topic (`<application.id>-<store>-changelog`),
/// which Kafka Streams passes to state serdes whether or not logging is on.
///
/// ```
/// use streams_core::error::RecordPart;
/// use streams_core::record::Headers;
/// use streams_core::serde::SerdeContext;
/// let headers = Headers::new().with("trace-id", b"t-1");
/// let context = SerdeContext::value("orders", &headers);
/// assert_eq!(context.topic(), "orders");
/// assert_eq!(context.part(), RecordPart::Value);
/// assert_eq!(context.headers().last_value("trace-id"), Some(&b"t-1"[..]));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SerdeContext<'a> {
    topic: &'a str,
    part: RecordPart,
    headers: &'a Headers,
}

/// The headers of contexts that have none (store keys and values).
static NO_HEADERS: Headers = Headers::new();

impl<'a> SerdeContext<'a> {
    /// A context for one half of a record of `topic`.
    pub fn new(topic: &'a str, part: RecordPart, headers: &'a Headers) -> Self {
        Self {
            topic,
            part,
            headers,
        }
    }

    /// The key of a record of `topic`.
    pub fn key(topic: &'a str, headers: &'a Headers) -> Self {
        Self::new(topic, RecordPart::Key, headers)
    }

    /// The value of a record of `topic`.
    pub fn value(topic: &'a str, headers: &'a Headers) -> Self {
        Self::new(topic, RecordPart::Value, headers)
    }

    /// A context without headers (the keys and values a store writes).
    pub fn without_headers(topic: &'a str, part: RecordPart) -> Self {
        Self::new(topic, part, &NO_HEADERS)
    }

    /// The topic the bytes belong to.
    pub fn topic(&self) -> &'a str {
        self.topic
    }

    /// Whether this is the record's key or its value.
    pub fn part(&self) -> RecordPart {
        self.part
    }

    /// True for the record's key (Kafka's `isKey`).
    pub fn is_key(&self) -> bool {
        self.part == RecordPart::Key
    }

    /// The record's headers (read-only: unlike Kafka's serializers, ours cannot
    /// add headers to the record they serialize).
    pub fn headers(&self) -> &'a Headers {
        self.headers
    }
}
