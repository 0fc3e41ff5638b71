//! The serde of windowed keys.

use super::{PartitionBytes, Serde, SerdeContext, SerdeError, SerdeRef, serialize_present};
use crate::record::{Window, Windowed};
use std::sync::Arc;

/// Serializes `Windowed<K>` as the key's bytes followed by the window start and end,
/// each 8 bytes big-endian, so keys of one record key sort by window start.
///
/// ```
/// use std::sync::Arc;
/// use streams_core::record::{Window, Windowed};
/// use streams_core::serde::{Serde, StringSerde, WindowedSerde};
/// let serde = WindowedSerde::new(Arc::new(StringSerde));
/// let key = Windowed::new("k".to_string(), Window::new(10, 20));
/// let bytes = serde.serialize(&key).unwrap();
/// assert_eq!(bytes.len(), 1 + 16);
/// assert_eq!(serde.deserialize(&bytes).unwrap(), key);
/// ```
pub struct WindowedSerde<K> {
    inner: SerdeRef<K>,
    name: String,
}

impl<K> WindowedSerde<K> {
    /// Wraps the serde of the record keys.
    pub fn new(inner: SerdeRef<K>) -> Self {
        let name = format!("WindowedSerde<{}>", inner.name());
        Self { inner, name }
    }
}

impl<K: 'static> Serde<Windowed<K>> for WindowedSerde<K> {
    fn name(&self) -> &str {
        &self.name
    }

    /// The inner key's bytes: every window of a key goes to the key's partition.
    fn partition_bytes(&self) -> Option<PartitionBytes<Windowed<K>>> {
        let inner = self.inner.clone();
        Some(Arc::new(move |windowed: &Windowed<K>| {
            inner.serialize_nullable(&windowed.key)
        }))
    }

    fn serialize(&self, value: &Windowed<K>) -> Result<Vec<u8>, SerdeError> {
        Ok(append_window(
            self.inner.serialize(&value.key)?,
            value.window,
        ))
    }

    fn deserialize(&self, bytes: &[u8]) -> Result<Windowed<K>, SerdeError> {
        let (key, window) = split_window(bytes)?;
        Ok(Windowed::new(self.inner.deserialize(key)?, window))
    }

    /// The key serde sees the same context (topic, key or value, headers).
    fn serialize_with_context(
        &self,
        context: &SerdeContext<'_>,
        value: &Windowed<K>,
    ) -> Result<Option<Vec<u8>>, SerdeError> {
        let key = serialize_present(self.inner.as_ref(), context, &value.key)?;
        Ok(Some(append_window(key, value.window)))
    }

    fn deserialize_with_context(
        &self,
        context: &SerdeContext<'_>,
        bytes: Option<&[u8]>,
    ) -> Result<Windowed<K>, SerdeError> {
        let bytes = bytes.ok_or_else(|| SerdeError::new("a windowed key cannot be null"))?;
        let (key, window) = split_window(bytes)?;
        Ok(Windowed::new(
            self.inner.deserialize_with_context(context, Some(key))?,
            window,
        ))
    }
}

fn append_window(mut key: Vec<u8>, window: Window) -> Vec<u8> {
    key.extend_from_slice(&window.start.to_be_bytes());
    key.extend_from_slice(&window.end.to_be_bytes());
    key
}

/// The key's bytes and the window that ends them.
fn split_window(bytes: &[u8]) -> Result<(&[u8], Window), SerdeError> {
    let Some(split) = bytes.len().checked_sub(16) else {
        return Err(SerdeError::new(format!(
            "a windowed key needs at least 16 bytes (window start and end), got {}",
            bytes.len()
        )));
    };
    let (key, window) = bytes.split_at(split);
    let mut start = [0; 8];
    let mut end = [0; 8];
    start.copy_from_slice(&window[..8]);
    end.copy_from_slice(&window[8..]);
    Ok((
        key,
        Window::new(i64::from_be_bytes(start), i64::from_be_bytes(end)),
    ))
}
