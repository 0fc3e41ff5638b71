//! [`SegmentedSessionStore`]: the session store implementation, on RocksDB or in
//! memory, split into segments by session end time.

use std::collections::BTreeMap;
use std::path::Path;

use crate::rocksdb_key_value::validate_store_name;
use crate::segments::{InMemorySegments, RocksDbSegments, SegmentBackend, Segments};
use crate::session_key;
use crate::{
    KeyValue, KeyValueIter, KeyValueUpdate, Result, RocksDbOptions, SessionEntry, SessionIter,
    SessionStore, StateStore, StateStoreError,
};

/// A session store whose sessions are split by end time into segments of
/// `max(retention / 2, 60 s)`, each a RocksDB instance (in
/// `<dir>/<name>/<name>.<segment start ms>`) or an in-memory map. Expired
/// segments are dropped whole. Keys follow the [`session_key`] layout.
///
/// Segments found on disk are reopened; stream time restarts at the start of
/// the newest segment (see [`SegmentedWindowStore`](crate::SegmentedWindowStore)).
///
/// ```
/// use streams_state::{RocksDbOptions, SegmentedSessionStore, SessionStore, StateStore};
///
/// let dir = tempfile::tempdir()?;
/// let mut store =
///     SegmentedSessionStore::rocksdb("sessions", dir.path(), 600_000, &RocksDbOptions::default())?;
/// store.put(b"user", 0, 10, b"1")?;
/// store.remove(b"user", 0, 10)?;
/// assert_eq!(store.fetch_session(b"user", 0, 10)?, None);
/// store.close()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SegmentedSessionStore {
    name: String,
    segments: Segments,
}

impl std::fmt::Debug for SegmentedSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SegmentedSessionStore")
            .field("name", &self.name)
            .field("persistent", &self.segments.persistent())
            .field("retention", &self.segments.retention())
            .finish()
    }
}

impl SegmentedSessionStore {
    /// Opens (or creates) a RocksDB-backed session store in `dir/name`,
    /// reopening the segments a previous run left there.
    /// The name must be legal as for [`RocksDbKeyValueStore::open`](crate::RocksDbKeyValueStore::open).
    pub fn rocksdb(
        name: &str,
        dir: &Path,
        retention_ms: i64,
        options: &RocksDbOptions,
    ) -> Result<Self> {
        validate_store_name(name)?;
        let backend = RocksDbSegments::new(name, dir, options);
        Self::open(name, retention_ms, Box::new(backend))
    }

    /// Creates an in-memory session store.
    pub fn in_memory(name: &str, retention_ms: i64) -> Result<Self> {
        Self::open(name, retention_ms, Box::new(InMemorySegments::new(name)))
    }

    fn open(name: &str, retention_ms: i64, backend: Box<dyn SegmentBackend>) -> Result<Self> {
        Ok(Self {
            name: name.to_owned(),
            segments: Segments::open(name, retention_ms, backend)?,
        })
    }

    /// Length of a segment in ms: `max(retention / 2, 60_000)`.
    pub fn segment_interval(&self) -> i64 {
        self.segments.interval()
    }

    fn check_session(&self, start: i64, end: i64) -> Result<()> {
        if start < 0 || end < start {
            return Err(StateStoreError::invalid(
                &self.name,
                format!(
                    "invalid session {start}..={end}: times must be non-negative and start <= end"
                ),
            ));
        }
        Ok(())
    }

    fn write(&mut self, key: &[u8], start: i64, end: i64, value: Option<&[u8]>) -> Result<()> {
        self.check_session(start, end)?;
        self.segments.check_open()?;
        self.segments.observe(end)?;
        let stored_key = session_key::encode(key, start, end);
        let Some(segment) = self.segments.segment_for_write(end, value.is_some())? else {
            tracing::debug!(store = %self.name, start, end, "nothing to write: session expired or absent");
            return Ok(());
        };
        match value {
            Some(value) => segment.put(&stored_key, value),
            None => segment.delete(&stored_key).map(drop),
        }
    }

