//! [`SegmentedWindowStore`]: the window store implementation, on RocksDB or in
//! memory, split into time segments.

use std::collections::BTreeMap;
use std::path::Path;

use crate::rocksdb_key_value::validate_store_name;
use crate::segments::{InMemorySegments, RocksDbSegments, SegmentBackend, Segments};
use crate::window_key::{self, SEQNUM_SIZE, TIMESTAMP_SIZE};
use crate::{
    KeyValue, KeyValueIter, KeyValueUpdate, Result, RocksDbOptions, StateStore, StateStoreError,
    WindowIter, WindowStore, WindowedEntry, WindowedIter,
};

/// A window store whose records are split into time segments of
/// `max(retention / 2, 60 s)`, each a RocksDB instance (in
/// `<dir>/<name>/<name>.<segment start ms>`) or an in-memory map. Expired
/// segments are dropped whole. Keys follow the [`window_key`] layout.
///
/// Segments found on disk are reopened. Stream time is not persisted: after a
/// restart it starts at the start of the newest segment, so records of the last
/// retention period before that may be returned until new writes advance it.
///
/// ```
/// use streams_state::{SegmentedWindowStore, RocksDbOptions, StateStore, WindowStore};
///
/// let dir = tempfile::tempdir()?;
/// let mut store =
///     SegmentedWindowStore::rocksdb("joins", dir.path(), 600_000, true, &RocksDbOptions::default())?;
/// store.put(b"k", Some(b"left"), 1_000)?;
/// store.put(b"k", Some(b"left again"), 1_000)?;
/// assert_eq!(store.fetch_range(b"k", 0, 2_000)?.count(), 2);
/// store.close()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SegmentedWindowStore {
    name: String,
    retain_duplicates: bool,
    seqnum: u32,
    segments: Segments,
}

impl std::fmt::Debug for SegmentedWindowStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SegmentedWindowStore")
            .field("name", &self.name)
            .field("persistent", &self.segments.persistent())
            .field("retention", &self.segments.retention())
            .field("retain_duplicates", &self.retain_duplicates)
            .finish()
    }
}

impl SegmentedWindowStore {
    /// Opens (or creates) a RocksDB-backed window store in `dir/name`, reopening
    /// the segments a previous run left there.
    /// The name must be legal as for [`RocksDbKeyValueStore::open`](crate::RocksDbKeyValueStore::open).
    pub fn rocksdb(
        name: &str,
        dir: &Path,
        retention_ms: i64,
        retain_duplicates: bool,
        options: &RocksDbOptions,
    ) -> Result<Self> {
        validate_store_name(name)?;
        let backend = RocksDbSegments::new(name, dir, options);
        Self::open(name, retention_ms, retain_duplicates, Box::new(backend))
    }

    /// Creates an in-memory window store.
    pub fn in_memory(name: &str, retention_ms: i64, retain_duplicates: bool) -> Result<Self> {
        let backend = InMemorySegments::new(name);
        Self::open(name, retention_ms, retain_duplicates, Box::new(backend))
    }

    fn open(
        name: &str,
        retention_ms: i64,
        retain_duplicates: bool,
        backend: Box<dyn SegmentBackend>,
    ) -> Result<Self> {
        let mut store = Self {
            name: name.to_owned(),
            retain_duplicates,
            seqnum: 0,
            segments: Segments::open(name, retention_ms, backend)?,
        };
        if retain_duplicates {
            store.seqnum = store.max_stored_seqnum()?;
        }
        Ok(store)
    }

    /// The largest sequence number stored, so that duplicates written after a
    /// restart never overwrite earlier ones. Scans the (short-lived) segments of
    /// a duplicate-retaining store once, at open.
    fn max_stored_seqnum(&self) -> Result<u32> {
        let mut max = 0;
        for segment in self.segments.between(0, i64::MAX)? {
            for entry in segment.all()? {
                let (stored_key, _) = entry?;
                if let Some(seqnum) = window_key::decode(&stored_key, true).and_then(|k| k.seqnum) {
                    max = max.max(seqnum);
                }
            }
        }
        Ok(max)
    }

