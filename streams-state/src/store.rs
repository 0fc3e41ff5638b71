//! The [`StateStore`] base trait every store implements.

use crate::Result;

/// Life-cycle operations shared by all state stores.
///
/// Stores are owned by exactly one task and used from one thread at a time,
/// so writes take `&mut self` and no implementation locks.
pub trait StateStore {
    /// The store's name, unique within a topology; also names its changelog topic
    /// and its directory.
    fn name(&self) -> &str;

    /// Whether the store keeps its contents on disk across restarts.
    fn persistent(&self) -> bool;

    /// Makes every write so far durable (for RocksDB: flushes memtables) and, for
    /// caching stores, forwards and writes down dirty cache entries.
    fn flush(&mut self) -> Result<()>;

    /// Flushes and releases the store's resources. Any later operation returns
    /// [`StateStoreError::Closed`](crate::StateStoreError::Closed).
    /// Closing twice is harmless.
    fn close(&mut self) -> Result<()>;
}