    fn decode(&self, entry: Result<KeyValue>) -> Result<SessionEntry> {
        let (stored_key, value) = entry?;
        let decoded = session_key::decode(&stored_key).ok_or_else(|| {
            StateStoreError::corrupt(
                &self.name,
                format!(
                    "stored key of {} bytes does not follow the session-key layout",
                    stored_key.len()
                ),
            )
        })?;
        Ok(SessionEntry {
            key: decoded.key.to_vec(),
            start: decoded.start,
            end: decoded.end,
            value,
        })
    }
}

impl StateStore for SegmentedSessionStore {
    fn name(&self) -> &str {
        &self.name
    }

    fn persistent(&self) -> bool {
        self.segments.persistent()
    }

    fn flush(&mut self) -> Result<()> {
        self.segments.flush()
    }

    crate::store::forward_transactions!(segments);
    crate::store::forward_statistics!(segments);

    fn abort(&mut self) -> Result<()> {
        self.segments.abort()
    }

    fn close(&mut self) -> Result<()> {
        self.segments.close()
    }
}

impl SessionStore for SegmentedSessionStore {
    fn put(&mut self, key: &[u8], start: i64, end: i64, value: &[u8]) -> Result<()> {
        self.write(key, start, end, Some(value))
    }

    fn remove(&mut self, key: &[u8], start: i64, end: i64) -> Result<()> {
        self.write(key, start, end, None)
    }

    fn fetch_session(&self, key: &[u8], start: i64, end: i64) -> Result<Option<Vec<u8>>> {
        self.segments.check_open()?;
        if start < 0 || end < start || self.segments.is_expired(end) {
            return Ok(None);
        }
        match self.segments.segment(end)? {
            Some(segment) => segment.get(&session_key::encode(key, start, end)),
            None => Ok(None),
        }
    }

    fn find_sessions(
        &self,
        key: &[u8],
        earliest_session_end: i64,
        latest_session_start: i64,
    ) -> Result<SessionIter<'_>> {
        let earliest_end = earliest_session_end.max(self.segments.min_live_time());
        let lower = session_key::encode(key, 0, earliest_end);
        let upper = session_key::encode(key, i64::MAX, i64::MAX);
        let wanted = key.to_vec();
        let sessions = self
            .segments
            .between(earliest_end, i64::MAX)?
            .flat_map(move |segment| {
                segment
                    .range(&lower, &upper)
                    .unwrap_or_else(|error| -> KeyValueIter<'_> {
                        Box::new(std::iter::once(Err(error)))
                    })
            })
            .map(|entry| self.decode(entry))
            .filter(move |entry| match entry {
                Ok(session) => {
                    session.key == wanted
                        && session.end >= earliest_end
                        && session.start <= latest_session_start
                }
                Err(_) => true,
            });
        Ok(Box::new(sessions))
    }

    fn all(&self) -> Result<SessionIter<'_>> {
        let earliest_end = self.segments.min_live_time();
        let sessions = self
            .segments
            .between(earliest_end, i64::MAX)?
            .flat_map(|segment| {
                segment.all().unwrap_or_else(|error| -> KeyValueIter<'_> {
                    Box::new(std::iter::once(Err(error)))
                })
            })
            .map(|entry| self.decode(entry))
            .filter(move |entry| match entry {
                Ok(session) => session.end >= earliest_end,
                Err(_) => true,
            });
        Ok(Box::new(sessions))
    }

    fn retention_period(&self) -> i64 {
        self.segments.retention()
    }

    fn restore_batch(&mut self, records: &[KeyValueUpdate]) -> Result<()> {
        self.segments.check_open()?;
        let mut ends = Vec::with_capacity(records.len());
        for (stored_key, _) in records {
            let decoded = session_key::decode(stored_key).ok_or_else(|| {
                StateStoreError::corrupt(
                    &self.name,
                    format!(
                        "changelog key of {} bytes does not follow the session-key layout",
                        stored_key.len()
                    ),
                )
            })?;
            ends.push(decoded.end);
        }
        if let Some(max) = ends.iter().max() {
            self.segments.observe(*max)?;
        }
        let interval = self.segments.interval();
        let mut batches: BTreeMap<i64, Vec<KeyValueUpdate>> = BTreeMap::new();
        for (record, end) in records.iter().zip(ends) {
            if !self.segments.is_expired(end) {
                batches
                    .entry(end / interval)
                    .or_default()
                    .push(record.clone());
            }
        }
        for (id, batch) in batches {
            if let Some(segment) = self.segments.segment_for_write(id * interval, true)? {
                segment.restore_batch(&batch)?;
            }
        }
        Ok(())
    }
}

