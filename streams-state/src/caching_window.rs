//! [`CachingWindowStore`]: Kafka Streams' record cache in front of a window
//! store, deduplicating writes to a window between flushes.

use std::ops::Bound;

use crate::merge_iter::MergeIter;
use crate::segments::segment_interval;
use crate::store_cache::StoreCache;
use crate::window_key::{self, TIMESTAMP_SIZE};
use crate::{
    KeyValueUpdate, Result, StateStore, StateStoreError, ThreadCache, WindowIter, WindowStore,
    WindowedEntry, WindowedIter,
};

/// Called for each dirty window written to the wrapped store, with the key, the
/// window start, the new value (`None`: deleted) and the value the wrapped
/// store held before.
pub type WindowFlushListener = Box<dyn FnMut(&[u8], i64, Option<&[u8]>, Option<&[u8]>)>;

/// A window start and the value stored for it, as single-key fetches yield.
type TimedValue = (i64, Vec<u8>);

/// Order of multi-key window iterators: segment, then binary key.
type WindowOrder = (i64, Vec<u8>);

/// Kafka Streams' caching layer over a byte window store, with the semantics of
/// [`CachingKeyValueStore`](crate::CachingKeyValueStore): writes collapse per
/// key and window in a cache bounded by the shared [`ThreadCache`]; dirty
/// windows are written down and handed to the [`WindowFlushListener`] on flush
/// and on eviction; reads see the cache first.
///
/// The layer tracks stream time over the writes it sees, so cached windows
/// expire for reads exactly as the wrapped store's do. Stores that retain
/// duplicates are never cached (every write matters to a join): for them the
/// layer passes through, as [`CachingWindowStore::disabled`] does.
///
/// ```
/// use streams_state::{CachingWindowStore, SegmentedWindowStore, StateStore, ThreadCache,
///     WindowStore};
///
/// let inner = SegmentedWindowStore::in_memory("windowed-counts", 600_000, false)?;
/// let mut store = CachingWindowStore::new(Box::new(inner), ThreadCache::new(1 << 20));
/// store.put(b"k", Some(b"1"), 0)?;
/// store.put(b"k", Some(b"2"), 0)?;
/// assert_eq!(store.fetch(b"k", 0)?, Some(b"2".to_vec()));
/// store.flush()?;
/// # Ok::<(), streams_state::StateStoreError>(())
/// ```
pub struct CachingWindowStore {
    inner: Box<dyn WindowStore>,
    cache: Option<StoreCache>,
    listener: Option<WindowFlushListener>,
    interval: i64,
    stream_time: i64,
    open: bool,
}

impl std::fmt::Debug for CachingWindowStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachingWindowStore")
            .field("name", &self.inner.name())
            .field("caching_enabled", &self.caching_enabled())
            .finish()
    }
}

impl CachingWindowStore {
    /// Caches writes to `inner` within the budget `cache` (passes through if
    /// `inner` retains duplicates).
    pub fn new(inner: Box<dyn WindowStore>, cache: ThreadCache) -> Self {
        let cache = if inner.retain_duplicates() {
            tracing::debug!(
                store = inner.name(),
                "not caching a store that retains duplicates"
            );
            None
        } else {
            Some(StoreCache::new(cache))
        };
        Self::with_cache(inner, cache)
    }

    /// Passes every call straight to `inner`.
    pub fn disabled(inner: Box<dyn WindowStore>) -> Self {
        Self::with_cache(inner, None)
    }

    fn with_cache(inner: Box<dyn WindowStore>, cache: Option<StoreCache>) -> Self {
        let interval = segment_interval(inner.retention_period());
        Self {
            inner,
            cache,
            listener: None,
            interval,
            stream_time: -1,
            open: true,
        }
    }

    /// Whether writes are cached (and the flush listener used).
    pub fn caching_enabled(&self) -> bool {
        self.cache.is_some()
    }

    /// Writes every dirty cache entry down to the wrapped store (telling the flush
    /// listener) without flushing the wrapped store itself.
    pub fn flush_cache(&mut self) -> Result<()> {
        self.check_open()?;
        let dirty = self
            .cache
            .as_ref()
            .map(StoreCache::dirty)
            .unwrap_or_default();
        for (stored_key, value) in dirty {
            self.write_down(&stored_key, value.as_deref())?;
            if let Some(cache) = &self.cache {
                cache.mark_clean(&stored_key);
            }
        }
        Ok(())
    }

