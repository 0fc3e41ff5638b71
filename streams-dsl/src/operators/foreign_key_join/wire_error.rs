//! Why a foreign-key join's internal record (a subscription, a response or a
//! subscription-store key) cannot be read back from its bytes.

use streams_core::serde::SerdeError;

/// A malformed or unsupported internal record of a foreign-key join.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum WireFormatError {
    /// The record was written by a newer format than this version reads
    /// (Kafka Streams guards rolling upgrades the same way).
    #[error("{record} of format version {version} is newer than the supported version {supported}")]
    UnsupportedVersion {
        /// What kind of record.
        record: &'static str,
        /// The version it was written with.
        version: u8,
        /// The newest version this code reads.
        supported: u8,
    },
    /// Fewer bytes than the layout needs.
    #[error("{record} is truncated: {needed} bytes needed, {available} available")]
    Truncated {
        /// What kind of record.
        record: &'static str,
        /// Bytes the layout needs at least.
        needed: usize,
        /// Bytes there are.
        available: usize,
    },
    /// A subscription instruction this code does not know.
    #[error("unknown subscription instruction {0}")]
    UnknownInstruction(u8),
    /// A part too long for its 4-byte length prefix.
    #[error("a foreign key of {0} bytes is longer than a 4-byte length can say")]
    TooLong(usize),
    /// A part that must not be null serialized to null.
    #[error("{0} serialized to null, which has no place in a foreign-key join record")]
    Null(&'static str),
}

impl From<WireFormatError> for SerdeError {
    fn from(error: WireFormatError) -> Self {
        SerdeError::with_source(error.to_string(), error)
    }
}

/// Splits `count` bytes off the front of `bytes`.
pub(crate) fn take<'a>(
    bytes: &mut &'a [u8],
    count: usize,
    record: &'static str,
) -> Result<&'a [u8], WireFormatError> {
    if bytes.len() < count {
        return Err(WireFormatError::Truncated {
            record,
            needed: count,
            available: bytes.len(),
        });
    }
    let (head, rest) = bytes.split_at(count);
    *bytes = rest;
    Ok(head)
}
