//! [`ThreadCache`]: the byte budget (`cache.max.bytes`) shared by the caching
//! stores of one stream thread.

use std::cell::Cell;
use std::rc::Rc;

/// Bytes charged for each cached entry on top of its key and value.
pub const ENTRY_OVERHEAD_BYTES: usize = 64;

/// A per-thread cache budget in bytes, shared (cheaply cloned) by every
/// [`Caching`](crate::Caching) store of the thread, whatever its kind.
///
/// Each caching store keeps its own entries and charges their size here; when a
/// write takes the total over the budget, the store that wrote evicts its least
/// recently used entries until the total fits again (as Kafka Streams evicts from
/// the cache of the store being written). Not thread-safe by design: one budget
/// per stream thread, no locking.
///
/// ```
/// use streams_state::ThreadCache;
///
/// let cache = ThreadCache::new(10 * 1024 * 1024);
/// let shared = cache.clone();
/// assert_eq!(shared.max_bytes(), 10 * 1024 * 1024);
/// assert_eq!(cache.used_bytes(), 0);
/// ```
#[derive(Debug, Clone)]
pub struct ThreadCache {
    budget: Rc<Budget>,
}

#[derive(Debug)]
struct Budget {
    max_bytes: Cell<usize>,
    used_bytes: Cell<usize>,
}

impl ThreadCache {
    /// A budget of `max_bytes` for all caching stores sharing it.
    pub fn new(max_bytes: usize) -> Self {
        Self {
            budget: Rc::new(Budget {
                max_bytes: Cell::new(max_bytes),
                used_bytes: Cell::new(0),
            }),
        }
    }

    /// The budget in bytes.
    pub fn max_bytes(&self) -> usize {
        self.budget.max_bytes.get()
    }

    /// Changes the budget (for example when threads are added); stores evict on
    /// their next write if they are over it.
    pub fn resize(&self, max_bytes: usize) {
        self.budget.max_bytes.set(max_bytes);
    }

    /// Bytes currently charged by all stores sharing the budget.
    pub fn used_bytes(&self) -> usize {
        self.budget.used_bytes.get()
    }

    pub(crate) fn charge(&self, bytes: usize) {
        let used = &self.budget.used_bytes;
        used.set(used.get().saturating_add(bytes));
    }

    pub(crate) fn release(&self, bytes: usize) {
        let used = &self.budget.used_bytes;
        used.set(used.get().saturating_sub(bytes));
    }

    pub(crate) fn over_budget(&self) -> bool {
        self.used_bytes() > self.max_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_budget() {
        let cache = ThreadCache::new(100);
        let shared = cache.clone();
        shared.charge(60);
        assert_eq!(cache.used_bytes(), 60);
        assert!(!cache.over_budget());
        cache.charge(50);
        assert!(shared.over_budget());
        shared.resize(200);
        assert!(!cache.over_budget());
        cache.release(500);
        assert_eq!(shared.used_bytes(), 0);
    }
}
