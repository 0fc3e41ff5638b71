//! [`RocksDbKeyValueStore`]: a persistent, transactional key-value store, one
//! RocksDB instance per store, and [`RocksDbKeyValues`], its committed data.

use std::path::{Path, PathBuf};

use rocksdb::{
    ColumnFamilyDescriptor, DB, DBRecoveryMode, Direction, IteratorMode, Options, WriteBatch,
    WriteOptions,
};

use crate::transactional_key_value::{CommittedKeyValues, TransactionalKeyValueStore};
use crate::{KeyValueIter, Result, RocksDbOptions, RocksDbSizes, StateStoreError, StoreStatistics};

/// Column family holding the committed changelog offset, apart from the data
/// so that scans never see it.
const OFFSETS_COLUMN_FAMILY: &str = "rstreams-offsets";
/// Key of the committed changelog offset (8 bytes, big-endian) in
/// [`OFFSETS_COLUMN_FAMILY`].
const CHANGELOG_OFFSET_KEY: &[u8] = b"changelog-offset";

/// A transactional key-value store backed by its own RocksDB instance in
/// `<dir>/<name>`: writes are held in memory until
/// [`commit`](crate::StateStore::commit), which writes them and the changelog
/// offset in one `WriteBatch` (the offset in a column family of its own).
///
/// # Durability
///
/// A commit batch goes through RocksDB's write-ahead log, unsynced: RocksDB
/// hands the log to the operating system after every write, so a killed process
/// loses no commit, and since a batch is atomic in the log and in memtables, a
/// machine crash (which can lose the unsynced tail of the log) leaves the store
/// at an earlier commit, data and offset together. Kafka Streams disables the
/// log because every put goes to RocksDB; here only commits do, one batch each.
/// `atomic_flush` keeps the data and offset column families consistent in the
/// SST files too, for users whose options setter turns the log off (then a
/// crash returns the store to its last memtable flush, still consistent).
/// Closing flushes memtables; nothing else does.
///
/// ```
/// use streams_state::{KeyValueStore, RocksDbKeyValueStore, RocksDbOptions, StateStore};
///
/// let dir = tempfile::tempdir()?;
/// let mut store = RocksDbKeyValueStore::open("counts", dir.path(), &RocksDbOptions::default())?;
/// store.put(b"k", b"v")?;
/// store.commit(Some(41))?;
/// store.put(b"k", b"lost")?;
/// drop(store); // a crash: the uncommitted write is gone
///
/// let store = RocksDbKeyValueStore::open("counts", dir.path(), &RocksDbOptions::default())?;
/// assert_eq!(store.get(b"k")?, Some(b"v".to_vec()));
/// assert_eq!(store.committed_offset()?, Some(41));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type RocksDbKeyValueStore = TransactionalKeyValueStore<RocksDbKeyValues>;

impl RocksDbKeyValueStore {
    /// Opens (creating if needed) the store `name` in the directory `dir/name`.
    ///
    /// The name must be a legal Kafka topic name part (`[a-zA-Z0-9._-]`, at
    /// most 249 characters, not `.` or `..`), as it also names the changelog
    /// topic; otherwise this fails with [`StateStoreError::InvalidArgument`].
    /// Fails with [`StateStoreError::Io`] if the directory cannot be created,
    /// with [`StateStoreError::Locked`] if another open instance holds the
    /// store, and with [`StateStoreError::Open`] if RocksDB cannot open it for
    /// another reason; all name the store and the path.
    pub fn open(name: &str, dir: &Path, options: &RocksDbOptions) -> Result<Self> {
        Self::open_with(name, dir, &options.to_rocksdb(name))
    }

    /// Opens with prepared RocksDB options (shared by the segments of a store).
    pub(crate) fn open_with(name: &str, dir: &Path, options: &Options) -> Result<Self> {
        Ok(Self::over(RocksDbKeyValues::open(name, dir, options)?))
    }

    /// The directory of the RocksDB instance.
    pub fn path(&self) -> &Path {
        &self.committed().path
    }
}

/// The committed data of a [`RocksDbKeyValueStore`]: a RocksDB instance with
/// the data in the default column family and the committed changelog offset in
/// its own.
pub struct RocksDbKeyValues {
    name: String,
    path: PathBuf,
    db: Option<DB>,
    write_options: WriteOptions,
    offset: Option<i64>,
}

impl std::fmt::Debug for RocksDbKeyValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocksDbKeyValues")
            .field("name", &self.name)
            .field("path", &self.path)
            .field("open", &self.db.is_some())
            .field("offset", &self.offset)
            .finish()
    }
}

/// Whether RocksDB refused to open because the instance's `LOCK` file is held
/// (by this process: "lock hold by current process"; by another: "While lock
/// file ... Resource temporarily unavailable").
fn is_lock_error(error: &rocksdb::Error) -> bool {
    let message = error.as_ref();
    error.kind() == rocksdb::ErrorKind::IOError
        && (message.contains("lock hold by current process") || message.contains("While lock file"))
}

