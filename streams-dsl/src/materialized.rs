//! `Materialized`: how a stateful operator's store is named, stored, cached and
//! logged, and whether a source table's store keeps its history (versioned).

use crate::StoreType;
use crate::plan::LogicalPlan;
use crate::store_options::StoreOptions;
use std::sync::Arc;
use std::time::Duration;
use streams_core::serde::{Serde, SerdeRef};
use streams_core::state::KeyValueStoreBuilder;
use streams_core::topology::TopologyError;

/// The store of a stateful operator (aggregation, table, join buffer).
///
/// Defaults, as Kafka Streams: a generated name, persistent (RocksDB), caching on,
/// logging on (a compacted `<application.id>-<store>-changelog` topic), serdes
/// from the builder's defaults for the types.
///
/// ```
/// use std::time::Duration;
/// use streams_dsl::prelude::*;
/// let counts = Materialized::<String, i64>::named("counts-by-card")
///     .in_memory()
///     .with_caching_disabled()
///     .with_changelog_config("min.insync.replicas", "2");
/// ```
pub struct Materialized<K, V> {
    pub(crate) name: Option<String>,
    pub(crate) key_serde: Option<SerdeRef<K>>,
    pub(crate) value_serde: Option<SerdeRef<V>>,
    pub(crate) store: StoreOptions,
    pub(crate) caching: bool,
    pub(crate) retention: Option<Duration>,
    /// The history retention of a versioned store, `None` for a plain one.
    pub(crate) history_retention: Option<Duration>,
}

impl<K, V> Default for Materialized<K, V> {
    fn default() -> Self {
        Self {
            name: None,
            key_serde: None,
            value_serde: None,
            store: StoreOptions::default(),
            caching: true,
            retention: None,
            history_retention: None,
        }
    }
}

impl<K, V> Materialized<K, V> {
    /// A store with this name (queryable and part of its changelog topic name).
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            ..Self::default()
        }
    }

    /// A versioned store with this name keeping each key's older versions for
    /// `history_retention` (see [`versioned`](Self::versioned)).
    pub fn as_versioned(name: impl Into<String>, history_retention: Duration) -> Self {
        Self::named(name).versioned(history_retention)
    }

    /// Explicit key and value serdes for the store.
    pub fn with(key_serde: impl Serde<K> + 'static, value_serde: impl Serde<V> + 'static) -> Self {
        Self {
            key_serde: Some(Arc::new(key_serde)),
            value_serde: Some(Arc::new(value_serde)),
            ..Self::default()
        }
    }

    /// An explicit key serde.
    pub fn key_serde(mut self, serde: impl Serde<K> + 'static) -> Self {
        self.key_serde = Some(Arc::new(serde));
        self
    }

    /// An explicit value serde.
    pub fn value_serde(mut self, serde: impl Serde<V> + 'static) -> Self {
        self.value_serde = Some(Arc::new(serde));
        self
    }

    /// Keeps the store in memory instead of RocksDB.
    pub fn in_memory(mut self) -> Self {
        self.store.store_type = StoreType::InMemory;
        self
    }

    /// Writes go straight to the store and every update is forwarded downstream.
    pub fn with_caching_disabled(mut self) -> Self {
        self.caching = false;
        self
    }

    /// No changelog topic: the store is not restored after a failure or a move.
    pub fn with_logging_disabled(mut self) -> Self {
        self.store.changelog.disable();
        self
    }

    /// Adds a topic config for the changelog topic.
    pub fn with_changelog_config(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.store.changelog.add_config(key, value);
        self
    }

    /// Makes the store versioned (Kafka Streams' versioned key-value stores,
    /// KIP-889): every version of a key is kept for `history_retention` after
    /// a newer one replaced it. Only a source table
    /// ([`StreamsBuilder::table`](crate::StreamsBuilder::table)) can be
    /// versioned; other operators report it when the topology is built. A
    /// versioned table does not forward updates older than its key's latest
    /// version (they still go into the history), and a stream-table join reads
    /// it as of each stream record's timestamp (KIP-914). Versioned stores are
    /// never cached, so the caching setting is ignored.
    pub fn versioned(mut self, history_retention: Duration) -> Self {
        self.history_retention = Some(history_retention);
        self
    }

    /// How long a windowed store keeps windows: at least window size + grace
    /// for time windows (the default), inactivity gap + grace for session
    /// windows, twice the time difference + grace for sliding windows.
    pub fn with_retention(mut self, retention: Duration) -> Self {
        self.retention = Some(retention);
        self
    }
}

impl<K: 'static, V: 'static> Materialized<K, V> {
    /// The store's name (generated when none was given) and its declaration as a
    /// key-value store: type, serdes (`key_serde` unless one was given), caching,
    /// logging and changelog configs. Windowed operators turn it into a window or
    /// session store.
    pub(crate) fn store_builder(
        &mut self,
        topology: &mut LogicalPlan,
        key_serde: Option<SerdeRef<K>>,
    ) -> (String, KeyValueStoreBuilder<K, V>) {
        let name = self
            .name
            .take()
            .unwrap_or_else(|| topology.generate_name("KSTREAM-AGGREGATE-STATE-STORE"));
        if self.history_retention.is_some() {
            topology.report(TopologyError::VersionedStoreUnsupported {
                store: name.clone(),
                operation: "an aggregation, to_table or a table materialization",
            });
        }
        let builder = self
            .store
            .key_value_builder(name.clone())
            .with_serdes(
                self.key_serde.clone().or(key_serde),
                self.value_serde.clone(),
            )
            .with_caching(self.caching);
        (name, builder)
    }
}
