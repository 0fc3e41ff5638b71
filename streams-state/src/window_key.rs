//! The binary key layout of window stores, also used for their changelog keys.
//!
//! ```text
//! +----------------+----------------------------+-----------------------------+
//! | record key     | window start, ms           | sequence number             |
//! | (any length)   | 8 bytes, big-endian i64    | 4 bytes, big-endian u32     |
//! |                |                            | (only with retain_duplicates)|
//! +----------------+----------------------------+-----------------------------+
//! ```
//!
//! Window starts are never negative, so for one record key the byte order of
//! stored keys is the time order of windows. The record key is everything before
//! the fixed-size suffix, so decoding needs to know whether the store retains
//! duplicates.

/// Size of the window-start suffix.
pub const TIMESTAMP_SIZE: usize = 8;
/// Size of the sequence-number suffix of stores that retain duplicates.
pub const SEQNUM_SIZE: usize = 4;

/// A decoded window-store key, borrowing the record key from the stored bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowKey<'a> {
    /// The record key.
    pub key: &'a [u8],
    /// Start of the window, in ms.
    pub window_start: i64,
    /// Sequence number distinguishing duplicates, if the store retains them.
    pub seqnum: Option<u32>,
}

/// Encodes `key` at `window_start` (with `seqnum` if the store retains duplicates).
///
/// ```
/// use streams_state::window_key;
///
/// let bytes = window_key::encode(b"k", 5, None);
/// assert_eq!(bytes, [b'k', 0, 0, 0, 0, 0, 0, 0, 5]);
/// let decoded = window_key::decode(&bytes, false).unwrap();
/// assert_eq!((decoded.key, decoded.window_start), (&b"k"[..], 5));
/// ```
pub fn encode(key: &[u8], window_start: i64, seqnum: Option<u32>) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(key.len() + TIMESTAMP_SIZE + SEQNUM_SIZE);
    bytes.extend_from_slice(key);
    bytes.extend_from_slice(&window_start.to_be_bytes());
    if let Some(seqnum) = seqnum {
        bytes.extend_from_slice(&seqnum.to_be_bytes());
    }
    bytes
}

/// Decodes stored key bytes; `None` if they are too short or the window start
/// is negative.
pub fn decode(bytes: &[u8], retain_duplicates: bool) -> Option<WindowKey<'_>> {
    let (rest, seqnum) = if retain_duplicates {
        let split = bytes.len().checked_sub(SEQNUM_SIZE)?;
        let (rest, seq) = bytes.split_at(split);
        (rest, Some(u32::from_be_bytes(seq.try_into().ok()?)))
    } else {
        (bytes, None)
    };
    let split = rest.len().checked_sub(TIMESTAMP_SIZE)?;
    let (key, time) = rest.split_at(split);
    let window_start = i64::from_be_bytes(time.try_into().ok()?);
    (window_start >= 0).then_some(WindowKey {
        key,
        window_start,
        seqnum,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_and_without_seqnum() {
        let bytes = encode(b"key", 1_234_567, Some(9));
        assert_eq!(bytes.len(), 3 + TIMESTAMP_SIZE + SEQNUM_SIZE);
        let decoded = decode(&bytes, true).unwrap();
        assert_eq!(decoded.key, b"key");
        assert_eq!(decoded.window_start, 1_234_567);
        assert_eq!(decoded.seqnum, Some(9));

        let bytes = encode(b"", 0, None);
        let decoded = decode(&bytes, false).unwrap();
        assert_eq!(decoded.key, b"");
        assert_eq!(decoded.window_start, 0);
    }

    #[test]
    fn rejects_short_or_negative() {
        assert_eq!(decode(b"short", false), None);
        assert_eq!(decode(&encode(b"", 1, None), true), None);
        assert_eq!(decode(&encode(b"k", -1, None), false), None);
    }

    #[test]
    fn orders_windows_of_one_key_by_time() {
        assert!(encode(b"k", 255, None) < encode(b"k", 256, None));
        assert!(encode(b"k", 1, Some(u32::MAX)) < encode(b"k", 2, Some(0)));
    }
}
