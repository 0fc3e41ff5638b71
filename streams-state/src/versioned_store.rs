//! [`VersionedStore`]: the RocksDB-backed or in-memory
//! [`VersionedKeyValueStore`], keeping every version of a key in the
//! transactional key-value store under it (layout in `versioned_layout`).
//!
//! Kafka Streams keeps the latest values in one store and older versions in
//! time segments; here versions are entries ordered by key and time, with an
//! index by expiry time standing in for the segments: what the history
//! retention drops is found by one range scan whenever stream time advances.

use std::path::Path;

use crate::versioned_layout::{
    OPEN, STREAM_TIME_KEY, StoredVersion, decode_stream_time, expired_range, expiry_key,
    index_expiry, indexed_version_key, latest_key, unexpired_range, version_key, version_key_key,
    version_key_time,
};
use crate::{
    InMemoryKeyValueStore, KeyValueStore, KeyValueUpdate, PutOutcome, Result, RocksDbKeyValueStore,
    RocksDbOptions, StateStore, StateStoreError, VersionedKeyValueStore, VersionedValue,
    versioned_changelog,
};

/// A versioned key-value store over a transactional key-value store
/// (RocksDB or in memory), so it commits, aborts and keeps its changelog
/// offset as they do; its observed stream time is stored with its data.
///
/// ```
/// use streams_state::{RocksDbOptions, StateStore, VersionedKeyValueStore, VersionedStore};
///
/// let dir = tempfile::tempdir()?;
/// let mut store = VersionedStore::rocksdb("prices", dir.path(), &RocksDbOptions::default(), 50)?;
/// store.put(b"k", Some(b"old"), 10)?;
/// store.put(b"k", None, 20)?;
/// store.commit(Some(1))?;
/// store.close()?;
///
/// let store = VersionedStore::rocksdb("prices", dir.path(), &RocksDbOptions::default(), 50)?;
/// assert_eq!(store.get(b"k")?, None);
/// assert_eq!(store.get_as_of(b"k", 15)?.map(|v| v.value), Some(b"old".to_vec()));
/// assert_eq!(store.observed_stream_time(), Some(20));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct VersionedStore {
    inner: Box<dyn KeyValueStore>,
    history_retention: i64,
    stream_time: Option<i64>,
    /// No version in the expiry index expires before this (`None`: not
    /// known; the next advance of stream time scans the index and learns
    /// it), so stream time can advance without a scan until the cutoff
    /// passes it.
    earliest_expiry: Option<i64>,
}

impl std::fmt::Debug for VersionedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VersionedStore")
            .field("name", &self.inner.name())
            .field("history_retention", &self.history_retention)
            .field("stream_time", &self.stream_time)
            .finish()
    }
}

impl VersionedStore {
    /// Keeps the versions in `inner`, which must be empty or hold a versioned
    /// store's data; versions are kept `history_retention` milliseconds after
    /// they stop being the latest (a negative retention counts as zero).
    pub fn over(inner: Box<dyn KeyValueStore>, history_retention: i64) -> Result<Self> {
        let stream_time = inner
            .get(STREAM_TIME_KEY)?
            .map(|bytes| decode_stream_time(inner.name(), &bytes))
            .transpose()?;
        Ok(Self {
            inner,
            history_retention: history_retention.max(0),
            stream_time,
            earliest_expiry: None,
        })
    }

    /// Opens (creating if needed) the RocksDB-backed store `name` in `dir/name`.
    pub fn rocksdb(
        name: &str,
        dir: &Path,
        options: &RocksDbOptions,
        history_retention: i64,
    ) -> Result<Self> {
        Self::over(
            Box::new(RocksDbKeyValueStore::open(name, dir, options)?),
            history_retention,
        )
    }

    /// An empty store kept in memory (rebuilt from its changelog on restart).
    pub fn in_memory(name: impl Into<String>, history_retention: i64) -> Self {
        Self {
            inner: Box::new(InMemoryKeyValueStore::new(name)),
            history_retention: history_retention.max(0),
            stream_time: None,
            earliest_expiry: None,
        }
    }

