//! Declaring stores: a builder per store, opened once per task.

use crate::error::StreamsError;
use crate::serde::SerdeRegistry;
use crate::task::TaskId;
use crate::topology::TopologyError;
use std::any::Any;
use std::path::Path;
use std::rc::Rc;
use streams_state::{ChangelogSink, KeyValueUpdate, ThreadCache};

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
pub trait TaskStore: Any {
    /// Makes writes durable (and, for caching stores, writes the cache down).
    fn flush(&mut self) -> Result<(), StreamsError>;

    /// Flushes and releases the store.
    fn close(&mut self) -> Result<(), StreamsError>;

    /// The store as `Any`, so a processor can reach its concrete type.
    fn as_any_mut(&mut self) -> &mut dyn Any;

    /// Whether its contents survive a restart, so that a checkpoint can say how
    /// far its changelog was applied; stores that are not persistent are
    /// restored from the start of their changelog every time.
    fn persistent(&self) -> bool;

    /// Applies records of its changelog (binary keys, `None` values deleting)
    /// during restoration, bypassing caching and logging.
    fn restore_batch(&mut self, records: &[KeyValueUpdate]) -> Result<(), StreamsError>;
}
