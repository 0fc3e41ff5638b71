//! The changelog record layout of versioned stores: the changelog key is the
//! store's key, the value carries the version's timestamp so a restore can
//! replay each put at its own time (the runtime stamps changelog records with
//! the task's stream time, not the put's).
//!
//! Value: 8 bytes big-endian timestamp, one flag byte (`0` tombstone, `1`
//! value), then the value's bytes. A tombstone version is therefore not a
//! null changelog value.

use crate::{Result, StateStoreError};

const TOMBSTONE: u8 = 0;
const VALUE: u8 = 1;
const HEADER: usize = 9;

/// The changelog value of a put of `value` (`None`: a tombstone) at `timestamp`.
pub fn encode(timestamp: i64, value: Option<&[u8]>) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(HEADER + value.map_or(0, <[u8]>::len));
    bytes.extend_from_slice(&timestamp.to_be_bytes());
    match value {
        Some(value) => {
            bytes.push(VALUE);
            bytes.extend_from_slice(value);
        }
        None => bytes.push(TOMBSTONE),
    }
    bytes
}

/// The timestamp and value of a changelog value written by [`encode`] for the
/// store `store`.
pub fn decode<'a>(store: &str, bytes: &'a [u8]) -> Result<(i64, Option<&'a [u8]>)> {
    let corrupt = |detail: String| StateStoreError::corrupt(store, detail);
    if bytes.len() < HEADER {
        return Err(corrupt(format!(
            "a versioned changelog value has {} bytes, fewer than its 9-byte header",
            bytes.len()
        )));
    }
    let (header, value) = bytes.split_at(HEADER);
    let mut timestamp = [0; 8];
    timestamp.copy_from_slice(&header[..8]);
    let timestamp = i64::from_be_bytes(timestamp);
    match header[8] {
        VALUE => Ok((timestamp, Some(value))),
        TOMBSTONE if value.is_empty() => Ok((timestamp, None)),
        flag => Err(corrupt(format!(
            "a versioned changelog value has flag {flag} and {} value bytes",
            value.len()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_values_tombstones_and_negative_timestamps() {
        for (timestamp, value) in [(5, Some(&b"v"[..])), (-3, None), (7, Some(&b""[..]))] {
            assert_eq!(
                decode("s", &encode(timestamp, value)).unwrap(),
                (timestamp, value)
            );
        }
    }

    #[test]
    fn rejects_short_and_malformed_values() {
        assert!(matches!(
            decode("s", b"short"),
            Err(StateStoreError::Corrupt { .. })
        ));
        let mut bad = encode(1, None);
        bad.push(9);
        assert!(matches!(
            decode("s", &bad),
            Err(StateStoreError::Corrupt { .. })
        ));
    }
}