impl RocksDbKeyValues {
    fn open(name: &str, dir: &Path, options: &Options) -> Result<Self> {
        validate_store_name(name)?;
        let path = dir.join(name);
        std::fs::create_dir_all(&path).map_err(|source| StateStoreError::Io {
            store: name.to_owned(),
            path: path.clone(),
            source,
        })?;
        let mut options = options.clone();
        options.create_if_missing(true);
        options.create_missing_column_families(true);
        options.set_atomic_flush(true);
        options.set_wal_recovery_mode(DBRecoveryMode::PointInTime);
        let families = [
            ColumnFamilyDescriptor::new(rocksdb::DEFAULT_COLUMN_FAMILY_NAME, options.clone()),
            ColumnFamilyDescriptor::new(OFFSETS_COLUMN_FAMILY, options.clone()),
        ];
        let db = DB::open_cf_descriptors(&options, &path, families).map_err(|source| {
            if is_lock_error(&source) {
                StateStoreError::Locked {
                    store: name.to_owned(),
                    path: path.clone(),
                }
            } else {
                StateStoreError::Open {
                    store: name.to_owned(),
                    path: path.clone(),
                    source,
                }
            }
        })?;
        let mut this = Self {
            name: name.to_owned(),
            path,
            db: Some(db),
            write_options: WriteOptions::default(),
            offset: None,
        };
        this.offset = this.read_offset()?;
        tracing::debug!(store = name, path = %this.path.display(), offset = ?this.offset, "opened RocksDB store");
        Ok(this)
    }

    fn db(&self) -> Result<&DB> {
        self.db
            .as_ref()
            .ok_or_else(|| StateStoreError::closed(&self.name))
    }

    fn offsets_family(&self) -> Result<&rocksdb::ColumnFamily> {
        self.db()?.cf_handle(OFFSETS_COLUMN_FAMILY).ok_or_else(|| {
            StateStoreError::corrupt(&self.name, "the offsets column family is missing")
        })
    }

    fn read_offset(&self) -> Result<Option<i64>> {
        let stored = self
            .db()?
            .get_cf(self.offsets_family()?, CHANGELOG_OFFSET_KEY)
            .map_err(self.error("read the committed offset"))?;
        stored
            .map(|bytes| {
                <[u8; 8]>::try_from(bytes.as_slice())
                    .map(i64::from_be_bytes)
                    .map_err(|_| {
                        StateStoreError::corrupt(
                            &self.name,
                            format!("committed offset of {} bytes, expected 8", bytes.len()),
                        )
                    })
            })
            .transpose()
    }

    /// An integer property of the RocksDB instance (`rocksdb.block-cache-usage`,
    /// `rocksdb.estimate-num-keys`, ...), `None` if RocksDB does not know it.
    pub fn property_int(&self, name: &str) -> Result<Option<u64>> {
        self.db()?
            .property_int_value(name)
            .map_err(self.error("read property"))
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
}

impl CommittedKeyValues for RocksDbKeyValues {
    fn name(&self) -> &str {
        &self.name
    }

    fn persistent(&self) -> bool {
        true
    }

    fn check_open(&self) -> Result<()> {
        self.db().map(drop)
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.db()?.get(key).map_err(self.error("get"))
    }

    fn scan(
        &self,
        from: Option<&[u8]>,
        to: Option<&[u8]>,
        reverse: bool,
    ) -> Result<KeyValueIter<'_>> {
        let db = self.db()?;
        let mode = match (reverse, from, to) {
            (false, Some(from), _) => IteratorMode::From(from, Direction::Forward),
            (false, None, _) => IteratorMode::Start,
            (true, _, Some(to)) => IteratorMode::From(to, Direction::Reverse),
            (true, _, None) => IteratorMode::End,
        };
        // The far bound ends the scan; the near one is where it starts.
        let (from, to) = (from.map(<[u8]>::to_vec), to.map(<[u8]>::to_vec));
        let within = move |key: &[u8]| {
            if reverse {
                from.as_deref().is_none_or(|from| key >= from)
            } else {
                to.as_deref().is_none_or(|to| key <= to)
            }
        };
        let error = self.error("iterate");
        Ok(Box::new(
            db.iterator(mode)
                .map(move |entry| {
                    entry
                        .map(|(key, value)| (key.into_vec(), value.into_vec()))
                        .map_err(&error)
                })
                .take_while(move |entry| entry.as_ref().map_or(true, |(key, _)| within(key))),
        ))
    }

    fn approximate_num_entries(&self) -> Result<u64> {
        Ok(self.property_int("rocksdb.estimate-num-keys")?.unwrap_or(0))
    }

    /// RocksDB's size estimates; none once closed (or if RocksDB cannot say).
    fn statistics(&self) -> StoreStatistics {
        let property = |name| match self.property_int(name) {
            Ok(value) => value,
            Err(error) => {
                tracing::debug!(store = %self.name, property = name, %error, "reading a RocksDB property failed");
                None
            }
        };
        let sizes = match (
            property("rocksdb.estimate-num-keys"),
            property("rocksdb.total-sst-files-size"),
            property("rocksdb.cur-size-all-mem-tables"),
        ) {
            (Some(estimated_keys), Some(sst_files_bytes), Some(memtable_bytes)) => {
                Some(RocksDbSizes {
                    estimated_keys,
                    sst_files_bytes,
                    memtable_bytes,
                })
            }
            _ => None,
        };
        StoreStatistics {
            cache: None,
            rocksdb: sizes,
        }
    }

