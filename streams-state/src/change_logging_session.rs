//! [`ChangeLoggingSessionStore`]: mirrors every write of a session store to a
//! changelog, keyed by the binary session-key layout.

use std::rc::Rc;

use crate::{
    ChangelogSink, KeyValueUpdate, Result, SessionIter, SessionStore, StateStore, session_key,
};

/// Wraps a session store and logs every put and remove (as a tombstone) to a
/// [`ChangelogSink`] under its [`session_key`]. Reads and restoration pass
/// straight through.
pub struct ChangeLoggingSessionStore {
    inner: Box<dyn SessionStore>,
    sink: Rc<dyn ChangelogSink>,
}

impl std::fmt::Debug for ChangeLoggingSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeLoggingSessionStore")
            .field("name", &self.inner.name())
            .finish()
    }
}

impl ChangeLoggingSessionStore {
    /// Logs the writes of `inner` to `sink` under the inner store's name.
    pub fn new(inner: Box<dyn SessionStore>, sink: Rc<dyn ChangelogSink>) -> Self {
        Self { inner, sink }
    }
}

impl StateStore for ChangeLoggingSessionStore {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn persistent(&self) -> bool {
        self.inner.persistent()
    }

    fn flush(&mut self) -> Result<()> {
        self.inner.flush()
    }

    crate::store::forward_transactions!(inner);
    crate::store::forward_statistics!(inner);

    fn abort(&mut self) -> Result<()> {
        self.inner.abort()
    }

    fn close(&mut self) -> Result<()> {
        self.inner.close()
    }
}

impl SessionStore for ChangeLoggingSessionStore {
    fn put(&mut self, key: &[u8], start: i64, end: i64, value: &[u8]) -> Result<()> {
        self.inner.put(key, start, end, value)?;
        let stored_key = session_key::encode(key, start, end);
        self.sink.log(self.inner.name(), &stored_key, Some(value));
        Ok(())
    }

    fn remove(&mut self, key: &[u8], start: i64, end: i64) -> Result<()> {
        self.inner.remove(key, start, end)?;
        let stored_key = session_key::encode(key, start, end);
        self.sink.log(self.inner.name(), &stored_key, None);
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