    /// Length of a segment in ms: `max(retention / 2, 60_000)`.
    pub fn segment_interval(&self) -> i64 {
        self.segments.interval()
    }

    fn check_time(&self, time: i64) -> Result<()> {
        if time < 0 {
            return Err(StateStoreError::invalid(
                &self.name,
                format!("window start must not be negative, got {time}"),
            ));
        }
        Ok(())
    }

    fn suffix_len(&self) -> usize {
        TIMESTAMP_SIZE
            + if self.retain_duplicates {
                SEQNUM_SIZE
            } else {
                0
            }
    }

    /// Smallest stored key for `key` at `time`.
    fn lower_bound(&self, key: &[u8], time: i64) -> Vec<u8> {
        window_key::encode(key, time, self.retain_duplicates.then_some(0))
    }

    /// Largest stored key for `key` at `time`.
    fn upper_bound(&self, key: &[u8], time: i64) -> Vec<u8> {
        window_key::encode(key, time, self.retain_duplicates.then_some(u32::MAX))
    }

    /// Clamps a time range to unexpired records; `None` if it is empty.
    fn live_range(&self, time_from: i64, time_to: i64) -> Option<(i64, i64)> {
        let from = time_from.max(self.segments.min_live_time());
        (from <= time_to).then_some((from, time_to))
    }

    fn decode(&self, entry: Result<KeyValue>) -> Result<WindowedEntry> {
        let (stored_key, value) = entry?;
        let decoded = window_key::decode(&stored_key, self.retain_duplicates).ok_or_else(|| {
            StateStoreError::corrupt(
                &self.name,
                format!(
                    "stored key of {} bytes does not follow the window-key layout",
                    stored_key.len()
                ),
            )
        })?;
        Ok(WindowedEntry {
            key: decoded.key.to_vec(),
            window_start: decoded.window_start,
            value,
        })
    }

    /// Records of the segments covering `time_from..=time_to` whose stored keys
    /// lie in `lower..=upper` (all of them if the bounds are `None`), decoded and
    /// filtered by `keep`.
    fn scan<'a>(
        &'a self,
        time_from: i64,
        time_to: i64,
        bounds: Option<(Vec<u8>, Vec<u8>)>,
        keep: impl Fn(&WindowedEntry) -> bool + 'a,
    ) -> Result<WindowedIter<'a>> {
        let Some((from, to)) = self.live_range(time_from, time_to) else {
            self.segments.check_open()?;
            return Ok(Box::new(std::iter::empty()));
        };
        let records = self
            .segments
            .between(from, to)?
            .flat_map(move |segment| {
                let iter = match &bounds {
                    Some((lower, upper)) => segment.range(lower, upper),
                    None => segment.all(),
                };
                iter.unwrap_or_else(|error| -> KeyValueIter<'_> {
                    Box::new(std::iter::once(Err(error)))
                })
            })
            .map(|entry| self.decode(entry))
            .filter(move |entry| match entry {
                Ok(entry) => entry.window_start >= from && entry.window_start <= to && keep(entry),
                Err(_) => true,
            });
        Ok(Box::new(records))
    }
}

impl StateStore for SegmentedWindowStore {
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

impl WindowStore for SegmentedWindowStore {
    fn put(&mut self, key: &[u8], value: Option<&[u8]>, window_start: i64) -> Result<()> {
        self.check_time(window_start)?;
        self.segments.check_open()?;
        if self.retain_duplicates && value.is_none() {
            return Ok(());
        }
        let seqnum = if self.retain_duplicates {
            self.seqnum = self.seqnum.wrapping_add(1);
            Some(self.seqnum)
        } else {
            None
        };
        self.segments.observe(window_start)?;
        let stored_key = window_key::encode(key, window_start, seqnum);
        let Some(segment) = self
            .segments
            .segment_for_write(window_start, value.is_some())?
        else {
            tracing::debug!(store = %self.name, window_start, "nothing to write: window expired or absent");
            return Ok(());
        };
        match value {
            Some(value) => segment.put(&stored_key, value),
            None => segment.delete(&stored_key).map(drop),
        }
    }

