//! The key of the subscription store on the right side of a foreign-key join:
//! the foreign key, then the primary key (Kafka Streams' `CombinedKey`), laid
//! out so that one foreign key's subscriptions share a prefix: the foreign
//! key's length as 4 bytes big-endian, its bytes, then the primary key's bytes.
//! A key without its primary key serializes to that prefix alone, which is
//! how an update of a right row scans its subscribers.

use super::wire_error::{WireFormatError, take};
use streams_core::serde::{Serde, SerdeContext, SerdeError, SerdeRef};

/// A foreign key and the primary key of a left row subscribed to it; without
/// the primary key, the prefix of every subscription to the foreign key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CombinedKey<KO, K> {
    pub(crate) foreign_key: KO,
    pub(crate) primary_key: Option<K>,
}

impl<KO, K> CombinedKey<KO, K> {
    /// The key of one subscription.
    pub(crate) fn new(foreign_key: KO, primary_key: K) -> Self {
        Self {
            foreign_key,
            primary_key: Some(primary_key),
        }
    }

    /// The prefix of every subscription to `foreign_key`.
    pub(crate) fn prefix(foreign_key: KO) -> Self {
        Self {
            foreign_key,
            primary_key: None,
        }
    }
}

const RECORD: &str = "a foreign-key join subscription key";

/// The serde of [`CombinedKey`]s from the serdes of both keys.
pub(crate) struct CombinedKeySerde<KO, K> {
    foreign_key: SerdeRef<KO>,
    primary_key: SerdeRef<K>,
    name: String,
}

impl<KO, K> CombinedKeySerde<KO, K> {
    pub(crate) fn new(foreign_key: SerdeRef<KO>, primary_key: SerdeRef<K>) -> Self {
        let name = format!(
            "CombinedKeySerde<{}, {}>",
            foreign_key.name(),
            primary_key.name()
        );
        Self {
            foreign_key,
            primary_key,
            name,
        }
    }

    fn encode(
        foreign_key: Option<Vec<u8>>,
        primary_key: Option<Option<Vec<u8>>>,
    ) -> Result<Vec<u8>, SerdeError> {
        let foreign_key = foreign_key.ok_or(WireFormatError::Null("a foreign key"))?;
        let length = u32::try_from(foreign_key.len())
            .map_err(|_| WireFormatError::TooLong(foreign_key.len()))?;
        let mut bytes = Vec::with_capacity(4 + foreign_key.len());
        bytes.extend_from_slice(&length.to_be_bytes());
        bytes.extend_from_slice(&foreign_key);
        if let Some(primary_key) = primary_key {
            bytes.extend(primary_key.ok_or(WireFormatError::Null("a primary key"))?);
        }
        Ok(bytes)
    }

    /// The foreign key's and the primary key's bytes.
    fn split(mut bytes: &[u8]) -> Result<(&[u8], &[u8]), SerdeError> {
        let mut length = [0; 4];
        length.copy_from_slice(take(&mut bytes, 4, RECORD)?);
        let length = u32::from_be_bytes(length) as usize;
        let foreign_key = take(&mut bytes, length, RECORD)?;
        Ok((foreign_key, bytes))
    }
}

impl<KO, K> Serde<CombinedKey<KO, K>> for CombinedKeySerde<KO, K> {
    fn name(&self) -> &str {
        &self.name
    }

    fn serialize(&self, value: &CombinedKey<KO, K>) -> Result<Vec<u8>, SerdeError> {
        let primary_key = value
            .primary_key
            .as_ref()
            .map(|key| self.primary_key.serialize_nullable(key))
            .transpose()?;
        Self::encode(
            self.foreign_key.serialize_nullable(&value.foreign_key)?,
            primary_key,
        )
    }

    /// Stored keys always have their primary key.
    fn deserialize(&self, bytes: &[u8]) -> Result<CombinedKey<KO, K>, SerdeError> {
        let (foreign_key, primary_key) = Self::split(bytes)?;
        Ok(CombinedKey::new(
            self.foreign_key.deserialize(foreign_key)?,
            self.primary_key.deserialize(primary_key)?,
        ))
    }

    fn serialize_with_context(
        &self,
        context: &SerdeContext<'_>,
        value: &CombinedKey<KO, K>,
    ) -> Result<Option<Vec<u8>>, SerdeError> {
        let primary_key = value
            .primary_key
            .as_ref()
            .map(|key| self.primary_key.serialize_with_context(context, key))
            .transpose()?;
        Self::encode(
            self.foreign_key
                .serialize_with_context(context, &value.foreign_key)?,
            primary_key,
        )
        .map(Some)
    }

    fn deserialize_with_context(
        &self,
        context: &SerdeContext<'_>,
        bytes: Option<&[u8]>,
    ) -> Result<CombinedKey<KO, K>, SerdeError> {
        let bytes = bytes.ok_or(WireFormatError::Null("a subscription key"))?;
        let (foreign_key, primary_key) = Self::split(bytes)?;
        Ok(CombinedKey::new(
            self.foreign_key
                .deserialize_with_context(context, Some(foreign_key))?,
            self.primary_key
                .deserialize_with_context(context, Some(primary_key))?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use streams_core::serde::StringSerde;

    fn serde() -> CombinedKeySerde<String, String> {
        CombinedKeySerde::new(Arc::new(StringSerde), Arc::new(StringSerde))
    }

    #[test]
    fn a_subscription_key_starts_with_its_foreign_key_prefix() {
        let key = CombinedKey::new("fk".to_string(), "pk".to_string());
        let bytes = serde().serialize(&key).unwrap();
        assert_eq!(bytes, b"\0\0\0\x02fkpk");
        let prefix = serde()
            .serialize(&CombinedKey::prefix("fk".to_string()))
            .unwrap();
        assert!(bytes.starts_with(&prefix));
        // A longer foreign key sharing the first bytes has another prefix.
        let other = serde()
            .serialize(&CombinedKey::new("fkx".to_string(), "pk".to_string()))
            .unwrap();
        assert!(!other.starts_with(&prefix));
        assert_eq!(serde().deserialize(&bytes).unwrap(), key);
        assert!(serde().deserialize(b"\0\0\0\x09fk").is_err());
    }
}
