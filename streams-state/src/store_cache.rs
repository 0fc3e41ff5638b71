//! [`StoreCache`]: the LRU cache entries of one caching store, charged to the
//! shared [`ThreadCache`] budget.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::ops::Bound;

use crate::thread_cache::ENTRY_OVERHEAD_BYTES;
use crate::{CacheStatistics, KeyValueUpdate, ThreadCache};

#[derive(Debug)]
struct CacheEntry {
    value: Option<Vec<u8>>,
    dirty: bool,
    /// Position in the LRU order (higher: used more recently).
    used: u64,
    /// When the entry was last written, for flushing in write order.
    written: u64,
}

fn entry_size(key: &[u8], value: Option<&[u8]>) -> usize {
    key.len() + value.map_or(0, <[u8]>::len) + ENTRY_OVERHEAD_BYTES
}

#[derive(Debug, Default)]
struct Entries {
    by_key: BTreeMap<Vec<u8>, CacheEntry>,
    lru: BTreeMap<u64, Vec<u8>>,
    clock: u64,
    bytes: usize,
}

impl Entries {
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// Moves a key from LRU position `previous` to `now`, reusing its key bytes.
    fn move_to_front(&mut self, previous: u64, now: u64, key: &[u8]) {
        let stored = self.lru.remove(&previous).unwrap_or_else(|| key.to_vec());
        self.lru.insert(now, stored);
    }

    fn remove(&mut self, key: &[u8]) -> Option<(CacheEntry, usize)> {
        let entry = self.by_key.remove(key)?;
        self.lru.remove(&entry.used);
        let size = entry_size(key, entry.value.as_deref());
        self.bytes = self.bytes.saturating_sub(size);
        Some((entry, size))
    }
}

/// An entry leaving the cache because of eviction.
pub(crate) struct Evicted {
    /// The cached (binary) key.
    pub(crate) key: Vec<u8>,
    /// The cached value; `None` is a cached deletion.
    pub(crate) value: Option<Vec<u8>>,
    /// Whether the entry still has to be written to the wrapped store.
    pub(crate) dirty: bool,
}

/// The cache of one store: byte keys to values (`None`: deleted), in LRU order,
/// each entry charged to the shared budget. Reads take `&self` (the LRU order
/// lives in a `RefCell`) so that store reads can stay `&self`.
#[derive(Debug)]
pub(crate) struct StoreCache {
    budget: ThreadCache,
    entries: RefCell<Entries>,
    /// Lookups found in the cache, and not, for metrics.
    hits: Cell<u64>,
    misses: Cell<u64>,
}

impl StoreCache {
    pub(crate) fn new(budget: ThreadCache) -> Self {
        Self {
            budget,
            entries: RefCell::default(),
            hits: Cell::new(0),
            misses: Cell::new(0),
        }
    }

    /// The lookups so far that found their key cached, and those that did not.
    pub(crate) fn statistics(&self) -> CacheStatistics {
        CacheStatistics {
            hits: self.hits.get(),
            misses: self.misses.get(),
        }
    }

    /// The cached value (`Some(None)`: cached deletion), marking it used.
    pub(crate) fn get(&self, key: &[u8]) -> Option<Option<Vec<u8>>> {
        let mut entries = self.entries.borrow_mut();
        let now = entries.tick();
        let Some(entry) = entries.by_key.get_mut(key) else {
            self.misses.set(self.misses.get() + 1);
            return None;
        };
        self.hits.set(self.hits.get() + 1);
        let previous = std::mem::replace(&mut entry.used, now);
        let value = entry.value.clone();
        entries.move_to_front(previous, now, key);
        Some(value)
    }

    /// Stores a dirty value (`None`: deletion) and charges the budget.
    pub(crate) fn put(&self, key: &[u8], value: Option<&[u8]>) {
        let mut entries = self.entries.borrow_mut();
        let now = entries.tick();
        let size = entry_size(key, value);
        // An update of a cached key is done in place: no key copies, one lookup.
        if let Some(entry) = entries.by_key.get_mut(key) {
            let old_size = entry_size(key, entry.value.as_deref());
            match (&mut entry.value, value) {
                (Some(cached), Some(value)) => {
                    cached.clear();
                    cached.extend_from_slice(value);
                }
                (slot, value) => *slot = value.map(<[u8]>::to_vec),
            }
            entry.dirty = true;
            entry.written = now;
            let previous = std::mem::replace(&mut entry.used, now);
            entries.move_to_front(previous, now, key);
            entries.bytes = entries.bytes.saturating_sub(old_size).saturating_add(size);
            self.budget.release(old_size);
            self.budget.charge(size);
            return;
        }
        entries.by_key.insert(
            key.to_vec(),
            CacheEntry {
                value: value.map(<[u8]>::to_vec),
                dirty: true,
                used: now,
                written: now,
            },
        );
        entries.lru.insert(now, key.to_vec());
        entries.bytes = entries.bytes.saturating_add(size);
        self.budget.charge(size);
    }

    /// Drops an entry (dirty or not) and releases its bytes.
    pub(crate) fn remove(&self, key: &[u8]) {
        if let Some((_, size)) = self.entries.borrow_mut().remove(key) {
            self.budget.release(size);
        }
    }

    /// Removes the least recently used entry if the shared budget is exceeded.
    pub(crate) fn evict_if_over_budget(&self) -> Option<Evicted> {
        if !self.budget.over_budget() {
            return None;
        }
        let mut entries = self.entries.borrow_mut();
        let (_, key) = entries.lru.pop_first()?;
        let (entry, size) = entries.remove(&key)?;
        self.budget.release(size);
        Some(Evicted {
            key,
            value: entry.value,
            dirty: entry.dirty,
        })
    }

    /// Hands each dirty entry, in the order they were (last) written, to
    /// `write` without copying it, and marks it clean once `write` succeeds (a
    /// written-down deletion is dropped). Stops at the first error, leaving the
    /// entries not yet written dirty. `write` must not use this cache.
    pub(crate) fn write_dirty<E>(
        &self,
        mut write: impl FnMut(&[u8], Option<&[u8]>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let mut entries = self.entries.borrow_mut();
        let mut dirty: Vec<(u64, &Vec<u8>, &mut CacheEntry)> = entries
            .by_key
            .iter_mut()
            .filter(|(_, entry)| entry.dirty)
            .map(|(key, entry)| (entry.written, key, entry))
            .collect();
        dirty.sort_unstable_by_key(|(written, _, _)| *written);
        let mut deletions = Vec::new();
        let mut result = Ok(());
        for (_, key, entry) in dirty {
            if let Err(error) = write(key, entry.value.as_deref()) {
                result = Err(error);
                break;
            }
            entry.dirty = false;
            if entry.value.is_none() {
                deletions.push(key.clone());
            }
        }
        for key in deletions {
            if let Some((_, size)) = entries.remove(&key) {
                self.budget.release(size);
            }
        }
        result
    }

    /// A copy of the cached entries with keys in `range`, in key order.
    pub(crate) fn snapshot(&self, range: (Bound<&[u8]>, Bound<&[u8]>)) -> Vec<KeyValueUpdate> {
        self.entries
            .borrow()
            .by_key
            .range::<[u8], _>(range)
            .map(|(key, entry)| (key.clone(), entry.value.clone()))
            .collect()
    }

    /// Drops every entry and releases its bytes.
    pub(crate) fn clear(&self) {
        let mut entries = self.entries.borrow_mut();
        self.budget.release(entries.bytes);
        *entries = Entries::default();
    }
}

impl Drop for StoreCache {
    fn drop(&mut self) {
        self.clear();
    }
}
