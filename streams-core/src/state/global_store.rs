//! Global stores: one copy per instance of a whole topic (all its partitions),
//! as behind Kafka Streams' `GlobalKTable`. The instance's global thread (the
//! TopologyTestDriver in tests) writes the topic's records into it; every task
//! of every stream thread reads it, whatever partitions it owns.
//!
//! The topic is the store's changelog: records are written as they are read
//! (key bytes, the record timestamp before the value bytes, a null value
//! deletes), without deserializing them, as Kafka Streams restores global
//! stores. Readers deserialize what they look up.

use super::codec::{StoreCodec, with_timestamp};
use super::key_value_builder::KeyValueStoreBuilder;
use super::{KeyLookup, ValueAndTimestamp};
use crate::error::StreamsError;
use crate::serde::SerdeRegistry;
use crate::topology::TopologyError;
use std::any::Any;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use streams_state::{InMemoryKeyValueStore, KeyValueStore, RocksDbKeyValueStore, RocksDbShared};

/// Declares a global store of a topology: its name, the topic it holds and
/// how it is opened.
pub trait GlobalStoreBuilder: Send + Sync {
    /// The store's name: unique among all stores of the topology.
    fn name(&self) -> &str;

    /// The topic it holds, every partition of it.
    fn topic(&self) -> &str;

    /// Fills in serdes not given explicitly from the topology's defaults.
    fn resolve_serdes(&mut self, serdes: &SerdeRegistry) -> Result<(), TopologyError>;

    /// Opens the instance's copy of the store in `dir` (the global state
    /// directory of the application).
    fn open(&self, dir: &Path, rocksdb: &RocksDbShared) -> Result<OpenedGlobalStore, StreamsError>;
}

/// A global key-value store of `K` and timestamped `V`, holding `topic`: the
/// store behind `StreamsBuilder::global_table`. The key-value builder gives
/// its name, kind (persistent or in memory), serdes and RocksDB options; a
/// global store is never cached and has no changelog of its own.
pub struct GlobalTableBuilder<K, V> {
    store: KeyValueStoreBuilder<K, V>,
    topic: String,
}

impl<K, V> GlobalTableBuilder<K, V> {
    /// The global store `store` describes, holding `topic`.
    pub fn new(store: KeyValueStoreBuilder<K, V>, topic: impl Into<String>) -> Self {
        Self {
            store,
            topic: topic.into(),
        }
    }
}

impl<K: 'static, V: 'static> GlobalStoreBuilder for GlobalTableBuilder<K, V> {
    fn name(&self) -> &str {
        &self.store.name
    }

    fn topic(&self) -> &str {
        &self.topic
    }

    fn resolve_serdes(&mut self, serdes: &SerdeRegistry) -> Result<(), TopologyError> {
        self.store.resolve_own_serdes(serdes)
    }

    fn open(&self, dir: &Path, rocksdb: &RocksDbShared) -> Result<OpenedGlobalStore, StreamsError> {
        let name = self.store.name.clone();
        let inner: Box<dyn KeyValueStore + Send> = if self.store.persistent {
            Box::new(RocksDbKeyValueStore::open(
                &name,
                dir,
                &self.store.rocksdb_options(rocksdb),
            )?)
        } else {
            Box::new(InMemoryKeyValueStore::new(name.clone()))
        };
        let writer = Arc::new(GlobalStore {
            name,
            topic: self.topic.clone(),
            persistent: self.store.persistent,
            inner: Mutex::new(inner),
        });
        let mut codec = self.store.codec("")?;
        // Serdes see the topic the store holds, as for a source.
        codec.changelog_topic = self.topic.clone();
        let reader: Arc<dyn Any + Send + Sync> = Arc::new(GlobalKeyValueStore {
            store: writer.clone(),
            codec,
        });
        Ok(OpenedGlobalStore { writer, reader })
    }
}

/// The writing side of a global store, shared by the thread that keeps it
/// and the readers of every task.
pub struct GlobalStore {
    name: String,
    topic: String,
    persistent: bool,
    inner: Mutex<Box<dyn KeyValueStore + Send>>,
}

impl std::fmt::Debug for GlobalStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlobalStore")
            .field("name", &self.name)
            .field("topic", &self.topic)
            .finish_non_exhaustive()
    }
}

impl GlobalStore {
    /// The store's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The topic it holds.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Whether it keeps its contents on disk across restarts (then the
    /// thread keeping it resumes from its checkpointed offsets).
    pub fn persistent(&self) -> bool {
        self.persistent
    }

