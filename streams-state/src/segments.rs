//! Time segments of window and session stores.
//!
//! A segmented store splits its records by time into segments of
//! `max(retention / 2, 60_000)` ms (as Kafka Streams does), each an independent
//! [`KeyValueStore`]: for RocksDB its own instance in
//! `<dir>/<store>/<store>.<segment start ms>`. A segment whose whole time span
//! is older than `stream time - retention` is dropped whole (for RocksDB: closed
//! and its directory removed), never deleted key by key.
//!
//! # Transactions across segments
//!
//! Every segment is a transactional key-value store. A commit commits every
//! live segment with the same changelog offset (one atomic write per RocksDB
//! instance); the store's committed offset is the smallest of its segments', so
//! after a crash between two segments' writes restoration replays from the
//! older one, which is idempotent (changelog records are absolute puts and
//! deletes of exact binary keys). Segment drops are deferred to the next commit
//! and segments created since the last commit are destroyed by an abort, so an
//! abort returns exactly the committed segments; a segment found on disk with
//! no committed offset and no data was created after the last commit of a
//! process that died, and is removed when the store opens.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::{KeyValueStore, Result, RocksDbKeyValueStore, RocksDbOptions, StateStoreError};

/// The smallest segment interval, in milliseconds.
pub(crate) const MIN_SEGMENT_INTERVAL_MS: i64 = 60_000;

/// The segment interval for a retention period: `max(retention / 2, 60_000)`.
pub(crate) fn segment_interval(retention: i64) -> i64 {
    (retention / 2).max(MIN_SEGMENT_INTERVAL_MS)
}

/// Where segments live: creates, finds and destroys them.
pub(crate) trait SegmentBackend {
    /// Whether segments survive a restart.
    fn persistent(&self) -> bool;

    /// Opens the segments left by a previous run, as `(segment id, segment)`.
    fn open_existing(&mut self, interval: i64) -> Result<Vec<(i64, Box<dyn KeyValueStore>)>>;

    /// Creates the segment `id`, which starts at `id * interval`.
    fn create(&mut self, id: i64, interval: i64) -> Result<Box<dyn KeyValueStore>>;

    /// Closes and deletes a whole segment.
    fn destroy(&mut self, segment: Box<dyn KeyValueStore>) -> Result<()>;
}

/// Segments held in memory.
#[derive(Debug)]
pub(crate) struct InMemorySegments {
    store: String,
}

impl InMemorySegments {
    pub(crate) fn new(store: &str) -> Self {
        Self {
            store: store.to_owned(),
        }
    }
}

impl SegmentBackend for InMemorySegments {
    fn persistent(&self) -> bool {
        false
    }

    fn open_existing(&mut self, _interval: i64) -> Result<Vec<(i64, Box<dyn KeyValueStore>)>> {
        Ok(Vec::new())
    }

    fn create(&mut self, id: i64, interval: i64) -> Result<Box<dyn KeyValueStore>> {
        Ok(Box::new(crate::InMemoryKeyValueStore::new(segment_name(
            &self.store,
            id,
            interval,
        ))))
    }

    fn destroy(&mut self, mut segment: Box<dyn KeyValueStore>) -> Result<()> {
        segment.close()
    }
}

/// Segments each in their own RocksDB instance under `<dir>/<store>`.
pub(crate) struct RocksDbSegments {
    store: String,
    dir: PathBuf,
    options: rocksdb::Options,
}

impl RocksDbSegments {
    /// Segments of `store` in `dir/store`, sharing one block cache.
    pub(crate) fn new(store: &str, dir: &std::path::Path, options: &RocksDbOptions) -> Self {
        Self {
            store: store.to_owned(),
            dir: dir.join(store),
            options: options.to_rocksdb(store),
        }
    }

    fn io_error(&self, path: PathBuf) -> impl FnOnce(std::io::Error) -> StateStoreError {
        let store = self.store.clone();
        move |source| StateStoreError::Io {
            store,
            path,
            source,
        }
    }
}

fn segment_name(store: &str, id: i64, interval: i64) -> String {
    format!("{store}.{}", id.saturating_mul(interval))
}

impl SegmentBackend for RocksDbSegments {
    fn persistent(&self) -> bool {
        true
    }

