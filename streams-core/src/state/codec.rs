//! How typed stores lay out their bytes: keys through the key serde, values as an
//! 8-byte big-endian timestamp followed by the serialized value (Kafka Streams'
//! timestamped layout), or as the bare serialized value for session stores
//! (whose timestamp is the session end). Failures become typed errors naming
//! the store. Serdes see the store's changelog topic as their context, as in
//! Kafka Streams (registry subjects `<application.id>-<store>-changelog-key`).

use super::ValueAndTimestamp;
use crate::error::{RecordPart, StreamsError};
use crate::serde::{SerdeContext, SerdeRef, serialize_present};
use streams_state::StateStoreError;

/// Serdes of one typed store (`pub` only so the sealed buffer kinds can take
/// one; its module and fields stay private to the crate).
pub struct StoreCodec<K, V> {
    pub(crate) store: String,
    /// `<application.id>-<store>-changelog`, the topic serdes see.
    pub(crate) changelog_topic: String,
    pub(crate) key_serde: SerdeRef<K>,
    pub(crate) value_serde: SerdeRef<V>,
}

impl<K, V> StoreCodec<K, V> {
    pub(crate) fn corrupt(&self, detail: String) -> StreamsError {
        StateStoreError::Corrupt {
            store: self.store.clone(),
            detail,
        }
        .into()
    }

    fn context(&self, part: RecordPart) -> SerdeContext<'_> {
        SerdeContext::without_headers(&self.changelog_topic, part)
    }

    /// The key's bytes, or `None` when the key serializes to null.
    pub(crate) fn key_bytes(&self, key: &K) -> Result<Option<Vec<u8>>, StreamsError> {
        let context = self.context(RecordPart::Key);
        self.key_serde
            .serialize_with_context(&context, key)
            .map_err(|e| {
                self.corrupt(format!(
                    "key does not serialize with {}: {e}",
                    self.key_serde.name()
                ))
            })
    }

    /// The key's bytes; a null key is an error.
    pub(crate) fn required_key_bytes(&self, key: &K) -> Result<Vec<u8>, StreamsError> {
        self.key_bytes(key)?
            .ok_or_else(|| self.corrupt("a null key cannot be stored".into()))
    }

    pub(crate) fn decode_key(&self, bytes: &[u8]) -> Result<K, StreamsError> {
        let context = self.context(RecordPart::Key);
        let key = self
            .key_serde
            .deserialize_with_context(&context, Some(bytes));
        key.map_err(|e| {
            self.corrupt(format!(
                "a stored key does not deserialize with {}: {e}",
                self.key_serde.name()
            ))
        })
    }

    /// The value's bytes without a timestamp (the session-store layout).
    pub(crate) fn encode_value(&self, value: &V) -> Result<Vec<u8>, StreamsError> {
        let context = self.context(RecordPart::Value);
        serialize_present(self.value_serde.as_ref(), &context, value)
            .map_err(|e| self.unserializable(e))
    }

    /// A value stored without a timestamp (the session-store layout).
    pub(crate) fn decode_value(&self, bytes: &[u8]) -> Result<V, StreamsError> {
        let context = self.context(RecordPart::Value);
        let value = self
            .value_serde
            .deserialize_with_context(&context, Some(bytes));
        value.map_err(|e| {
            self.corrupt(format!(
                "a stored value does not deserialize with {}: {e}",
                self.value_serde.name()
            ))
        })
    }

    pub(crate) fn encode(&self, value: &V, timestamp: i64) -> Result<Vec<u8>, StreamsError> {
        Ok(with_timestamp(timestamp, &self.encode_value(value)?))
    }

    /// The stored form of `value`, or `None` when it serializes to null (a
    /// tombstone, which a store cannot hold as a value).
    pub(crate) fn encode_nullable(
        &self,
        value: &V,
        timestamp: i64,
    ) -> Result<Option<Vec<u8>>, StreamsError> {
        let context = self.context(RecordPart::Value);
        let serialized = self
            .value_serde
            .serialize_with_context(&context, value)
            .map_err(|e| self.unserializable(e))?;
        Ok(serialized.map(|serialized| with_timestamp(timestamp, &serialized)))
    }

    fn unserializable(&self, error: impl std::fmt::Display) -> StreamsError {
        self.corrupt(format!(
            "value does not serialize with {}: {error}",
            self.value_serde.name()
        ))
    }

    pub(crate) fn decode(&self, bytes: &[u8]) -> Result<ValueAndTimestamp<V>, StreamsError> {
        if bytes.len() < 8 {
            return Err(self.corrupt(format!(
                "a stored value has {} bytes, fewer than its 8-byte timestamp",
                bytes.len()
            )));
        }
        let (timestamp, value) = bytes.split_at(8);
        let mut prefix = [0; 8];
        prefix.copy_from_slice(timestamp);
        let value = self.decode_value(value)?;
        Ok(ValueAndTimestamp {
            value,
            timestamp: i64::from_be_bytes(prefix),
        })
    }
}

/// The timestamped layout: 8 bytes big-endian timestamp, then the serialized value.
pub(crate) fn with_timestamp(timestamp: i64, serialized: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(8 + serialized.len());
    bytes.extend_from_slice(&timestamp.to_be_bytes());
    bytes.extend_from_slice(serialized);
    bytes
}
