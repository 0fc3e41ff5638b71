//! Typed session stores: one aggregate per key and session, a session being the
//! closed interval `[first record, last record]` of a burst of activity, over a
//! segmented byte store (possibly cached and logged).

use super::ByteStoreFacade;
use super::codec::StoreCodec;
use super::flushed::Flushed;
use crate::error::StreamsError;
use crate::record::{Change, Window, Windowed};
use streams_state::{CachingSessionStore, KeyValueUpdate, SessionIter, SessionStore, StateStore};

/// A session update a cache wrote down: key, start, end, new and old bytes.
type FlushedSession = (Vec<u8>, i64, i64, Option<Vec<u8>>, Option<Vec<u8>>);

/// Sessions of one key with their aggregates; each window is `[start, end]`,
/// both inclusive.
pub type Sessions<V> = Vec<(Window, V)>;

/// Sessions of every key, each with its key's stored bytes.
pub type KeyedSessions<K, V> = Vec<(Vec<u8>, Windowed<K>, V)>;

/// Session updates with the session end as their timestamp.
pub type SessionChanges<K, V> = Vec<(Windowed<K>, Change<V>, i64)>;

/// A typed session store owned by one task. Sessions whose end falls behind
/// stream time (the latest session end written) by more than the retention
/// period are dropped.
pub struct TypedSessionStore<K, V> {
    codec: StoreCodec<K, V>,
    inner: CachingSessionStore,
    flushed: Flushed<FlushedSession>,
}

impl<K: 'static, V: 'static> TypedSessionStore<K, V> {
    pub(crate) fn new(codec: StoreCodec<K, V>, mut inner: CachingSessionStore) -> Self {
        let flushed = Flushed::listen(&mut inner, |sink| {
            Box::new(move |key, start, end, new, old| {
                sink.push((
                    key.to_vec(),
                    start,
                    end,
                    new.map(<[u8]>::to_vec),
                    old.map(<[u8]>::to_vec),
                ));
            })
        });
        Self {
            codec,
            inner,
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

    /// How long sessions are kept behind stream time, in milliseconds.
    pub fn retention_ms(&self) -> i64 {
        self.inner.retention_period()
    }

    /// The key's stored bytes, or `None` when it serializes to null.
    pub fn key_bytes(&self, key: &K) -> Result<Option<Vec<u8>>, StreamsError> {
        self.codec.key_bytes(key)
    }

    fn decode_sessions(&self, sessions: SessionIter<'_>) -> Result<Sessions<V>, StreamsError> {
        sessions
            .map(|entry| {
                let entry = entry?;
                Ok((
                    Window::new(entry.start, entry.end),
                    self.codec.decode_value(&entry.value)?,
                ))
            })
            .collect()
    }

    /// The sessions of `key` (by its bytes from [`key_bytes`](Self::key_bytes))
    /// ending at or after `earliest_end` and starting at or before
    /// `latest_start`: those overlapping that range, ordered by end, then start.
    pub fn find_sessions_at(
        &self,
        key: &[u8],
        earliest_end: i64,
        latest_start: i64,
    ) -> Result<Sessions<V>, StreamsError> {
        self.decode_sessions(self.inner.find_sessions(key, earliest_end, latest_start)?)
    }

    /// The sessions of `key` overlapping `[earliest_end, latest_start]`, ordered
    /// by end, then start.
    pub fn find_sessions(
        &self,
        key: &K,
        earliest_end: i64,
        latest_start: i64,
    ) -> Result<Sessions<V>, StreamsError> {
        let key = self.codec.required_key_bytes(key)?;
        self.find_sessions_at(&key, earliest_end, latest_start)
    }

    /// Every retained session of `key`, ordered by end, then start.
    pub fn fetch(&self, key: &K) -> Result<Sessions<V>, StreamsError> {
        let key = self.codec.required_key_bytes(key)?;
        self.decode_sessions(self.inner.fetch(&key)?)
    }

    /// Every retained session of every key, with its key's bytes, in no
    /// particular order.
    pub fn all(&self) -> Result<KeyedSessions<K, V>, StreamsError> {
        let mut sessions = Vec::new();
        for session in self.inner.all()? {
            let session = session?;
            let key = self.codec.decode_key(&session.key)?;
            let value = self.codec.decode_value(&session.value)?;
            let window = Window::new(session.start, session.end);
            sessions.push((session.key, Windowed::new(key, window), value));
        }
        Ok(sessions)
    }

    /// The aggregate of the session of `key` exactly from `start` to `end`.
    pub fn fetch_session(&self, key: &K, start: i64, end: i64) -> Result<Option<V>, StreamsError> {
        let key = self.codec.required_key_bytes(key)?;
        self.inner
            .fetch_session(&key, start, end)?
            .map(|bytes| self.codec.decode_value(&bytes))
            .transpose()
    }

    /// Stores `value` for the session `window` of `key` (by its bytes).
    pub fn put_at(&mut self, key: &[u8], window: Window, value: &V) -> Result<(), StreamsError> {
        let value = self.codec.encode_value(value)?;
        self.inner.put(key, window.start, window.end, &value)?;
        Ok(())
    }

    /// Stores `value` for the session `window` of `key`.
    pub fn put(&mut self, key: &K, window: Window, value: &V) -> Result<(), StreamsError> {
        let key = self.codec.required_key_bytes(key)?;
        self.put_at(&key, window, value)
    }

    /// Removes the session `window` of `key` (by its bytes).
    pub fn remove_at(&mut self, key: &[u8], window: Window) -> Result<(), StreamsError> {
        Ok(self.inner.remove(key, window.start, window.end)?)
    }

    /// Removes the session `window` of `key`.
    pub fn remove(&mut self, key: &K, window: Window) -> Result<(), StreamsError> {
        let key = self.codec.required_key_bytes(key)?;
        self.remove_at(&key, window)
    }

    /// Writes the cache down (without making the store durable).
    pub fn flush_cache(&mut self) -> Result<(), StreamsError> {
        Ok(self.inner.flush_cache()?)
    }

    /// True when the cache wrote updates down that
    /// [`take_flushed`](Self::take_flushed) has not returned yet.
    pub fn has_flushed(&self) -> bool {
        !self.flushed.is_empty()
    }

    /// The session updates the cache wrote down since the last call, in write
    /// order, stamped with their session end.
    pub fn take_flushed(&mut self) -> Result<SessionChanges<K, V>, StreamsError> {
        self.flushed.take(|(key, start, end, new, old)| {
            let new = new.map(|b| self.codec.decode_value(&b)).transpose()?;
            let old = old.map(|b| self.codec.decode_value(&b)).transpose()?;
            Ok((
                Windowed::new(self.codec.decode_key(&key)?, Window::new(start, end)),
                Change::new(new, old),
                end,
            ))
        })
    }
}

impl<K: 'static, V: 'static> ByteStoreFacade for TypedSessionStore<K, V> {
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