    fn open_existing(&mut self, interval: i64) -> Result<Vec<(i64, Box<dyn KeyValueStore>)>> {
        if !self.dir.exists() {
            return Ok(Vec::new());
        }
        let entries = std::fs::read_dir(&self.dir).map_err(self.io_error(self.dir.clone()))?;
        let prefix = format!("{}.", self.store);
        let mut segments: Vec<(i64, Box<dyn KeyValueStore>)> = Vec::new();
        for entry in entries {
            let entry = entry.map_err(self.io_error(self.dir.clone()))?;
            let file_name = entry.file_name();
            let start = file_name
                .to_str()
                .and_then(|name| name.strip_prefix(&prefix))
                .and_then(|start| start.parse::<i64>().ok())
                .filter(|start| *start >= 0 && start % interval == 0);
            let Some(start) = start else {
                tracing::warn!(
                    store = %self.store,
                    path = %entry.path().display(),
                    "ignoring unexpected entry in segment directory"
                );
                continue;
            };
            let name = segment_name(&self.store, start / interval, interval);
            let segment = RocksDbKeyValueStore::open_with(&name, &self.dir, &self.options)?;
            segments.push((start / interval, Box::new(segment)));
        }
        Ok(segments)
    }

    fn create(&mut self, id: i64, interval: i64) -> Result<Box<dyn KeyValueStore>> {
        let name = segment_name(&self.store, id, interval);
        Ok(Box::new(RocksDbKeyValueStore::open_with(
            &name,
            &self.dir,
            &self.options,
        )?))
    }

    fn destroy(&mut self, mut segment: Box<dyn KeyValueStore>) -> Result<()> {
        let path = self.dir.join(segment.name());
        segment.close()?;
        drop(segment);
        std::fs::remove_dir_all(&path).map_err(self.io_error(path.clone()))?;
        tracing::debug!(store = %self.store, path = %path.display(), "dropped expired segment");
        Ok(())
    }
}

/// The live segments of one store, and the stream time that decides which are
/// live.
pub(crate) struct Segments {
    store: String,
    retention: i64,
    interval: i64,
    backend: Box<dyn SegmentBackend>,
    segments: BTreeMap<i64, Box<dyn KeyValueStore>>,
    /// Largest record time seen, `-1` before the first record.
    stream_time: i64,
    /// Stream time at the last commit, which an abort returns to.
    committed_stream_time: i64,
    /// Committed segments expired since the last commit: gone for reads,
    /// destroyed by the next commit, back in place after an abort.
    expired: BTreeMap<i64, Box<dyn KeyValueStore>>,
    /// Segments created since the last commit, which an abort destroys.
    created: BTreeSet<i64>,
    open: bool,
}

impl Segments {
    /// The live segments' statistics, summed.
    pub(crate) fn statistics(&self) -> crate::StoreStatistics {
        self.segments
            .values()
            .map(|segment| segment.statistics())
            .fold(crate::StoreStatistics::default(), std::ops::Add::add)
    }

    /// Opens the segments of `store` found by `backend`, dropping expired ones
    /// and removing empty ones that no commit ever reached.
    ///
    /// Stream time is not stored; after a restart it starts at the start of the
    /// newest segment and moves forward with the next writes.
    pub(crate) fn open(
        store: &str,
        retention: i64,
        mut backend: Box<dyn SegmentBackend>,
    ) -> Result<Self> {
        if retention <= 0 {
            return Err(StateStoreError::invalid(
                store,
                format!("retention period must be positive, got {retention} ms"),
            ));
        }
        let interval = segment_interval(retention);
        let mut segments = BTreeMap::new();
        for (id, segment) in backend.open_existing(interval)? {
            if segment.committed_offset()?.is_none() && segment.all()?.next().is_none() {
                tracing::debug!(store, segment = %segment.name(), "removing a segment no commit reached");
                backend.destroy(segment)?;
            } else {
                segments.insert(id, segment);
            }
        }
        let stream_time = segments
            .keys()
            .next_back()
            .map_or(-1, |id| id.saturating_mul(interval));
        let mut this = Self {
            store: store.to_owned(),
            retention,
            interval,
            backend,
            segments,
            stream_time,
            committed_stream_time: stream_time,
            expired: BTreeMap::new(),
            created: BTreeSet::new(),
            open: true,
        };
        this.drop_expired()?;
        this.destroy_expired()?;
        Ok(this)
    }

    pub(crate) fn check_open(&self) -> Result<()> {
        if self.open {
            Ok(())
        } else {
            Err(StateStoreError::closed(&self.store))
        }
    }

    pub(crate) fn persistent(&self) -> bool {
        self.backend.persistent()
    }

    pub(crate) fn retention(&self) -> i64 {
        self.retention
    }

    pub(crate) fn interval(&self) -> i64 {
        self.interval
    }

    fn segment_id(&self, time: i64) -> i64 {
        time / self.interval
    }

    /// The oldest record time still retained.
    pub(crate) fn min_live_time(&self) -> i64 {
        (self.stream_time - self.retention + 1).max(0)
    }

    /// Whether a record at `time` is older than the retention period.
    pub(crate) fn is_expired(&self, time: i64) -> bool {
        time < self.min_live_time()
    }

