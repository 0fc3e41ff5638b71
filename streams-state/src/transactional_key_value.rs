//! [`TransactionalKeyValueStore`]: a key-value store whose writes since the last
//! commit are held in memory, over committed data that a [`CommittedKeyValues`]
//! backend (RocksDB or a map) applies atomically with a changelog offset.

use std::ops::Bound;

use crate::merge_iter::MergeIter;
use crate::uncommitted::UncommittedWrites;
use crate::{
    KeyValue, KeyValueIter, KeyValueStore, KeyValueUpdate, Result, StateStore, StoreStatistics,
};

/// An inclusive bound at `key`, unbounded for `None`.
pub(crate) fn inclusive(key: Option<&[u8]>) -> Bound<&[u8]> {
    key.map_or(Bound::Unbounded, Bound::Included)
}

/// The committed contents under a [`TransactionalKeyValueStore`]: what survives
/// a commit, and (when persistent) a restart.
pub trait CommittedKeyValues {
    /// The store's name.
    fn name(&self) -> &str;

    /// Whether the contents survive a restart.
    fn persistent(&self) -> bool;

    /// Fails with [`Closed`](crate::StateStoreError::Closed) once closed.
    fn check_open(&self) -> Result<()>;

    /// The committed value of `key`.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// Committed entries with `from <= key <= to` (`None`: unbounded), in
    /// ascending key order, or descending when `reverse`.
    fn scan(
        &self,
        from: Option<&[u8]>,
        to: Option<&[u8]>,
        reverse: bool,
    ) -> Result<KeyValueIter<'_>>;

    /// An estimate of the number of committed entries.
    fn approximate_num_entries(&self) -> Result<u64>;

    /// Applies `writes` (`None` deleting) and, if given, stores `offset` as the
    /// committed changelog offset, all in one atomic write.
    fn apply(
        &mut self,
        writes: &mut dyn Iterator<Item = (&[u8], Option<&[u8]>)>,
        offset: Option<i64>,
    ) -> Result<()>;

    /// The committed changelog offset, if one was ever stored.
    fn offset(&self) -> Option<i64>;

    /// Releases the contents' resources (for RocksDB: flushes memtables and
    /// closes the instance). Closing twice is harmless.
    fn close(&mut self) -> Result<()>;

    /// What the contents tell about themselves for metrics (RocksDB: its size
    /// estimates). Default: nothing.
    fn statistics(&self) -> StoreStatistics {
        StoreStatistics::default()
    }
}

/// A key-value store holding its writes since the last commit in memory,
/// ordered, merged over the committed contents for every read (`get`, ranges,
/// prefix scans, `all`); [`commit`](StateStore::commit) applies them with the
/// changelog offset in one atomic write, [`abort`](StateStore::abort) drops
/// them.
///
/// [`RocksDbKeyValueStore`](crate::RocksDbKeyValueStore) and
/// [`InMemoryKeyValueStore`](crate::InMemoryKeyValueStore) are this store over
/// their backends; the segments of window and session stores are these stores.
///
/// ```
/// use streams_state::{InMemoryKeyValueStore, KeyValueStore, StateStore};
///
/// let mut store = InMemoryKeyValueStore::new("counts");
/// store.put(b"k", b"1")?;
/// store.commit(Some(10))?;
/// store.put(b"k", b"2")?;
/// assert_eq!(store.get(b"k")?, Some(b"2".to_vec())); // reads see uncommitted writes
/// store.abort()?;
/// assert_eq!(store.get(b"k")?, Some(b"1".to_vec()));
/// assert_eq!(store.committed_offset()?, Some(10));
/// # Ok::<(), streams_state::StateStoreError>(())
/// ```
pub struct TransactionalKeyValueStore<D> {
    committed: D,
    uncommitted: UncommittedWrites,
}

impl<D: CommittedKeyValues> std::fmt::Debug for TransactionalKeyValueStore<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransactionalKeyValueStore")
            .field("name", &self.committed.name())
            .field("persistent", &self.committed.persistent())
            .field("uncommitted_bytes", &self.uncommitted.bytes())
            .finish()
    }
}

impl<D: CommittedKeyValues> TransactionalKeyValueStore<D> {
    /// A store over `committed`, with nothing uncommitted.
    pub fn over(committed: D) -> Self {
        Self {
            committed,
            uncommitted: UncommittedWrites::default(),
        }
    }

    /// The committed contents.
    pub fn committed(&self) -> &D {
        &self.committed
    }

    fn write(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<()> {
        self.committed.check_open()?;
        self.uncommitted.write(key, value);
        Ok(())
    }

    /// Committed entries in the bounds merged with uncommitted writes.
    fn merged(
        &self,
        from: Option<&[u8]>,
        to: Option<&[u8]>,
        reverse: bool,
    ) -> Result<KeyValueIter<'_>> {
        let committed = self.committed.scan(from, to, reverse)?;
        if self.uncommitted.is_empty() {
            return Ok(committed);
        }
        let uncommitted = self
            .uncommitted
            .range((inclusive(from), inclusive(to)), reverse);
        Ok(Box::new(MergeIter::new(
            uncommitted,
            committed,
            |(key, _): &KeyValue| key.clone(),
            reverse,
        )))
    }
}

impl<D: CommittedKeyValues> StateStore for TransactionalKeyValueStore<D> {
    fn name(&self) -> &str {
        self.committed.name()
    }

    fn persistent(&self) -> bool {
        self.committed.persistent()
    }

    fn flush(&mut self) -> Result<()> {
        self.committed.check_open()
    }

