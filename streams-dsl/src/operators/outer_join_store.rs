//! The byte layout of the store a left or outer stream-stream join shares
//! between its sides: records still waiting for a match, keyed so that a range
//! scan from the start visits them oldest first.
//!
//! A key is the record timestamp (8 bytes big-endian; timestamps are never
//! negative here), the side (one byte) and the serialized record key, as Kafka
//! Streams' `TimestampedKeyAndJoinSide`. Records of one side with the same key
//! and timestamp share an entry whose value lists their stored values, each
//! prefixed with its length (4 bytes big-endian).

/// The side of a join a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JoinSide {
    /// The stream `join_stream` was called on.
    Left,
    /// The stream passed to `join_stream`.
    Right,
}

impl JoinSide {
    fn byte(self) -> u8 {
        match self {
            JoinSide::Left => 0,
            JoinSide::Right => 1,
        }
    }

    /// The other side.
    pub(crate) fn other(self) -> Self {
        match self {
            JoinSide::Left => JoinSide::Right,
            JoinSide::Right => JoinSide::Left,
        }
    }
}

/// Why the shared store cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OuterJoinStoreError {
    /// A stored entry does not follow the layout.
    #[error("store '{store}' holds a malformed entry of a stream-stream join: {detail}")]
    Malformed {
        /// The store.
        store: String,
        /// What is wrong.
        detail: String,
    },
    /// A value is longer than a length prefix can say.
    #[error("store '{store}' cannot buffer a value of {length} bytes")]
    ValueTooLarge {
        /// The store.
        store: String,
        /// The value's length.
        length: usize,
    },
}

const TIMESTAMP_LEN: usize = 8;
const LENGTH_LEN: usize = 4;

/// The store key of the records of `side` with this serialized key and timestamp.
pub(crate) fn encode_key(timestamp: i64, side: JoinSide, key: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(TIMESTAMP_LEN + 1 + key.len());
    bytes.extend_from_slice(&timestamp.to_be_bytes());
    bytes.push(side.byte());
    bytes.extend_from_slice(key);
    bytes
}

/// The smallest store key with a timestamp of `timestamp` or later: the start of
/// a scan over the records from `timestamp` on (negative timestamps start at 0).
pub(crate) fn keys_from(timestamp: i64) -> Vec<u8> {
    timestamp.max(0).to_be_bytes().to_vec()
}

/// The smallest store key with a timestamp above `timestamp`: the exclusive end
/// of a scan over the records up to `timestamp`.
pub(crate) fn keys_after(timestamp: i64) -> Vec<u8> {
    keys_from(timestamp.saturating_add(1))
}

/// A decoded store key.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct OuterJoinKey<'a> {
    pub(crate) timestamp: i64,
    pub(crate) side: JoinSide,
    pub(crate) key: &'a [u8],
}

/// Decodes a store key written by [`encode_key`].
pub(crate) fn decode_key<'a>(
    store: &str,
    bytes: &'a [u8],
) -> Result<OuterJoinKey<'a>, OuterJoinStoreError> {
    let malformed = |detail: String| OuterJoinStoreError::Malformed {
        store: store.to_string(),
        detail,
    };
    let (timestamp, rest) = bytes
        .split_first_chunk::<TIMESTAMP_LEN>()
        .ok_or_else(|| malformed(format!("a key of {} bytes has no timestamp", bytes.len())))?;
    let (side, key) = rest
        .split_first()
        .ok_or_else(|| malformed("a key has no join side".into()))?;
    let side = match side {
        0 => JoinSide::Left,
        1 => JoinSide::Right,
        other => return Err(malformed(format!("unknown join side byte {other}"))),
    };
    Ok(OuterJoinKey {
        timestamp: i64::from_be_bytes(*timestamp),
        side,
        key,
    })
}

/// Appends a stored value to an entry's list.
pub(crate) fn push_value(
    store: &str,
    list: &mut Vec<u8>,
    stored: &[u8],
) -> Result<(), OuterJoinStoreError> {
    let length = u32::try_from(stored.len()).map_err(|_| OuterJoinStoreError::ValueTooLarge {
        store: store.to_string(),
        length: stored.len(),
    })?;
    list.reserve(LENGTH_LEN + stored.len());
    list.extend_from_slice(&length.to_be_bytes());
    list.extend_from_slice(stored);
    Ok(())
}

/// The stored values of an entry's list, in the order they were added.
pub(crate) fn values<'a>(
    store: &str,
    mut list: &'a [u8],
) -> Result<Vec<&'a [u8]>, OuterJoinStoreError> {
    let mut values = Vec::new();
    while !list.is_empty() {
        let value = list
            .split_first_chunk::<LENGTH_LEN>()
            .map(|(length, rest)| (u32::from_be_bytes(*length) as usize, rest))
            .and_then(|(length, rest)| rest.split_at_checked(length));
        let Some((value, rest)) = value else {
            return Err(OuterJoinStoreError::Malformed {
                store: store.to_string(),
                detail: format!("a value list is cut short after {} values", values.len()),
            });
        };
        values.push(value);
        list = rest;
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_sort_by_timestamp_first() {
        let early = encode_key(5, JoinSide::Right, b"zz");
        let late = encode_key(256, JoinSide::Left, b"a");
        assert!(early < late);
        assert!(late < keys_after(256));
        assert!(keys_after(255) <= late);
        assert!(keys_from(256) <= late && keys_from(5) <= early && early < keys_from(6));
        assert_eq!(keys_from(i64::MIN), keys_from(0));
        assert_eq!(
            decode_key("s", &early).unwrap(),
            OuterJoinKey {
                timestamp: 5,
                side: JoinSide::Right,
                key: b"zz"
            }
        );
    }

    #[test]
    fn malformed_keys_are_errors() {
        assert!(decode_key("s", &[0; 7]).is_err());
        assert!(decode_key("s", &[0; 8]).is_err());
        let mut bad_side = encode_key(1, JoinSide::Left, b"k");
        bad_side[8] = 7;
        assert!(decode_key("s", &bad_side).is_err());
    }

    #[test]
    fn value_lists_keep_every_value_in_order() {
        let mut list = Vec::new();
        push_value("s", &mut list, b"first").unwrap();
        push_value("s", &mut list, b"").unwrap();
        push_value("s", &mut list, b"third").unwrap();
        assert_eq!(
            values("s", &list).unwrap(),
            [&b"first"[..], &b""[..], &b"third"[..]]
        );
        list.pop();
        assert!(values("s", &list).is_err());
    }
}
