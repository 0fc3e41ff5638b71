//! The byte-level [`VersionedKeyValueStore`] trait (Kafka Streams' KIP-889) and
//! the types its reads and writes return.

use crate::{KeyValueUpdate, Result, StateStore};

/// One version of a key's value, as a versioned store returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionedValue {
    /// The value's bytes.
    pub value: Vec<u8>,
    /// The timestamp the version was written at: it is valid from then on.
    pub valid_from: i64,
    /// The timestamp of the next version of the key (a value or a tombstone),
    /// which ends this one; `None` for the latest version.
    pub valid_to: Option<i64>,
}

/// What a [`put`](VersionedKeyValueStore::put) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// The write is the key's latest version (no newer version exists).
    Latest,
    /// The write went into the key's history: a newer version, written at
    /// `valid_to`, already existed (an out-of-order write).
    Historical {
        /// The timestamp of the next newer version, where this one ends.
        valid_to: i64,
    },
    /// The write was older than the history retention allows (its timestamp
    /// is before the observed stream time minus the history retention) and
    /// was dropped.
    Rejected,
}

/// A key-value store keeping every version of a key's value for a history
/// retention period, over raw bytes.
///
/// Each write carries a timestamp; a version is valid from its timestamp until
/// the timestamp of the key's next version. A tombstone (`None` value) is a
/// version too: as of a time it covers, the key has no value. Writes may come
/// out of timestamp order; they are inserted into the history where their
/// timestamp puts them, and a write with the timestamp of an existing version
/// replaces it.
///
/// The store tracks the *observed stream time*, the largest timestamp written.
/// Versions that ended before observed stream time minus the history retention
/// are dropped, queries as of such a time return nothing, and writes older
/// than that are rejected. The latest live version of a key is kept however
/// old it is.
///
/// ```
/// use streams_state::{PutOutcome, VersionedKeyValueStore, VersionedStore};
///
/// let mut store = VersionedStore::in_memory("prices", 100);
/// store.put(b"apple", Some(b"1"), 10)?;
/// store.put(b"apple", Some(b"2"), 20)?;
/// assert_eq!(store.put(b"apple", Some(b"1.5"), 15)?, PutOutcome::Historical { valid_to: 20 });
/// let as_of_17 = store.get_as_of(b"apple", 17)?.expect("a version");
/// assert_eq!((as_of_17.value, as_of_17.valid_from, as_of_17.valid_to), (b"1.5".to_vec(), 15, Some(20)));
/// assert_eq!(store.get(b"apple")?.map(|v| v.value), Some(b"2".to_vec()));
/// # Ok::<(), streams_state::StateStoreError>(())
/// ```
pub trait VersionedKeyValueStore: StateStore {
    /// How long (in the store's timestamps, milliseconds) versions are kept
    /// after they stop being the latest.
    fn history_retention(&self) -> i64;

    /// The largest timestamp written so far, `None` before the first write.
    fn observed_stream_time(&self) -> Option<i64>;

    /// Writes a version of `key` (`None`: a tombstone) valid from `timestamp`.
    fn put(&mut self, key: &[u8], value: Option<&[u8]>, timestamp: i64) -> Result<PutOutcome>;

    /// Writes a tombstone for `key` at `timestamp`, returning the version that
    /// was valid at `timestamp` before it.
    fn delete(&mut self, key: &[u8], timestamp: i64) -> Result<Option<VersionedValue>> {
        let previous = self.get_as_of(key, timestamp)?;
        self.put(key, None, timestamp)?;
        Ok(previous)
    }

    /// The key's latest version, `None` if it has none or it is a tombstone.
    fn get(&self, key: &[u8]) -> Result<Option<VersionedValue>>;

    /// The version of `key` valid at `as_of` (the one with the largest
    /// timestamp not after it), `None` when there is none, it is a tombstone,
    /// or `as_of` is older than the history retention allows.
    fn get_as_of(&self, key: &[u8], as_of: i64) -> Result<Option<VersionedValue>>;

    /// Replays changelog records of the store (keys as written, values in the
    /// layout of [`versioned_changelog`](crate::versioned_changelog)) as puts,
    /// in order, unlogged.
    fn restore_batch(&mut self, records: &[KeyValueUpdate]) -> Result<()>;
}
