//! Declaring stores: a builder per store, opened once per task.

use crate::error::StreamsError;
use crate::serde::SerdeRegistry;
use crate::task::TaskId;
use crate::topology::TopologyError;
use std::any::Any;
use std::path::Path;
use std::rc::Rc;
use streams_state::{
    ChangelogSink, KeyValueUpdate, RocksDbShared, StateStore, StoreStatistics, ThreadCache,
};

/// What a task needs to open its instance of a store.
#[derive(Clone)]
pub struct StoreInit<'a> {
    /// The task opening it.
    pub task_id: TaskId,
    /// The task's own state directory (`<state.dir>/<application.id>/<task>`);
    /// persistent stores live in a sub-directory named after themselves.
    pub task_dir: &'a Path,
    /// The application id.
    pub application_id: &'a str,
    /// Where a logged store mirrors its writes; the task sends them to the
    /// store's changelog topic, in the task's partition.
    pub changelog: Rc<dyn ChangelogSink>,
    /// The thread's write cache (`cache.max.bytes`), shared by its caching stores.
    pub cache: ThreadCache,
    /// The instance's RocksDB block cache, write buffer manager and options
    /// setter, for every RocksDB store it opens.
    pub rocksdb: &'a RocksDbShared,
}

/// How a store's changes are logged: to `<application.id>-<store>-changelog`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangelogSpec {
    /// Topic configs for the changelog topic (e.g. `cleanup.policy=compact`).
    pub topic_configs: Vec<(String, String)>,
}

/// Declares a store of a topology and opens it for each task.
///
/// The DSL declares its stores through `Materialized`; the Processor API adds any
/// builder with `TopologyBuilder::add_state_store`, connects it to processors, and
/// the processors reach their task's instance through
/// [`ProcessorContext::state_store`](crate::processor::ProcessorContext::state_store).
pub trait StoreBuilder: Send + Sync {
    /// The store's name: unique in the topology, part of its changelog topic name.
    fn name(&self) -> &str;

    /// How it is logged, or `None` when logging is off.
    fn changelog(&self) -> Option<ChangelogSpec>;

    /// Fills in serdes not given explicitly from the topology's defaults; called
    /// once by `build()`, which reports a missing serde as a topology error.
    fn resolve_serdes(&mut self, serdes: &SerdeRegistry) -> Result<(), TopologyError> {
        let _ = serdes;
        Ok(())
    }

    /// Opens the store for one task.
    fn open(&self, init: StoreInit<'_>) -> Result<Box<dyn TaskStore>, StreamsError>;

    /// The resolved key serde (a `SerdeRef<K>`) of a store that interactive
    /// queries can read by key, so a query finds the partition of its key;
    /// `None` for other stores.
    fn queryable_key_serde(&self) -> Option<&dyn Any> {
        None
    }
}

/// An opened store, owned by one task.
///
/// The framework's stores are transactional (see
/// [`StateStore`](streams_state::StateStore)): writes since the last
/// [`commit`](Self::commit) are held in memory and read back, and become
/// durable with the changelog offset they correspond to only at the commit. A
/// custom store implements the five required methods; the transaction methods'
/// defaults suit a store that makes its writes durable itself (no offset is
/// stored, so a logged custom store restores from the start of its changelog).
pub trait TaskStore: Any {
    /// Writes caches down (forwarding and logging what they held); for the
    /// framework's stores this makes nothing durable, [`commit`](Self::commit)
    /// does.
    fn flush(&mut self) -> Result<(), StreamsError>;

    /// Writes caches down, commits what is uncommitted (offset unchanged) and
    /// releases the store; [`abort`](Self::abort) first to close without
    /// committing.
    fn close(&mut self) -> Result<(), StreamsError>;

    /// The store as `Any`, so a processor can reach its concrete type.
    fn as_any_mut(&mut self) -> &mut dyn Any;

    /// Whether its contents survive a restart, so that its committed offset
    /// says how far its changelog was applied; stores that are not persistent
    /// are restored from the start of their changelog every time.
    fn persistent(&self) -> bool;

    /// Applies records of its changelog (binary keys, `None` values deleting)
    /// during restoration, bypassing caching and logging, as uncommitted writes
    /// (the task commits them with the last record's offset).
    fn restore_batch(&mut self, records: &[KeyValueUpdate]) -> Result<(), StreamsError>;

    /// Makes the writes since the last commit durable with `changelog_offset`
    /// (`None`: the committed offset stays as it is). Default: nothing to do.
    fn commit(&mut self, changelog_offset: Option<i64>) -> Result<(), StreamsError> {
        let _ = changelog_offset;
        Ok(())
    }

    /// Drops caches and the writes since the last commit. Default: nothing.
    fn abort(&mut self) -> Result<(), StreamsError> {
        Ok(())
    }

    /// The changelog offset of the last commit, if one was stored. Default:
    /// none.
    fn committed_offset(&self) -> Result<Option<i64>, StreamsError> {
        Ok(None)
    }

    /// Bytes held for writes since the last commit. Default: 0.
    fn uncommitted_bytes(&self) -> usize {
        0
    }

    /// What the store tells about itself for metrics. Default: nothing.
    fn statistics(&self) -> StoreStatistics {
        StoreStatistics::default()
    }
}

/// A typed store over one of `streams-state`'s byte stores: its [`TaskStore`]
/// life cycle is the byte store's.
pub trait ByteStoreFacade: Any {
    /// The byte store under the typed facade (outermost layer: cache, if any).
    fn byte_store(&self) -> &dyn StateStore;

    /// The byte store, mutably.
    fn byte_store_mut(&mut self) -> &mut dyn StateStore;

    /// Applies changelog records to the byte store, uncommitted.
    fn restore_records(&mut self, records: &[KeyValueUpdate]) -> Result<(), StreamsError>;

    /// Called after the byte store was flushed, for what the facade keeps
    /// between flushes. The default keeps nothing.
    fn flushed(&mut self) {}
}

impl<T: ByteStoreFacade> TaskStore for T {
    fn flush(&mut self) -> Result<(), StreamsError> {
        self.byte_store_mut().flush()?;
        self.flushed();
        Ok(())
    }

    fn close(&mut self) -> Result<(), StreamsError> {
        Ok(self.byte_store_mut().close()?)
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn persistent(&self) -> bool {
        self.byte_store().persistent()
    }

    fn restore_batch(&mut self, records: &[KeyValueUpdate]) -> Result<(), StreamsError> {
        self.restore_records(records)
    }

    fn commit(&mut self, changelog_offset: Option<i64>) -> Result<(), StreamsError> {
        Ok(self.byte_store_mut().commit(changelog_offset)?)
    }

    fn abort(&mut self) -> Result<(), StreamsError> {
        Ok(self.byte_store_mut().abort()?)
    }

    fn committed_offset(&self) -> Result<Option<i64>, StreamsError> {
        Ok(self.byte_store().committed_offset()?)
    }

    fn uncommitted_bytes(&self) -> usize {
        self.byte_store().uncommitted_bytes()
    }

    fn statistics(&self) -> StoreStatistics {
        self.byte_store().statistics()
    }
}
