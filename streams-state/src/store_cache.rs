//! [`StoreCache`]: the LRU cache entries of one caching store, charged to the
//! shared [`ThreadCache`] budget.
//!
//! Entries live in a slab linked in LRU order, so a hit moves its entry to the
//! front without touching any map; a hash index finds an entry by key and an
//! ordered index of the same (shared) keys serves range snapshots.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::rc::Rc;

use crate::thread_cache::ENTRY_OVERHEAD_BYTES;
use crate::{CacheStatistics, KeyValueUpdate, ThreadCache};

/// No slot: the end of the LRU list.
const NONE: usize = usize::MAX;

#[derive(Debug)]
struct Slot {
    key: Rc<[u8]>,
    value: Option<Vec<u8>>,
    dirty: bool,
    /// When the entry was last written, for flushing in write order.
    written: u64,
    /// The next more recently used slot.
    newer: usize,
    /// The next less recently used slot.
    older: usize,
}

fn entry_size(key: &[u8], value: Option<&[u8]>) -> usize {
    key.len() + value.map_or(0, <[u8]>::len) + ENTRY_OVERHEAD_BYTES
}

/// The entries: slots, free slots, both indexes and the LRU list's ends.
#[derive(Debug)]
struct Entries {
    slots: Vec<Slot>,
    free: Vec<usize>,
    by_key: HashMap<Rc<[u8]>, usize>,
    ordered: BTreeMap<Rc<[u8]>, usize>,
    /// The most recently used slot.
    newest: usize,
    /// The least recently used slot: the next to evict.
    oldest: usize,
    clock: u64,
    bytes: usize,
}

impl Default for Entries {
    fn default() -> Self {
        Self {
            slots: Vec::new(),
            free: Vec::new(),
            by_key: HashMap::new(),
            ordered: BTreeMap::new(),
            newest: NONE,
            oldest: NONE,
            clock: 0,
            bytes: 0,
        }
    }
}

impl Entries {
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// Takes slot `index` out of the LRU list.
    fn unlink(&mut self, index: usize) {
        let (newer, older) = (self.slots[index].newer, self.slots[index].older);
        match newer {
            NONE => self.newest = older,
            newer => self.slots[newer].older = older,
        }
        match older {
            NONE => self.oldest = newer,
            older => self.slots[older].newer = newer,
        }
    }

    /// Puts slot `index` (not in the list) at its front.
    fn link_newest(&mut self, index: usize) {
        let previous = self.newest;
        self.slots[index].newer = NONE;
        self.slots[index].older = previous;
        match previous {
            NONE => self.oldest = index,
            previous => self.slots[previous].newer = index,
        }
        self.newest = index;
    }

    /// Marks slot `index` the most recently used.
    fn touch(&mut self, index: usize) {
        if self.newest != index {
            self.unlink(index);
            self.link_newest(index);
        }
    }

    /// Adds an entry for a key not cached yet, as the most recently used.
    fn insert(&mut self, slot: Slot) {
        let key = slot.key.clone();
        let index = match self.free.pop() {
            Some(index) => {
                self.slots[index] = slot;
                index
            }
            None => {
                self.slots.push(slot);
                self.slots.len() - 1
            }
        };
        self.link_newest(index);
        self.ordered.insert(key.clone(), index);
        self.by_key.insert(key, index);
    }

    /// Removes the entry in slot `index`; returns it and its size.
    fn remove_slot(&mut self, index: usize) -> (Slot, usize) {
        self.unlink(index);
        // A free slot is never dirty, so flushes pass it by.
        let freed = Slot {
            key: Rc::from(&[][..]),
            value: None,
            dirty: false,
            written: 0,
            newer: NONE,
            older: NONE,
        };
        let slot = std::mem::replace(&mut self.slots[index], freed);
        self.by_key.remove(&slot.key);
        self.ordered.remove(&slot.key);
        self.free.push(index);
        let size = entry_size(&slot.key, slot.value.as_deref());
        self.bytes = self.bytes.saturating_sub(size);
        (slot, size)
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
        let Some(&index) = entries.by_key.get(key) else {
            self.misses.set(self.misses.get() + 1);
            return None;
        };
        self.hits.set(self.hits.get() + 1);
        entries.touch(index);
        Some(entries.slots[index].value.clone())
    }