/// Tests every [`SessionStore`] implementation must pass.
#[cfg(test)]
pub(crate) mod contract {
    use super::*;

    pub(crate) const RETENTION: i64 = 600_000;

    fn sessions(iter: SessionIter<'_>) -> Vec<(String, i64, i64, String)> {
        iter.map(|e| {
            let e = e.unwrap();
            (
                String::from_utf8(e.key).unwrap(),
                e.start,
                e.end,
                String::from_utf8(e.value).unwrap(),
            )
        })
        .collect()
    }

    fn owned(items: &[(&str, i64, i64, &str)]) -> Vec<(String, i64, i64, String)> {
        items
            .iter()
            .map(|(k, s, e, v)| (k.to_string(), *s, *e, v.to_string()))
            .collect()
    }

    /// put / remove / fetch_session / fetch / find_sessions.
    pub(crate) fn operations(store: &mut dyn SessionStore) {
        assert_eq!(store.retention_period(), RETENTION);
        store.put(b"k", 0, 10, b"a").unwrap();
        store.put(b"k", 20, 30, b"b").unwrap();
        store.put(b"k", 5, 400_000, b"long").unwrap();
        store.put(b"k", 40, 40, b"c").unwrap();
        store.put(b"k\0", 0, 10, b"other").unwrap();
        store.put(b"j", 0, 10, b"other").unwrap();

        assert_eq!(
            store.fetch_session(b"k", 0, 10).unwrap(),
            Some(b"a".to_vec())
        );
        assert_eq!(store.fetch_session(b"k", 0, 11).unwrap(), None);
        assert_eq!(
            sessions(store.fetch(b"k").unwrap()),
            owned(&[
                ("k", 0, 10, "a"),
                ("k", 20, 30, "b"),
                ("k", 40, 40, "c"),
                ("k", 5, 400_000, "long"),
            ])
        );
        // Overlapping 25..=35: ends at or after 25, starts at or before 35.
        assert_eq!(
            sessions(store.find_sessions(b"k", 25, 35).unwrap()),
            owned(&[("k", 20, 30, "b"), ("k", 5, 400_000, "long")])
        );
        // Boundaries are inclusive.
        assert_eq!(
            sessions(store.find_sessions(b"k", 10, 0).unwrap()),
            owned(&[("k", 0, 10, "a")])
        );
        assert_eq!(
            sessions(store.find_sessions(b"k", 40, 40).unwrap()),
            owned(&[("k", 40, 40, "c"), ("k", 5, 400_000, "long")])
        );

        store.remove(b"k", 20, 30).unwrap();
        assert_eq!(store.fetch_session(b"k", 20, 30).unwrap(), None);
        assert_eq!(sessions(store.fetch(b"k").unwrap()).len(), 3);
        // Every key's sessions, the removed one gone.
        let mut all = sessions(store.all().unwrap());
        all.sort();
        assert_eq!(
            all,
            owned(&[
                ("j", 0, 10, "other"),
                ("k", 0, 10, "a"),
                ("k", 5, 400_000, "long"),
                ("k", 40, 40, "c"),
                ("k\0", 0, 10, "other"),
            ])
        );
        assert!(matches!(
            store.put(b"k", 10, 5, b"x"),
            Err(StateStoreError::InvalidArgument { .. })
        ));
    }

    /// Sessions ending at or before stream time - retention are dropped.
    pub(crate) fn retention(store: &mut dyn SessionStore) {
        store.put(b"k", 0, 1_000, b"old").unwrap();
        store.put(b"k", 0, 1_001, b"edge").unwrap();
        store.put(b"k", 0, RETENTION + 1_000, b"new").unwrap();
        assert_eq!(store.fetch_session(b"k", 0, 1_000).unwrap(), None);
        assert_eq!(
            sessions(store.fetch(b"k").unwrap()),
            owned(&[("k", 0, 1_001, "edge"), ("k", 0, RETENTION + 1_000, "new")])
        );
        store.put(b"k", 0, 10, b"late").unwrap();
        assert_eq!(sessions(store.fetch(b"k").unwrap()).len(), 2);
        assert_eq!(
            sessions(store.all().unwrap()).len(),
            2,
            "expired sessions are not listed"
        );
    }

