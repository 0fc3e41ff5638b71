//! [`ChangeLoggingKeyValueStore`]: mirrors every write of a key-value store to a
//! changelog.

use crate::{ChangeLogging, KeyValueIter, KeyValueStore, KeyValueUpdate, Result};

/// Wraps a key-value store and logs every put and delete (as a tombstone) to a
/// [`ChangelogSink`](crate::ChangelogSink) after it succeeds. Reads and restoration pass straight
/// through; restored records are not logged again.
pub type ChangeLoggingKeyValueStore = ChangeLogging<dyn KeyValueStore>;

impl KeyValueStore for ChangeLogging<dyn KeyValueStore> {
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
    use crate::StateStore;
    use crate::key_value::contract;
    use crate::{ChangelogRecord, InMemoryKeyValueStore, RecordingChangelogSink};
    use std::rc::Rc;

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
