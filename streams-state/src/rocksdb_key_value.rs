//! [`RocksDbKeyValueStore`]: a persistent key-value store, one RocksDB instance
//! per store.

use std::path::{Path, PathBuf};

use rocksdb::{DB, Direction, IteratorMode, Options, WriteBatch, WriteOptions};

use crate::{
    KeyValueIter, KeyValueStore, KeyValueUpdate, Result, RocksDbOptions, StateStore,
    StateStoreError,
};

/// A key-value store backed by its own RocksDB instance in `<dir>/<name>`.
///
/// The write-ahead log is disabled, as in Kafka Streams: the changelog topic is
/// the log, and [`flush`](StateStore::flush) (called before a checkpoint is
/// written) persists the memtables. Closing also flushes.
///
/// ```
/// use streams_state::{KeyValueStore, RocksDbKeyValueStore, RocksDbOptions, StateStore};
///
/// let dir = tempfile::tempdir()?;
/// let mut store = RocksDbKeyValueStore::open("counts", dir.path(), &RocksDbOptions::default())?;
/// store.put(b"k", b"v")?;
/// store.close()?;
///
/// let store = RocksDbKeyValueStore::open("counts", dir.path(), &RocksDbOptions::default())?;
/// assert_eq!(store.get(b"k")?, Some(b"v".to_vec()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RocksDbKeyValueStore {
    name: String,
    path: PathBuf,
    db: Option<DB>,
    write_options: WriteOptions,
}

impl std::fmt::Debug for RocksDbKeyValueStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocksDbKeyValueStore")
            .field("name", &self.name)
            .field("path", &self.path)
            .field("open", &self.db.is_some())
            .finish()
    }
}

impl RocksDbKeyValueStore {
    /// Opens (creating if needed) the store `name` in the directory `dir/name`.
    ///
    /// The name must be a legal Kafka topic name part (`[a-zA-Z0-9._-]`, at
    /// most 249 characters, not `.` or `..`), as it also names the changelog
    /// topic; otherwise this fails with [`StateStoreError::InvalidArgument`].
    /// Fails with [`StateStoreError::Io`] if the directory cannot be created and
    /// with [`StateStoreError::Open`] if RocksDB cannot open it; both name the
    /// store and the path.
    pub fn open(name: &str, dir: &Path, options: &RocksDbOptions) -> Result<Self> {
        Self::open_with(name, dir, &options.to_rocksdb())
    }

    /// Opens with prepared RocksDB options (shared block cache for segments).
    pub(crate) fn open_with(name: &str, dir: &Path, options: &Options) -> Result<Self> {
        validate_store_name(name)?;
        let path = dir.join(name);
        std::fs::create_dir_all(&path).map_err(|source| StateStoreError::Io {
            store: name.to_owned(),
            path: path.clone(),
            source,
        })?;
        let db = DB::open(options, &path).map_err(|source| StateStoreError::Open {
            store: name.to_owned(),
            path: path.clone(),
            source,
        })?;
        tracing::debug!(store = name, path = %path.display(), "opened RocksDB store");
        let mut write_options = WriteOptions::default();
        write_options.disable_wal(true);
        Ok(Self {
            name: name.to_owned(),
            path,
            db: Some(db),
            write_options,
        })
    }

    /// The directory of the RocksDB instance.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn db(&self) -> Result<&DB> {
        self.db
            .as_ref()
            .ok_or_else(|| StateStoreError::closed(&self.name))
    }

    fn error(&self, operation: &'static str) -> impl Fn(rocksdb::Error) -> StateStoreError {
        let store = self.name.clone();
        let path = self.path.clone();
        move |source| StateStoreError::RocksDb {
            store: store.clone(),
            path: path.clone(),
            operation,
            source,
        }
    }

    fn write_batch(&self, entries: &[KeyValueUpdate]) -> Result<()> {
        let db = self.db()?;
        let mut batch = WriteBatch::default();
        for (key, value) in entries {
            match value {
                Some(value) => batch.put(key, value),
                None => batch.delete(key),
            }
        }
        db.write_opt(batch, &self.write_options)
            .map_err(self.error("write batch"))
    }

    /// Iterates from `mode` while `keep` accepts the key.
    fn scan<'a>(
        &'a self,
        mode: IteratorMode<'_>,
        keep: impl Fn(&[u8]) -> bool + 'a,
    ) -> Result<KeyValueIter<'a>> {
        let db = self.db()?;
        let error = self.error("iterate");
        Ok(Box::new(
            db.iterator(mode)
                .map(move |entry| {
                    entry
                        .map(|(key, value)| (key.into_vec(), value.into_vec()))
                        .map_err(&error)
                })
                .take_while(move |entry| entry.as_ref().map_or(true, |(key, _)| keep(key))),
        ))
    }
}

/// Checks that `name` can name a directory and a changelog topic.
pub(crate) fn validate_store_name(name: &str) -> Result<()> {
    let legal = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.is_empty()
        || name.len() > 249
        || name == "."
        || name == ".."
        || !name.chars().all(legal)
    {
        return Err(StateStoreError::invalid(
            name,
            "store names must be 1 to 249 characters of [a-zA-Z0-9._-], not `.` or `..`",
        ));
    }
    Ok(())
}

impl StateStore for RocksDbKeyValueStore {
    fn name(&self) -> &str {
        &self.name
    }

    fn persistent(&self) -> bool {
        true
    }

    fn flush(&mut self) -> Result<()> {
        self.db()?.flush().map_err(self.error("flush"))
    }

