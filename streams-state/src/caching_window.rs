//! [`CachingWindowStore`]: the [`Caching`] layer over a window store,
//! deduplicating writes to a window between flushes. Windows are cached under
//! their [`window_key`]; the layer tracks stream time so cached windows expire
//! as stored ones do, and merges the cache into reads in the wrapped store's
//! order (by segment, then key).

use std::ops::Bound;

use crate::caching::{Caching, CachingKind, min_live_time};
use crate::merge_iter::MergeIter;
use crate::segments::segment_interval;
use crate::window_key::{self, TIMESTAMP_SIZE};
use crate::{
    KeyValueUpdate, Result, StateStoreError, WindowIter, WindowStore, WindowedEntry, WindowedIter,
};

/// Called for each dirty window written to the wrapped store, with the key, the
/// window start, the new value (`None`: deleted) and the value the wrapped
/// store held before.
pub type WindowFlushListener = Box<dyn FnMut(&[u8], i64, Option<&[u8]>, Option<&[u8]>)>;

/// A window start and the value stored for it, as single-key fetches yield.
type TimedValue = (i64, Vec<u8>);

/// Order of multi-key window iterators: segment, then binary key.
type WindowOrder = (i64, Vec<u8>);

/// Kafka Streams' caching layer over a byte window store (see [`Caching`]):
/// writes collapse per key and window.
///
/// The layer tracks stream time over the writes it sees, so cached windows
/// expire for reads exactly as the wrapped store's do. Stores that retain
/// duplicates are never cached (every write matters to a join): for them the
/// layer passes through, as [`Caching::disabled`] does.
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
pub type CachingWindowStore = Caching<dyn WindowStore>;

/// What a caching layer over a window store keeps besides its cache.
#[derive(Debug)]
pub struct WindowCaching {
    /// The wrapped store's segment interval, for its iteration order.
    interval: i64,
    /// The largest window start written.
    stream_time: i64,
}

impl CachingKind for dyn WindowStore {
    type Listener = dyn FnMut(&[u8], i64, Option<&[u8]>, Option<&[u8]>);
    type State = WindowCaching;

    fn initial_state(inner: &Self) -> WindowCaching {
        WindowCaching {
            interval: segment_interval(inner.retention_period()),
            stream_time: -1,
        }
    }

    /// Not a store that retains duplicates.
    fn cacheable(inner: &Self) -> bool {
        let retains = inner.retain_duplicates();
        if retains {
            tracing::debug!(
                store = inner.name(),
                "not caching a store that retains duplicates"
            );
        }
        !retains
    }

    fn write_down(
        inner: &mut Self,
        _: &WindowCaching,
        listener: Option<&mut Self::Listener>,
        stored_key: &[u8],
        value: Option<&[u8]>,
    ) -> Result<()> {
        let Some(decoded) = window_key::decode(stored_key, false) else {
            return Err(StateStoreError::corrupt(
                inner.name(),
                "cached key does not follow the window-key layout",
            ));
        };
        let old = inner.fetch(decoded.key, decoded.window_start)?;
        if value.is_some() || old.is_some() {
            inner.put(decoded.key, value, decoded.window_start)?;
        }
        if let Some(listener) = listener
            && (value.is_some() || old.is_some())
        {
            listener(decoded.key, decoded.window_start, value, old.as_deref());
        }
        Ok(())
    }
}

impl Caching<dyn WindowStore> {
    /// The oldest window start still retained, by the writes seen here.
    fn min_live_time(&self) -> i64 {
        min_live_time(self.state.stream_time, self.inner.retention_period())
    }

    fn order(&self, key: &[u8], window_start: i64) -> WindowOrder {
        (
            window_start / self.state.interval,
            window_key::encode(key, window_start, None),
        )
    }

