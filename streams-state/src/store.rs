//! The [`StateStore`] base trait every store implements.

use crate::{Result, StoreStatistics};

/// Life-cycle operations shared by all state stores.
///
/// Stores are owned by exactly one task and used from one thread at a time,
/// so writes take `&mut self` and no implementation locks.
///
/// # Transactions
///
/// Every store is transactional: writes since the last [`commit`](Self::commit)
/// are held in memory, visible to the store's own reads (merged over the
/// committed data), and become durable only when `commit` writes them, together
/// with the changelog offset they correspond to, in one atomic step.
/// [`abort`](Self::abort) discards them. A process that dies finds the store
/// at its last commit when it reopens it, with that commit's
/// [`committed_offset`](Self::committed_offset).
pub trait StateStore {
    /// The store's name, unique within a topology; also names its changelog topic
    /// and its directory.
    fn name(&self) -> &str;

    /// Whether the store keeps its contents on disk across restarts.
    fn persistent(&self) -> bool;

    /// Writes what caching layers hold down to the store below them (telling
    /// their flush listeners). Stores without a cache do nothing: making writes
    /// durable is [`commit`](Self::commit)'s job.
    fn flush(&mut self) -> Result<()>;

    /// Makes every write since the last commit durable together with
    /// `changelog_offset`, the offset of the last changelog record those writes
    /// correspond to, in one atomic write per RocksDB instance. `None` keeps the
    /// offset already committed (unlogged stores, or nothing logged since).
    /// Caches are not flushed: call [`flush`](Self::flush) first.
    fn commit(&mut self, changelog_offset: Option<i64>) -> Result<()>;

    /// Discards every write since the last commit (and what caches hold), so
    /// reads see the committed data again.
    fn abort(&mut self) -> Result<()>;

    /// The changelog offset stored by the last commit, `None` if no commit ever
    /// stored one (a new store, an unlogged one, or one written by a release
    /// that kept offsets in a `.checkpoint` file). Restoration resumes one past
    /// it. For a segmented store: the smallest offset of its live segments.
    fn committed_offset(&self) -> Result<Option<i64>>;

    /// Bytes of keys and values written since the last commit and held in
    /// memory until it (what `statestore.uncommitted.max.bytes` bounds).
    fn uncommitted_bytes(&self) -> usize;

    /// Writes down caches, commits what is uncommitted (keeping the committed
    /// offset, as `commit(None)`) and releases the store's resources. Any later
    /// operation returns [`StateStoreError::Closed`](crate::StateStoreError::Closed).
    /// Closing twice is harmless. To close without committing, call
    /// [`abort`](Self::abort) first.
    fn close(&mut self) -> Result<()>;

    /// What the store's layers know about it for metrics (cache hits and
    /// misses, RocksDB's size estimates). Default: nothing; layers that wrap
    /// a store add what they know to what it reports.
    fn statistics(&self) -> StoreStatistics {
        StoreStatistics::default()
    }
}

/// Implements [`StateStore::commit`], [`StateStore::committed_offset`] and
/// [`StateStore::uncommitted_bytes`] by forwarding to the field `$inner`, for
/// layers whose transactions are those of what they wrap.
macro_rules! forward_transactions {
    ($inner:ident) => {
        fn commit(&mut self, changelog_offset: Option<i64>) -> $crate::Result<()> {
            self.$inner.commit(changelog_offset)
        }

        fn committed_offset(&self) -> $crate::Result<Option<i64>> {
            self.$inner.committed_offset()
        }

        fn uncommitted_bytes(&self) -> usize {
            self.$inner.uncommitted_bytes()
        }
    };
}
pub(crate) use forward_transactions;

/// Implements [`StateStore::statistics`] by forwarding to the field
/// `$inner`, for layers that add nothing to what they wrap (change logging).
macro_rules! forward_statistics {
    ($inner:ident) => {
        fn statistics(&self) -> $crate::StoreStatistics {
            self.$inner.statistics()
        }
    };
}
pub(crate) use forward_statistics;