    /// Stores a dirty value (`None`: deletion) and charges the budget.
    pub(crate) fn put(&self, key: &[u8], value: Option<&[u8]>) {
        let mut entries = self.entries.borrow_mut();
        let now = entries.tick();
        let size = entry_size(key, value);
        // An update of a cached key is done in place: no key copies, one lookup.
        if let Some(&index) = entries.by_key.get(key) {
            let slot = &mut entries.slots[index];
            let old_size = entry_size(key, slot.value.as_deref());
            match (&mut slot.value, value) {
                (Some(cached), Some(value)) => {
                    cached.clear();
                    cached.extend_from_slice(value);
                }
                (stored, value) => *stored = value.map(<[u8]>::to_vec),
            }
            slot.dirty = true;
            slot.written = now;
            entries.touch(index);
            entries.bytes = entries.bytes.saturating_sub(old_size).saturating_add(size);
            self.budget.release(old_size);
            self.budget.charge(size);
            return;
        }
        entries.insert(Slot {
            key: Rc::from(key),
            value: value.map(<[u8]>::to_vec),
            dirty: true,
            written: now,
            newer: NONE,
            older: NONE,
        });
        entries.bytes = entries.bytes.saturating_add(size);
        self.budget.charge(size);
    }

    /// Drops an entry (dirty or not) and releases its bytes.
    pub(crate) fn remove(&self, key: &[u8]) {
        let mut entries = self.entries.borrow_mut();
        if let Some(&index) = entries.by_key.get(key) {
            let (_, size) = entries.remove_slot(index);
            self.budget.release(size);
        }
    }