    /// Versions ending before this are dropped, and queries before it answer
    /// nothing.
    fn cutoff(&self) -> i64 {
        self.stream_time
            .map_or(i64::MIN, |time| time.saturating_sub(self.history_retention))
    }

    /// The version of `key` with the largest valid-from at or before `time`,
    /// by a reverse scan of its versions.
    fn scan_version_at(&self, key: &[u8], time: i64) -> Result<Option<StoredVersion>> {
        let name = self.inner.name();
        let (low, high) = (
            version_key(name, key, i64::MIN)?,
            version_key(name, key, time)?,
        );
        match self.inner.reverse_range(&low, &high)?.next() {
            Some(entry) => {
                let (stored_key, stored) = entry?;
                Ok(Some(StoredVersion::decode(name, &stored_key, &stored)?))
            }
            None => Ok(None),
        }
    }

    /// The version of `key` with the largest valid-from at or before `time`:
    /// the open version, through its copy (one point lookup), when it is
    /// valid from then or earlier; otherwise found by a scan.
    fn version_at(&self, key: &[u8], time: i64) -> Result<Option<StoredVersion>> {
        match self.latest(key)? {
            Some(latest) if latest.valid_from <= time => Ok(Some(latest)),
            _ => self.scan_version_at(key, time),
        }
    }

    /// The first version of `key` valid from after `timestamp`.
    fn next_version_after(&self, key: &[u8], timestamp: i64) -> Result<Option<StoredVersion>> {
        let Some(after) = timestamp.checked_add(1) else {
            return Ok(None);
        };
        let name = self.inner.name();
        let (low, high) = (
            version_key(name, key, after)?,
            version_key(name, key, i64::MAX)?,
        );
        match self.inner.range(&low, &high)?.next() {
            Some(entry) => {
                let (stored_key, stored) = entry?;
                Ok(Some(StoredVersion::decode(name, &stored_key, &stored)?))
            }
            None => Ok(None),
        }
    }

    /// Stores `version` of `key`, replacing `replaced` (the same version as
    /// stored before, if it was) and keeping the expiry index in step.
    fn write_version(
        &mut self,
        key: &[u8],
        version: &StoredVersion,
        replaced: Option<&StoredVersion>,
    ) -> Result<()> {
        let stored_key = version_key(self.inner.name(), key, version.valid_from)?;
        let old_expiry = replaced.and_then(StoredVersion::expiry);
        let new_expiry = version.expiry();
        if old_expiry != new_expiry {
            if let Some(expiry) = old_expiry {
                self.inner.delete(&expiry_key(expiry, &stored_key))?;
            }
            if let Some(expiry) = new_expiry {
                self.inner.put(&expiry_key(expiry, &stored_key), &[])?;
                self.earliest_expiry = self.earliest_expiry.map(|earliest| earliest.min(expiry));
            }
        }
        self.inner.put(&stored_key, &version.encode())?;
        if version.valid_to == OPEN {
            self.inner.put(&latest_key(key), &version.encode_latest())
        } else if replaced.is_some_and(|replaced| replaced.valid_to == OPEN) {
            self.inner.delete(&latest_key(key)).map(|_| ())
        } else {
            Ok(())
        }
    }

    /// The key's open version, from its copy.
    fn latest(&self, key: &[u8]) -> Result<Option<StoredVersion>> {
        self.inner
            .get(&latest_key(key))?
            .map(|stored| StoredVersion::decode_latest(self.inner.name(), &stored))
            .transpose()
    }

