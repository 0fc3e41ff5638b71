//! Time segments of window and session stores.
//!
//! A segmented store splits its records by time into segments of
//! `max(retention / 2, 60_000)` ms (as Kafka Streams does), each an independent
//! [`KeyValueStore`]: for RocksDB its own instance in
//! `<dir>/<store>/<store>.<segment start ms>`. A segment whose whole time span
//! is older than `stream time - retention` is dropped at once (for RocksDB: closed
//! and its directory removed), never deleted key by key.

use std::collections::BTreeMap;
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
            options: options.to_rocksdb(),
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
    open: bool,
}

impl Segments {
    /// Opens the segments of `store` found by `backend`, dropping expired ones.
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
        let segments: BTreeMap<_, _> = backend.open_existing(interval)?.into_iter().collect();
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
            open: true,
        };
        this.drop_expired()?;
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

    fn drop_expired(&mut self) -> Result<()> {
        let min_live = self.segment_id(self.min_live_time());
        while let Some(entry) = self.segments.first_entry() {
            if *entry.key() >= min_live {
                break;
            }
            let segment = entry.remove();
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

    pub(crate) fn close(&mut self) -> Result<()> {
        if self.open {
            self.open = false;
            for segment in self.segments.values_mut() {
                segment.close()?;
            }
            self.segments.clear();
        }
        Ok(())
    }
}
