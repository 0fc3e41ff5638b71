//! Compact binary encoding for serde types, through bincode (standard configuration).

use super::{Serde, SerdeError};
use std::marker::PhantomData;

/// bincode serde for any type serde can (de)serialize. Compact and fast; the schema
/// is the Rust type, so both ends must share it.
///
/// ```
/// use streams_core::serde::{BincodeSerde, Serde};
/// let serde = BincodeSerde::<(String, u32)>::new();
/// let bytes = serde.serialize(&("a".to_string(), 7)).unwrap();
/// assert_eq!(serde.deserialize(&bytes).unwrap(), ("a".to_string(), 7));
/// ```
pub struct BincodeSerde<T>(PhantomData<fn() -> T>);

impl<T> BincodeSerde<T> {
    /// A bincode serde for `T`.
    pub fn new() -> Self {
        Self(PhantomData)
    }
}

impl<T> Default for BincodeSerde<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Clone for BincodeSerde<T> {
    fn clone(&self) -> Self {
        Self::new()
    }
}

impl<T: serde::Serialize + serde::de::DeserializeOwned> Serde<T> for BincodeSerde<T> {
    fn serialize(&self, value: &T) -> Result<Vec<u8>, SerdeError> {
        bincode::serde::encode_to_vec(value, bincode::config::standard())
            .map_err(|e| SerdeError::with_source("bincode serialization failed", e))
    }
    fn deserialize(&self, bytes: &[u8]) -> Result<T, SerdeError> {
        let (value, read) =
            bincode::serde::decode_from_slice(bytes, bincode::config::standard())
                .map_err(|e| SerdeError::with_source(format!("invalid bincode: {e}"), e))?;
        if read != bytes.len() {
            return Err(SerdeError::new(format!(
                "invalid bincode: {} trailing bytes after the value",
                bytes.len() - read
            )));
        }
        Ok(value)
    }
}
