//! Kafka record headers: an ordered list of (key, optional value) pairs.

/// One record header. Kafka allows repeated keys and null values.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Header {
    /// Header key.
    pub key: String,
    /// Header value; `None` is Kafka's null header value.
    pub value: Option<Vec<u8>>,
}

/// The ordered headers of a record. Repeated keys are kept in order, as Kafka does.
///
/// ```
/// use streams_core::record::Headers;
/// let headers = Headers::new().with("trace-id", b"abc").with("source", b"web");
/// assert_eq!(headers.last_value("trace-id"), Some(&b"abc"[..]));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Headers(Vec<Header>);

impl Headers {
    /// No headers.
    pub const fn new() -> Self {
        Self(Vec::new())
    }

    /// Returns these headers with one more appended.
    pub fn with(mut self, key: impl Into<String>, value: impl AsRef<[u8]>) -> Self {
        self.add(key, Some(value.as_ref().to_vec()));
        self
    }

    /// Appends a header (a `None` value is a null header value).
    pub fn add(&mut self, key: impl Into<String>, value: Option<Vec<u8>>) -> &mut Self {
        self.0.push(Header {
            key: key.into(),
            value,
        });
        self
    }

    /// Removes every header with this key.
    pub fn remove(&mut self, key: &str) -> &mut Self {
        self.0.retain(|h| h.key != key);
        self
    }

    /// The last header with this key, as Kafka's `Headers.lastHeader`.
    pub fn last(&self, key: &str) -> Option<&Header> {
        self.0.iter().rev().find(|h| h.key == key)
    }

    /// The value of the last header with this key, if it exists and is not null.
    pub fn last_value(&self, key: &str) -> Option<&[u8]> {
        self.last(key).and_then(|h| h.value.as_deref())
    }

    /// Every header in order.
    pub fn iter(&self) -> impl Iterator<Item = &Header> {
        self.0.iter()
    }

    /// Number of headers.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no headers.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<Header> for Headers {
    fn from_iter<I: IntoIterator<Item = Header>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_keep_order_and_last_wins() {
        let mut headers = Headers::new().with("a", b"1").with("b", b"2");
        headers.add("a", None);
        assert_eq!(headers.len(), 3);
        assert_eq!(headers.last("a").map(|h| h.value.clone()), Some(None));
        assert_eq!(headers.last_value("a"), None);
        assert_eq!(headers.last_value("b"), Some(&b"2"[..]));
        headers.remove("a");
        assert_eq!(
            headers.iter().map(|h| h.key.as_str()).collect::<Vec<_>>(),
            ["b"]
        );
    }
}