    /// Advances stream time to `time` (if later) and drops expired segments.
    pub(crate) fn observe(&mut self, time: i64) -> Result<()> {
        if time > self.stream_time {
            self.stream_time = time;
            self.drop_expired()?;
        }
        Ok(())
    }

    /// Takes expired segments out of the live ones: a segment created since the
    /// last commit is destroyed at once, a committed one at the next commit.
    fn drop_expired(&mut self) -> Result<()> {
        let min_live = self.segment_id(self.min_live_time());
        while let Some(entry) = self.segments.first_entry() {
            if *entry.key() >= min_live {
                break;
            }
            let (id, segment) = entry.remove_entry();
            if self.created.remove(&id) {
                self.backend.destroy(segment)?;
            } else {
                self.expired.insert(id, segment);
            }
        }
        Ok(())
    }

    fn destroy_expired(&mut self) -> Result<()> {
        while let Some((_, segment)) = self.expired.pop_first() {
            self.backend.destroy(segment)?;
        }
        Ok(())
    }

    /// The segment for a record at `time`, created if needed and `create` is
    /// set; `None` if the record is expired or the segment is missing.
    pub(crate) fn segment_for_write(
        &mut self,
        time: i64,
        create: bool,
    ) -> Result<Option<&mut Box<dyn KeyValueStore>>> {
        self.check_open()?;
        if self.is_expired(time) {
            return Ok(None);
        }
        let id = self.segment_id(time);
        let segment = match self.segments.entry(id) {
            std::collections::btree_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::btree_map::Entry::Vacant(_) if !create => return Ok(None),
            std::collections::btree_map::Entry::Vacant(entry) => {
                self.created.insert(id);
                entry.insert(self.backend.create(id, self.interval)?)
            }
        };
        Ok(Some(segment))
    }

    /// The segment holding records at `time`, if it exists.
    pub(crate) fn segment(&self, time: i64) -> Result<Option<&dyn KeyValueStore>> {
        self.check_open()?;
        Ok(self.segments.get(&self.segment_id(time)).map(|s| &**s))
    }

    /// Live segments that can hold records in `from..=to`, oldest first.
    pub(crate) fn between(
        &self,
        from: i64,
        to: i64,
    ) -> Result<impl Iterator<Item = &dyn KeyValueStore>> {
        self.check_open()?;
        let from = self.segment_id(from.max(0));
        let to = self.segment_id(to.max(0)).max(from);
        Ok(self.segments.range(from..=to).map(|(_, s)| &**s))
    }

    /// The ids of the live segments, oldest first.
    #[cfg(test)]
    pub(crate) fn ids(&self) -> Vec<i64> {
        self.segments.keys().copied().collect()
    }

    pub(crate) fn flush(&mut self) -> Result<()> {
        self.check_open()?;
        self.segments.values_mut().try_for_each(|s| s.flush())
    }

    /// Commits every live segment with `offset`, then destroys the segments
    /// that expired since the last commit.
    pub(crate) fn commit(&mut self, offset: Option<i64>) -> Result<()> {
        self.check_open()?;
        for segment in self.segments.values_mut() {
            segment.commit(offset)?;
        }
        self.destroy_expired()?;
        self.created.clear();
        self.committed_stream_time = self.stream_time;
        Ok(())
    }

    /// Returns to the last commit: segment writes dropped, segments created
    /// since destroyed, expired ones put back, stream time restored.
    pub(crate) fn abort(&mut self) -> Result<()> {
        self.check_open()?;
        for id in std::mem::take(&mut self.created) {
            if let Some(segment) = self.segments.remove(&id) {
                self.backend.destroy(segment)?;
            }
        }
        self.segments.append(&mut self.expired);
        for segment in self.segments.values_mut() {
            segment.abort()?;
        }
        self.stream_time = self.committed_stream_time;
        Ok(())
    }

    /// The smallest committed offset of the committed segments (those expired
    /// since the last commit included: they are still on disk).
    pub(crate) fn committed_offset(&self) -> Result<Option<i64>> {
        self.check_open()?;
        let mut smallest = None;
        for segment in self.segments.values().chain(self.expired.values()) {
            if let Some(offset) = segment.committed_offset()? {
                smallest = Some(smallest.map_or(offset, |s: i64| s.min(offset)));
            }
        }
        Ok(smallest)
    }

    pub(crate) fn uncommitted_bytes(&self) -> usize {
        self.segments.values().map(|s| s.uncommitted_bytes()).sum()
    }

    /// Commits what is uncommitted (offsets kept) and closes every segment.
    pub(crate) fn close(&mut self) -> Result<()> {
        if self.open {
            self.commit(None)?;
            self.open = false;
            for segment in self.segments.values_mut() {
                segment.close()?;
            }
            self.segments.clear();
        }
        Ok(())
    }
}
