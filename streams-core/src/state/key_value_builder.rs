//! Declares a typed key-value store: RocksDB or in-memory, logged or not.

use super::codec::StoreCodec;
use super::{
    ChangelogSpec, SessionStoreBuilder, StoreBuilder, StoreInit, TaskStore,
    TimestampedKeyValueStore, VersionedStoreBuilder, WindowStoreBuilder,
};
use crate::error::{RecordPart, StreamsError};
use crate::serde::{Serde, SerdeRef, SerdeRegistry};
use crate::topology::{TopologyError, changelog_topic};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use streams_state::{
    Caching, CachingKind, ChangeLogging, ChangelogSink, InMemoryKeyValueStore, KeyValueStore,
    RocksDbKeyValueStore, RocksDbOptions, RocksDbShared,
};

/// A key-value store of `K` to `V` (with timestamps) for the Processor API or the
/// DSL: persistent (RocksDB) or in-memory, logged to a compacted changelog topic
/// unless logging is disabled.
///
/// ```
/// use streams_core::state::KeyValueStoreBuilder;
/// use streams_core::serde::StringSerde;
/// let counts = KeyValueStoreBuilder::<String, i64>::persistent("counts")
///     .with_key_serde(StringSerde)
///     .with_changelog_config("min.insync.replicas", "2");
/// ```
pub struct KeyValueStoreBuilder<K, V> {
    pub(crate) name: String,
    pub(crate) persistent: bool,
    pub(crate) logging: Option<ChangelogSpec>,
    pub(crate) key_serde: Option<SerdeRef<K>>,
    pub(crate) value_serde: Option<SerdeRef<V>>,
    pub(crate) rocksdb: RocksDbOptions,
    pub(crate) caching: bool,
    /// Whether the cache reads old values for the owning processor (read when
    /// a task opens the store, so the DSL can turn it off after declaring it).
    pub(crate) send_old_values: Arc<AtomicBool>,
}

impl<K, V> KeyValueStoreBuilder<K, V> {
    fn new(name: impl Into<String>, persistent: bool) -> Self {
        Self {
            name: name.into(),
            persistent,
            logging: Some(ChangelogSpec {
                topic_configs: vec![("cleanup.policy".into(), "compact".into())],
            }),
            key_serde: None,
            value_serde: None,
            rocksdb: RocksDbOptions::default(),
            caching: false,
            send_old_values: Arc::new(AtomicBool::new(true)),
        }
    }

    /// A RocksDB-backed store.
    pub fn persistent(name: impl Into<String>) -> Self {
        Self::new(name, true)
    }

    /// An in-memory store (restored from its changelog on every start).
    pub fn in_memory(name: impl Into<String>) -> Self {
        Self::new(name, false)
    }

    /// The key serde (default: the topology's default for `K`).
    pub fn with_key_serde(mut self, serde: impl Serde<K> + 'static) -> Self {
        self.key_serde = Some(Arc::new(serde));
        self
    }

    /// The value serde (default: the topology's default for `V`).
    pub fn with_value_serde(mut self, serde: impl Serde<V> + 'static) -> Self {
        self.value_serde = Some(Arc::new(serde));
        self
    }

    /// Shared serdes, as the DSL passes them on.
    pub fn with_serdes(mut self, key: Option<SerdeRef<K>>, value: Option<SerdeRef<V>>) -> Self {
        self.key_serde = key.or(self.key_serde);
        self.value_serde = value.or(self.value_serde);
        self
    }

    /// No changelog: the store cannot be restored after a failure or a move.
    pub fn with_logging_disabled(mut self) -> Self {
        self.logging = None;
        self
    }

    /// Adds a changelog topic config (logging stays on).
    pub fn with_changelog_config(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        if let Some(spec) = &mut self.logging {
            spec.topic_configs.push((key.into(), value.into()));
        }
        self
    }

    /// Puts a write cache in front of the store (sharing the thread's
    /// `cache.max.bytes`): repeated updates of a key between commits are collapsed,
    /// in the store and in what the owning processor forwards.
    pub fn with_caching(mut self, enabled: bool) -> Self {
        self.caching = enabled;
        self
    }

    /// Whether the write cache reads each flushed key's old value from the store
    /// to hand downstream (Kafka Streams' `sendOldValues`, the default). The
    /// DSL keeps a handle on this flag and clears it for aggregations whose
    /// downstream reads only new values; the value when a task opens the store
    /// counts.
    pub fn with_send_old_values_flag(mut self, flag: Arc<AtomicBool>) -> Self {
        self.send_old_values = flag;
        self
    }

    /// The same store as a window store: one value per key and window of
    /// `window_size`, windows kept for `retention` (at least the window size) and
    /// dropped a segment at a time; its changelog compacts and deletes.
    pub fn windowed(
        self,
        window_size: std::time::Duration,
        retention: std::time::Duration,
    ) -> WindowStoreBuilder<K, V> {
        WindowStoreBuilder::new(self, window_size, retention)
    }

