//! Serializers and deserializers ("serdes") between typed keys/values and Kafka's
//! bytes, the built-in serdes, and the registry that chooses a serde by type.
//!
//! Null handling is part of the type: a plain `T` cannot be null, while
//! `Option<T>` maps `None` to Kafka's null (a tombstone for values).

mod bincode;
mod change;
mod context;
mod error;
mod json;
mod option;
mod primitives;
mod protobuf;
mod registry;
mod windowed;

pub use self::bincode::BincodeSerde;
pub use change::ChangeSerde;
pub use context::SerdeContext;
pub use error::SerdeError;
pub use json::JsonSerde;
pub use option::OptionSerde;
pub use primitives::{
    BytesSerde, F64Serde, I32Serde, I64Serde, StringSerde, U64Serde, UnitSerde, VecSerde,
};
pub use protobuf::ProtobufSerde;
pub use registry::SerdeRegistry;
pub use windowed::WindowedSerde;

use std::sync::Arc;

/// Converts values of type `T` to and from Kafka's bytes.
///
/// Implement [`serialize`](Serde::serialize) and [`deserialize`](Serde::deserialize);
/// the nullable variants exist so that serdes such as [`OptionSerde`] and
/// [`UnitSerde`] can map values to and from Kafka's null.
///
/// The framework calls [`serialize_with_context`](Serde::serialize_with_context)
/// and [`deserialize_with_context`](Serde::deserialize_with_context), which also
/// see the topic, whether the bytes are a key or a value, and the headers (a
/// [`SerdeContext`]); by default they ignore it and call the nullable variants,
/// so a serde that needs no context implements only the two methods above. A
/// serde that names schema-registry subjects after the topic overrides them.
///
/// ```
/// use streams_core::serde::{Serde, SerdeError};
///
/// /// Upper-cases on the way out, as an example of a custom serde.
/// struct ShoutingSerde;
///
/// impl Serde<String> for ShoutingSerde {
///     fn serialize(&self, value: &String) -> Result<Vec<u8>, SerdeError> {
///         Ok(value.to_uppercase().into_bytes())
///     }
///     fn deserialize(&self, bytes: &[u8]) -> Result<String, SerdeError> {
///         String::from_utf8(bytes.to_vec()).map_err(|e| SerdeError::with_source("invalid UTF-8", e))
///     }
/// }
///
/// assert_eq!(ShoutingSerde.serialize(&"hi".to_string()).unwrap(), b"HI");
/// ```
pub trait Serde<T>: Send + Sync {
    /// Name used in error messages; defaults to the serde's type name.
    fn name(&self) -> &str {
        std::any::type_name::<Self>()
    }

    /// Serializes a value to bytes.
    fn serialize(&self, value: &T) -> Result<Vec<u8>, SerdeError>;

    /// Deserializes a value from bytes.
    fn deserialize(&self, bytes: &[u8]) -> Result<T, SerdeError>;

    /// Serializes a value that may map to Kafka's null; the default never does.
    fn serialize_nullable(&self, value: &T) -> Result<Option<Vec<u8>>, SerdeError> {
        self.serialize(value).map(Some)
    }

    /// When keys of this type are partitioned by other bytes than their
    /// serialized form: the function giving those bytes (`None` for a null
    /// key). Windowed keys are partitioned by their inner key, so every window
    /// of a key lands in the key's partition (Kafka's
    /// `WindowedStreamPartitioner`). The default, `None`, has the default
    /// partitioner hash the serialized key.
    fn partition_bytes(&self) -> Option<PartitionBytes<T>> {
        None
    }

    /// Whether `value` is Kafka's null (what [`serialize_nullable`](Serde::serialize_nullable)
    /// writes as null), without serializing it: operators that drop null values,
    /// such as stream-table joins, ask this. The default says no value is; a
    /// serde that overrides `serialize_nullable` to write some values as null
    /// overrides this too.
    fn is_null(&self, value: &T) -> bool {
        let _ = value;
        false
    }

    /// Deserializes possibly-null bytes; the default rejects null, because a plain
    /// `T` cannot represent it (use `Option<T>` for nullable keys and values).
    fn deserialize_nullable(&self, bytes: Option<&[u8]>) -> Result<T, SerdeError> {
        match bytes {
            Some(bytes) => self.deserialize(bytes),
            None => Err(SerdeError::new(format!(
                "null is not a valid `{}`; declare the type as Option<{}> to accept nulls (tombstones)",
                std::any::type_name::<T>(),
                std::any::type_name::<T>()
            ))),
        }
    }

    /// Serializes a value written to the topic and record half `context` names;
    /// `None` is Kafka's null. Defaults to
    /// [`serialize_nullable`](Serde::serialize_nullable), ignoring the context.
    ///
    /// ```
    /// use streams_core::record::Headers;
    /// use streams_core::serde::{Serde, SerdeContext, SerdeError};
    ///
    /// /// Prefixes each value with the topic it is written to.
    /// struct TopicTagged;
    ///
    /// impl Serde<String> for TopicTagged {
    ///     fn serialize(&self, value: &String) -> Result<Vec<u8>, SerdeError> {
    ///         Ok(value.clone().into_bytes())
    ///     }
    ///     fn deserialize(&self, bytes: &[u8]) -> Result<String, SerdeError> {
    ///         String::from_utf8(bytes.to_vec()).map_err(|e| SerdeError::with_source("invalid UTF-8", e))
    ///     }
    ///     fn serialize_with_context(
    ///         &self,
    ///         context: &SerdeContext<'_>,
    ///         value: &String,
    ///     ) -> Result<Option<Vec<u8>>, SerdeError> {
    ///         Ok(Some(format!("{}:{value}", context.topic()).into_bytes()))
    ///     }
    /// }
    ///
    /// let headers = Headers::new();
    /// let bytes = TopicTagged.serialize_with_context(&SerdeContext::value("orders", &headers), &"o-1".to_string());
    /// assert_eq!(bytes.unwrap().unwrap(), b"orders:o-1");
    /// ```
    fn serialize_with_context(
        &self,
        context: &SerdeContext<'_>,
        value: &T,
    ) -> Result<Option<Vec<u8>>, SerdeError> {
        let _ = context;
        self.serialize_nullable(value)
    }

    /// Deserializes possibly-null bytes read from the topic and record half
    /// `context` names. Defaults to
    /// [`deserialize_nullable`](Serde::deserialize_nullable), ignoring the context.
    fn deserialize_with_context(
        &self,
        context: &SerdeContext<'_>,
        bytes: Option<&[u8]>,
    ) -> Result<T, SerdeError> {
        let _ = context;
        self.deserialize_nullable(bytes)
    }
}

/// Serializes a value that must not be null (a windowed key, a part of a table
/// update), with its context; a serde that maps it to null is an error.
pub(crate) fn serialize_present<T>(
    serde: &dyn Serde<T>,
    context: &SerdeContext<'_>,
    value: &T,
) -> Result<Vec<u8>, SerdeError> {
    serde
        .serialize_with_context(context, value)?
        .ok_or_else(|| {
            SerdeError::new(format!(
                "{} serialized a {} of topic '{}' to null, which has no place here",
                serde.name(),
                context.part(),
                context.topic()
            ))
        })
}

/// A shareable serde for `T`.
pub type SerdeRef<T> = Arc<dyn Serde<T>>;

/// The bytes a key is partitioned by (see [`Serde::partition_bytes`]).
pub type PartitionBytes<T> = Arc<dyn Fn(&T) -> Result<Option<Vec<u8>>, SerdeError> + Send + Sync>;
