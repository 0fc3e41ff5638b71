//! The typed record passed between processors.

use super::Headers;

/// A typed record: key, value, event timestamp (milliseconds since the epoch) and
/// headers. Where it came from (topic, partition, offset) is available from the
/// processor context as [`RecordMetadata`](super::RecordMetadata) while it is processed.
///
/// Null keys and null values (tombstones) are expressed in the types: a stream of
/// `Option<V>` values carries tombstones as `None`, exactly as Kafka Streams passes
/// `null` values through stateless operators.
///
/// ```
/// use streams_core::record::Record;
/// let record = Record::new("card-1".to_string(), 42_i64, 1_000);
/// let doubled = record.clone().with_value(record.value * 2);
/// assert_eq!(doubled.value, 84);
/// assert_eq!(doubled.timestamp, 1_000);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Record<K, V> {
    /// The key.
    pub key: K,
    /// The value.
    pub value: V,
    /// Event time in milliseconds since the Unix epoch.
    pub timestamp: i64,
    /// Headers, carried through operators unchanged unless a processor edits them.
    pub headers: Headers,
}

impl<K, V> Record<K, V> {
    /// A record with no headers.
    pub fn new(key: K, value: V, timestamp: i64) -> Self {
        Self {
            key,
            value,
            timestamp,
            headers: Headers::new(),
        }
    }

    /// The same record with another key (and possibly another key type).
    pub fn with_key<K2>(self, key: K2) -> Record<K2, V> {
        Record {
            key,
            value: self.value,
            timestamp: self.timestamp,
            headers: self.headers,
        }
    }

    /// The same record with another value (and possibly another value type).
    pub fn with_value<V2>(self, value: V2) -> Record<K, V2> {
        Record {
            key: self.key,
            value,
            timestamp: self.timestamp,
            headers: self.headers,
        }
    }

    /// The same record with another timestamp.
    pub fn with_timestamp(mut self, timestamp: i64) -> Self {
        self.timestamp = timestamp;
        self
    }

    /// The same record with other headers.
    pub fn with_headers(mut self, headers: Headers) -> Self {
        self.headers = headers;
        self
    }
}
