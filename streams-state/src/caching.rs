//! [`Caching`]: Kafka Streams' record cache in front of a store. One shape for
//! all store kinds: this file holds the cache, its share of the thread's
//! budget, eviction, flushing and the life cycle every store shares;
//! `caching_key_value`, `_window` and `_session` cache the writes of their
//! kind under its key layout and merge the cache into its reads
//! ([`CachingKind`]).

use std::ops::Bound;

use crate::store_cache::StoreCache;
use crate::{KeyValueUpdate, Result, StateStore, StateStoreError, ThreadCache};

/// What the caching layer needs of a store kind: implemented for
/// `dyn KeyValueStore`, `dyn WindowStore` and `dyn SessionStore`. The cache
/// holds entries under the kind's binary key layout (the key itself,
/// [`window_key`](crate::window_key) or [`session_key`](crate::session_key));
/// the kind decodes them again to write them down.
pub trait CachingKind: StateStore {
    /// The kind's flush listener, called with each dirty entry as it is
    /// written down (decoded key, new value, the wrapped store's old value).
    type Listener: ?Sized;

    /// What a caching layer of this kind tracks besides its cache (options,
    /// stream time).
    type State;

    /// The state of a layer newly put over `inner`.
    fn initial_state(inner: &Self) -> Self::State;

    /// Whether writes to `inner` may be cached at all (default: yes).
    fn cacheable(inner: &Self) -> bool {
        let _ = inner;
        true
    }

    /// Writes one dirty entry (`stored_key` in the kind's key layout, value
    /// `None`: deleted) down to `inner` and tells `listener`.
    fn write_down(
        inner: &mut Self,
        state: &Self::State,
        listener: Option<&mut Self::Listener>,
        stored_key: &[u8],
        value: Option<&[u8]>,
    ) -> Result<()>;
}

/// Kafka Streams' caching layer over a byte store of kind `S`.
///
/// With caching on, writes go to a cache bounded by a shared [`ThreadCache`]
/// budget; repeated writes to a key between flushes collapse into one. Dirty
/// entries are written to the wrapped store, and handed to the flush listener
/// (key, new value, old value of the wrapped store), on
/// [`flush`](StateStore::flush) in write order, and one by one when a write
/// takes the budget over its limit and this store evicts its least recently
/// used entries. Reads see the cache first; a read miss is not cached. With
/// caching off ([`Caching::disabled`]) every call goes straight to the
/// wrapped store and the listener is never called: the runtime then forwards
/// records itself.
pub struct Caching<S: CachingKind + ?Sized> {
    pub(crate) inner: Box<S>,
    cache: Option<StoreCache>,
    listener: Option<Box<S::Listener>>,
    pub(crate) state: S::State,
    open: bool,
}

impl<S: CachingKind + ?Sized> std::fmt::Debug for Caching<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caching")
            .field("name", &self.inner.name())
            .field("caching_enabled", &self.caching_enabled())
            .finish()
    }
}

impl<S: CachingKind + ?Sized> Caching<S> {
    /// Caches writes to `inner` within the budget `cache` (passes through if
    /// the kind does not cache `inner`, as a window store retaining
    /// duplicates).
    pub fn new(inner: Box<S>, cache: ThreadCache) -> Self {
        let cache = S::cacheable(&inner).then(|| StoreCache::new(cache));
        Self::with_cache(inner, cache)
    }

    /// Passes every call straight to `inner` (`cache.max.bytes` = 0 or caching
    /// disabled for the store).
    pub fn disabled(inner: Box<S>) -> Self {
        Self::with_cache(inner, None)
    }

    fn with_cache(inner: Box<S>, cache: Option<StoreCache>) -> Self {
        Self {
            state: S::initial_state(&inner),
            inner,
            cache,
            listener: None,
            open: true,
        }
    }

    /// Whether writes are cached (and the flush listener used).
    pub fn caching_enabled(&self) -> bool {
        self.cache.is_some()
    }

    /// Sets the listener receiving dirty entries as they are written down.
    pub fn set_flush_listener(&mut self, listener: Box<S::Listener>) {
        self.listener = Some(listener);
    }

    /// Writes every dirty cache entry down to the wrapped store (telling the
    /// flush listener) without flushing the wrapped store itself: what a
    /// commit does before it makes the store durable, and all a test driver's
    /// commit needs.
    pub fn flush_cache(&mut self) -> Result<()> {
        self.check_open()?;
        let Some(cache) = &self.cache else {
            return Ok(());
        };
        let (inner, state, listener) = (&mut self.inner, &self.state, &mut self.listener);
        cache.write_dirty(|stored_key, value| {
            S::write_down(inner, state, listener.as_deref_mut(), stored_key, value)
        })
    }

    pub(crate) fn check_open(&self) -> Result<()> {
        if self.open {
            Ok(())
        } else {
            Err(StateStoreError::closed(self.inner.name()))
        }
    }

    /// Caches a write of `stored_key` (value `None`: deleted), then writes
    /// down the dirty entries evicted to bring the budget back within its
    /// limit. With caching off there is no cache to write to: callers write
    /// through to the wrapped store instead.
    pub(crate) fn cache_write(&mut self, stored_key: &[u8], value: Option<&[u8]>) -> Result<()> {
        let Some(cache) = &self.cache else {
            return Ok(());
        };
        cache.put(stored_key, value);
        while let Some(evicted) = cache.evict_if_over_budget() {
            if evicted.dirty {
                tracing::trace!(store = %self.inner.name(), "writing down evicted cache entry");
                S::write_down(
                    &mut self.inner,
                    &self.state,
                    self.listener.as_deref_mut(),
                    &evicted.key,
                    evicted.value.as_deref(),
                )?;
            }
        }
        Ok(())
    }

    /// The cached value of `stored_key` (`Some(None)`: a cached deletion), or
    /// `None` when it is not cached or caching is off.
    pub(crate) fn cached(&self, stored_key: &[u8]) -> Option<Option<Vec<u8>>> {
        self.cache.as_ref().and_then(|cache| cache.get(stored_key))
    }

    /// The cached entries with stored keys in `range`, in stored-key order,
    /// each turned by `entry` into what a read merges over the wrapped
    /// store's (an order key and the item, `None` for a cached deletion;
    /// `entry` returns `None` to leave one out). Empty with caching off.
    pub(crate) fn cached_entries<O, T>(
        &self,
        range: (Bound<&[u8]>, Bound<&[u8]>),
        entry: impl FnMut((Vec<u8>, Option<Vec<u8>>)) -> Option<(O, Option<T>)>,
    ) -> Vec<(O, Option<T>)> {
        self.cache.as_ref().map_or_else(Vec::new, |cache| {
            cache
                .snapshot(range)
                .into_iter()
                .filter_map(entry)
                .collect()
        })
    }

    /// Checks the store is open and drops the cached entries of changelog
    /// records about to be restored into the wrapped store.
    pub(crate) fn uncache(&self, records: &[KeyValueUpdate]) -> Result<()> {
        self.check_open()?;
        if let Some(cache) = &self.cache {
            for (stored_key, _) in records {
                cache.remove(stored_key);
            }
        }
        Ok(())
    }
}

/// The oldest time still retained by a time-bounded store (windows by start,
/// sessions by end) once its writes reached `stream_time`.
pub(crate) fn min_live_time(stream_time: i64, retention_period: i64) -> i64 {
    (stream_time - retention_period + 1).max(0)
}

impl<S: CachingKind + ?Sized> StateStore for Caching<S> {
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
