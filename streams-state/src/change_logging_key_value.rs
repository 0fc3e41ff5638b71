//! [`ChangeLoggingKeyValueStore`]: mirrors every write of a key-value store to a
//! changelog.

use std::rc::Rc;

use crate::{ChangelogSink, KeyValueIter, KeyValueStore, KeyValueUpdate, Result, StateStore};

/// Wraps a key-value store and logs every put and delete (as a tombstone) to a
/// [`ChangelogSink`] after it succeeds. Reads and restoration pass straight
/// through; restored records are not logged again.
pub struct ChangeLoggingKeyValueStore {
    inner: Box<dyn KeyValueStore>,
    sink: Rc<dyn ChangelogSink>,
}

impl std::fmt::Debug for ChangeLoggingKeyValueStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeLoggingKeyValueStore")
            .field("name", &self.inner.name())
            .finish()
    }
}

impl ChangeLoggingKeyValueStore {
    /// Logs the writes of `inner` to `sink` under the inner store's name.
    pub fn new(inner: Box<dyn KeyValueStore>, sink: Rc<dyn ChangelogSink>) -> Self {
        Self { inner, sink }
    }

    fn log(&self, key: &[u8], value: Option<&[u8]>) {
        self.sink.log(self.inner.name(), key, value);
    }
}

impl StateStore for ChangeLoggingKeyValueStore {
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

impl KeyValueStore for ChangeLoggingKeyValueStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.inner.get(key)
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.inner.put(key, value)?;
        self.log(key, Some(value));
        Ok(())
    }

    fn put_if_absent(&mut self, key: &[u8], value: &[u8]) -> Result<Option<Vec<u8>>> {
        let existing = self.inner.put_if_absent(key, value)?;
        if existing.is_none() {
            self.log(key, Some(value));
        }
        Ok(existing)
    }

    fn delete(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let old = self.inner.delete(key)?;
        self.log(key, None);
        Ok(old)
    }

    fn put_all(&mut self, entries: &[KeyValueUpdate]) -> Result<()> {
        self.inner.put_all(entries)?;
        for (key, value) in entries {
            self.log(key, value.as_deref());
        }
        Ok(())
    }

    fn range(&self, from: &[u8], to: &[u8]) -> Result<KeyValueIter<'_>> {
        self.inner.range(from, to)
    }

    fn reverse_range(&self, from: &[u8], to: &[u8]) -> Result<KeyValueIter<'_>> {
        self.inner.reverse_range(from, to)
    }

    fn prefix_scan(&self, prefix: &[u8]) -> Result<KeyValueIter<'_>> {
        self.inner.prefix_scan(prefix)
    }

    fn all(&self) -> Result<KeyValueIter<'_>> {
        self.inner.all()
    }

    fn approximate_num_entries(&self) -> Result<u64> {
        self.inner.approximate_num_entries()
    }

    fn restore_batch(&mut self, records: &[KeyValueUpdate]) -> Result<()> {
        self.inner.restore_batch(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key_value::contract;
    use crate::{ChangelogRecord, InMemoryKeyValueStore, RecordingChangelogSink};

    fn record(key: &str, value: Option<&str>) -> ChangelogRecord {
        ChangelogRecord {
            store: "kv".into(),
            key: key.as_bytes().to_vec(),
            value: value.map(|v| v.as_bytes().to_vec()),
        }
    }

    #[test]
    fn passes_the_key_value_contract() {
        contract::run_all(|| {
            Box::new(ChangeLoggingKeyValueStore::new(
                Box::new(InMemoryKeyValueStore::new("kv")),
                Rc::new(RecordingChangelogSink::default()),
            ))
        });
    }

    #[test]
    fn logs_every_write_including_tombstones_but_not_restores() {
        let sink = Rc::new(RecordingChangelogSink::default());
        let mut store = ChangeLoggingKeyValueStore::new(
            Box::new(InMemoryKeyValueStore::new("kv")),
            sink.clone(),
        );
        store.put(b"a", b"1").unwrap();
        store.put_if_absent(b"a", b"2").unwrap();
        store.put_if_absent(b"b", b"3").unwrap();
        store.delete(b"a").unwrap();
        store
            .put_all(&[(b"c".to_vec(), Some(b"4".to_vec())), (b"b".to_vec(), None)])
            .unwrap();
        store
            .restore_batch(&[(b"r".to_vec(), Some(b"5".to_vec()))])
            .unwrap();
        assert_eq!(
            sink.take(),
            vec![
                record("a", Some("1")),
                record("b", Some("3")),
                record("a", None),
                record("c", Some("4")),
                record("b", None),
            ]
        );
        assert_eq!(store.get(b"r").unwrap(), Some(b"5".to_vec()));
        assert_eq!(store.name(), "kv");
        assert!(!store.persistent());
    }
}