    /// restore_batch applies records in the binary layout and rejects bad keys.
    pub(crate) fn restore(store: &mut dyn SessionStore) {
        store
            .restore_batch(&[
                (session_key::encode(b"k", 0, 10), Some(b"1".to_vec())),
                (session_key::encode(b"k", 0, 400_000), Some(b"2".to_vec())),
                (session_key::encode(b"k", 0, 10), None),
            ])
            .unwrap();
        assert_eq!(
            sessions(store.fetch(b"k").unwrap()),
            owned(&[("k", 0, 400_000, "2")])
        );
        let error = store
            .restore_batch(&[(b"short".to_vec(), None)])
            .unwrap_err();
        assert!(matches!(error, StateStoreError::Corrupt { ref store, .. } if store == "s"));
    }

    /// Runs every contract test on fresh stores from `make`, all named `s` with
    /// retention [`RETENTION`].
    pub(crate) fn run_all(mut make: impl FnMut() -> Box<dyn SessionStore>) {
        operations(make().as_mut());
        retention(make().as_mut());
        restore(make().as_mut());
        let mut store = make();
        store.close().unwrap();
        assert!(matches!(
            store.fetch(b"k"),
            Err(StateStoreError::Closed { .. })
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::contract::RETENTION;
    use super::*;

    #[test]
    fn in_memory_passes_the_session_contract() {
        contract::run_all(|| Box::new(SegmentedSessionStore::in_memory("s", RETENTION).unwrap()));
    }

    #[test]
    fn rocksdb_passes_the_session_contract() {
        let parent = tempfile::tempdir().unwrap();
        let mut n = 0;
        contract::run_all(|| {
            n += 1;
            let dir = parent.path().join(n.to_string());
            Box::new(
                SegmentedSessionStore::rocksdb("s", &dir, RETENTION, &Default::default()).unwrap(),
            )
        });
    }

    #[test]
    fn expired_segments_are_dropped_whole_and_live_ones_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let options = RocksDbOptions::default();
        let mut store =
            SegmentedSessionStore::rocksdb("s", dir.path(), RETENTION, &options).unwrap();
        let interval = store.segment_interval();
        store.put(b"k", 0, 10, b"old").unwrap();
        store.put(b"k", 0, interval + 10, b"kept").unwrap();
        let first = dir.path().join("s").join("s.0");
        assert!(first.is_dir());
        store.put(b"k", 0, 3 * interval, b"new").unwrap();
        assert!(!first.exists(), "expired segment directory must be removed");
        store.close().unwrap();

        let store = SegmentedSessionStore::rocksdb("s", dir.path(), RETENTION, &options).unwrap();
        assert_eq!(
            store.fetch_session(b"k", 0, interval + 10).unwrap(),
            Some(b"kept".to_vec())
        );
        assert_eq!(
            store.fetch_session(b"k", 0, 3 * interval).unwrap(),
            Some(b"new".to_vec())
        );
    }

    #[test]
    fn a_crash_or_an_abort_leaves_the_committed_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let options = RocksDbOptions::default();
        let mut store =
            SegmentedSessionStore::rocksdb("s", dir.path(), RETENTION, &options).unwrap();
        let interval = store.segment_interval();
        store.put(b"k", 0, 10, b"committed").unwrap();
        store.commit(Some(4)).unwrap();
        store.put(b"k", 0, 10, b"merged").unwrap();
        store.put(b"k", 5, 3 * interval, b"rolls").unwrap();
        assert_eq!(store.fetch_session(b"k", 0, 10).unwrap(), None, "expired");
        store.abort().unwrap();
        assert_eq!(
            store.fetch_session(b"k", 0, 10).unwrap(),
            Some(b"committed".to_vec())
        );
        store.put(b"k", 0, 10, b"lost").unwrap();
        drop(store);

        let store = SegmentedSessionStore::rocksdb("s", dir.path(), RETENTION, &options).unwrap();
        assert_eq!(
            store.fetch_session(b"k", 0, 10).unwrap(),
            Some(b"committed".to_vec())
        );
        assert_eq!(store.fetch_session(b"k", 5, 3 * interval).unwrap(), None);
        assert_eq!(store.committed_offset().unwrap(), Some(4));
    }
}
