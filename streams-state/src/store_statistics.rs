//! [`StoreStatistics`]: what a store tells about itself for metrics — the
//! hits and misses of its caching layer and RocksDB's size estimates
//! (`rocksdb.estimate-num-keys`, `rocksdb.total-sst-files-size`,
//! `rocksdb.cur-size-all-mem-tables`), gathered through its layers by
//! [`StateStore::statistics`](crate::StateStore::statistics).

use std::ops::Add;

/// Lookups a caching layer answered from its cache (hits) or passed to the
/// store below (misses), since the store was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStatistics {
    /// Reads answered from the cache.
    pub hits: u64,
    /// Reads the cache did not hold.
    pub misses: u64,
}

/// RocksDB's estimates of one store's size (summed over a segmented store's
/// segments).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RocksDbSizes {
    /// `rocksdb.estimate-num-keys`.
    pub estimated_keys: u64,
    /// `rocksdb.total-sst-files-size`, bytes.
    pub sst_files_bytes: u64,
    /// `rocksdb.cur-size-all-mem-tables`, bytes.
    pub memtable_bytes: u64,
}

/// What a store can tell about itself; `None` where no layer knows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStatistics {
    /// The caching layer's lookups, if the store is cached.
    pub cache: Option<CacheStatistics>,
    /// RocksDB's estimates, if the store is on RocksDB.
    pub rocksdb: Option<RocksDbSizes>,
}

impl Add for CacheStatistics {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        Self {
            hits: self.hits + other.hits,
            misses: self.misses + other.misses,
        }
    }
}

impl Add for RocksDbSizes {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        Self {
            estimated_keys: self.estimated_keys + other.estimated_keys,
            sst_files_bytes: self.sst_files_bytes + other.sst_files_bytes,
            memtable_bytes: self.memtable_bytes + other.memtable_bytes,
        }
    }
}

/// Sums what both sides know.
fn either<T: Add<Output = T>>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a + b),
        (a, b) => a.or(b),
    }
}

impl Add for StoreStatistics {
    type Output = Self;

    /// The statistics of two parts of one store (segments, or a cache over
    /// what it wraps).
    fn add(self, other: Self) -> Self {
        Self {
            cache: either(self.cache, other.cache),
            rocksdb: either(self.rocksdb, other.rocksdb),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_add_up_and_unknowns_stay_unknown() {
        let segment = |keys| StoreStatistics {
            cache: None,
            rocksdb: Some(RocksDbSizes {
                estimated_keys: keys,
                sst_files_bytes: 10,
                memtable_bytes: 1,
            }),
        };
        let cache = StoreStatistics {
            cache: Some(CacheStatistics { hits: 3, misses: 1 }),
            rocksdb: None,
        };
        let total = segment(2) + segment(5) + cache;
        assert_eq!(
            total,
            StoreStatistics {
                cache: Some(CacheStatistics { hits: 3, misses: 1 }),
                rocksdb: Some(RocksDbSizes {
                    estimated_keys: 7,
                    sst_files_bytes: 20,
                    memtable_bytes: 2,
                }),
            }
        );
        assert_eq!(
            StoreStatistics::default() + StoreStatistics::default(),
            StoreStatistics::default()
        );
    }
}
