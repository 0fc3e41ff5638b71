//! What the right side of a foreign-key join answers a subscription with,
//! keyed by the primary key: a [`SubscriptionResponse`] (Kafka Streams'
//! `SubscriptionResponseWrapper`), and its binary wire format.
//!
//! Layout (format version 0): one byte with the version in its low 6 bits,
//! bit 7 set when there is no hash and bit 6 set when there is no right row;
//! the 16-byte hash when there is one; the left row's partition as 4 bytes
//! big-endian; then the right row's bytes when there is one. Unlike Kafka
//! Streams, which takes zero value bytes for "no right row", a flag says it,
//! so a right value that serializes to no bytes survives the trip.

use super::hash::ValueHash;
use super::wire_error::{WireFormatError, take};
use streams_core::serde::{Serde, SerdeContext, SerdeError, SerdeRef};

/// The right row a subscription joins with, and the hash of the left value
/// that subscribed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SubscriptionResponse<VO> {
    /// The hash the subscription carried.
    pub(crate) hash: Option<ValueHash>,
    /// The right row, or `None` when the foreign key has none.
    pub(crate) foreign_value: Option<VO>,
    /// The partition of the left row, which the response is written to.
    pub(crate) primary_partition: i32,
}

const VERSION: u8 = 0;
const NO_HASH: u8 = 0x80;
const NO_VALUE: u8 = 0x40;
const RECORD: &str = "a foreign-key join response";

/// The serde of [`SubscriptionResponse`]s, wrapping the serde of the right
/// table's values (which sees the same context).
pub(crate) struct SubscriptionResponseSerde<VO> {
    foreign_value: SerdeRef<VO>,
    name: String,
}

impl<VO> SubscriptionResponseSerde<VO> {
    pub(crate) fn new(foreign_value: SerdeRef<VO>) -> Self {
        let name = format!("SubscriptionResponseSerde<{}>", foreign_value.name());
        Self {
            foreign_value,
            name,
        }
    }

    fn encode(
        &self,
        response: &SubscriptionResponse<VO>,
        value: impl Fn(&VO) -> Result<Option<Vec<u8>>, SerdeError>,
    ) -> Result<Vec<u8>, SerdeError> {
        let value = response.foreign_value.as_ref().map(value).transpose()?;
        let value = match value {
            Some(Some(bytes)) => Some(bytes),
            Some(None) => return Err(WireFormatError::Null("a right-table value").into()),
            None => None,
        };
        let mut flags = VERSION;
        if response.hash.is_none() {
            flags |= NO_HASH;
        }
        if value.is_none() {
            flags |= NO_VALUE;
        }
        let mut bytes = vec![flags];
        if let Some(hash) = &response.hash {
            bytes.extend_from_slice(hash);
        }
        bytes.extend_from_slice(&response.primary_partition.to_be_bytes());
        bytes.extend(value.into_iter().flatten());
        Ok(bytes)
    }

    fn decode(
        &self,
        mut bytes: &[u8],
        value: impl Fn(&[u8]) -> Result<VO, SerdeError>,
    ) -> Result<SubscriptionResponse<VO>, SerdeError> {
        let flags = take(&mut bytes, 1, RECORD)?[0];
        let version = flags & !(NO_HASH | NO_VALUE);
        if version > VERSION {
            return Err(WireFormatError::UnsupportedVersion {
                record: RECORD,
                version,
                supported: VERSION,
            }
            .into());
        }
        let hash = match flags & NO_HASH {
            0 => {
                let mut hash = [0; 16];
                hash.copy_from_slice(take(&mut bytes, 16, RECORD)?);
                Some(hash)
            }
            _ => None,
        };
        let mut partition = [0; 4];
        partition.copy_from_slice(take(&mut bytes, 4, RECORD)?);
        let foreign_value = match flags & NO_VALUE {
            0 => Some(value(bytes)?),
            _ => None,
        };
        Ok(SubscriptionResponse {
            hash,
            foreign_value,
            primary_partition: i32::from_be_bytes(partition),
        })
    }
}

impl<VO> Serde<SubscriptionResponse<VO>> for SubscriptionResponseSerde<VO> {
    fn name(&self) -> &str {
        &self.name
    }

    fn serialize(&self, value: &SubscriptionResponse<VO>) -> Result<Vec<u8>, SerdeError> {
        self.encode(value, |v| self.foreign_value.serialize_nullable(v))
    }

    fn deserialize(&self, bytes: &[u8]) -> Result<SubscriptionResponse<VO>, SerdeError> {
        self.decode(bytes, |v| self.foreign_value.deserialize(v))
    }

    fn serialize_with_context(
        &self,
        context: &SerdeContext<'_>,
        value: &SubscriptionResponse<VO>,
    ) -> Result<Option<Vec<u8>>, SerdeError> {
        self.encode(value, |v| {
            self.foreign_value.serialize_with_context(context, v)
        })
        .map(Some)
    }

    fn deserialize_with_context(
        &self,
        context: &SerdeContext<'_>,
        bytes: Option<&[u8]>,
    ) -> Result<SubscriptionResponse<VO>, SerdeError> {
        let bytes = bytes.ok_or(WireFormatError::Null("a response"))?;
        self.decode(bytes, |v| {
            self.foreign_value
                .deserialize_with_context(context, Some(v))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use streams_core::serde::StringSerde;

    fn serde() -> SubscriptionResponseSerde<String> {
        SubscriptionResponseSerde::new(Arc::new(StringSerde))
    }

    #[test]
    fn the_layout_is_flags_hash_partition_value() {
        let response = SubscriptionResponse {
            hash: Some([9; 16]),
            foreign_value: Some("right".to_string()),
            primary_partition: 2,
        };
        let bytes = serde().serialize(&response).unwrap();
        let mut expected = vec![0];
        expected.extend([9; 16]);
        expected.extend([0, 0, 0, 2]);
        expected.extend(b"right");
        assert_eq!(bytes, expected);
        assert_eq!(serde().deserialize(&bytes).unwrap(), response);
    }

    #[test]
    fn no_right_row_differs_from_an_empty_right_value() {
        let empty = SubscriptionResponse {
            hash: None,
            foreign_value: Some(String::new()),
            primary_partition: 0,
        };
        let missing = SubscriptionResponse {
            foreign_value: None,
            ..empty.clone()
        };
        assert_eq!(serde().serialize(&empty).unwrap(), vec![0x80, 0, 0, 0, 0]);
        assert_eq!(serde().serialize(&missing).unwrap(), vec![0xC0, 0, 0, 0, 0]);
        for response in [empty, missing] {
            let bytes = serde().serialize(&response).unwrap();
            assert_eq!(serde().deserialize(&bytes).unwrap(), response);
        }
    }

    #[test]
    fn newer_versions_and_truncation_are_rejected() {
        let error = serde().deserialize(&[0x81, 0, 0, 0, 0]).unwrap_err();
        assert!(error.to_string().contains("version 1"), "{error}");
        assert!(serde().deserialize(&[0xC0, 0, 0]).is_err());
        assert!(serde().deserialize(&[0x40; 10]).is_err());
    }
}
