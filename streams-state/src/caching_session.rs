//! [`CachingSessionStore`]: Kafka Streams' record cache in front of a session
//! store, deduplicating session updates between flushes.

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::merge_iter::MergeIter;
use crate::store_cache::StoreCache;
use crate::{
    KeyValueUpdate, Result, SessionEntry, SessionIter, SessionStore, StateStore, StateStoreError,
    ThreadCache, session_key,
};

/// Called for each dirty session written to the wrapped store, with the key, the
/// session start and end, the new value (`None`: removed) and the value the
/// wrapped store held before.
pub type SessionFlushListener = Box<dyn FnMut(&[u8], i64, i64, Option<&[u8]>, Option<&[u8]>)>;

/// Kafka Streams' caching layer over a byte session store, with the semantics
/// of [`CachingKeyValueStore`](crate::CachingKeyValueStore): updates collapse per
/// session in a cache bounded by the shared [`ThreadCache`]; dirty sessions are
/// written down and handed to the [`SessionFlushListener`] on flush and on
/// eviction; reads see the cache first. Stream time (the largest session end
/// written) is tracked here too, so cached sessions expire as stored ones do.
///
/// ```
/// use streams_state::{CachingSessionStore, SegmentedSessionStore, SessionStore, ThreadCache};
///
/// let inner = SegmentedSessionStore::in_memory("sessions", 600_000)?;
/// let mut store = CachingSessionStore::new(Box::new(inner), ThreadCache::new(1 << 20));
/// store.put(b"user", 0, 10, b"1")?;
/// store.remove(b"user", 0, 10)?;
/// store.put(b"user", 0, 20, b"2")?;
/// assert_eq!(store.fetch(b"user")?.count(), 1);
/// # Ok::<(), streams_state::StateStoreError>(())
/// ```
pub struct CachingSessionStore {
    inner: Box<dyn SessionStore>,
    cache: Option<StoreCache>,
    listener: Option<SessionFlushListener>,
    stream_time: i64,
    open: bool,
}

impl std::fmt::Debug for CachingSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachingSessionStore")
            .field("name", &self.inner.name())
            .field("caching_enabled", &self.caching_enabled())
            .finish()
    }
}

impl CachingSessionStore {
    /// Caches writes to `inner` within the budget `cache`.
    pub fn new(inner: Box<dyn SessionStore>, cache: ThreadCache) -> Self {
        Self::with_cache(inner, Some(StoreCache::new(cache)))
    }

    /// Passes every call straight to `inner`.
    pub fn disabled(inner: Box<dyn SessionStore>) -> Self {
        Self::with_cache(inner, None)
    }

    fn with_cache(inner: Box<dyn SessionStore>, cache: Option<StoreCache>) -> Self {
        Self {
            inner,
            cache,
            listener: None,
            stream_time: -1,
            open: true,
        }
    }

    /// Whether writes are cached (and the flush listener used).
    pub fn caching_enabled(&self) -> bool {
        self.cache.is_some()
    }

    /// Writes every dirty cache entry down to the wrapped store (telling the flush
    /// listener) without flushing the wrapped store itself.
    pub fn flush_cache(&mut self) -> Result<()> {
        self.check_open()?;
        let dirty = self
            .cache
            .as_ref()
            .map(StoreCache::dirty)
            .unwrap_or_default();
        for (stored_key, value) in dirty {
            self.write_down(&stored_key, value.as_deref())?;
            if let Some(cache) = &self.cache {
                cache.mark_clean(&stored_key);
            }
        }
        Ok(())
    }

    /// Sets the listener receiving dirty sessions as they are written down.
    pub fn set_flush_listener(&mut self, listener: SessionFlushListener) {
        self.listener = Some(listener);
    }

    fn check_open(&self) -> Result<()> {
        if self.open {
            Ok(())
        } else {
            Err(StateStoreError::closed(self.inner.name()))
        }
    }

    /// The oldest session end still retained, by the writes seen here.
    fn min_live_time(&self) -> i64 {
        (self.stream_time - self.inner.retention_period() + 1).max(0)
    }