    fn fetch(&self, key: &[u8], window_start: i64) -> Result<Option<Vec<u8>>> {
        self.segments.check_open()?;
        if window_start < 0 || self.segments.is_expired(window_start) {
            return Ok(None);
        }
        let Some(segment) = self.segments.segment(window_start)? else {
            return Ok(None);
        };
        if !self.retain_duplicates {
            return segment.get(&window_key::encode(key, window_start, None));
        }
        let lower = self.lower_bound(key, window_start);
        let upper = self.upper_bound(key, window_start);
        for entry in segment.range(&lower, &upper)? {
            let entry = self.decode(entry)?;
            if entry.key == key {
                return Ok(Some(entry.value));
            }
        }
        Ok(None)
    }

    fn fetch_range(&self, key: &[u8], time_from: i64, time_to: i64) -> Result<WindowIter<'_>> {
        let lower = self.lower_bound(key, time_from.max(0));
        let upper = self.upper_bound(key, time_to.max(0));
        let wanted = key.to_vec();
        let records = self.scan(time_from, time_to, Some((lower, upper)), move |entry| {
            entry.key == wanted
        })?;
        Ok(Box::new(records.map(|entry| {
            entry.map(|entry| (entry.window_start, entry.value))
        })))
    }

    fn fetch_key_range(
        &self,
        key_from: &[u8],
        key_to: &[u8],
        time_from: i64,
        time_to: i64,
    ) -> Result<WindowedIter<'_>> {
        if key_from > key_to {
            self.segments.check_open()?;
            return Ok(Box::new(std::iter::empty()));
        }
        let lower = key_from.to_vec();
        let mut upper = key_to.to_vec();
        upper.extend(std::iter::repeat_n(0xff, self.suffix_len()));
        let (from, to) = (key_from.to_vec(), key_to.to_vec());
        self.scan(time_from, time_to, Some((lower, upper)), move |entry| {
            entry.key >= from && entry.key <= to
        })
    }

    fn fetch_all(&self, time_from: i64, time_to: i64) -> Result<WindowedIter<'_>> {
        self.scan(time_from, time_to, None, |_| true)
    }

    fn all(&self) -> Result<WindowedIter<'_>> {
        self.scan(0, i64::MAX, None, |_| true)
    }

    fn retention_period(&self) -> i64 {
        self.segments.retention()
    }

    fn retain_duplicates(&self) -> bool {
        self.retain_duplicates
    }

    fn last_seqnum(&self) -> u32 {
        self.seqnum
    }

    fn restore_batch(&mut self, records: &[KeyValueUpdate]) -> Result<()> {
        self.segments.check_open()?;
        let mut times = Vec::with_capacity(records.len());
        for (stored_key, _) in records {
            let decoded =
                window_key::decode(stored_key, self.retain_duplicates).ok_or_else(|| {
                    StateStoreError::corrupt(
                        &self.name,
                        format!(
                            "changelog key of {} bytes does not follow the window-key layout",
                            stored_key.len()
                        ),
                    )
                })?;
            times.push(decoded.window_start);
            if let Some(seqnum) = decoded.seqnum {
                self.seqnum = self.seqnum.max(seqnum);
            }
        }
        if let Some(max) = times.iter().max() {
            self.segments.observe(*max)?;
        }
        let mut batches: BTreeMap<i64, Vec<KeyValueUpdate>> = BTreeMap::new();
        let interval = self.segments.interval();
        for (record, time) in records.iter().zip(times) {
            if !self.segments.is_expired(time) {
                batches
                    .entry(time / interval)
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

/// Tests every [`WindowStore`] implementation must pass.
#[cfg(test)]
pub(crate) mod contract {
    use super::*;

    pub(crate) const RETENTION: i64 = 600_000;

    fn windows(iter: WindowIter<'_>) -> Vec<(i64, String)> {
        iter.map(|e| {
            let (t, v) = e.unwrap();
            (t, String::from_utf8(v).unwrap())
        })
        .collect()
    }

    fn entries(iter: WindowedIter<'_>) -> Vec<(String, i64, String)> {
        iter.map(|e| {
            let e = e.unwrap();
            (
                String::from_utf8(e.key).unwrap(),
                e.window_start,
                String::from_utf8(e.value).unwrap(),
            )
        })
        .collect()
    }

    fn owned(items: &[(&str, i64, &str)]) -> Vec<(String, i64, String)> {
        items
            .iter()
            .map(|(k, t, v)| (k.to_string(), *t, v.to_string()))
            .collect()
    }

    /// put / fetch / delete and the window boundaries of fetch_range.
    pub(crate) fn point_operations(store: &mut dyn WindowStore) {
        assert_eq!(store.retention_period(), RETENTION);
        store.put(b"k", Some(b"a"), 0).unwrap();
        store.put(b"k", Some(b"b"), 10).unwrap();
        store.put(b"k", Some(b"c"), 20).unwrap();
        store.put(b"k\0", Some(b"x"), 10).unwrap();
        store.put(b"j", Some(b"y"), 10).unwrap();
        assert_eq!(store.fetch(b"k", 10).unwrap(), Some(b"b".to_vec()));
        assert_eq!(store.fetch(b"k", 11).unwrap(), None);
        assert_eq!(store.fetch(b"nope", 10).unwrap(), None);

        store.put(b"k", Some(b"B"), 10).unwrap();
        assert_eq!(store.fetch(b"k", 10).unwrap(), Some(b"B".to_vec()));

        assert_eq!(
            windows(store.fetch_range(b"k", 0, 20).unwrap()),
            vec![(0, "a".into()), (10, "B".into()), (20, "c".into())]
        );
        assert_eq!(
            windows(store.fetch_range(b"k", 1, 19).unwrap()),
            vec![(10, "B".into())]
        );
        assert_eq!(
            windows(store.fetch_range(b"k", 10, 10).unwrap()),
            vec![(10, "B".into())]
        );
        assert!(windows(store.fetch_range(b"k", 20, 10).unwrap()).is_empty());

        store.put(b"k", None, 10).unwrap();
        assert_eq!(store.fetch(b"k", 10).unwrap(), None);
        assert_eq!(
            windows(store.fetch_range(b"k", 0, 100).unwrap()),
            vec![(0, "a".into()), (20, "c".into())]
        );
        assert!(matches!(
            store.put(b"k", Some(b"a"), -1),
            Err(StateStoreError::InvalidArgument { .. })
        ));
    }

    /// fetch_key_range / fetch_all / all across segments.
    pub(crate) fn multi_key(store: &mut dyn WindowStore) {
        store.put(b"a", Some(b"1"), 0).unwrap();
        store.put(b"b", Some(b"2"), 0).unwrap();
        store.put(b"c", Some(b"3"), 0).unwrap();
        store.put(b"a", Some(b"4"), 400_000).unwrap();
        store.put(b"b", Some(b"5"), 400_000).unwrap();
        assert_eq!(
            entries(store.fetch_key_range(b"a", b"b", 0, 400_000).unwrap()),
            owned(&[
                ("a", 0, "1"),
                ("b", 0, "2"),
                ("a", 400_000, "4"),
                ("b", 400_000, "5")
            ])
        );
        assert_eq!(
            entries(store.fetch_key_range(b"b", b"c", 0, 0).unwrap()),
            owned(&[("b", 0, "2"), ("c", 0, "3")])
        );
        assert!(entries(store.fetch_key_range(b"c", b"a", 0, 0).unwrap()).is_empty());
        assert_eq!(
            entries(store.fetch_all(1, 400_000).unwrap()),
            owned(&[("a", 400_000, "4"), ("b", 400_000, "5")])
        );
        assert_eq!(entries(store.all().unwrap()).len(), 5);
    }

    /// Records at or before stream time - retention are neither written nor read.
    pub(crate) fn retention(store: &mut dyn WindowStore) {
        store.put(b"k", Some(b"old"), 1_000).unwrap();
        store.put(b"k", Some(b"edge"), 1_001).unwrap();
        store.put(b"k", Some(b"new"), RETENTION + 1_000).unwrap();
        assert_eq!(store.fetch(b"k", 1_000).unwrap(), None);
        assert_eq!(store.fetch(b"k", 1_001).unwrap(), Some(b"edge".to_vec()));
        assert_eq!(
            windows(store.fetch_range(b"k", 0, i64::MAX).unwrap()),
            vec![(1_001, "edge".into()), (RETENTION + 1_000, "new".into())]
        );
        store.put(b"k", Some(b"late"), 500).unwrap();
        assert_eq!(store.fetch(b"k", 500).unwrap(), None);
        assert_eq!(entries(store.all().unwrap()).len(), 2);
    }

    /// Duplicates are all kept, in write order, when retained.
    pub(crate) fn duplicates(store: &mut dyn WindowStore) {
        assert!(store.retain_duplicates());
        store.put(b"k", Some(b"1"), 5).unwrap();
        store.put(b"k", Some(b"2"), 5).unwrap();
        store.put(b"k", None, 5).unwrap();
        store.put(b"k", Some(b"3"), 6).unwrap();
        assert_eq!(
            windows(store.fetch_range(b"k", 0, 10).unwrap()),
            vec![(5, "1".into()), (5, "2".into()), (6, "3".into())]
        );
        assert_eq!(store.fetch(b"k", 5).unwrap(), Some(b"1".to_vec()));
    }

    /// restore_batch applies records in the binary layout and rejects bad keys.
    pub(crate) fn restore(store: &mut dyn WindowStore) {
        store
            .restore_batch(&[
                (window_key::encode(b"k", 1, None), Some(b"1".to_vec())),
                (window_key::encode(b"k", 2, None), Some(b"2".to_vec())),
                (window_key::encode(b"k", 400_000, None), Some(b"3".to_vec())),
                (window_key::encode(b"k", 2, None), None),
            ])
            .unwrap();
        assert_eq!(
            windows(store.fetch_range(b"k", 0, 1_000_000).unwrap()),
            vec![(1, "1".into()), (400_000, "3".into())]
        );
        let error = store
            .restore_batch(&[(b"short".to_vec(), Some(b"x".to_vec()))])
            .unwrap_err();
        assert!(matches!(error, StateStoreError::Corrupt { ref store, .. } if store == "w"));
    }

    /// Runs every contract test on fresh stores from `make(retain_duplicates)`,
    /// all named `w` with retention [`RETENTION`].
    pub(crate) fn run_all(mut make: impl FnMut(bool) -> Box<dyn WindowStore>) {
        point_operations(make(false).as_mut());
        multi_key(make(false).as_mut());
        retention(make(false).as_mut());
        duplicates(make(true).as_mut());
        restore(make(false).as_mut());
        let mut store = make(false);
        store.close().unwrap();
        assert!(matches!(
            store.fetch(b"k", 0),
            Err(StateStoreError::Closed { .. })
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::contract::RETENTION;
    use super::*;

    #[test]
    fn in_memory_passes_the_window_contract() {
        contract::run_all(|dups| {
            Box::new(SegmentedWindowStore::in_memory("w", RETENTION, dups).unwrap())
        });
    }

    #[test]
    fn rocksdb_passes_the_window_contract() {
        let parent = tempfile::tempdir().unwrap();
        let mut n = 0;
        contract::run_all(|dups| {
            n += 1;
            let dir = parent.path().join(n.to_string());
            Box::new(
                SegmentedWindowStore::rocksdb("w", &dir, RETENTION, dups, &Default::default())
                    .unwrap(),
            )
        });
    }

    #[test]
    fn segment_interval_follows_retention() {
        let store = SegmentedWindowStore::in_memory("w", 1_000, false).unwrap();
        assert_eq!(store.segment_interval(), 60_000);
        let store = SegmentedWindowStore::in_memory("w", 3_600_000, false).unwrap();
        assert_eq!(store.segment_interval(), 1_800_000);
        assert!(matches!(
            SegmentedWindowStore::in_memory("w", 0, false),
            Err(StateStoreError::InvalidArgument { .. })
        ));
    }

    #[test]
    fn expired_segments_are_dropped_whole() {
        let dir = tempfile::tempdir().unwrap();
        let options = RocksDbOptions::default();
        let mut store =
            SegmentedWindowStore::rocksdb("w", dir.path(), RETENTION, false, &options).unwrap();
        let interval = store.segment_interval();
        assert_eq!(interval, RETENTION / 2);
        store.put(b"k", Some(b"0"), 0).unwrap();
        store.put(b"k", Some(b"1"), interval).unwrap();
        let first = dir.path().join("w").join("w.0");
        let second = dir.path().join("w").join(format!("w.{interval}"));
        assert!(first.is_dir());
        assert!(second.is_dir());
        assert_eq!(store.segments.ids(), vec![0, 1]);

        // Stream time 2 * interval + interval: segment 0 ends before stream time - retention.
        store.put(b"k", Some(b"3"), 3 * interval).unwrap();
        assert!(!first.exists(), "expired segment directory must be removed");
        assert!(second.is_dir());
        assert_eq!(store.segments.ids(), vec![1, 3]);

        // Deleting from a window without a segment creates none.
        store.put(b"k", None, 2 * interval).unwrap();
        assert_eq!(store.segments.ids(), vec![1, 3]);
    }

    #[test]
    fn a_store_directory_that_is_a_file_is_a_typed_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w");
        std::fs::write(&path, b"not a directory").unwrap();
        let error =
            SegmentedWindowStore::rocksdb("w", dir.path(), RETENTION, false, &Default::default())
                .unwrap_err();
        match error {
            StateStoreError::Io { store, path: p, .. } => {
                assert_eq!(store, "w");
                assert_eq!(p, path);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn duplicates_written_after_a_restart_or_restore_do_not_overwrite_earlier_ones() {
        let dir = tempfile::tempdir().unwrap();
        let options = RocksDbOptions::default();
        let mut store =
            SegmentedWindowStore::rocksdb("w", dir.path(), RETENTION, true, &options).unwrap();
        store.put(b"k", Some(b"1"), 5).unwrap();
        store.put(b"k", Some(b"2"), 5).unwrap();
        assert_eq!(store.last_seqnum(), 2);
        store.close().unwrap();

        let mut store =
            SegmentedWindowStore::rocksdb("w", dir.path(), RETENTION, true, &options).unwrap();
        assert_eq!(store.last_seqnum(), 2);
        store.put(b"k", Some(b"3"), 5).unwrap();
        let values: Vec<Vec<u8>> = store
            .fetch_range(b"k", 5, 5)
            .unwrap()
            .map(|e| e.unwrap().1)
            .collect();
        assert_eq!(values, vec![b"1".to_vec(), b"2".to_vec(), b"3".to_vec()]);

        let mut restored = SegmentedWindowStore::in_memory("w", RETENTION, true).unwrap();
        restored
            .restore_batch(&[(window_key::encode(b"k", 5, Some(7)), Some(b"x".to_vec()))])
            .unwrap();
        restored.put(b"k", Some(b"y"), 5).unwrap();
        assert_eq!(restored.last_seqnum(), 8);
        assert_eq!(restored.fetch_range(b"k", 5, 5).unwrap().count(), 2);
    }

    #[test]
    fn rocksdb_segments_reopen_after_restart() {
        let dir = tempfile::tempdir().unwrap();
        let options = RocksDbOptions::default();
        let mut store =
            SegmentedWindowStore::rocksdb("w", dir.path(), RETENTION, false, &options).unwrap();
        store.put(b"k", Some(b"a"), 1_000).unwrap();
        store.put(b"k", Some(b"b"), 400_000).unwrap();
        store.close().unwrap();
        // An unrelated entry in the store directory is ignored.
        std::fs::create_dir(dir.path().join("w").join("stray")).unwrap();

        let store =
            SegmentedWindowStore::rocksdb("w", dir.path(), RETENTION, false, &options).unwrap();
        assert!(store.persistent());
        assert_eq!(store.fetch(b"k", 1_000).unwrap(), Some(b"a".to_vec()));
        assert_eq!(store.fetch(b"k", 400_000).unwrap(), Some(b"b".to_vec()));
    }

    fn contents(store: &dyn WindowStore) -> Vec<(Vec<u8>, i64, Vec<u8>)> {
        store
            .all()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (e.key, e.window_start, e.value)
            })
            .collect()
    }

    /// Commits windows in segments 0 and 1, then (uncommitted) writes one that
    /// opens segment 3 and expires segment 0.
    fn commit_then_roll(store: &mut SegmentedWindowStore) -> Vec<(Vec<u8>, i64, Vec<u8>)> {
        let interval = store.segment_interval();
        store.put(b"k", Some(b"0"), 0).unwrap();
        store.put(b"k", Some(b"1"), interval).unwrap();
        store.commit(Some(1)).unwrap();
        let committed = contents(store);
        store.put(b"k", Some(b"1b"), interval).unwrap();
        store.put(b"k", Some(b"3"), 3 * interval).unwrap();
        assert_eq!(store.segments.ids(), vec![1, 3]);
        assert_eq!(store.fetch(b"k", 0).unwrap(), None, "segment 0 expired");
        assert!(store.uncommitted_bytes() > 0);
        committed
    }

    #[test]
    fn a_crash_leaves_the_committed_segments_and_offset() {
        let dir = tempfile::tempdir().unwrap();
        let options = RocksDbOptions::default();
        let mut store =
            SegmentedWindowStore::rocksdb("w", dir.path(), RETENTION, false, &options).unwrap();
        let interval = store.segment_interval();
        let committed = commit_then_roll(&mut store);
        let rolled = dir.path().join("w").join(format!("w.{}", 3 * interval));
        assert!(rolled.is_dir());
        drop(store);

        let store =
            SegmentedWindowStore::rocksdb("w", dir.path(), RETENTION, false, &options).unwrap();
        assert_eq!(contents(&store), committed);
        assert_eq!(store.committed_offset().unwrap(), Some(1));
        assert!(!rolled.exists(), "a segment no commit reached is removed");
        assert!(dir.path().join("w").join("w.0").is_dir());
    }

    #[test]
    fn abort_returns_to_the_committed_segments() {
        let dir = tempfile::tempdir().unwrap();
        let stores = [
            SegmentedWindowStore::in_memory("w", RETENTION, false).unwrap(),
            SegmentedWindowStore::rocksdb("w", dir.path(), RETENTION, false, &Default::default())
                .unwrap(),
        ];
        for mut store in stores {
            let interval = store.segment_interval();
            let committed = commit_then_roll(&mut store);
            store.abort().unwrap();
            assert_eq!(contents(&store), committed);
            assert_eq!(store.segments.ids(), vec![0, 1]);
            assert_eq!(store.committed_offset().unwrap(), Some(1));
            assert_eq!(store.uncommitted_bytes(), 0);
            // Stream time is back too: a window in segment 0 is live again.
            store.put(b"j", Some(b"x"), 10).unwrap();
            assert_eq!(store.fetch(b"j", 10).unwrap(), Some(b"x".to_vec()));
            // Committing the roll now drops segment 0 for good.
            store.put(b"k", Some(b"3"), 3 * interval).unwrap();
            store.commit(Some(2)).unwrap();
            store.abort().unwrap();
            assert_eq!(store.segments.ids(), vec![1, 3]);
            assert_eq!(store.committed_offset().unwrap(), Some(2));
        }
    }

    /// Changelog records with their offsets, from processing `writes` through a
    /// change-logging layer.
    fn changelog_of(writes: &[(&str, i64, Option<&str>)]) -> Vec<KeyValueUpdate> {
        let sink = std::rc::Rc::new(crate::RecordingChangelogSink::default());
        let mut logged = crate::ChangeLoggingWindowStore::new(
            Box::new(SegmentedWindowStore::in_memory("w", RETENTION, false).unwrap()),
            sink.clone(),
        );
        for (key, time, value) in writes {
            logged
                .put(key.as_bytes(), value.map(str::as_bytes), *time)
                .unwrap();
        }
        sink.take().into_iter().map(|r| (r.key, r.value)).collect()
    }

    #[test]
    fn replaying_the_changelog_from_the_oldest_segment_offset_is_idempotent() {
        const I: i64 = RETENTION / 2;
        let writes = [
            ("a", 0, Some("a0")),
            ("b", 10, Some("b0")),
            ("a", I, Some("a1")),
            ("b", 10, None),
            ("c", 2 * I, Some("c2")),
            ("a", I, Some("a1'")),
            ("d", 3 * I, Some("d3")), // drops segment 0
            ("c", 2 * I, None),
            ("e", 5 * I, Some("e5")), // drops segments 1 and 2
            ("f", 4 * I + 1, Some("f4")),
        ];
        let records = changelog_of(&writes);
        let mut reference = SegmentedWindowStore::in_memory("w", RETENTION, false).unwrap();
        reference.restore_batch(&records).unwrap();
        let expected = contents(&reference);
        assert!(!expected.is_empty());

        for crash_at in 1..records.len() {
            let dir = tempfile::tempdir().unwrap();
            let options = RocksDbOptions::default();
            let mut store =
                SegmentedWindowStore::rocksdb("w", dir.path(), RETENTION, false, &options).unwrap();
            // Applied and committed one record at a time up to `crash_at`.
            for (offset, record) in records[..crash_at].iter().enumerate() {
                store.restore_batch(std::slice::from_ref(record)).unwrap();
                store.commit(Some(offset as i64)).unwrap();
            }
            let ids = store.segments.ids();
            store.close().unwrap();
            // A crash between the segments' commit batches: the oldest live
            // segment's offset is older than its data.
            if let Some(oldest) = ids.first() {
                let name = format!("w.{}", oldest * I);
                let mut segment =
                    crate::RocksDbKeyValueStore::open(&name, &dir.path().join("w"), &options)
                        .unwrap();
                segment.commit(Some(0)).unwrap();
                segment.close().unwrap();
            }

            let mut store =
                SegmentedWindowStore::rocksdb("w", dir.path(), RETENTION, false, &options).unwrap();
            let resume = store
                .committed_offset()
                .unwrap()
                .map_or(0, |offset| offset as usize + 1);
            assert!(resume <= crash_at, "resume {resume} after {crash_at}");
            store.restore_batch(&records[resume..]).unwrap();
            store.commit(Some(records.len() as i64 - 1)).unwrap();
            assert_eq!(contents(&store), expected, "crash after {crash_at} records");
        }
    }
}
