//! Typed window stores: an aggregate per key and window, with the timestamp of the
//! record that last wrote it, over a segmented byte store (possibly cached and
//! logged).

use super::codec::StoreCodec;
use super::flushed::Flushed;
use super::{ByteStoreFacade, ValueAndTimestamp};
use crate::error::StreamsError;
use crate::record::{Change, Window, Windowed};
use streams_state::{CachingWindowStore, KeyValueUpdate, StateStore, WindowStore};

/// A window update a cache wrote down: key, window start, new and old bytes.
type FlushedWindow = (Vec<u8>, i64, Option<Vec<u8>>, Option<Vec<u8>>);

/// Every window of every key with its value.
pub type WindowEntries<K, V> = Vec<(Windowed<K>, ValueAndTimestamp<V>)>;

/// Window updates with the timestamp of their new (or old) value.
pub type WindowChanges<K, V> = Vec<(Windowed<K>, Change<V>, i64)>;

/// A typed, timestamped window store owned by one task: one value per key and
/// window start; windows older than the retention period are dropped.
pub struct TimestampedWindowStore<K, V> {
    codec: StoreCodec<K, V>,
    inner: CachingWindowStore,
    window_size_ms: i64,
    flushed: Flushed<FlushedWindow>,
}

impl<K: 'static, V: 'static> TimestampedWindowStore<K, V> {
    pub(crate) fn new(
        codec: StoreCodec<K, V>,
        mut inner: CachingWindowStore,
        window_size_ms: i64,
    ) -> Self {
        let flushed = Flushed::listen(&mut inner, |sink| {
            Box::new(move |key, start, new, old| {
                sink.push((
                    key.to_vec(),
                    start,
                    new.map(<[u8]>::to_vec),
                    old.map(<[u8]>::to_vec),
                ));
            })
        });
        Self {
            codec,
            inner,
            window_size_ms,
            flushed,
        }
    }

    /// The store's name.
    pub fn name(&self) -> &str {
        &self.codec.store
    }

    /// True when writes go through a cache.
    pub fn is_caching(&self) -> bool {
        self.inner.caching_enabled()
    }

    /// How long windows are kept, in milliseconds.
    pub fn retention_ms(&self) -> i64 {
        self.inner.retention_period()
    }

    /// The size of the store's windows, in milliseconds.
    pub fn window_size_ms(&self) -> i64 {
        self.window_size_ms
    }

    /// The key's stored bytes, or `None` when it serializes to null.
    pub fn key_bytes(&self, key: &K) -> Result<Option<Vec<u8>>, StreamsError> {
        self.codec.key_bytes(key)
    }

    fn window(&self, start: i64) -> Window {
        Window::new(start, start.saturating_add(self.window_size_ms))
    }

    /// The value of `key` in the window starting at `window_start`.
    pub fn fetch(
        &self,
        key: &K,
        window_start: i64,
    ) -> Result<Option<ValueAndTimestamp<V>>, StreamsError> {
        let key = self.codec.required_key_bytes(key)?;
        self.inner
            .fetch(&key, window_start)?
            .map(|bytes| self.codec.decode(&bytes))
            .transpose()
    }

    /// Stores `value` for `key` in the window starting at `window_start`.
    pub fn put(
        &mut self,
        key: &K,
        value: &V,
        window_start: i64,
        timestamp: i64,
    ) -> Result<(), StreamsError> {
        let key = self.codec.required_key_bytes(key)?;
        let value = self.codec.encode(value, timestamp)?;
        self.inner.put(&key, Some(&value), window_start)?;
        Ok(())
    }

    /// The windows of `key` starting in `[from, to]`, by start time (in write
    /// order among duplicates of one window, if the store retains them).
    pub fn fetch_range(
        &self,
        key: &K,
        from: i64,
        to: i64,
    ) -> Result<Vec<(Window, ValueAndTimestamp<V>)>, StreamsError> {
        let key = self.codec.required_key_bytes(key)?;
        self.fetch_range_at(&key, from, to)
    }