    fn write(&mut self, key: &[u8], start: i64, end: i64, value: Option<&[u8]>) -> Result<()> {
        self.check_open()?;
        let Some(cache) = &self.cache else {
            return match value {
                Some(value) => self.inner.put(key, start, end, value),
                None => self.inner.remove(key, start, end),
            };
        };
        if start < 0 || end < start {
            return Err(StateStoreError::invalid(
                self.inner.name(),
                format!(
                    "invalid session {start}..={end}: times must be non-negative and start <= end"
                ),
            ));
        }
        self.stream_time = self.stream_time.max(end);
        if end < self.min_live_time() {
            tracing::debug!(store = %self.inner.name(), start, end, "skipping write to expired session");
            return Ok(());
        }
        cache.put(&session_key::encode(key, start, end), value);
        while let Some(evicted) = self
            .cache
            .as_ref()
            .and_then(StoreCache::evict_if_over_budget)
        {
            if evicted.dirty {
                self.write_down(&evicted.key, evicted.value.as_deref())?;
            }
        }
        Ok(())
    }

    /// Writes one dirty session to the wrapped store and tells the listener.
    fn write_down(&mut self, stored_key: &[u8], value: Option<&[u8]>) -> Result<()> {
        let Some(session) = session_key::decode(stored_key) else {
            return Err(StateStoreError::corrupt(
                self.inner.name(),
                "cached key does not follow the session-key layout",
            ));
        };
        let old = self
            .inner
            .fetch_session(session.key, session.start, session.end)?;
        match value {
            Some(value) => self
                .inner
                .put(session.key, session.start, session.end, value)?,
            None if old.is_some() => self.inner.remove(session.key, session.start, session.end)?,
            None => {}
        }
        if let Some(listener) = self.listener.as_mut()
            && (value.is_some() || old.is_some())
        {
            listener(
                session.key,
                session.start,
                session.end,
                value,
                old.as_deref(),
            );
        }
        Ok(())
    }
}

impl StateStore for CachingSessionStore {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn persistent(&self) -> bool {
        self.inner.persistent()
    }

    fn flush(&mut self) -> Result<()> {
        self.flush_cache()?;
        self.inner.flush()
    }

    crate::store::forward_transactions!(inner);

    /// What the wrapped store reports, with this cache's hits and misses.
    fn statistics(&self) -> crate::StoreStatistics {
        let cache = crate::StoreStatistics {
            cache: self.cache.as_ref().map(StoreCache::statistics),
            rocksdb: None,
        };
        self.inner.statistics() + cache
    }

    /// Drops every cache entry (dirty ones were never written down; clean ones
    /// may show writes the wrapped store is about to drop), then aborts the
    /// wrapped store.
    fn abort(&mut self) -> Result<()> {
        if let Some(cache) = &self.cache {
            cache.clear();
        }
        self.inner.abort()
    }

    fn close(&mut self) -> Result<()> {
        if self.open {
            self.flush()?;
            self.open = false;
            if let Some(cache) = &self.cache {
                cache.clear();
            }
        }
        self.inner.close()
    }
}

impl SessionStore for CachingSessionStore {
    fn put(&mut self, key: &[u8], start: i64, end: i64, value: &[u8]) -> Result<()> {
        self.write(key, start, end, Some(value))
    }

    fn remove(&mut self, key: &[u8], start: i64, end: i64) -> Result<()> {
        self.write(key, start, end, None)
    }

    fn fetch_session(&self, key: &[u8], start: i64, end: i64) -> Result<Option<Vec<u8>>> {
        self.check_open()?;
        if let Some(cache) = &self.cache {
            if end < self.min_live_time() {
                return Ok(None);
            }
            if let Some(cached) = cache.get(&session_key::encode(key, start, end)) {
                return Ok(cached);
            }
        }
        self.inner.fetch_session(key, start, end)
    }

