//! What the left side of a foreign-key join sends to the right side, keyed by
//! the foreign key: a [`Subscription`] (Kafka Streams' `SubscriptionWrapper`),
//! and its binary wire format.
//!
//! Layout (format version 1, Kafka Streams' order): one byte with the version
//! in its low 7 bits and bit 7 set when there is no hash (the left row was
//! deleted), one instruction byte, the 16-byte hash when there is one, the
//! primary key's bytes, and the left row's partition as 4 bytes big-endian.

use super::hash::ValueHash;
use super::wire_error::{WireFormatError, take};
use streams_core::serde::{Serde, SerdeContext, SerdeError, SerdeRef};

/// What the right side does with a subscription (Kafka Streams' instructions,
/// with their byte values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Instruction {
    /// Forget the subscription; answer nothing (the left row moved to another
    /// foreign key, whose subscription answers).
    DeleteKeyNoPropagate = 0,
    /// Forget the subscription and answer "no right row", so the left side
    /// deletes the joined row.
    DeleteKeyAndPropagate = 1,
    /// Keep the subscription and answer with the right row, or "no right row".
    PropagateNullIfNoForeignValue = 2,
    /// Keep the subscription and answer only if there is a right row.
    PropagateOnlyIfForeignValue = 3,
}

impl Instruction {
    fn from_byte(byte: u8) -> Result<Self, WireFormatError> {
        Ok(match byte {
            0 => Self::DeleteKeyNoPropagate,
            1 => Self::DeleteKeyAndPropagate,
            2 => Self::PropagateNullIfNoForeignValue,
            3 => Self::PropagateOnlyIfForeignValue,
            other => return Err(WireFormatError::UnknownInstruction(other)),
        })
    }

    /// Whether the subscription is removed from the right side's store.
    pub(crate) fn unsubscribes(self) -> bool {
        matches!(
            self,
            Self::DeleteKeyNoPropagate | Self::DeleteKeyAndPropagate
        )
    }
}

/// A left row's subscription to a foreign key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Subscription<K> {
    /// The hash of the left row's value; `None` for a deleted row.
    pub(crate) hash: Option<ValueHash>,
    /// What the right side does with it.
    pub(crate) instruction: Instruction,
    /// The left row's key.
    pub(crate) primary_key: K,
    /// The partition of the left row, where the response goes back to.
    pub(crate) primary_partition: i32,
}

/// The format version written; newer ones are rejected.
const VERSION: u8 = 1;
const NO_HASH: u8 = 0x80;
const RECORD: &str = "a foreign-key join subscription";

/// The serde of [`Subscription`]s, wrapping the serde of the primary keys
/// (which sees the same context).
pub(crate) struct SubscriptionSerde<K> {
    primary_key: SerdeRef<K>,
    name: String,
}

impl<K> SubscriptionSerde<K> {
    pub(crate) fn new(primary_key: SerdeRef<K>) -> Self {
        let name = format!("SubscriptionSerde<{}>", primary_key.name());
        Self { primary_key, name }
    }

    fn encode(
        &self,
        subscription: &Subscription<K>,
        key_bytes: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, SerdeError> {
        let key = key_bytes.ok_or(WireFormatError::Null("a primary key"))?;
        let mut bytes = Vec::with_capacity(2 + 16 + key.len() + 4);
        match &subscription.hash {
            Some(hash) => {
                bytes.push(VERSION);
                bytes.push(subscription.instruction as u8);
                bytes.extend_from_slice(hash);
            }
            None => {
                bytes.push(VERSION | NO_HASH);
                bytes.push(subscription.instruction as u8);
            }
        }
        bytes.extend_from_slice(&key);
        bytes.extend_from_slice(&subscription.primary_partition.to_be_bytes());
        Ok(bytes)
    }

    fn decode(
        &self,
        mut bytes: &[u8],
        primary_key: impl Fn(&[u8]) -> Result<K, SerdeError>,
    ) -> Result<Subscription<K>, SerdeError> {
        let header = take(&mut bytes, 2, RECORD)?;
        let version = header[0] & !NO_HASH;
        if version > VERSION {
            return Err(WireFormatError::UnsupportedVersion {
                record: RECORD,
                version,
                supported: VERSION,
            }
            .into());
        }
        let instruction = Instruction::from_byte(header[1])?;
        let hash = match header[0] & NO_HASH {
            0 => {
                let mut hash = [0; 16];
                hash.copy_from_slice(take(&mut bytes, 16, RECORD)?);
                Some(hash)
            }
            _ => None,
        };
        let Some(key_length) = bytes.len().checked_sub(4) else {
            return Err(WireFormatError::Truncated {
                record: RECORD,
                needed: 4,
                available: bytes.len(),
            }
            .into());
        };
        let key = take(&mut bytes, key_length, RECORD)?;
        let mut partition = [0; 4];
        partition.copy_from_slice(bytes);
        Ok(Subscription {
            hash,
            instruction,
            primary_key: primary_key(key)?,
            primary_partition: i32::from_be_bytes(partition),
        })
    }
}

impl<K> Serde<Subscription<K>> for SubscriptionSerde<K> {
    fn name(&self) -> &str {
        &self.name
    }

