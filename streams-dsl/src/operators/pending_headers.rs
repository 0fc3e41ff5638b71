//! The headers a caching aggregation forwards when its cache writes an update
//! down: those of the last record that wrote the key, as Kafka Streams keeps
//! the record context (headers included) with each cache entry. The cache holds
//! bytes only, so the processor keeps the headers of its dirty keys here, and
//! only when they are not empty (the common case costs a length check).

use std::collections::HashMap;
use streams_core::record::Headers;

/// Headers of the last write of each key still dirty in a caching store, keyed
/// by the store's key bytes (for window stores, key and window start).
#[derive(Debug, Default)]
pub(crate) struct PendingHeaders {
    by_key: HashMap<Vec<u8>, Headers>,
}

impl PendingHeaders {
    /// Notes the headers of a write of `key`, before the write (which may flush
    /// it at once).
    pub(crate) fn written(&mut self, key: &[u8], headers: &Headers) {
        if !headers.is_empty() {
            self.by_key.insert(key.to_vec(), headers.clone());
        } else if !self.by_key.is_empty() {
            self.by_key.remove(key);
        }
    }

    /// True when no dirty key has headers (flushed updates carry none).
    pub(crate) fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// The headers for a flushed update of `key`, forgetting them.
    pub(crate) fn take(&mut self, key: &[u8]) -> Headers {
        self.by_key.remove(key).unwrap_or_default()
    }
}

/// The key of a window's entry: the record key's bytes and the window start.
pub(crate) fn window_key(key: &[u8], window_start: i64) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(key.len() + 8);
    bytes.extend_from_slice(key);
    bytes.extend_from_slice(&window_start.to_be_bytes());
    bytes
}
