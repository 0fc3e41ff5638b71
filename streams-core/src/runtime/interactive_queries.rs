//! Interactive queries: read a running application's materialized key-value
//! stores from any thread, as Kafka Streams' `store(StoreQueryParameters)`
//! allows. A key is served by the local task of its partition, found with the
//! partitioner that wrote the store's input: the custom one of the sink that
//! feeds it, or else the default (murmur2 of the key as the store's key serde
//! serializes it). All entries and ranges come from every local task of the
//! store.

use super::query_router::{QueryRouter, TaskAvailability};
use super::thread_shared::ThreadShared;
use super::{KafkaStreams, QueryError, RuntimeError};
use crate::partitioner::default_partition;
use crate::serde::SerdeRef;
use crate::state::{TimestampedKeyValueStore, VersionedKeyValueStore, VersionedRecord};
use crate::task::{StreamTask, TaskId};
use std::sync::Arc;
use std::time::Duration;

/// Longest a query waits for the stream thread that owns the task. A thread
/// answers between records, so this only runs out if it is stuck.
const QUERY_TIMEOUT: Duration = Duration::from_secs(30);

impl KafkaStreams {
    /// The current value of `key` in the key-value store `store` (typed as the
    /// topology materializes it), or `None` when the store has no such key.
    ///
    /// The owning stream thread answers between record batches; an idle thread
    /// answers once its poll returns, so within `poll.ms`.
    ///
    /// Fails when the key's partition is not hosted by this instance
    /// ([`QueryError::NotHosted`]), while its task restores
    /// ([`QueryError::Restoring`]), and before `start` or after `close`. A
    /// global store (of a `GlobalKTable`) answers from this instance's own
    /// copy, whatever the key.
    pub fn query_key_value<K, V>(&self, store: &str, key: &K) -> Result<Option<V>, RuntimeError>
    where
        K: Clone + Send + 'static,
        V: Send + 'static,
    {
        let shared = self.queryable("query a state store")?;
        if shared.global_stores.contains(store) {
            // Every instance holds every row of a global store.
            let reader = shared.global_stores.reader::<K, V>(store).map_err(|_| {
                QueryError::UnknownStore {
                    store: store.to_string(),
                    types: format!(
                        "({}, {})",
                        std::any::type_name::<K>(),
                        std::any::type_name::<V>()
                    ),
                }
            })?;
            let row = reader.get(key).map_err(|source| QueryError::Store {
                store: store.to_string(),
                source: Box::new(source),
            })?;
            return Ok(row.map(|row| row.value));
        }
        let task = self.task_of_key::<K, V>(shared, store, key)?;
        let key = key.clone();
        let name = store.to_string();
        let answer =
            shared
                .queries
                .ask(store, task, QUERY_TIMEOUT, move |task: &mut StreamTask| {
                    let found = typed_store::<K, V>(task, &name)?;
                    found
                        .get(&key)
                        .map(|entry| entry.map(|entry| entry.value))
                        .map_err(|source| QueryError::Store {
                            store: name.clone(),
                            source: Box::new(source),
                        })
                })?;
        Ok(answer)
    }

    /// The local task serving `key` of the key-value or versioned store
    /// `store`: the partition its input's partitioner (or the default one)
    /// puts the key in.
    fn task_of_key<K: 'static, V: 'static>(
        &self,
        shared: &ThreadShared,
        store: &str,
        key: &K,
    ) -> Result<TaskId, RuntimeError> {
        let (serde, subtopology) = self.key_serde_of::<K, V>(store)?;
        let key_bytes = serde
            .serialize(key)
            .map_err(|source| QueryError::KeySerde {
                store: store.to_string(),
                source: Box::new(source),
            })?;
        let partitions = shared
            .plan
            .subtopology(subtopology)
            .map_or(1, |plan| plan.partitions);
        let custom = self
            .topology
            .input_partitioner::<K>(subtopology)
            .map_err(|sink| QueryError::PartitionerKeyType {
                store: store.to_string(),
                sink,
            })?
            .and_then(|(partitioner, topic)| {
                partitioner(
                    &topic.resolve(self.config().application_id()),
                    key,
                    partitions,
                )
            });
        let task = TaskId {
            subtopology,
            partition: custom.unwrap_or_else(|| default_partition(&key_bytes, partitions)),
        };
        Ok(task)
    }