    /// Drops the versions that expired before the cutoff, unless none can
    /// have (the cutoff has not passed the earliest expiry), and learns the
    /// earliest expiry of those left.
    fn drop_expired(&mut self) -> Result<()> {
        let cutoff = self.cutoff();
        if self
            .earliest_expiry
            .is_some_and(|earliest| cutoff <= earliest)
        {
            return Ok(());
        }
        let (from, to) = expired_range(cutoff);
        let expired: Vec<Vec<u8>> = self
            .inner
            .range(&from, &to)?
            .map(|entry| entry.map(|(key, _)| key))
            .collect::<Result<_>>()?;
        for index_key in expired {
            let version = indexed_version_key(self.inner.name(), &index_key)?;
            // An expiring open version is a tombstone: its copy goes too.
            let key = version_key_key(self.inner.name(), &version)?.to_vec();
            let valid_from = version_key_time(self.inner.name(), &version)?;
            if self
                .latest(&key)?
                .is_some_and(|latest| latest.valid_from == valid_from)
            {
                self.inner.delete(&latest_key(&key))?;
            }
            self.inner.delete(&version)?;
            self.inner.delete(&index_key)?;
        }
        let (from, to) = unexpired_range(cutoff);
        let first = self.inner.range(&from, &to)?.next().transpose()?;
        self.earliest_expiry = Some(match first {
            Some((index_key, _)) => index_expiry(self.inner.name(), &index_key)?,
            None => i64::MAX,
        });
        Ok(())
    }

    /// Advances the observed stream time to `timestamp` if it is newer,
    /// dropping what expires with it.
    fn observe(&mut self, timestamp: i64) -> Result<()> {
        if self.stream_time.is_some_and(|time| time >= timestamp) {
            return Ok(());
        }
        self.stream_time = Some(timestamp);
        self.inner.put(STREAM_TIME_KEY, &timestamp.to_be_bytes())?;
        self.drop_expired()
    }

    fn record(version: StoredVersion) -> Option<VersionedValue> {
        let valid_to = (version.valid_to != OPEN).then_some(version.valid_to);
        version.value.map(|value| VersionedValue {
            value,
            valid_from: version.valid_from,
            valid_to,
        })
    }
}

impl StateStore for VersionedStore {
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

    /// Drops the uncommitted writes and goes back to the committed stream time.
    fn abort(&mut self) -> Result<()> {
        self.inner.abort()?;
        // What the aborted writes dropped from the index is back.
        self.earliest_expiry = None;
        self.stream_time = self
            .inner
            .get(STREAM_TIME_KEY)?
            .map(|bytes| decode_stream_time(self.inner.name(), &bytes))
            .transpose()?;
        Ok(())
    }

    fn close(&mut self) -> Result<()> {
        self.inner.close()
    }
}

impl VersionedKeyValueStore for VersionedStore {
    fn history_retention(&self) -> i64 {
        self.history_retention
    }

    fn observed_stream_time(&self) -> Option<i64> {
        self.stream_time
    }

    fn put(&mut self, key: &[u8], value: Option<&[u8]>, timestamp: i64) -> Result<PutOutcome> {
        self.observe(timestamp)?;
        if timestamp < self.cutoff() {
            tracing::debug!(
                store = self.inner.name(),
                timestamp,
                "dropping a write older than the history retention"
            );
            return Ok(PutOutcome::Rejected);
        }
        let previous = self.version_at(key, timestamp)?;
        let value = value.map(<[u8]>::to_vec);
        let valid_to = match &previous {
            // Versions are contiguous: the one a write falls in ends where the
            // next begins, which is where the write now ends.
            Some(previous) => previous.valid_to,
            None => self
                .next_version_after(key, timestamp)?
                .map_or(OPEN, |next| next.valid_from),
        };
        let version = StoredVersion {
            valid_from: timestamp,
            valid_to,
            value,
        };
        match previous {
            Some(previous) if previous.valid_from == timestamp => {
                self.write_version(key, &version, Some(&previous))?;
            }
            Some(previous) => {
                let ended = StoredVersion {
                    valid_to: timestamp,
                    ..previous.clone()
                };
                self.write_version(key, &ended, Some(&previous))?;
                self.write_version(key, &version, None)?;
            }
            None => self.write_version(key, &version, None)?,
        }
        Ok(match valid_to {
            OPEN => PutOutcome::Latest,
            valid_to => PutOutcome::Historical { valid_to },
        })
    }

    fn get(&self, key: &[u8]) -> Result<Option<VersionedValue>> {
        Ok(self.latest(key)?.and_then(Self::record))
    }

    fn get_as_of(&self, key: &[u8], as_of: i64) -> Result<Option<VersionedValue>> {
        if as_of < self.cutoff() {
            return Ok(None);
        }
        Ok(self
            .version_at(key, as_of)?
            .filter(|version| version.valid_to == OPEN || version.valid_to > as_of)
            .and_then(Self::record))
    }