    /// Removes the least recently used entry if the shared budget is exceeded.
    pub(crate) fn evict_if_over_budget(&self) -> Option<Evicted> {
        if !self.budget.over_budget() {
            return None;
        }
        let mut entries = self.entries.borrow_mut();
        if entries.oldest == NONE {
            return None;
        }
        let oldest = entries.oldest;
        let (slot, size) = entries.remove_slot(oldest);
        self.budget.release(size);
        Some(Evicted {
            key: slot.key.to_vec(),
            value: slot.value,
            dirty: slot.dirty,
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
        let mut dirty: Vec<(u64, usize)> = entries
            .slots
            .iter()
            .enumerate()
            .filter(|(_, slot)| slot.dirty)
            .map(|(index, slot)| (slot.written, index))
            .collect();
        dirty.sort_unstable_by_key(|(written, _)| *written);
        let mut deletions = Vec::new();
        let mut result = Ok(());
        for (_, index) in dirty {
            let slot = &mut entries.slots[index];
            if let Err(error) = write(&slot.key, slot.value.as_deref()) {
                result = Err(error);
                break;
            }
            slot.dirty = false;
            if slot.value.is_none() {
                deletions.push(index);
            }
        }
        for index in deletions {
            let (_, size) = entries.remove_slot(index);
            self.budget.release(size);
        }
        result
    }

    /// A copy of the cached entries with keys in `range`, in key order.
    pub(crate) fn snapshot(&self, range: (Bound<&[u8]>, Bound<&[u8]>)) -> Vec<KeyValueUpdate> {
        let entries = self.entries.borrow();
        entries
            .ordered
            .range::<[u8], _>(range)
            .map(|(_, &index)| {
                let slot = &entries.slots[index];
                (slot.key.to_vec(), slot.value.clone())
            })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cache_of(max_bytes: usize) -> (StoreCache, ThreadCache) {
        let budget = ThreadCache::new(max_bytes);
        (StoreCache::new(budget.clone()), budget)
    }

    fn evict_all(cache: &StoreCache, budget: &ThreadCache) -> Vec<Vec<u8>> {
        budget.resize(0);
        std::iter::from_fn(|| cache.evict_if_over_budget())
            .map(|evicted| evicted.key)
            .collect()
    }

    #[test]
    fn eviction_takes_the_least_recently_used_first() {
        let (cache, budget) = cache_of(usize::MAX);
        for key in [b"a", b"b", b"c", b"d"] {
            cache.put(key, Some(b"1"));
        }
        assert_eq!(cache.get(b"a"), Some(Some(b"1".to_vec())));
        cache.put(b"c", Some(b"2"));
        assert_eq!(cache.get(b"zz"), None);
        assert_eq!(
            evict_all(&cache, &budget),
            vec![b"b".to_vec(), b"d".to_vec(), b"a".to_vec(), b"c".to_vec()]
        );
        assert_eq!(budget.used_bytes(), 0);
        let statistics = cache.statistics();
        assert_eq!((statistics.hits, statistics.misses), (1, 1));
    }

    #[test]
    fn freed_slots_are_reused_without_disturbing_order_or_ranges() {
        let (cache, budget) = cache_of(usize::MAX);
        for key in [b"a", b"b", b"c"] {
            cache.put(key, Some(key));
        }
        cache.remove(b"b");
        cache.put(b"", Some(b"empty key"));
        cache.put(b"d", None);
        let keys: Vec<Vec<u8>> = cache
            .snapshot((Bound::Unbounded, Bound::Unbounded))
            .into_iter()
            .map(|(key, _)| key)
            .collect();
        assert_eq!(
            keys,
            vec![b"".to_vec(), b"a".to_vec(), b"c".to_vec(), b"d".to_vec()]
        );
        let ranged = cache.snapshot((Bound::Excluded(&b"a"[..]), Bound::Included(&b"d"[..])));
        assert_eq!(
            ranged,
            vec![(b"c".to_vec(), Some(b"c".to_vec())), (b"d".to_vec(), None)]
        );
        assert_eq!(
            evict_all(&cache, &budget),
            vec![b"a".to_vec(), b"c".to_vec(), b"".to_vec(), b"d".to_vec()]
        );
    }

    #[test]
    fn dirty_entries_are_written_in_write_order_and_deletions_leave() {
        let (cache, budget) = cache_of(usize::MAX);
        cache.put(b"x", Some(b"1"));
        cache.put(b"y", None);
        cache.put(b"z", Some(b"1"));
        cache.put(b"x", Some(b"2"));
        let mut written = Vec::new();
        cache
            .write_dirty(|key, value| {
                written.push((key.to_vec(), value.map(<[u8]>::to_vec)));
                Ok::<(), ()>(())
            })
            .unwrap();
        assert_eq!(
            written,
            vec![
                (b"y".to_vec(), None),
                (b"z".to_vec(), Some(b"1".to_vec())),
                (b"x".to_vec(), Some(b"2".to_vec())),
            ]
        );
        assert_eq!(
            cache.get(b"y"),
            None,
            "a written-down deletion leaves the cache"
        );
        let mut again = 0;
        cache
            .write_dirty(|_, _| {
                again += 1;
                Ok::<(), ()>(())
            })
            .unwrap();
        assert_eq!(again, 0, "clean entries are not written twice");
        let expected = entry_size(b"z", Some(b"1")) + entry_size(b"x", Some(b"2"));
        assert_eq!(budget.used_bytes(), expected);
        cache.clear();
        assert_eq!(budget.used_bytes(), 0);
    }

    #[test]
    fn a_failed_write_leaves_the_rest_dirty() {
        let (cache, _) = cache_of(usize::MAX);
        cache.put(b"a", Some(b"1"));
        cache.put(b"b", Some(b"1"));
        let failed = cache.write_dirty(|key, _| if key == b"b" { Err(()) } else { Ok(()) });
        assert_eq!(failed, Err(()));
        let mut left = Vec::new();
        cache
            .write_dirty(|key, _| {
                left.push(key.to_vec());
                Ok::<(), ()>(())
            })
            .unwrap();
        assert_eq!(left, vec![b"b".to_vec()]);
    }
}