    /// Merges the cached windows with binary keys in `range` passing `keep`
    /// over a multi-key iterator of the wrapped store, in its order (the
    /// store's alone with caching off).
    fn merged<'a>(
        &'a self,
        store: WindowedIter<'a>,
        range: (Bound<&[u8]>, Bound<&[u8]>),
        keep: impl Fn(&[u8], i64) -> bool,
    ) -> WindowedIter<'a> {
        if !self.caching_enabled() {
            return store;
        }
        let min_live = self.min_live_time();
        let mut cached = self.cached_entries(range, |(stored_key, value)| {
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
        });
        cached.sort_by(|a, b| a.0.cmp(&b.0));
        let store = Box::new(store.filter(move |entry| {
            entry
                .as_ref()
                .map_or(true, |entry| entry.window_start >= min_live)
        }));
        let interval = self.state.interval;
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

impl WindowStore for Caching<dyn WindowStore> {
    fn put(&mut self, key: &[u8], value: Option<&[u8]>, window_start: i64) -> Result<()> {
        self.check_open()?;
        if !self.caching_enabled() {
            return self.inner.put(key, value, window_start);
        }
        if window_start < 0 {
            return Err(StateStoreError::invalid(
                self.inner.name(),
                format!("window start must not be negative, got {window_start}"),
            ));
        }
        self.state.stream_time = self.state.stream_time.max(window_start);
        if window_start < self.min_live_time() {
            tracing::debug!(store = %self.inner.name(), window_start, "skipping write to expired window");
            return Ok(());
        }
        self.cache_write(&window_key::encode(key, window_start, None), value)
    }

    fn fetch(&self, key: &[u8], window_start: i64) -> Result<Option<Vec<u8>>> {
        self.check_open()?;
        if self.caching_enabled() {
            if window_start < self.min_live_time() {
                return Ok(None);
            }
            if let Some(cached) = self.cached(&window_key::encode(key, window_start, None)) {
                return Ok(cached);
            }
        }
        self.inner.fetch(key, window_start)
    }

    fn fetch_range(&self, key: &[u8], time_from: i64, time_to: i64) -> Result<WindowIter<'_>> {
        self.check_open()?;
        let time_from = time_from.max(self.min_live_time());
        let store = self.inner.fetch_range(key, time_from, time_to)?;
        if time_from > time_to || !self.caching_enabled() {
            return Ok(store);
        }
        let lower = window_key::encode(key, time_from, None);
        let upper = window_key::encode(key, time_to, None);
        let range = (Bound::Included(&lower[..]), Bound::Included(&upper[..]));
        let cached = self.cached_entries(range, |(stored_key, value)| {
            let decoded = window_key::decode(&stored_key, false)?;
            let time = decoded.window_start;
            let wanted = decoded.key == key && time >= time_from && time <= time_to;
            wanted.then(|| (time, value.map(|value| (time, value))))
        });
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
        if !self.caching_enabled() || key_from > key_to {
            return Ok(store);
        }
        let mut upper = key_to.to_vec();
        upper.extend([0xff; TIMESTAMP_SIZE]);
        Ok(self.merged(
            store,
            (Bound::Included(key_from), Bound::Included(&upper)),
            |k, t| k >= key_from && k <= key_to && t >= time_from && t <= time_to,
        ))
    }

    fn fetch_all(&self, time_from: i64, time_to: i64) -> Result<WindowedIter<'_>> {
        self.check_open()?;
        let store = self.inner.fetch_all(time_from, time_to)?;
        Ok(
            self.merged(store, (Bound::Unbounded, Bound::Unbounded), |_, t| {
                t >= time_from && t <= time_to
            }),
        )
    }

    fn all(&self) -> Result<WindowedIter<'_>> {
        self.check_open()?;
        let store = self.inner.all()?;
        Ok(self.merged(store, (Bound::Unbounded, Bound::Unbounded), |_, _| true))
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
        self.uncache(records)?;
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
    use crate::{StateStore, ThreadCache};

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