    fn close(&mut self) -> Result<()> {
        if let Some(db) = self.db.as_ref() {
            db.flush().map_err(self.error("flush"))?;
            self.db = None;
            tracing::debug!(store = %self.name, path = %self.path.display(), "closed RocksDB store");
        }
        Ok(())
    }
}

impl KeyValueStore for RocksDbKeyValueStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.db()?.get(key).map_err(self.error("get"))
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.db()?
            .put_opt(key, value, &self.write_options)
            .map_err(self.error("put"))
    }

    fn delete(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let old = self.get(key)?;
        if old.is_some() {
            self.db()?
                .delete_opt(key, &self.write_options)
                .map_err(self.error("delete"))?;
        }
        Ok(old)
    }

    fn put_all(&mut self, entries: &[KeyValueUpdate]) -> Result<()> {
        self.write_batch(entries)
    }

    fn range(&self, from: &[u8], to: &[u8]) -> Result<KeyValueIter<'_>> {
        if from > to {
            self.db()?;
            return Ok(Box::new(std::iter::empty()));
        }
        let to = to.to_vec();
        self.scan(IteratorMode::From(from, Direction::Forward), move |key| {
            key <= to.as_slice()
        })
    }

    fn reverse_range(&self, from: &[u8], to: &[u8]) -> Result<KeyValueIter<'_>> {
        if from > to {
            self.db()?;
            return Ok(Box::new(std::iter::empty()));
        }
        let from = from.to_vec();
        self.scan(IteratorMode::From(to, Direction::Reverse), move |key| {
            key >= from.as_slice()
        })
    }

    fn prefix_scan(&self, prefix: &[u8]) -> Result<KeyValueIter<'_>> {
        let owned = prefix.to_vec();
        self.scan(IteratorMode::From(prefix, Direction::Forward), move |key| {
            key.starts_with(&owned)
        })
    }

    fn all(&self) -> Result<KeyValueIter<'_>> {
        self.scan(IteratorMode::Start, |_| true)
    }

    fn approximate_num_entries(&self) -> Result<u64> {
        Ok(self
            .db()?
            .property_int_value("rocksdb.estimate-num-keys")
            .map_err(self.error("read property"))?
            .unwrap_or(0))
    }

    fn restore_batch(&mut self, records: &[KeyValueUpdate]) -> Result<()> {
        self.write_batch(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key_value::contract;

    #[test]
    fn passes_the_key_value_contract() {
        let dir = tempfile::tempdir().unwrap();
        let mut n = 0;
        contract::run_all(|| {
            n += 1;
            Box::new(
                RocksDbKeyValueStore::open(&format!("kv{n}"), dir.path(), &Default::default())
                    .unwrap(),
            )
        });
    }

    #[test]
    fn survives_close_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let options = RocksDbOptions::default();
        let mut store = RocksDbKeyValueStore::open("kv", dir.path(), &options).unwrap();
        store.put(b"a", b"1").unwrap();
        store.put(b"b", b"2").unwrap();
        store.delete(b"b").unwrap();
        assert!(store.persistent());
        store.close().unwrap();

        let store = RocksDbKeyValueStore::open("kv", dir.path(), &options).unwrap();
        assert_eq!(store.get(b"a").unwrap(), Some(b"1".to_vec()));
        assert_eq!(store.get(b"b").unwrap(), None);
        assert_eq!(store.path(), dir.path().join("kv"));
    }

    #[test]
    fn survives_drop_without_close() {
        let dir = tempfile::tempdir().unwrap();
        let options = RocksDbOptions::default();
        let mut store = RocksDbKeyValueStore::open("kv", dir.path(), &options).unwrap();
        store.put(b"a", b"1").unwrap();
        drop(store);
        let store = RocksDbKeyValueStore::open("kv", dir.path(), &options).unwrap();
        assert_eq!(store.get(b"a").unwrap(), Some(b"1".to_vec()));
    }

    #[test]
    fn open_on_a_file_is_a_typed_error_naming_store_and_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kv");
        std::fs::write(&file, b"not a directory").unwrap();
        let error = RocksDbKeyValueStore::open("kv", dir.path(), &Default::default()).unwrap_err();
        match &error {
            StateStoreError::Io { store, path, .. } => {
                assert_eq!(store, "kv");
                assert_eq!(path, &file);
            }
            other => panic!("unexpected error {other:?}"),
        }
        let message = error.to_string();
        assert!(message.contains("kv"), "{message}");
        assert!(message.contains(&file.display().to_string()), "{message}");
    }

    #[test]
    fn rejects_names_that_are_not_legal_directory_and_topic_names() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "",
            ".",
            "..",
            "../escape",
            "a/b",
            "with space",
            &"x".repeat(250),
        ] {
            assert!(
                matches!(
                    RocksDbKeyValueStore::open(name, dir.path(), &Default::default()),
                    Err(StateStoreError::InvalidArgument { .. })
                ),
                "{name:?}"
            );
        }
        assert!(RocksDbKeyValueStore::open("Ok-name_1.x", dir.path(), &Default::default()).is_ok());
    }

    #[test]
    fn rocksdb_open_failure_is_a_typed_error() {
        let dir = tempfile::tempdir().unwrap();
        let first = RocksDbKeyValueStore::open("kv", dir.path(), &Default::default()).unwrap();
        let error = RocksDbKeyValueStore::open("kv", dir.path(), &Default::default()).unwrap_err();
        match error {
            StateStoreError::Open { store, path, .. } => {
                assert_eq!(store, "kv");
                assert_eq!(path, dir.path().join("kv"));
            }
            other => panic!("unexpected error {other:?}"),
        }
        drop(first);
    }
}