    fn apply(
        &mut self,
        writes: &mut dyn Iterator<Item = (&[u8], Option<&[u8]>)>,
        offset: Option<i64>,
    ) -> Result<()> {
        let mut batch = WriteBatch::default();
        for (key, value) in writes {
            match value {
                Some(value) => batch.put(key, value),
                None => batch.delete(key),
            }
        }
        if let Some(offset) = offset {
            batch.put_cf(
                self.offsets_family()?,
                CHANGELOG_OFFSET_KEY,
                offset.to_be_bytes(),
            );
        }
        self.db()?
            .write_opt(batch, &self.write_options)
            .map_err(self.error("commit"))?;
        if offset.is_some() {
            self.offset = offset;
        }
        Ok(())
    }

    fn offset(&self) -> Option<i64> {
        self.offset
    }

    fn close(&mut self) -> Result<()> {
        if let Some(db) = self.db.as_ref() {
            let families = [
                db.cf_handle(rocksdb::DEFAULT_COLUMN_FAMILY_NAME),
                db.cf_handle(OFFSETS_COLUMN_FAMILY),
            ];
            let families: Vec<&rocksdb::ColumnFamily> = families.into_iter().flatten().collect();
            db.flush_cfs_opt(&families, &rocksdb::FlushOptions::default())
                .map_err(self.error("flush"))?;
            self.db = None;
            tracing::debug!(store = %self.name, path = %self.path.display(), "closed RocksDB store");
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key_value::contract;
    use crate::{KeyValueStore, StateStore};

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
    fn a_drop_without_commit_keeps_exactly_the_last_commit() {
        let dir = tempfile::tempdir().unwrap();
        let options = RocksDbOptions::default();
        let mut store = RocksDbKeyValueStore::open("kv", dir.path(), &options).unwrap();
        assert_eq!(store.committed_offset().unwrap(), None);
        store.put(b"a", b"1").unwrap();
        store.put(b"b", b"1").unwrap();
        store.commit(Some(3)).unwrap();
        store.put(b"a", b"2").unwrap();
        store.delete(b"b").unwrap();
        store.put(b"c", b"2").unwrap();
        assert!(store.uncommitted_bytes() > 0);
        drop(store);

        let store = RocksDbKeyValueStore::open("kv", dir.path(), &options).unwrap();
        let all: Vec<_> = store.all().unwrap().map(Result::unwrap).collect();
        assert_eq!(
            all,
            vec![
                (b"a".to_vec(), b"1".to_vec()),
                (b"b".to_vec(), b"1".to_vec())
            ]
        );
        assert_eq!(store.committed_offset().unwrap(), Some(3));
    }

    #[test]
    fn passes_the_transaction_contract() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = RocksDbKeyValueStore::open("kv", dir.path(), &Default::default()).unwrap();
        crate::transactional_key_value::contract::reads_see_uncommitted_writes_and_abort_drops_them(
            &mut store,
        );
    }

    #[test]
    fn the_offset_is_invisible_to_scans() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = RocksDbKeyValueStore::open("kv", dir.path(), &Default::default()).unwrap();
        store.commit(Some(5)).unwrap();
        assert_eq!(store.all().unwrap().count(), 0);
        assert_eq!(store.get(CHANGELOG_OFFSET_KEY).unwrap(), None);
        assert_eq!(store.committed_offset().unwrap(), Some(5));
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
    fn opening_a_store_that_is_open_is_a_locked_error() {
        let dir = tempfile::tempdir().unwrap();
        let first = RocksDbKeyValueStore::open("kv", dir.path(), &Default::default()).unwrap();
        let error = RocksDbKeyValueStore::open("kv", dir.path(), &Default::default()).unwrap_err();
        match &error {
            StateStoreError::Locked { store, path } => {
                assert_eq!(store, "kv");
                assert_eq!(path, &dir.path().join("kv"));
            }
            other => panic!("unexpected error {other:?}"),
        }
        assert!(error.to_string().contains("locked"), "{error}");
        drop(first);
        RocksDbKeyValueStore::open("kv", dir.path(), &Default::default())
            .expect("the lock is released when the holder closes");
    }

    #[test]
    fn other_rocksdb_open_failures_are_open_errors() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = RocksDbKeyValueStore::open("kv", dir.path(), &Default::default()).unwrap();
        store.close().unwrap();
        std::fs::write(dir.path().join("kv").join("CURRENT"), b"MANIFEST-none\n").unwrap();
        let error = RocksDbKeyValueStore::open("kv", dir.path(), &Default::default()).unwrap_err();
        match error {
            StateStoreError::Open { store, path, .. } => {
                assert_eq!(store, "kv");
                assert_eq!(path, dir.path().join("kv"));
            }
            other => panic!("unexpected error {other:?}"),
        }
    }
}