    /// The store, even if a reader panicked while holding it: every write is
    /// one call of the store, so it is never left half-done.
    fn inner(&self) -> MutexGuard<'_, Box<dyn KeyValueStore + Send>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies one record of the topic: `value` (with `timestamp`) replaces
    /// the key's row, `None` deletes it; a record without a key is skipped.
    pub(crate) fn apply(
        &self,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        timestamp: i64,
    ) -> Result<(), StreamsError> {
        let Some(key) = key else {
            tracing::debug!(store = %self.name, topic = %self.topic, "skipping a global record without a key");
            return Ok(());
        };
        let mut inner = self.inner();
        match value {
            Some(value) => {
                inner.put(key, &with_timestamp(timestamp, value))?;
            }
            None => {
                inner.delete(key)?;
            }
        }
        Ok(())
    }

    /// Makes every applied record durable (the offsets they came from are
    /// checkpointed by the caller afterwards).
    pub(crate) fn commit(&self) -> Result<(), StreamsError> {
        Ok(self.inner().commit(None)?)
    }

    /// Commits and releases the store.
    pub(crate) fn close(&self) -> Result<(), StreamsError> {
        Ok(self.inner().close()?)
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StreamsError> {
        Ok(self.inner().get(key)?)
    }
}

/// The typed, read-only view of a global store that processors look rows
/// up in (see [`ProcessorContext::global_store`](crate::processor::ProcessorContext::global_store)).
pub struct GlobalKeyValueStore<K, V> {
    store: Arc<GlobalStore>,
    codec: StoreCodec<K, V>,
}

impl<K, V> GlobalKeyValueStore<K, V> {
    /// The store's name.
    pub fn name(&self) -> &str {
        self.store.name()
    }

    /// The current row of `key` with its timestamp; `None` when there is none
    /// or the key serializes to null.
    pub fn get(&self, key: &K) -> Result<Option<ValueAndTimestamp<V>>, StreamsError> {
        Ok(self.lookup(key)?.and_then(|found| found.current))
    }

    /// The key's bytes with its current row, or `None` when the key
    /// serializes to null (it cannot have a row).
    pub fn lookup(&self, key: &K) -> Result<Option<KeyLookup<V>>, StreamsError> {
        let Some(key) = self.codec.key_bytes(key)? else {
            return Ok(None);
        };
        let current = self
            .store
            .get(&key)?
            .map(|bytes| self.codec.decode(&bytes))
            .transpose()?;
        Ok(Some(KeyLookup { key, current }))
    }
}

/// A global store as an instance opened it: the side its thread writes and
/// the typed reader tasks use.
pub struct OpenedGlobalStore {
    writer: Arc<GlobalStore>,
    /// A `GlobalKeyValueStore<K, V>` of the store's types.
    reader: Arc<dyn Any + Send + Sync>,
}

/// The global stores of an instance, shared by all of its tasks.
#[derive(Clone, Default)]
pub struct GlobalStores {
    stores: Arc<Vec<OpenedGlobalStore>>,
}

impl std::fmt::Debug for GlobalStores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.stores.iter().map(|s| s.writer.name()))
            .finish()
    }
}

impl GlobalStores {
    /// Opens every store `builders` declare in `dir`.
    pub fn open(
        builders: &[Arc<dyn GlobalStoreBuilder>],
        dir: &Path,
        rocksdb: &RocksDbShared,
    ) -> Result<Self, StreamsError> {
        let stores = builders
            .iter()
            .map(|builder| builder.open(dir, rocksdb))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            stores: Arc::new(stores),
        })
    }

    /// True when the instance has no global store.
    pub fn is_empty(&self) -> bool {
        self.stores.is_empty()
    }

    /// True when one of the stores is named `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.writers().any(|store| store.name() == name)
    }

    /// The writing side of every store.
    pub fn writers(&self) -> impl Iterator<Item = &Arc<GlobalStore>> {
        self.stores.iter().map(|s| &s.writer)
    }

    /// The store holding `topic`, if one does.
    pub fn of_topic(&self, topic: &str) -> Option<&Arc<GlobalStore>> {
        self.writers().find(|store| store.topic() == topic)
    }

    /// The typed reader of the store `name`; an error says whether no global
    /// store has that name or it holds other types.
    pub fn reader<K: 'static, V: 'static>(
        &self,
        name: &str,
    ) -> Result<&GlobalKeyValueStore<K, V>, String> {
        let opened = self
            .stores
            .iter()
            .find(|s| s.writer.name() == name)
            .ok_or_else(|| format!("no global store is named '{name}'"))?;
        opened
            .reader
            .downcast_ref::<GlobalKeyValueStore<K, V>>()
            .ok_or_else(|| {
                format!(
                    "global store '{name}' does not hold keys of {} and values of {}",
                    std::any::type_name::<K>(),
                    std::any::type_name::<V>()
                )
            })
    }

    /// Commits and closes every store.
    pub fn close(&self) -> Result<(), StreamsError> {
        self.writers().try_for_each(|store| store.close())
    }
}
