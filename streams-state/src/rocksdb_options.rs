//! [`RocksDbOptions`]: the tuning knobs of RocksDB-backed stores.

use rocksdb::{BlockBasedOptions, Cache, DBCompressionType, Options};

/// Tuning for RocksDB-backed stores.
///
/// Stores are built without compression (the crate is compiled without the
/// compression libraries) and with a bounded LRU block cache. A segmented store
/// shares one block cache between all its segments.
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RocksDbOptions {
    /// Size in bytes of one memtable before it is flushed to disk.
    pub write_buffer_size: usize,
    /// Maximum number of memtables held in memory per instance.
    pub max_write_buffer_number: i32,
    /// Capacity in bytes of the LRU block cache of one store.
    pub block_cache_size: usize,
    /// Block size in bytes of the block-based table format.
    pub block_size: usize,
    /// Maximum number of open files per instance (`-1` = unlimited).
    pub max_open_files: i32,
}

impl Default for RocksDbOptions {
    fn default() -> Self {
        Self {
            write_buffer_size: 16 * 1024 * 1024,
            max_write_buffer_number: 3,
            block_cache_size: 16 * 1024 * 1024,
            block_size: 4 * 1024,
            max_open_files: -1,
        }
    }
}

impl RocksDbOptions {
    /// Builds RocksDB options (with a fresh block cache) from these settings.
    pub(crate) fn to_rocksdb(&self) -> Options {
        let cache = Cache::new_lru_cache(self.block_cache_size);
        let mut table = BlockBasedOptions::default();
        table.set_block_cache(&cache);
        table.set_block_size(self.block_size);
        let mut options = Options::default();
        options.create_if_missing(true);
        options.set_compression_type(DBCompressionType::None);
        options.set_bottommost_compression_type(DBCompressionType::None);
        options.set_write_buffer_size(self.write_buffer_size);
        options.set_max_write_buffer_number(self.max_write_buffer_number);
        options.set_max_open_files(self.max_open_files);
        options.set_block_based_table_factory(&table);
        options
    }
}
