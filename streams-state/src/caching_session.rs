//! [`CachingSessionStore`]: the [`Caching`] layer over a session store,
//! deduplicating session updates between flushes. Sessions are cached under
//! their [`session_key`]; the layer tracks stream time (the largest session
//! end written) so cached sessions expire as stored ones do.

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::caching::{Caching, CachingKind, min_live_time};
use crate::merge_iter::MergeIter;
use crate::{
    KeyValueUpdate, Result, SessionEntry, SessionIter, SessionStore, StateStoreError, session_key,
};

/// Called for each dirty session written to the wrapped store, with the key, the
/// session start and end, the new value (`None`: removed) and the value the
/// wrapped store held before.
pub type SessionFlushListener = Box<dyn FnMut(&[u8], i64, i64, Option<&[u8]>, Option<&[u8]>)>;

/// Kafka Streams' caching layer over a byte session store (see
/// [`Caching`]): updates collapse per session.
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
pub type CachingSessionStore = Caching<dyn SessionStore>;

/// What a caching layer over a session store keeps besides its cache.
#[derive(Debug)]
pub struct SessionCaching {
    /// The largest session end written.
    stream_time: i64,
}

/// A cached session as reads yield it.
fn session_entry(session: &session_key::SessionKey<'_>, value: Vec<u8>) -> SessionEntry {
    SessionEntry {
        key: session.key.to_vec(),
        start: session.start,
        end: session.end,
        value,
    }
}

impl CachingKind for dyn SessionStore {
    type Listener = dyn FnMut(&[u8], i64, i64, Option<&[u8]>, Option<&[u8]>);
    type State = SessionCaching;

    fn initial_state(_: &Self) -> SessionCaching {
        SessionCaching { stream_time: -1 }
    }

    fn write_down(
        inner: &mut Self,
        _: &SessionCaching,
        listener: Option<&mut Self::Listener>,
        stored_key: &[u8],
        value: Option<&[u8]>,
    ) -> Result<()> {
        let Some(session) = session_key::decode(stored_key) else {
            return Err(StateStoreError::corrupt(
                inner.name(),
                "cached key does not follow the session-key layout",
            ));
        };
        let old = inner.fetch_session(session.key, session.start, session.end)?;
        match value {
            Some(value) => inner.put(session.key, session.start, session.end, value)?,
            None if old.is_some() => inner.remove(session.key, session.start, session.end)?,
            None => {}
        }
        if let Some(listener) = listener
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

impl Caching<dyn SessionStore> {
    /// The oldest session end still retained, by the writes seen here.
    fn min_live_time(&self) -> i64 {
        min_live_time(self.state.stream_time, self.inner.retention_period())
    }

    fn write(&mut self, key: &[u8], start: i64, end: i64, value: Option<&[u8]>) -> Result<()> {
        self.check_open()?;
        if !self.caching_enabled() {
            return match value {
                Some(value) => self.inner.put(key, start, end, value),
                None => self.inner.remove(key, start, end),
            };
        }
        if start < 0 || end < start {
            return Err(StateStoreError::invalid(
                self.inner.name(),
                format!(
                    "invalid session {start}..={end}: times must be non-negative and start <= end"
                ),
            ));
        }
        self.state.stream_time = self.state.stream_time.max(end);
        if end < self.min_live_time() {
            tracing::debug!(store = %self.inner.name(), start, end, "skipping write to expired session");
            return Ok(());
        }
        self.cache_write(&session_key::encode(key, start, end), value)
    }
}

impl SessionStore for Caching<dyn SessionStore> {
    fn put(&mut self, key: &[u8], start: i64, end: i64, value: &[u8]) -> Result<()> {
        self.write(key, start, end, Some(value))
    }

    fn remove(&mut self, key: &[u8], start: i64, end: i64) -> Result<()> {
        self.write(key, start, end, None)
    }

    fn fetch_session(&self, key: &[u8], start: i64, end: i64) -> Result<Option<Vec<u8>>> {
        self.check_open()?;
        if self.caching_enabled() {
            if end < self.min_live_time() {
                return Ok(None);
            }
            if let Some(cached) = self.cached(&session_key::encode(key, start, end)) {
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
        if !self.caching_enabled() {
            return Ok(store);
        }
        let lower = session_key::encode(key, 0, earliest_end);
        let upper = session_key::encode(key, i64::MAX, i64::MAX);
        let range = (Bound::Included(&lower[..]), Bound::Included(&upper[..]));
        let cached = self.cached_entries(range, |(stored_key, value)| {
            let session = session_key::decode(&stored_key)?;
            let wanted = session.key == key
                && session.end >= earliest_end
                && session.start <= latest_session_start;
            let entry = value.map(|value| session_entry(&session, value));
            wanted.then_some((stored_key, entry))
        });
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
        if !self.caching_enabled() {
            return self.inner.all();
        }
        let min_live = self.min_live_time();
        let mut sessions: BTreeMap<Vec<u8>, Option<SessionEntry>> = BTreeMap::new();
        for session in self.inner.all()? {
            let session = session?;
            let stored_key = session_key::encode(&session.key, session.start, session.end);
            sessions.insert(stored_key, Some(session));
        }
        let cached = self.cached_entries(
            (Bound::Unbounded, Bound::Unbounded),
            |(stored_key, value)| {
                let session = session_key::decode(&stored_key)?;
                let entry = value.map(|value| session_entry(&session, value));
                Some((stored_key, entry))
            },
        );
        sessions.extend(cached);
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
        self.uncache(records)?;
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
    use crate::{StateStore, ThreadCache};

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