    /// The version of `key` in the versioned store `store` valid at `as_of`
    /// (Kafka Streams' `VersionedKeyQuery` with `asOf`), or its latest
    /// version when `as_of` is `None`. Served, and failing, as
    /// [`query_key_value`](Self::query_key_value) (global stores are never
    /// versioned).
    pub fn query_versioned<K, V>(
        &self,
        store: &str,
        key: &K,
        as_of: Option<i64>,
    ) -> Result<Option<VersionedRecord<V>>, RuntimeError>
    where
        K: Clone + Send + 'static,
        V: Send + 'static,
    {
        let shared = self.queryable("query a state store")?;
        let task = self.task_of_key::<K, V>(shared, store, key)?;
        let key = key.clone();
        let name = store.to_string();
        let answer =
            shared
                .queries
                .ask(store, task, QUERY_TIMEOUT, move |task: &mut StreamTask| {
                    let found = task
                        .state_store::<VersionedKeyValueStore<K, V>>(&name)
                        .ok_or_else(|| unknown_store::<K, V>(&name))?;
                    match as_of {
                        Some(as_of) => found.get_as_of(&key, as_of),
                        None => found.get(&key),
                    }
                    .map_err(|source| QueryError::Store {
                        store: name.clone(),
                        source: Box::new(source),
                    })
                })?;
        Ok(answer)
    }

    /// Every entry of the key-value store `store` this instance hosts, task by
    /// task in partition order, each task's entries in the byte order of their
    /// serialized keys. Fails while one of its local tasks restores.
    pub fn query_key_value_all<K, V>(&self, store: &str) -> Result<Vec<(K, V)>, RuntimeError>
    where
        K: Send + 'static,
        V: Send + 'static,
    {
        self.query_local_tasks::<K, V>(store, |found| found.all())
    }

    /// The entries with `from <= key <= to` (compared as serialized keys) of the
    /// key-value store `store` this instance hosts, ordered as
    /// [`query_key_value_all`](Self::query_key_value_all).
    pub fn query_key_value_range<K, V>(
        &self,
        store: &str,
        from: &K,
        to: &K,
    ) -> Result<Vec<(K, V)>, RuntimeError>
    where
        K: Clone + Send + 'static,
        V: Send + 'static,
    {
        let (from, to) = (from.clone(), to.clone());
        self.query_local_tasks::<K, V>(store, move |found| found.range(&from, &to))
    }

    fn query_local_tasks<K, V>(
        &self,
        store: &str,
        read: impl Fn(
            &TimestampedKeyValueStore<K, V>,
        ) -> Result<
            Vec<(K, crate::state::ValueAndTimestamp<V>)>,
            crate::error::StreamsError,
        > + Clone
        + Send
        + 'static,
    ) -> Result<Vec<(K, V)>, RuntimeError>
    where
        K: Send + 'static,
        V: Send + 'static,
    {
        let shared = self.queryable("query a state store")?;
        let (_, subtopology) = self.key_serde_of::<K, V>(store)?;
        let router: &QueryRouter = &shared.queries;
        let tasks = router.local_tasks(subtopology);
        if let Some((task, _)) = tasks
            .iter()
            .find(|(_, state)| *state == TaskAvailability::Restoring)
        {
            return Err(QueryError::Restoring {
                store: store.to_string(),
                partition: task.partition,
            }
            .into());
        }
        let mut entries = Vec::new();
        for (task, _) in tasks {
            let name = store.to_string();
            let read = read.clone();
            let found = router.ask(store, task, QUERY_TIMEOUT, move |task: &mut StreamTask| {
                let found = typed_store::<K, V>(task, &name)?;
                read(found).map_err(|source| QueryError::Store {
                    store: name.clone(),
                    source: Box::new(source),
                })
            })?;
            entries.extend(found.into_iter().map(|(key, entry)| (key, entry.value)));
        }
        Ok(entries)
    }

    /// The threads' shared state, if the instance can answer queries.
    fn queryable(&self, operation: &'static str) -> Result<&Arc<ThreadShared>, RuntimeError> {
        let state = self.state();
        match &self.shared {
            Some(shared) if state.is_running_or_rebalancing() => Ok(shared),
            _ => Err(RuntimeError::IllegalState {
                operation,
                state,
                hint: "stores are queryable between start() and close()",
            }),
        }
    }

    /// The key serde of the key-value store `store` and the sub-topology owning it.
    fn key_serde_of<K: 'static, V: 'static>(
        &self,
        store: &str,
    ) -> Result<(SerdeRef<K>, u32), QueryError> {
        self.topology
            .store_owner(store)
            .and_then(|(builder, subtopology)| {
                builder
                    .queryable_key_serde()
                    .and_then(|serde| serde.downcast_ref::<SerdeRef<K>>())
                    .map(|serde| (serde.clone(), subtopology))
            })
            .ok_or_else(|| unknown_store::<K, V>(store))
    }
}

fn typed_store<'a, K: 'static, V: 'static>(
    task: &'a mut StreamTask,
    store: &str,
) -> Result<&'a TimestampedKeyValueStore<K, V>, QueryError> {
    task.state_store::<TimestampedKeyValueStore<K, V>>(store)
        .map(|found| &*found)
        .ok_or_else(|| unknown_store::<K, V>(store))
}

fn unknown_store<K, V>(store: &str) -> QueryError {
    QueryError::UnknownStore {
        store: store.to_string(),
        types: format!(
            "{} -> {}",
            std::any::type_name::<K>(),
            std::any::type_name::<V>()
        ),
    }
}