    /// Like [`fetch_range`](Self::fetch_range), for a key already serialized with
    /// [`key_bytes`](Self::key_bytes).
    pub fn fetch_range_at(
        &self,
        key: &[u8],
        from: i64,
        to: i64,
    ) -> Result<Vec<(Window, ValueAndTimestamp<V>)>, StreamsError> {
        self.inner
            .fetch_range(key, from, to)?
            .map(|entry| {
                let (start, value) = entry?;
                Ok((self.window(start), self.codec.decode(&value)?))
            })
            .collect()
    }

    /// The stored form of `value` written at `timestamp`, or `None` when the
    /// value serializes to null (a tombstone cannot be stored). Serialize once,
    /// check for null, then store with [`put_at`](Self::put_at).
    pub fn encode_value(&self, value: &V, timestamp: i64) -> Result<Option<Vec<u8>>, StreamsError> {
        self.codec.encode_nullable(value, timestamp)
    }

    /// A value from its stored form (see [`encode_value`](Self::encode_value)).
    pub fn decode_value(&self, stored: &[u8]) -> Result<ValueAndTimestamp<V>, StreamsError> {
        self.codec.decode(stored)
    }

    /// A key from its stored bytes (see [`key_bytes`](Self::key_bytes)).
    pub fn decode_key(&self, stored: &[u8]) -> Result<K, StreamsError> {
        self.codec.decode_key(stored)
    }

    /// Stores a value already in its stored form under key bytes, in the window
    /// starting at `window_start`.
    pub fn put_at(
        &mut self,
        key: &[u8],
        stored: &[u8],
        window_start: i64,
    ) -> Result<(), StreamsError> {
        self.inner.put(key, Some(stored), window_start)?;
        Ok(())
    }

    /// Every stored window of every key.
    pub fn all(&self) -> Result<WindowEntries<K, V>, StreamsError> {
        self.decode_entries(self.inner.all()?)
    }

    /// The windows of every key starting in `[from, to]`.
    pub fn fetch_all(&self, from: i64, to: i64) -> Result<WindowEntries<K, V>, StreamsError> {
        self.decode_entries(self.inner.fetch_all(from, to)?)
    }

    fn decode_entries(
        &self,
        entries: streams_state::WindowedIter<'_>,
    ) -> Result<WindowEntries<K, V>, StreamsError> {
        entries
            .map(|entry| {
                let entry = entry?;
                Ok((
                    Windowed::new(
                        self.codec.decode_key(&entry.key)?,
                        self.window(entry.window_start),
                    ),
                    self.codec.decode(&entry.value)?,
                ))
            })
            .collect()
    }

    /// Writes the cache down (without making the store durable).
    pub fn flush_cache(&mut self) -> Result<(), StreamsError> {
        Ok(self.inner.flush_cache()?)
    }

    /// The window updates the cache wrote down since the last call.
    pub fn take_flushed(&mut self) -> Result<WindowChanges<K, V>, StreamsError> {
        self.flushed.take(|(key, start, new, old)| {
            let new = new.map(|b| self.codec.decode(&b)).transpose()?;
            let old = old.map(|b| self.codec.decode(&b)).transpose()?;
            let timestamp = new.as_ref().or(old.as_ref()).map_or(0, |v| v.timestamp);
            Ok((
                Windowed::new(self.codec.decode_key(&key)?, self.window(start)),
                Change::new(new.map(|v| v.value), old.map(|v| v.value)),
                timestamp,
            ))
        })
    }
}

impl<K: 'static, V: 'static> ByteStoreFacade for TimestampedWindowStore<K, V> {
    fn byte_store(&self) -> &dyn StateStore {
        &self.inner
    }

    fn byte_store_mut(&mut self) -> &mut dyn StateStore {
        &mut self.inner
    }

    fn restore_records(&mut self, records: &[KeyValueUpdate]) -> Result<(), StreamsError> {
        Ok(self.inner.restore_batch(records)?)
    }
}