    fn commit(&mut self, changelog_offset: Option<i64>) -> Result<()> {
        self.committed.check_open()?;
        if self.uncommitted.is_empty()
            && (changelog_offset.is_none() || changelog_offset == self.committed.offset())
        {
            return Ok(());
        }
        self.committed
            .apply(&mut self.uncommitted.iter(), changelog_offset)?;
        self.uncommitted.clear();
        Ok(())
    }

    fn abort(&mut self) -> Result<()> {
        if !self.uncommitted.is_empty() {
            tracing::debug!(store = %self.committed.name(), keys = self.uncommitted.len(), "discarding uncommitted writes");
        }
        self.uncommitted.clear();
        Ok(())
    }

    fn committed_offset(&self) -> Result<Option<i64>> {
        self.committed.check_open()?;
        Ok(self.committed.offset())
    }

    fn uncommitted_bytes(&self) -> usize {
        self.uncommitted.bytes()
    }

    fn statistics(&self) -> StoreStatistics {
        self.committed.statistics()
    }

    fn close(&mut self) -> Result<()> {
        if self.committed.check_open().is_ok() {
            self.commit(None)?;
        }
        self.uncommitted.clear();
        self.committed.close()
    }
}

impl<D: CommittedKeyValues> KeyValueStore for TransactionalKeyValueStore<D> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.committed.check_open()?;
        match self.uncommitted.get(key) {
            Some(value) => Ok(value.map(<[u8]>::to_vec)),
            None => self.committed.get(key),
        }
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.write(key, Some(value))
    }

    fn delete(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let old = self.get(key)?;
        if old.is_some() {
            self.write(key, None)?;
        }
        Ok(old)
    }

    fn put_all(&mut self, entries: &[KeyValueUpdate]) -> Result<()> {
        self.committed.check_open()?;
        for (key, value) in entries {
            self.uncommitted.write(key, value.as_deref());
        }
        Ok(())
    }

    fn range(&self, from: &[u8], to: &[u8]) -> Result<KeyValueIter<'_>> {
        self.committed.check_open()?;
        if from > to {
            return Ok(Box::new(std::iter::empty()));
        }
        self.merged(Some(from), Some(to), false)
    }

    fn reverse_range(&self, from: &[u8], to: &[u8]) -> Result<KeyValueIter<'_>> {
        self.committed.check_open()?;
        if from > to {
            return Ok(Box::new(std::iter::empty()));
        }
        self.merged(Some(from), Some(to), true)
    }

    fn prefix_scan(&self, prefix: &[u8]) -> Result<KeyValueIter<'_>> {
        let owned = prefix.to_vec();
        Ok(Box::new(
            self.merged(Some(prefix), None, false)?
                .take_while(move |entry| {
                    entry
                        .as_ref()
                        .map_or(true, |(key, _)| key.starts_with(&owned))
                }),
        ))
    }

    fn all(&self) -> Result<KeyValueIter<'_>> {
        self.merged(None, None, false)
    }

    /// The committed estimate corrected by the uncommitted writes (exact when
    /// the committed count is).
    fn approximate_num_entries(&self) -> Result<u64> {
        let mut count = self.committed.approximate_num_entries()?;
        for (key, value) in self.uncommitted.iter() {
            match (self.committed.get(key)?.is_some(), value.is_some()) {
                (false, true) => count += 1,
                (true, false) => count = count.saturating_sub(1),
                _ => {}
            }
        }
        Ok(count)
    }

    /// Applies the records as uncommitted writes: the caller commits them with
    /// the offset of the last one.
    fn restore_batch(&mut self, records: &[KeyValueUpdate]) -> Result<()> {
        self.put_all(records)
    }
}

/// Tests every transactional store must pass, through the [`StateStore`]
/// transaction methods.
#[cfg(test)]
pub(crate) mod contract {
    use super::*;

    /// Uncommitted writes are read, merged in order, and dropped by abort.
    pub(crate) fn reads_see_uncommitted_writes_and_abort_drops_them(store: &mut dyn KeyValueStore) {
        store.put(b"a", b"1").unwrap();
        store.put(b"c", b"3").unwrap();
        store.put(b"e", b"5").unwrap();
        store.commit(Some(7)).unwrap();
        store.put(b"b", b"2").unwrap();
        store.delete(b"c").unwrap();
        store.put(b"e", b"50").unwrap();
        let all = |store: &dyn KeyValueStore| -> Vec<KeyValue> {
            store.all().unwrap().map(Result::unwrap).collect()
        };
        let pair = |k: &str, v: &str| (k.as_bytes().to_vec(), v.as_bytes().to_vec());
        assert_eq!(store.get(b"b").unwrap(), Some(b"2".to_vec()));
        assert_eq!(store.get(b"c").unwrap(), None);
        assert_eq!(
            all(store),
            vec![pair("a", "1"), pair("b", "2"), pair("e", "50")]
        );
        let reversed: Vec<KeyValue> = store
            .reverse_range(b"a", b"e")
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            reversed,
            vec![pair("e", "50"), pair("b", "2"), pair("a", "1")]
        );
        assert!(store.uncommitted_bytes() > 0);
        assert_eq!(store.committed_offset().unwrap(), Some(7));

        store.abort().unwrap();
        assert_eq!(store.uncommitted_bytes(), 0);
        assert_eq!(
            all(store),
            vec![pair("a", "1"), pair("c", "3"), pair("e", "5")]
        );
        assert_eq!(store.committed_offset().unwrap(), Some(7));

        store.put(b"z", b"26").unwrap();
        store.commit(None).unwrap();
        assert_eq!(
            store.committed_offset().unwrap(),
            Some(7),
            "None keeps the offset"
        );
        store.commit(Some(9)).unwrap();
        assert_eq!(
            store.committed_offset().unwrap(),
            Some(9),
            "an offset alone commits"
        );
        assert_eq!(all(store).len(), 4);
    }
}