    fn serialize(&self, value: &Subscription<K>) -> Result<Vec<u8>, SerdeError> {
        let key = self.primary_key.serialize_nullable(&value.primary_key)?;
        self.encode(value, key)
    }

    fn deserialize(&self, bytes: &[u8]) -> Result<Subscription<K>, SerdeError> {
        self.decode(bytes, |key| self.primary_key.deserialize(key))
    }

    fn serialize_with_context(
        &self,
        context: &SerdeContext<'_>,
        value: &Subscription<K>,
    ) -> Result<Option<Vec<u8>>, SerdeError> {
        let key = self
            .primary_key
            .serialize_with_context(context, &value.primary_key)?;
        self.encode(value, key).map(Some)
    }

    fn deserialize_with_context(
        &self,
        context: &SerdeContext<'_>,
        bytes: Option<&[u8]>,
    ) -> Result<Subscription<K>, SerdeError> {
        let bytes = bytes.ok_or(WireFormatError::Null("a subscription"))?;
        self.decode(bytes, |key| {
            self.primary_key
                .deserialize_with_context(context, Some(key))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use streams_core::serde::StringSerde;

    fn serde() -> SubscriptionSerde<String> {
        SubscriptionSerde::new(Arc::new(StringSerde))
    }

    #[test]
    fn the_layout_is_version_instruction_hash_key_partition() {
        let subscription = Subscription {
            hash: Some([7; 16]),
            instruction: Instruction::PropagateOnlyIfForeignValue,
            primary_key: "pk".to_string(),
            primary_partition: 3,
        };
        let bytes = serde().serialize(&subscription).unwrap();
        let mut expected = vec![1, 3];
        expected.extend([7; 16]);
        expected.extend(b"pk");
        expected.extend([0, 0, 0, 3]);
        assert_eq!(bytes, expected);
        assert_eq!(serde().deserialize(&bytes).unwrap(), subscription);
    }

    #[test]
    fn a_missing_hash_sets_the_top_bit_and_an_empty_key_round_trips() {
        let subscription = Subscription {
            hash: None,
            instruction: Instruction::DeleteKeyAndPropagate,
            primary_key: String::new(),
            primary_partition: 0,
        };
        let bytes = serde().serialize(&subscription).unwrap();
        assert_eq!(bytes, vec![0x81, 1, 0, 0, 0, 0]);
        assert_eq!(serde().deserialize(&bytes).unwrap(), subscription);
    }

    #[test]
    fn newer_versions_unknown_instructions_and_truncation_are_rejected() {
        let error = serde().deserialize(&[2, 0, 0, 0, 0, 0]).unwrap_err();
        assert!(error.to_string().contains("version 2"), "{error}");
        let error = serde().deserialize(&[0x81, 9, 0, 0, 0, 0]).unwrap_err();
        assert!(error.to_string().contains("instruction 9"), "{error}");
        assert!(serde().deserialize(&[1, 3, 0]).is_err());
        assert!(serde().deserialize(&[0x81, 3, 0]).is_err());
    }
}