    /// Sets the listener receiving dirty windows as they are written down.
    pub fn set_flush_listener(&mut self, listener: WindowFlushListener) {
        self.listener = Some(listener);
    }

    fn check_open(&self) -> Result<()> {
        if self.open {
            Ok(())
        } else {
            Err(StateStoreError::closed(self.inner.name()))
        }
    }

    /// The oldest window start still retained, by the writes seen here.
    fn min_live_time(&self) -> i64 {
        (self.stream_time - self.inner.retention_period() + 1).max(0)
    }

    fn order(&self, key: &[u8], window_start: i64) -> WindowOrder {
        (
            window_start / self.interval,
            window_key::encode(key, window_start, None),
        )
    }

    /// Writes one dirty window to the wrapped store and tells the listener.
    fn write_down(&mut self, stored_key: &[u8], value: Option<&[u8]>) -> Result<()> {
        let Some(decoded) = window_key::decode(stored_key, false) else {
            return Err(StateStoreError::corrupt(
                self.inner.name(),
                "cached key does not follow the window-key layout",
            ));
        };
        let old = self.inner.fetch(decoded.key, decoded.window_start)?;
        if value.is_some() || old.is_some() {
            self.inner.put(decoded.key, value, decoded.window_start)?;
        }
        if let Some(listener) = self.listener.as_mut()
            && (value.is_some() || old.is_some())
        {
            listener(decoded.key, decoded.window_start, value, old.as_deref());
        }
        Ok(())
    }

    /// Cached windows with binary keys in `range` passing `keep`, as
    /// `(order, entry)` sorted like the wrapped store's multi-key iterators.
    fn cached(
        &self,
        range: (Bound<&[u8]>, Bound<&[u8]>),
        keep: impl Fn(&[u8], i64) -> bool,
    ) -> Vec<(WindowOrder, Option<WindowedEntry>)> {
        let Some(cache) = &self.cache else {
            return Vec::new();
        };
        let min_live = self.min_live_time();
        let mut cached: Vec<_> = cache
            .snapshot(range)
            .into_iter()
            .filter_map(|(stored_key, value)| {
                let decoded = window_key::decode(&stored_key, false)?;
                let live = decoded.window_start >= min_live;
                (live && keep(decoded.key, decoded.window_start)).then(|| {
                    let entry = value.map(|value| WindowedEntry {
                        key: decoded.key.to_vec(),
                        window_start: decoded.window_start,
                        value,
                    });
                    (self.order(decoded.key, decoded.window_start), entry)
                })
            })
            .collect();
        cached.sort_by(|a, b| a.0.cmp(&b.0));
        cached
    }

    /// Merges cached windows over a multi-key iterator of the wrapped store.
    fn merged<'a>(
        &'a self,
        store: WindowedIter<'a>,
        cached: Vec<(WindowOrder, Option<WindowedEntry>)>,
    ) -> WindowedIter<'a> {
        let min_live = self.min_live_time();
        let store = Box::new(store.filter(move |entry| {
            entry
                .as_ref()
                .map_or(true, |entry| entry.window_start >= min_live)
        }));
        let interval = self.interval;
        Box::new(MergeIter::new(
            Box::new(cached.into_iter()),
            store,
            move |entry: &WindowedEntry| {
                (
                    entry.window_start / interval,
                    window_key::encode(&entry.key, entry.window_start, None),
                )
            },
            false,
        ))
    }
}

impl StateStore for CachingWindowStore {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn persistent(&self) -> bool {
        self.inner.persistent()
    }

    fn flush(&mut self) -> Result<()> {
        self.flush_cache()?;
        self.inner.flush()
    }

    crate::store::forward_transactions!(inner);

    /// What the wrapped store reports, with this cache's hits and misses.
    fn statistics(&self) -> crate::StoreStatistics {
        let cache = crate::StoreStatistics {
            cache: self.cache.as_ref().map(StoreCache::statistics),
            rocksdb: None,
        };
        self.inner.statistics() + cache
    }

    /// Drops every cache entry (dirty ones were never written down; clean ones
    /// may show writes the wrapped store is about to drop), then aborts the
    /// wrapped store.
    fn abort(&mut self) -> Result<()> {
        if let Some(cache) = &self.cache {
            cache.clear();
        }
        self.inner.abort()
    }