    fn find_sessions(
        &self,
        key: &[u8],
        earliest_session_end: i64,
        latest_session_start: i64,
    ) -> Result<SessionIter<'_>> {
        self.check_open()?;
        let earliest_end = earliest_session_end.max(self.min_live_time());
        let store = self
            .inner
            .find_sessions(key, earliest_end, latest_session_start)?;
        let Some(cache) = &self.cache else {
            return Ok(store);
        };
        let lower = session_key::encode(key, 0, earliest_end);
        let upper = session_key::encode(key, i64::MAX, i64::MAX);
        let cached: Vec<(Vec<u8>, Option<SessionEntry>)> = cache
            .snapshot((Bound::Included(&lower), Bound::Included(&upper)))
            .into_iter()
            .filter_map(|(stored_key, value)| {
                let session = session_key::decode(&stored_key)?;
                let wanted = session.key == key
                    && session.end >= earliest_end
                    && session.start <= latest_session_start;
                let entry = value.map(|value| SessionEntry {
                    key: session.key.to_vec(),
                    start: session.start,
                    end: session.end,
                    value,
                });
                wanted.then_some((stored_key, entry))
            })
            .collect();
        Ok(Box::new(MergeIter::new(
            Box::new(cached.into_iter()),
            store,
            |session: &SessionEntry| session_key::encode(&session.key, session.start, session.end),
            false,
        )))
    }

    /// The wrapped store's sessions with the cache's writes over them (a
    /// cached removal hides a stored session).
    fn all(&self) -> Result<SessionIter<'_>> {
        self.check_open()?;
        let Some(cache) = &self.cache else {
            return self.inner.all();
        };
        let min_live = self.min_live_time();
        let mut sessions: BTreeMap<Vec<u8>, Option<SessionEntry>> = BTreeMap::new();
        for session in self.inner.all()? {
            let session = session?;
            let stored_key = session_key::encode(&session.key, session.start, session.end);
            sessions.insert(stored_key, Some(session));
        }
        for (stored_key, value) in cache.snapshot((Bound::Unbounded, Bound::Unbounded)) {
            let Some(session) = session_key::decode(&stored_key) else {
                continue;
            };
            let entry = value.map(|value| SessionEntry {
                key: session.key.to_vec(),
                start: session.start,
                end: session.end,
                value,
            });
            sessions.insert(stored_key, entry);
        }
        Ok(Box::new(
            sessions
                .into_values()
                .flatten()
                .filter(move |session| session.end >= min_live)
                .map(Ok),
        ))
    }

    fn retention_period(&self) -> i64 {
        self.inner.retention_period()
    }

    /// Writes the records to the wrapped store, dropping any cached sessions for
    /// their keys.
    fn restore_batch(&mut self, records: &[KeyValueUpdate]) -> Result<()> {
        self.check_open()?;
        if let Some(cache) = &self.cache {
            for (stored_key, _) in records {
                cache.remove(stored_key);
            }
        }
        self.inner.restore_batch(records)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;
    use crate::segmented_session_store::contract::{self, RETENTION};
    use crate::{ENTRY_OVERHEAD_BYTES, SegmentedSessionStore};

    type Seen = Rc<RefCell<Vec<(Vec<u8>, i64, i64, Option<Vec<u8>>, Option<Vec<u8>>)>>>;

    fn cached(max_bytes: usize) -> CachingSessionStore {
        let inner = SegmentedSessionStore::in_memory("s", RETENTION).unwrap();
        CachingSessionStore::new(Box::new(inner), ThreadCache::new(max_bytes))
    }

    fn listen(store: &mut CachingSessionStore) -> Seen {
        let seen: Seen = Rc::default();
        let sink = seen.clone();
        store.set_flush_listener(Box::new(move |key, start, end, new, old| {
            sink.borrow_mut().push((
                key.to_vec(),
                start,
                end,
                new.map(<[u8]>::to_vec),
                old.map(<[u8]>::to_vec),
            ));
        }));
        seen
    }

    #[test]
    fn passes_the_session_contract_with_a_large_cache() {
        contract::run_all(|| Box::new(cached(1 << 20)));
    }

    #[test]
    fn passes_the_session_contract_with_a_tiny_cache() {
        contract::run_all(|| Box::new(cached(2 * (ENTRY_OVERHEAD_BYTES + 20))));
    }

    #[test]
    fn passes_the_session_contract_when_disabled() {
        contract::run_all(|| {
            let inner = SegmentedSessionStore::in_memory("s", RETENTION).unwrap();
            Box::new(CachingSessionStore::disabled(Box::new(inner)))
        });
    }

    #[test]
    fn session_merges_are_forwarded_once_with_old_values() {
        let mut store = cached(1 << 20);
        let seen = listen(&mut store);
        store.put(b"u", 0, 10, b"1").unwrap();
        store.flush().unwrap();
        seen.borrow_mut().clear();
        // A new record merges the session 0..=10 into 0..=20, twice.
        store.remove(b"u", 0, 10).unwrap();
        store.put(b"u", 0, 20, b"2").unwrap();
        store.put(b"u", 0, 20, b"3").unwrap();
        store.flush().unwrap();
        assert_eq!(
            *seen.borrow(),
            vec![
                (b"u".to_vec(), 0, 10, None, Some(b"1".to_vec())),
                (b"u".to_vec(), 0, 20, Some(b"3".to_vec()), None),
            ]
        );
    }
}
