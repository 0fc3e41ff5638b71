//! Serializers and deserializers ("serdes") between typed keys/values and Kafka's
//! bytes, the built-in serdes, and the registry that chooses a serde by type.
//!
//! Null handling is part of the type: a plain `T` cannot be null, while
//! `Option<T>` maps `None` to Kafka's null (a tombstone for values).

mod bincode;
mod change;
mod error;
mod json;
mod option;
mod primitives;
mod protobuf;
mod registry;
mod windowed;

pub use self::bincode::BincodeSerde;
pub use change::ChangeSerde;
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
}

/// A shareable serde for `T`.
pub type SerdeRef<T> = Arc<dyn Serde<T>>;
