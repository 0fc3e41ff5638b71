//! The serde for nullable types: `None` is Kafka's null.

use super::{Serde, SerdeContext, SerdeError, SerdeRef};

/// Wraps the serde of `T` so that `Option<T>` maps `None` to null and back.
/// A stream of `Option<V>` values carries tombstones this way.
///
/// ```
/// use std::sync::Arc;
/// use streams_core::serde::{OptionSerde, Serde, StringSerde};
/// let serde = OptionSerde::new(Arc::new(StringSerde));
/// assert_eq!(serde.serialize_nullable(&None).unwrap(), None);
/// assert_eq!(serde.deserialize_nullable(None).unwrap(), None);
/// assert_eq!(serde.deserialize_nullable(Some(b"x")).unwrap(), Some("x".to_string()));
/// assert!(serde.is_null(&None) && !serde.is_null(&Some(String::new())));
/// ```
pub struct OptionSerde<T> {
    inner: SerdeRef<T>,
    name: String,
}

impl<T> OptionSerde<T> {
    /// Wraps the serde of the non-null values.
    pub fn new(inner: SerdeRef<T>) -> Self {
        let name = format!("OptionSerde<{}>", inner.name());
        Self { inner, name }
    }
}

impl<T> Serde<Option<T>> for OptionSerde<T> {
    fn name(&self) -> &str {
        &self.name
    }
    fn serialize(&self, value: &Option<T>) -> Result<Vec<u8>, SerdeError> {
        match value {
            Some(value) => self.inner.serialize(value),
            None => Err(SerdeError::new(
                "None has no byte form; it is written as Kafka's null",
            )),
        }
    }
    fn deserialize(&self, bytes: &[u8]) -> Result<Option<T>, SerdeError> {
        self.inner.deserialize(bytes).map(Some)
    }
    fn serialize_nullable(&self, value: &Option<T>) -> Result<Option<Vec<u8>>, SerdeError> {
        match value {
            Some(value) => self.inner.serialize_nullable(value),
            None => Ok(None),
        }
    }
    fn deserialize_nullable(&self, bytes: Option<&[u8]>) -> Result<Option<T>, SerdeError> {
        match bytes {
            Some(bytes) => self.inner.deserialize(bytes).map(Some),
            None => Ok(None),
        }
    }
    fn serialize_with_context(
        &self,
        context: &SerdeContext<'_>,
        value: &Option<T>,
    ) -> Result<Option<Vec<u8>>, SerdeError> {
        match value {
            Some(value) => self.inner.serialize_with_context(context, value),
            None => Ok(None),
        }
    }
    fn deserialize_with_context(
        &self,
        context: &SerdeContext<'_>,
        bytes: Option<&[u8]>,
    ) -> Result<Option<T>, SerdeError> {
        match bytes {
            Some(bytes) => self
                .inner
                .deserialize_with_context(context, Some(bytes))
                .map(Some),
            None => Ok(None),
        }
    }

    fn is_null(&self, value: &Option<T>) -> bool {
        value.as_ref().is_none_or(|value| self.inner.is_null(value))
    }
}