    fn restore_batch(&mut self, records: &[KeyValueUpdate]) -> Result<()> {
        for (key, value) in records {
            let value = value.as_deref().ok_or_else(|| {
                StateStoreError::corrupt(
                    self.inner.name(),
                    "a versioned changelog record has a null value (versions, tombstones too, are logged with their timestamp)",
                )
            })?;
            let (timestamp, value) = versioned_changelog::decode(self.inner.name(), value)?;
            self.put(key, value, timestamp)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Make = fn(&Path) -> VersionedStore;

    fn stores() -> Vec<(&'static str, Make)> {
        vec![
            ("in-memory", |_| VersionedStore::in_memory("prices", 100)),
            ("rocksdb", |dir| {
                VersionedStore::rocksdb("prices", dir, &RocksDbOptions::default(), 100).unwrap()
            }),
        ]
    }

    /// Runs `check` on a fresh in-memory and a fresh RocksDB store.
    fn on_each(check: impl Fn(&mut VersionedStore)) {
        for (kind, make) in stores() {
            let dir = tempfile::tempdir().unwrap();
            let mut store = make(dir.path());
            check(&mut store);
            store.close().unwrap_or_else(|e| panic!("{kind}: {e}"));
        }
    }

    fn value_as_of(
        store: &VersionedStore,
        key: &[u8],
        as_of: i64,
    ) -> Option<(String, i64, Option<i64>)> {
        store.get_as_of(key, as_of).unwrap().map(|v| {
            (
                String::from_utf8(v.value).unwrap(),
                v.valid_from,
                v.valid_to,
            )
        })
    }

    fn some(value: &str, from: i64, to: Option<i64>) -> Option<(String, i64, Option<i64>)> {
        Some((value.to_string(), from, to))
    }

    #[test]
    fn get_as_of_finds_the_version_valid_at_each_time() {
        on_each(|store| {
            assert_eq!(store.put(b"k", Some(b"a"), 10).unwrap(), PutOutcome::Latest);
            assert_eq!(store.put(b"k", Some(b"b"), 20).unwrap(), PutOutcome::Latest);
            store.put(b"other", Some(b"x"), 15).unwrap();
            assert_eq!(value_as_of(store, b"k", 9), None);
            assert_eq!(value_as_of(store, b"k", 10), some("a", 10, Some(20)));
            assert_eq!(value_as_of(store, b"k", 19), some("a", 10, Some(20)));
            assert_eq!(value_as_of(store, b"k", 20), some("b", 20, None));
            assert_eq!(value_as_of(store, b"k", i64::MAX), some("b", 20, None));
            assert_eq!(value_as_of(store, b"other", 16), some("x", 15, None));
            let latest = store.get(b"k").unwrap().unwrap();
            assert_eq!(
                (latest.value, latest.valid_from, latest.valid_to),
                (b"b".to_vec(), 20, None)
            );
            assert_eq!(store.observed_stream_time(), Some(20));
        });
    }

    #[test]
    fn tombstones_are_versions() {
        on_each(|store| {
            store.put(b"k", Some(b"a"), 10).unwrap();
            assert_eq!(
                store.delete(b"k", 20).unwrap().map(|v| v.value),
                Some(b"a".to_vec())
            );
            assert_eq!(store.get(b"k").unwrap(), None);
            assert_eq!(value_as_of(store, b"k", 15), some("a", 10, Some(20)));
            assert_eq!(value_as_of(store, b"k", 25), None);
            // A write into the deleted interval ends where the tombstone is
            // replaced by nothing newer: it becomes the latest version.
            store.put(b"k", Some(b"c"), 30).unwrap();
            assert_eq!(value_as_of(store, b"k", 25), None);
            assert_eq!(value_as_of(store, b"k", 30), some("c", 30, None));
            // A tombstone before any value.
            store.put(b"new", None, 40).unwrap();
            assert_eq!(
                store.put(b"new", Some(b"early"), 35).unwrap(),
                PutOutcome::Historical { valid_to: 40 }
            );
            assert_eq!(value_as_of(store, b"new", 39), some("early", 35, Some(40)));
            assert_eq!(store.get(b"new").unwrap(), None);
        });
    }

    #[test]
    fn out_of_order_puts_are_inserted_into_the_history() {
        on_each(|store| {
            store.put(b"k", Some(b"a"), 10).unwrap();
            store.put(b"k", Some(b"d"), 40).unwrap();
            assert_eq!(
                store.put(b"k", Some(b"c"), 30).unwrap(),
                PutOutcome::Historical { valid_to: 40 }
            );
            assert_eq!(
                store.put(b"k", Some(b"b"), 20).unwrap(),
                PutOutcome::Historical { valid_to: 30 }
            );
            assert_eq!(
                store.put(b"k", Some(b"zero"), 5).unwrap(),
                PutOutcome::Historical { valid_to: 10 }
            );
            assert_eq!(value_as_of(store, b"k", 7), some("zero", 5, Some(10)));
            assert_eq!(value_as_of(store, b"k", 15), some("a", 10, Some(20)));
            assert_eq!(value_as_of(store, b"k", 25), some("b", 20, Some(30)));
            assert_eq!(value_as_of(store, b"k", 35), some("c", 30, Some(40)));
            assert_eq!(
                store.get(b"k").unwrap().map(|v| v.value),
                Some(b"d".to_vec())
            );
            // Same timestamp: replaces the version, keeping its interval.
            assert_eq!(
                store.put(b"k", Some(b"B"), 20).unwrap(),
                PutOutcome::Historical { valid_to: 30 }
            );
            assert_eq!(value_as_of(store, b"k", 25), some("B", 20, Some(30)));
            store.put(b"k", None, 30).unwrap();
            assert_eq!(value_as_of(store, b"k", 35), None);
            assert_eq!(value_as_of(store, b"k", 29), some("B", 20, Some(30)));
        });
    }

    #[test]
    fn history_retention_drops_old_versions_and_rejects_old_writes() {
        on_each(|store| {
            store.put(b"k", Some(b"a"), 0).unwrap();
            store.put(b"k", Some(b"b"), 50).unwrap();
            store.put(b"gone", Some(b"x"), 10).unwrap();
            store.put(b"gone", None, 20).unwrap();
            store.put(b"k", Some(b"c"), 200).unwrap();
            // Stream time 200, retention 100: as of before 100 nothing answers.
            assert_eq!(value_as_of(store, b"k", 99), None);
            assert_eq!(value_as_of(store, b"k", 100), some("b", 50, Some(200)));
            assert_eq!(value_as_of(store, b"gone", 150), None);
            assert_eq!(
                store.put(b"k", Some(b"late"), 99).unwrap(),
                PutOutcome::Rejected
            );
            assert_eq!(
                store.put(b"k", Some(b"late"), 100).unwrap(),
                PutOutcome::Historical { valid_to: 200 }
            );
            // The latest value never expires.
            store.put(b"other", Some(b"y"), 1_000).unwrap();
            assert_eq!(
                store.get(b"k").unwrap().map(|v| v.value),
                Some(b"c".to_vec())
            );
            assert_eq!(value_as_of(store, b"k", 950), some("c", 200, None));
            // Only the latest versions, their copies and the stream time are
            // left: the expired tombstone of `gone` took its copy with it.
            let entries = store.inner.all().unwrap().count();
            assert_eq!(
                entries, 5,
                "stream time, k@200, other@1000 and the copies of both"
            );
        });
    }

    #[test]
    fn abort_returns_to_the_committed_versions_and_stream_time() {
        on_each(|store| {
            store.put(b"k", Some(b"a"), 10).unwrap();
            store.commit(None).unwrap();
            store.put(b"k", Some(b"b"), 500).unwrap();
            store.abort().unwrap();
            assert_eq!(store.observed_stream_time(), Some(10));
            assert_eq!(value_as_of(store, b"k", 20), some("a", 10, None));
        });
    }

    /// Whether the store holds the version of `key` valid from `valid_from`.
    fn holds_version(store: &VersionedStore, key: &[u8], valid_from: i64) -> bool {
        let stored = version_key(store.name(), key, valid_from).unwrap();
        store.inner.get(&stored).unwrap().is_some()
    }

    #[test]
    fn a_version_expiring_before_the_earliest_seen_still_expires_on_time() {
        on_each(|store| {
            store.put(b"k", Some(b"a"), 0).unwrap();
            store.put(b"k", Some(b"b"), 500).unwrap();
            // Cutoff 450: nothing expires; the earliest expiry is k@0's, 500.
            store.put(b"x", Some(b"y"), 550).unwrap();
            // e@460 ends at 470, and its tombstone expires at 470 too.
            store.put(b"e", Some(b"v"), 460).unwrap();
            store.delete(b"e", 470).unwrap();
            assert!(holds_version(store, b"e", 460) && holds_version(store, b"e", 470));
            // Cutoff 475: e's versions are gone, k@0 (ending at 500) stays.
            store.put(b"x", Some(b"z"), 575).unwrap();
            assert!(!holds_version(store, b"e", 460), "e@460 expired at 470");
            assert!(
                !holds_version(store, b"e", 470),
                "the tombstone expired at 470"
            );
            assert!(store.inner.get(&latest_key(b"e")).unwrap().is_none());
            assert!(holds_version(store, b"k", 0), "k@0 expires at 500");
            store.put(b"x", Some(b"w"), 601).unwrap();
            assert!(!holds_version(store, b"k", 0), "k@0 expired at 500");
            assert_eq!(value_as_of(store, b"k", 510), some("b", 500, None));
        });
    }

    #[test]
    fn versions_an_abort_brings_back_expire_at_the_next_advance() {
        on_each(|store| {
            store.put(b"k", Some(b"a"), 0).unwrap();
            store.put(b"k", Some(b"b"), 300).unwrap();
            store.commit(None).unwrap();
            // Cutoff 350 drops k@0 (it ended at 300), uncommitted.
            store.put(b"x", Some(b"y"), 450).unwrap();
            assert!(!holds_version(store, b"k", 0));
            store.abort().unwrap();
            assert!(holds_version(store, b"k", 0), "the abort brought k@0 back");
            // Cutoff 360: k@0 goes again.
            store.put(b"x", Some(b"y"), 460).unwrap();
            assert!(!holds_version(store, b"k", 0), "k@0 expired at 300");
        });
    }

    #[test]
    fn a_reopened_rocksdb_store_keeps_versions_stream_time_and_offset() {
        let dir = tempfile::tempdir().unwrap();
        let open = || {
            VersionedStore::rocksdb("prices", dir.path(), &RocksDbOptions::default(), 100).unwrap()
        };
        let mut store = open();
        store.put(b"k", Some(b"a"), 10).unwrap();
        store.put(b"k", Some(b"b"), 20).unwrap();
        store.commit(Some(7)).unwrap();
        store.close().unwrap();
        let mut store = open();
        assert_eq!(store.committed_offset().unwrap(), Some(7));
        assert_eq!(store.observed_stream_time(), Some(20));
        assert_eq!(value_as_of(&store, b"k", 15), some("a", 10, Some(20)));
        store.put(b"k", Some(b"c"), 300).unwrap();
        assert_eq!(
            value_as_of(&store, b"k", 150),
            None,
            "expired after reopening"
        );
        store.close().unwrap();
    }

    #[test]
    fn restore_replays_changelog_puts_and_rejects_null_values() {
        on_each(|store| {
            let log = |ts, value: Option<&[u8]>| {
                (b"k".to_vec(), Some(versioned_changelog::encode(ts, value)))
            };
            store
                .restore_batch(&[
                    log(10, Some(b"a")),
                    log(30, Some(b"c")),
                    log(20, Some(b"b")),
                    log(40, None),
                ])
                .unwrap();
            assert_eq!(value_as_of(store, b"k", 25), some("b", 20, Some(30)));
            assert_eq!(value_as_of(store, b"k", 45), None);
            assert!(matches!(
                store.restore_batch(&[(b"k".to_vec(), None)]),
                Err(StateStoreError::Corrupt { .. })
            ));
        });
    }
}
