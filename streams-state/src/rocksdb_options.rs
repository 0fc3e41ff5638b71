//! [`RocksDbOptions`]: the tuning knobs of RocksDB-backed stores, and
//! [`RocksDbShared`], what the stores of one application instance share (one
//! block cache, one write buffer manager, the options setter).

use std::sync::Arc;

use rocksdb::{BlockBasedOptions, Cache, DBCompressionType, Options, WriteBufferManager};

/// Tuning for RocksDB-backed stores.
///
/// Stores are built without compression (the crate is compiled without the
/// compression libraries). Without [`shared`](Self::shared) memory each store
/// (a segmented store: all its segments) gets its own LRU block cache of
/// `block_cache_size`; with it, every store uses the one shared cache and write
/// buffer manager instead.
///
/// ```
/// use streams_state::RocksDbOptions;
///
/// let options = RocksDbOptions {
///     write_buffer_size: 4 * 1024 * 1024,
///     ..RocksDbOptions::default()
/// };
/// assert_eq!(options.max_write_buffer_number, 3);
/// ```
#[derive(Debug, Clone)]
pub struct RocksDbOptions {
    /// Size in bytes of one memtable before it is flushed to disk.
    pub write_buffer_size: usize,
    /// Maximum number of memtables held in memory per instance.
    pub max_write_buffer_number: i32,
    /// Capacity in bytes of the LRU block cache of one store, when no shared
    /// cache is given.
    pub block_cache_size: usize,
    /// Block size in bytes of the block-based table format.
    pub block_size: usize,
    /// Maximum number of open files per instance (`-1` = unlimited).
    pub max_open_files: i32,
    /// The instance-wide block cache, write buffer manager and options setter.
    /// A task opening a store sets it to its instance's.
    pub shared: RocksDbShared,
}

impl Default for RocksDbOptions {
    fn default() -> Self {
        Self {
            write_buffer_size: 16 * 1024 * 1024,
            max_write_buffer_number: 3,
            block_cache_size: 16 * 1024 * 1024,
            block_size: 4 * 1024,
            max_open_files: -1,
            shared: RocksDbShared::default(),
        }
    }
}

impl RocksDbOptions {
    /// Builds the RocksDB options of the store `store` from these settings:
    /// the shared cache and write buffer manager if there are, a fresh cache
    /// otherwise, then the options setter if one is set.
    pub(crate) fn to_rocksdb(&self, store: &str) -> Options {
        let mut table = BlockBasedOptions::default();
        table.set_block_size(self.block_size);
        let mut options = Options::default();
        match &self.shared.memory {
            Some(memory) => {
                table.set_block_cache(&memory.cache);
                // Index and filter blocks count against the bound as well.
                table.set_cache_index_and_filter_blocks(true);
                table.set_pin_l0_filter_and_index_blocks_in_cache(true);
                options.set_write_buffer_manager(&memory.write_buffers);
            }
            None => table.set_block_cache(&Cache::new_lru_cache(self.block_cache_size)),
        }
        options.create_if_missing(true);
        options.set_compression_type(DBCompressionType::None);
        options.set_bottommost_compression_type(DBCompressionType::None);
        options.set_write_buffer_size(self.write_buffer_size);
        options.set_max_write_buffer_number(self.max_write_buffer_number);
        options.set_max_open_files(self.max_open_files);
        options.set_block_based_table_factory(&table);
        if let Some(setter) = &self.shared.config_setter {
            setter.set_config(store, &mut options);
        }
        options
    }
}

/// Sets RocksDB options per store, as Kafka Streams' `rocksdb.config.setter`
/// does: called with the store's name and its options each time a store opens
/// its RocksDB instance (a segmented store once, its segments sharing the
/// options), after the framework's own settings. Any `Fn(&str, &mut Options)`
/// closure is a setter.
///
/// Changing the block-based table factory replaces the shared block cache; the
/// write-ahead log must stay on for commits to survive a killed process (see
/// [`RocksDbKeyValueStore`](crate::RocksDbKeyValueStore)).
pub trait RocksDbConfigSetter: Send + Sync {
    /// Adjusts `options` of the store `store`.
    fn set_config(&self, store: &str, options: &mut Options);
}

impl<F: Fn(&str, &mut Options) + Send + Sync> RocksDbConfigSetter for F {
    fn set_config(&self, store: &str, options: &mut Options) {
        self(store, options)
    }
}

#[derive(Clone)]
struct SharedMemory {
    cache: Cache,
    write_buffers: WriteBufferManager,
}

/// What the RocksDB stores of one application instance share: one LRU block
/// cache with one write buffer manager charged to it (Kafka Streams'
/// bounded-memory recipe: memtables count against the cache, so the cache
/// capacity bounds both), and an optional [`RocksDbConfigSetter`]. Cheap to
/// clone: clones share the same cache.
///
/// The default shares nothing: each store gets its own cache, without bound on
/// the whole.
///
/// ```
/// use streams_state::{KeyValueStore, RocksDbKeyValueStore, RocksDbOptions, RocksDbShared,
///     StateStore};
///
/// let shared = RocksDbShared::bounded(64 * 1024 * 1024, 16 * 1024 * 1024)
///     .with_config_setter(|store: &str, options: &mut rocksdb::Options| {
///         if store == "big" {
///             options.set_max_write_buffer_number(4);
///         }
///     });
/// let options = RocksDbOptions { shared, ..RocksDbOptions::default() };
/// let dir = tempfile::tempdir()?;
/// let mut store = RocksDbKeyValueStore::open("big", dir.path(), &options)?;
/// store.put(b"k", b"v")?;
/// store.commit(None)?;
/// assert!(options.shared.write_buffer_usage().unwrap() > 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct RocksDbShared {
    memory: Option<SharedMemory>,
    config_setter: Option<Arc<dyn RocksDbConfigSetter>>,
}

