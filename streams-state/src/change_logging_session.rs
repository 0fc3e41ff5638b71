//! [`ChangeLoggingSessionStore`]: mirrors every write of a session store to a
//! changelog, keyed by the binary session-key layout.

use crate::{ChangeLogging, KeyValueUpdate, Result, SessionIter, SessionStore, session_key};

/// Wraps a session store and logs every put and remove (as a tombstone) to a
/// [`ChangelogSink`](crate::ChangelogSink) under its [`session_key`]. Reads and restoration pass
/// straight through.
pub type ChangeLoggingSessionStore = ChangeLogging<dyn SessionStore>;

impl SessionStore for ChangeLogging<dyn SessionStore> {
    fn put(&mut self, key: &[u8], start: i64, end: i64, value: &[u8]) -> Result<()> {
        self.inner.put(key, start, end, value)?;
        let stored_key = session_key::encode(key, start, end);
        self.log(&stored_key, Some(value));
        Ok(())
    }

    fn remove(&mut self, key: &[u8], start: i64, end: i64) -> Result<()> {
        self.inner.remove(key, start, end)?;
        let stored_key = session_key::encode(key, start, end);
        self.log(&stored_key, None);
        Ok(())
    }

    fn fetch_session(&self, key: &[u8], start: i64, end: i64) -> Result<Option<Vec<u8>>> {
        self.inner.fetch_session(key, start, end)
    }

    fn find_sessions(
        &self,
        key: &[u8],
        earliest_session_end: i64,
        latest_session_start: i64,
    ) -> Result<SessionIter<'_>> {
        self.inner
            .find_sessions(key, earliest_session_end, latest_session_start)
    }

    fn fetch(&self, key: &[u8]) -> Result<SessionIter<'_>> {
        self.inner.fetch(key)
    }

    fn all(&self) -> Result<SessionIter<'_>> {
        self.inner.all()
    }

    fn retention_period(&self) -> i64 {
        self.inner.retention_period()
    }

    fn restore_batch(&mut self, records: &[KeyValueUpdate]) -> Result<()> {
        self.inner.restore_batch(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segmented_session_store::contract::{self, RETENTION};
    use crate::{RecordingChangelogSink, SegmentedSessionStore};
    use std::rc::Rc;

    #[test]
    fn passes_the_session_contract() {
        contract::run_all(|| {
            Box::new(ChangeLoggingSessionStore::new(
                Box::new(SegmentedSessionStore::in_memory("s", RETENTION).unwrap()),
                Rc::new(RecordingChangelogSink::default()),
            ))
        });
    }

    #[test]
    fn logs_binary_keys_and_tombstones_that_restore_the_store() {
        let sink = Rc::new(RecordingChangelogSink::default());
        let inner = SegmentedSessionStore::in_memory("s", RETENTION).unwrap();
        let mut store = ChangeLoggingSessionStore::new(Box::new(inner), sink.clone());
        store.put(b"k", 0, 10, b"1").unwrap();
        store.put(b"k", 0, 20, b"2").unwrap();
        store.remove(b"k", 0, 10).unwrap();
        let records = sink.take();
        assert_eq!(records.len(), 3);
        assert_eq!(records[0].key, session_key::encode(b"k", 0, 10));
        assert_eq!(records[2].value, None);

        let mut restored = SegmentedSessionStore::in_memory("s", RETENTION).unwrap();
        let batch: Vec<KeyValueUpdate> = records.into_iter().map(|r| (r.key, r.value)).collect();
        restored.restore_batch(&batch).unwrap();
        assert_eq!(
            restored.fetch_session(b"k", 0, 20).unwrap(),
            Some(b"2".to_vec())
        );
        assert_eq!(restored.fetch(b"k").unwrap().count(), 1);
    }
}
