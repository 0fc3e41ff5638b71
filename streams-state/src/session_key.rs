//! The binary key layout of session stores, also used for their changelog keys.
//!
//! ```text
//! +----------------+---------------------------+---------------------------+
//! | record key     | session end, ms           | session start, ms         |
//! | (any length)   | 8 bytes, big-endian i64   | 8 bytes, big-endian i64   |
//! +----------------+---------------------------+---------------------------+
//! ```
//!
//! Session times are never negative, so for one record key the byte order of
//! stored keys is the order of session end (then start) times, which is the order
//! in which Kafka Streams returns sessions.

/// Size of the two timestamps after the record key.
pub const SUFFIX_SIZE: usize = 16;

/// A decoded session-store key, borrowing the record key from the stored bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionKey<'a> {
    /// The record key.
    pub key: &'a [u8],
    /// Time of the session's first record, in ms.
    pub start: i64,
    /// Time of the session's last record, in ms.
    pub end: i64,
}

/// Encodes `key` for the session `start..=end`.
///
/// ```
/// use streams_state::session_key;
///
/// let bytes = session_key::encode(b"user", 10, 20);
/// let decoded = session_key::decode(&bytes).unwrap();
/// assert_eq!((decoded.key, decoded.start, decoded.end), (&b"user"[..], 10, 20));
/// ```
pub fn encode(key: &[u8], start: i64, end: i64) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(key.len() + SUFFIX_SIZE);
    bytes.extend_from_slice(key);
    bytes.extend_from_slice(&end.to_be_bytes());
    bytes.extend_from_slice(&start.to_be_bytes());
    bytes
}

/// Decodes stored key bytes; `None` if they are too short, a time is negative or
/// the session ends before it starts.
pub fn decode(bytes: &[u8]) -> Option<SessionKey<'_>> {
    let split = bytes.len().checked_sub(SUFFIX_SIZE)?;
    let (key, times) = bytes.split_at(split);
    let (end, start) = times.split_at(8);
    let end = i64::from_be_bytes(end.try_into().ok()?);
    let start = i64::from_be_bytes(start.try_into().ok()?);
    (start >= 0 && start <= end).then_some(SessionKey { key, start, end })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let bytes = encode(b"", 0, 0);
        let decoded = decode(&bytes).unwrap();
        assert_eq!((decoded.key, decoded.start, decoded.end), (&b""[..], 0, 0));
        let bytes = encode(b"abc", 5, i64::MAX);
        let decoded = decode(&bytes).unwrap();
        assert_eq!(decoded.end, i64::MAX);
    }

    #[test]
    fn rejects_malformed_keys() {
        assert_eq!(decode(b"too short"), None);
        assert_eq!(decode(&encode(b"k", 5, 4)), None);
        assert_eq!(decode(&encode(b"k", -1, 4)), None);
    }

    #[test]
    fn orders_sessions_of_one_key_by_end_then_start() {
        assert!(encode(b"k", 9, 10) < encode(b"k", 0, 11));
        assert!(encode(b"k", 1, 10) < encode(b"k", 2, 10));
    }
}