    fn close(&mut self) -> Result<()> {
        if self.open {
            self.flush()?;
            self.open = false;
            if let Some(cache) = &self.cache {
                cache.clear();
            }
        }
        self.inner.close()
    }
}

impl WindowStore for CachingWindowStore {
    fn put(&mut self, key: &[u8], value: Option<&[u8]>, window_start: i64) -> Result<()> {
        self.check_open()?;
        let Some(cache) = &self.cache else {
            return self.inner.put(key, value, window_start);
        };
        if window_start < 0 {
            return Err(StateStoreError::invalid(
                self.inner.name(),
                format!("window start must not be negative, got {window_start}"),
            ));
        }
        self.stream_time = self.stream_time.max(window_start);
        if window_start < self.min_live_time() {
            tracing::debug!(store = %self.inner.name(), window_start, "skipping write to expired window");
            return Ok(());
        }
        cache.put(&window_key::encode(key, window_start, None), value);
        while let Some(evicted) = self
            .cache
            .as_ref()
            .and_then(StoreCache::evict_if_over_budget)
        {
            if evicted.dirty {
                self.write_down(&evicted.key, evicted.value.as_deref())?;
            }
        }
        Ok(())
    }

    fn fetch(&self, key: &[u8], window_start: i64) -> Result<Option<Vec<u8>>> {
        self.check_open()?;
        if let Some(cache) = &self.cache {
            if window_start < self.min_live_time() {
                return Ok(None);
            }
            if let Some(cached) = cache.get(&window_key::encode(key, window_start, None)) {
                return Ok(cached);
            }
        }
        self.inner.fetch(key, window_start)
    }

