//! JSON for any `Serialize + DeserializeOwned` type, through serde_json.

use super::{Serde, SerdeError};
use std::marker::PhantomData;

/// JSON serde for any type serde can (de)serialize.
///
/// ```
/// use streams_core::serde::{JsonSerde, Serde};
/// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
/// struct Payment { card: String, cents: u64 }
///
/// let serde = JsonSerde::<Payment>::new();
/// let bytes = serde.serialize(&Payment { card: "c1".into(), cents: 250 }).unwrap();
/// assert_eq!(bytes, br#"{"card":"c1","cents":250}"#);
/// assert_eq!(serde.deserialize(&bytes).unwrap().cents, 250);
/// ```
pub struct JsonSerde<T>(PhantomData<fn() -> T>);

impl<T> JsonSerde<T> {
    /// A JSON serde for `T`.
    pub fn new() -> Self {
        Self(PhantomData)
    }
}

impl<T> Default for JsonSerde<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Clone for JsonSerde<T> {
    fn clone(&self) -> Self {
        Self::new()
    }
}

impl<T: serde::Serialize + serde::de::DeserializeOwned> Serde<T> for JsonSerde<T> {
    fn serialize(&self, value: &T) -> Result<Vec<u8>, SerdeError> {
        serde_json::to_vec(value)
            .map_err(|e| SerdeError::with_source("JSON serialization failed", e))
    }
    fn deserialize(&self, bytes: &[u8]) -> Result<T, SerdeError> {
        serde_json::from_slice(bytes)
            .map_err(|e| SerdeError::with_source(format!("invalid JSON: {e}"), e))
    }
}