    /// The same store as a session store: one value per key and session (the
    /// interval from a burst's first to its last record), sessions kept for
    /// `retention` after they end and dropped a segment at a time; its changelog
    /// compacts and deletes.
    pub fn sessions(self, retention: std::time::Duration) -> SessionStoreBuilder<K, V> {
        SessionStoreBuilder::new(self, retention)
    }

    /// The same store as a versioned store: every version of a key's value
    /// kept for `history_retention` after a newer one replaced it, so it can
    /// be read as of a past time (Kafka Streams' versioned stores, KIP-889).
    /// Versioned stores are never cached.
    pub fn versioned(self, history_retention: std::time::Duration) -> VersionedStoreBuilder<K, V> {
        VersionedStoreBuilder::new(self, history_retention)
    }

    /// RocksDB tuning for a persistent store. The instance's shared block
    /// cache, write buffer manager and options setter replace
    /// [`RocksDbOptions::shared`] when a task opens the store.
    pub fn with_rocksdb_options(mut self, options: RocksDbOptions) -> Self {
        self.rocksdb = options;
        self
    }

    /// This store's RocksDB tuning with the instance's shared resources.
    pub(crate) fn rocksdb_options(&self, shared: &RocksDbShared) -> RocksDbOptions {
        RocksDbOptions {
            shared: shared.clone(),
            ..self.rocksdb.clone()
        }
    }
}

/// Fills an unset serde of a store from the topology's defaults.
pub(super) fn resolve<T: 'static>(
    slot: &mut Option<SerdeRef<T>>,
    serdes: &SerdeRegistry,
    store: &str,
    part: RecordPart,
) -> Result<(), TopologyError> {
    if slot.is_none() {
        *slot = Some(
            serdes
                .get::<T>()
                .ok_or_else(|| TopologyError::MissingSerde {
                    node: format!("store {store}"),
                    topic: format!("'{store}' changelog"),
                    part,
                    type_name: std::any::type_name::<T>(),
                })?,
        );
    }
    Ok(())
}

impl<K: 'static, V: 'static> KeyValueStoreBuilder<K, V> {
    pub(crate) fn resolve_own_serdes(
        &mut self,
        serdes: &SerdeRegistry,
    ) -> Result<(), TopologyError> {
        resolve(&mut self.key_serde, serdes, &self.name, RecordPart::Key)?;
        resolve(&mut self.value_serde, serdes, &self.name, RecordPart::Value)
    }

    /// The layers every store kind stacks over its byte store, as declared:
    /// change-logging (`logged` wraps the store of its kind in
    /// [`ChangeLogging`]), then caching, outermost.
    pub(crate) fn layers<B: CachingKind + ?Sized>(
        &self,
        mut store: Box<B>,
        init: &StoreInit<'_>,
        logged: impl FnOnce(Box<B>, Rc<dyn ChangelogSink>) -> Box<B>,
    ) -> Caching<B> {
        if self.logging.is_some() {
            store = logged(store, init.changelog.clone());
        }
        if self.caching {
            Caching::new(store, init.cache.clone())
        } else {
            Caching::disabled(store)
        }
    }

    /// The resolved serdes as a codec (its serdes see the changelog topic of
    /// `application_id`).
    pub(crate) fn codec(&self, application_id: &str) -> Result<StoreCodec<K, V>, StreamsError> {
        match (self.key_serde.clone(), self.value_serde.clone()) {
            (Some(key_serde), Some(value_serde)) => Ok(StoreCodec {
                store: self.name.clone(),
                changelog_topic: changelog_topic(application_id, &self.name),
                key_serde,
                value_serde,
            }),
            _ => Err(TopologyError::Internal(format!(
                "store '{}' was opened before its serdes were resolved",
                self.name
            ))
            .into()),
        }
    }
}

impl<K: 'static, V: 'static> StoreBuilder for KeyValueStoreBuilder<K, V> {
    fn name(&self) -> &str {
        &self.name
    }

    fn changelog(&self) -> Option<ChangelogSpec> {
        self.logging.clone()
    }

    fn resolve_serdes(&mut self, serdes: &SerdeRegistry) -> Result<(), TopologyError> {
        self.resolve_own_serdes(serdes)
    }

    fn queryable_key_serde(&self) -> Option<&dyn std::any::Any> {
        self.key_serde
            .as_ref()
            .map(|serde| serde as &dyn std::any::Any)
    }

    fn open(&self, init: StoreInit<'_>) -> Result<Box<dyn TaskStore>, StreamsError> {
        let codec = self.codec(init.application_id)?;
        let store: Box<dyn KeyValueStore> = if self.persistent {
            Box::new(RocksDbKeyValueStore::open(
                &self.name,
                init.task_dir,
                &self.rocksdb_options(init.rocksdb),
            )?)
        } else {
            Box::new(InMemoryKeyValueStore::new(self.name.clone()))
        };
        let mut store = self.layers(store, &init, |store, changelog| {
            Box::new(ChangeLogging::new(store, changelog))
        });
        if store.caching_enabled() {
            store.set_send_old_values(self.send_old_values.load(Ordering::Relaxed));
        }
        Ok(Box::new(TimestampedKeyValueStore::new(codec, store)))
    }
}