    fn fetch_range(&self, key: &[u8], time_from: i64, time_to: i64) -> Result<WindowIter<'_>> {
        self.check_open()?;
        let time_from = time_from.max(self.min_live_time());
        let store = self.inner.fetch_range(key, time_from, time_to)?;
        if time_from > time_to {
            return Ok(store);
        }
        let Some(cache) = &self.cache else {
            return Ok(store);
        };
        let lower = window_key::encode(key, time_from, None);
        let upper = window_key::encode(key, time_to, None);
        let cached: Vec<(i64, Option<TimedValue>)> = cache
            .snapshot((Bound::Included(&lower), Bound::Included(&upper)))
            .into_iter()
            .filter_map(|(stored_key, value)| {
                let decoded = window_key::decode(&stored_key, false)?;
                let time = decoded.window_start;
                let wanted = decoded.key == key && time >= time_from && time <= time_to;
                wanted.then(|| (time, value.map(|value| (time, value))))
            })
            .collect();
        Ok(Box::new(MergeIter::new(
            Box::new(cached.into_iter()),
            store,
            |(time, _): &TimedValue| *time,
            false,
        )))
    }

    fn fetch_key_range(
        &self,
        key_from: &[u8],
        key_to: &[u8],
        time_from: i64,
        time_to: i64,
    ) -> Result<WindowedIter<'_>> {
        self.check_open()?;
        let store = self
            .inner
            .fetch_key_range(key_from, key_to, time_from, time_to)?;
        if self.cache.is_none() || key_from > key_to {
            return Ok(store);
        }
        let mut upper = key_to.to_vec();
        upper.extend([0xff; TIMESTAMP_SIZE]);
        let cached = self.cached(
            (Bound::Included(key_from), Bound::Included(&upper)),
            |k, t| k >= key_from && k <= key_to && t >= time_from && t <= time_to,
        );
        Ok(self.merged(store, cached))
    }

    fn fetch_all(&self, time_from: i64, time_to: i64) -> Result<WindowedIter<'_>> {
        self.check_open()?;
        let store = self.inner.fetch_all(time_from, time_to)?;
        if self.cache.is_none() {
            return Ok(store);
        }
        let cached = self.cached((Bound::Unbounded, Bound::Unbounded), |_, t| {
            t >= time_from && t <= time_to
        });
        Ok(self.merged(store, cached))
    }

    fn all(&self) -> Result<WindowedIter<'_>> {
        self.check_open()?;
        let store = self.inner.all()?;
        if self.cache.is_none() {
            return Ok(store);
        }
        let cached = self.cached((Bound::Unbounded, Bound::Unbounded), |_, _| true);
        Ok(self.merged(store, cached))
    }

    fn retention_period(&self) -> i64 {
        self.inner.retention_period()
    }

    fn retain_duplicates(&self) -> bool {
        self.inner.retain_duplicates()
    }

    fn last_seqnum(&self) -> u32 {
        self.inner.last_seqnum()
    }

    /// Writes the records to the wrapped store, dropping any cached windows for
    /// their keys.
    fn restore_batch(&mut self, records: &[KeyValueUpdate]) -> Result<()> {
        self.check_open()?;
        if let Some(cache) = &self.cache {
            for (stored_key, _) in records {
                cache.remove(stored_key);
            }
        }
        self.inner.restore_batch(records)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;
    use crate::segmented_window_store::contract::{self, RETENTION};
    use crate::{ENTRY_OVERHEAD_BYTES, SegmentedWindowStore};

    type Seen = Rc<RefCell<Vec<(Vec<u8>, i64, Option<Vec<u8>>, Option<Vec<u8>>)>>>;

    fn cached(dups: bool, max_bytes: usize) -> CachingWindowStore {
        let inner = SegmentedWindowStore::in_memory("w", RETENTION, dups).unwrap();
        CachingWindowStore::new(Box::new(inner), ThreadCache::new(max_bytes))
    }

    fn listen(store: &mut CachingWindowStore) -> Seen {
        let seen: Seen = Rc::default();
        let sink = seen.clone();
        store.set_flush_listener(Box::new(move |key, start, new, old| {
            sink.borrow_mut().push((
                key.to_vec(),
                start,
                new.map(<[u8]>::to_vec),
                old.map(<[u8]>::to_vec),
            ));
        }));
        seen
    }

    #[test]
    fn passes_the_window_contract_with_a_large_cache() {
        contract::run_all(|dups| Box::new(cached(dups, 1 << 20)));
    }

    #[test]
    fn passes_the_window_contract_with_a_tiny_cache() {
        contract::run_all(|dups| Box::new(cached(dups, 2 * (ENTRY_OVERHEAD_BYTES + 10))));
    }

    #[test]
    fn passes_the_window_contract_when_disabled() {
        contract::run_all(|dups| {
            let inner = SegmentedWindowStore::in_memory("w", RETENTION, dups).unwrap();
            Box::new(CachingWindowStore::disabled(Box::new(inner)))
        });
    }

    #[test]
    fn collapses_writes_per_window_and_reports_old_values() {
        let mut store = cached(false, 1 << 20);
        assert!(store.caching_enabled());
        let seen = listen(&mut store);
        store.put(b"k", Some(b"1"), 0).unwrap();
        store.put(b"k", Some(b"2"), 0).unwrap();
        store.put(b"k", Some(b"3"), 60_000).unwrap();
        assert!(seen.borrow().is_empty());
        store.flush().unwrap();
        assert_eq!(
            *seen.borrow(),
            vec![
                (b"k".to_vec(), 0, Some(b"2".to_vec()), None),
                (b"k".to_vec(), 60_000, Some(b"3".to_vec()), None),
            ]
        );
        seen.borrow_mut().clear();
        store.put(b"k", Some(b"4"), 0).unwrap();
        store.put(b"k", None, 60_000).unwrap();
        store.flush().unwrap();
        assert_eq!(
            *seen.borrow(),
            vec![
                (b"k".to_vec(), 0, Some(b"4".to_vec()), Some(b"2".to_vec())),
                (b"k".to_vec(), 60_000, None, Some(b"3".to_vec())),
            ]
        );
    }

    #[test]
    fn eviction_writes_down_the_lru_window() {
        let size = ENTRY_OVERHEAD_BYTES + 1 + TIMESTAMP_SIZE + 1;
        let mut store = cached(false, 2 * size);
        let seen = listen(&mut store);
        store.put(b"a", Some(b"1"), 0).unwrap();
        store.put(b"b", Some(b"1"), 0).unwrap();
        store.put(b"c", Some(b"1"), 0).unwrap();
        assert_eq!(
            *seen.borrow(),
            vec![(b"a".to_vec(), 0, Some(b"1".to_vec()), None)]
        );
    }

    #[test]
    fn duplicate_retaining_stores_are_not_cached() {
        let mut store = cached(true, 1 << 20);
        assert!(!store.caching_enabled());
        let seen = listen(&mut store);
        store.put(b"k", Some(b"1"), 0).unwrap();
        store.flush().unwrap();
        assert!(seen.borrow().is_empty());
    }
}
