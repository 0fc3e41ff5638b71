//! Protocol Buffers for prost-generated message types.

use super::{Serde, SerdeError};
use std::marker::PhantomData;

/// Protobuf serde for any `prost::Message`.
///
/// ```
/// use streams_core::serde::{ProtobufSerde, Serde};
/// #[derive(Clone, PartialEq, prost::Message)]
/// struct Alert {
///     #[prost(string, tag = "1")]
///     card: String,
/// }
/// let serde = ProtobufSerde::<Alert>::new();
/// let bytes = serde.serialize(&Alert { card: "c9".into() }).unwrap();
/// assert_eq!(serde.deserialize(&bytes).unwrap().card, "c9");
/// ```
pub struct ProtobufSerde<T>(PhantomData<fn() -> T>);

impl<T> ProtobufSerde<T> {
    /// A protobuf serde for `T`.
    pub fn new() -> Self {
        Self(PhantomData)
    }
}

impl<T> Default for ProtobufSerde<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Clone for ProtobufSerde<T> {
    fn clone(&self) -> Self {
        Self::new()
    }
}

impl<T: prost::Message + Default> Serde<T> for ProtobufSerde<T> {
    fn serialize(&self, value: &T) -> Result<Vec<u8>, SerdeError> {
        Ok(value.encode_to_vec())
    }
    fn deserialize(&self, bytes: &[u8]) -> Result<T, SerdeError> {
        T::decode(bytes).map_err(|e| SerdeError::with_source(format!("invalid protobuf: {e}"), e))
    }
}