impl std::fmt::Debug for RocksDbShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocksDbShared")
            .field("bounded", &self.memory.is_some())
            .field(
                "write_buffer_bytes",
                &self
                    .memory
                    .as_ref()
                    .map(|m| m.write_buffers.get_buffer_size()),
            )
            .field("config_setter", &self.config_setter.is_some())
            .finish()
    }
}

impl RocksDbShared {
    /// One LRU block cache of `block_cache_bytes` and one write buffer manager
    /// limiting all memtables to `write_buffer_bytes`, charged to the cache.
    /// Writers are not stalled at the limit: the manager makes the stores
    /// flush memtables instead.
    pub fn bounded(block_cache_bytes: usize, write_buffer_bytes: usize) -> Self {
        let cache = Cache::new_lru_cache(block_cache_bytes);
        let write_buffers = WriteBufferManager::new_write_buffer_manager_with_cache(
            write_buffer_bytes,
            false,
            cache.clone(),
        );
        Self {
            memory: Some(SharedMemory {
                cache,
                write_buffers,
            }),
            config_setter: None,
        }
    }

    /// The same resources, with `setter` called for every store opened.
    pub fn with_config_setter(mut self, setter: impl RocksDbConfigSetter + 'static) -> Self {
        self.config_setter = Some(Arc::new(setter));
        self
    }

    /// The same resources, with a setter shared with other owners.
    pub fn with_shared_config_setter(mut self, setter: Arc<dyn RocksDbConfigSetter>) -> Self {
        self.config_setter = Some(setter);
        self
    }

    /// Bytes in the shared block cache (blocks and the memtables charged to
    /// it); `None` without shared memory.
    pub fn block_cache_usage(&self) -> Option<usize> {
        self.memory.as_ref().map(|memory| memory.cache.get_usage())
    }

    /// Bytes of all memtables, as the write buffer manager counts them; `None`
    /// without shared memory.
    pub fn write_buffer_usage(&self) -> Option<usize> {
        self.memory
            .as_ref()
            .map(|memory| memory.write_buffers.get_usage())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::{
        KeyValueStore, RocksDbKeyValueStore, SegmentedWindowStore, StateStore, WindowStore,
    };

    #[test]
    fn the_setter_is_called_once_per_store_with_its_name() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        let shared = RocksDbShared::bounded(8 << 20, 4 << 20).with_config_setter(
            move |store: &str, options: &mut Options| {
                record.lock().unwrap().push(store.to_owned());
                options.set_max_write_buffer_number(2);
            },
        );
        let options = RocksDbOptions {
            shared,
            ..RocksDbOptions::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let _counts = RocksDbKeyValueStore::open("counts", dir.path(), &options).unwrap();
        let _totals = RocksDbKeyValueStore::open("totals", dir.path(), &options).unwrap();
        let mut windows =
            SegmentedWindowStore::rocksdb("windows", dir.path(), 600_000, false, &options).unwrap();
        windows.put(b"k", Some(b"v"), 0).unwrap();
        windows.put(b"k", Some(b"v"), 300_000).unwrap();
        assert_eq!(
            *seen.lock().unwrap(),
            vec![
                "counts".to_owned(),
                "totals".to_owned(),
                "windows".to_owned()
            ]
        );
    }

    #[test]
    fn stores_share_one_block_cache_and_write_buffer_manager() {
        let shared = RocksDbShared::bounded(64 << 20, 16 << 20);
        let options = RocksDbOptions {
            shared: shared.clone(),
            ..RocksDbOptions::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let mut first = RocksDbKeyValueStore::open("first", dir.path(), &options).unwrap();
        let mut second = RocksDbKeyValueStore::open("second", dir.path(), &options).unwrap();
        let memtables = shared.write_buffer_usage().unwrap();
        let value = vec![7u8; 1024];
        for i in 0..2_000u32 {
            first.put(&i.to_be_bytes(), &value).unwrap();
        }
        first.commit(None).unwrap();
        let after_first = shared.write_buffer_usage().unwrap();
        for i in 0..2_000u32 {
            second.put(&i.to_be_bytes(), &value).unwrap();
        }
        second.commit(None).unwrap();
        let after_second = shared.write_buffer_usage().unwrap();
        assert!(
            after_first > memtables && after_second > after_first,
            "both stores' memtables count in the one manager: {memtables} {after_first} {after_second}"
        );
        // Memtables are charged to the block cache.
        assert!(shared.block_cache_usage().unwrap() >= after_second / 2);
        let capacity = |store: &RocksDbKeyValueStore| {
            store
                .committed()
                .property_int("rocksdb.block-cache-capacity")
                .unwrap()
        };
        assert_eq!(capacity(&first), Some(64 << 20));
        assert_eq!(capacity(&second), Some(64 << 20));
        let usage = |store: &RocksDbKeyValueStore| {
            store
                .committed()
                .property_int("rocksdb.block-cache-usage")
                .unwrap()
        };
        assert_eq!(usage(&first), usage(&second), "one cache seen from both");
    }

    #[test]
    fn without_shared_memory_each_store_has_its_own_cache() {
        let options = RocksDbOptions {
            block_cache_size: 3 << 20,
            ..RocksDbOptions::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let store = RocksDbKeyValueStore::open("own", dir.path(), &options).unwrap();
        assert_eq!(
            store
                .committed()
                .property_int("rocksdb.block-cache-capacity")
                .unwrap(),
            Some(3 << 20)
        );
        assert_eq!(RocksDbShared::default().block_cache_usage(), None);
    }
}
