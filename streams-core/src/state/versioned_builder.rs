//! Declares a typed versioned key-value store (made from a key-value store
//! declaration with `KeyValueStoreBuilder::versioned`).

use super::window_builder::millis;
use super::{
    ChangelogSpec, KeyValueStoreBuilder, StoreBuilder, StoreInit, TaskStore, VersionedKeyValueStore,
};
use crate::error::StreamsError;
use crate::serde::SerdeRegistry;
use crate::topology::TopologyError;
use std::time::Duration;
use streams_state::{ChangeLoggingVersionedStore, VersionedStore};

/// A day, what Kafka Streams adds to a versioned store's history retention
/// for its changelog's `min.compaction.lag.ms`.
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// A versioned store of `K` to `V`: persistent or in-memory, logged to a
/// compacted changelog whose records are not compacted away before the
/// history retention (plus a day) is over. Never cached, as in Kafka Streams:
/// a cache setting of the declaration is ignored.
///
/// ```
/// use std::time::Duration;
/// use streams_core::state::KeyValueStoreBuilder;
/// let prices = KeyValueStoreBuilder::<String, i64>::persistent("prices")
///     .versioned(Duration::from_secs(3600));
/// ```
pub struct VersionedStoreBuilder<K, V> {
    settings: KeyValueStoreBuilder<K, V>,
    history_retention_ms: i64,
}

impl<K, V> VersionedStoreBuilder<K, V> {
    pub(crate) fn new(
        mut settings: KeyValueStoreBuilder<K, V>,
        history_retention: Duration,
    ) -> Self {
        let history_retention_ms = millis(history_retention);
        if let Some(spec) = &mut settings.logging {
            spec.topic_configs.push((
                "min.compaction.lag.ms".into(),
                history_retention_ms.saturating_add(DAY_MS).to_string(),
            ));
        }
        settings.caching = false;
        Self {
            settings,
            history_retention_ms,
        }
    }

    /// The history retention, in milliseconds.
    pub fn history_retention_ms(&self) -> i64 {
        self.history_retention_ms
    }
}

impl<K: 'static, V: 'static> StoreBuilder for VersionedStoreBuilder<K, V> {
    fn name(&self) -> &str {
        &self.settings.name
    }

    fn changelog(&self) -> Option<ChangelogSpec> {
        self.settings.logging.clone()
    }

    fn resolve_serdes(&mut self, serdes: &SerdeRegistry) -> Result<(), TopologyError> {
        self.settings.resolve_own_serdes(serdes)
    }

    fn queryable_key_serde(&self) -> Option<&dyn std::any::Any> {
        self.settings
            .key_serde
            .as_ref()
            .map(|serde| serde as &dyn std::any::Any)
    }

    fn open(&self, init: StoreInit<'_>) -> Result<Box<dyn TaskStore>, StreamsError> {
        let settings = &self.settings;
        let codec = settings.codec(init.application_id)?;
        let mut store: Box<dyn streams_state::VersionedKeyValueStore> = if settings.persistent {
            Box::new(VersionedStore::rocksdb(
                &settings.name,
                init.task_dir,
                &settings.rocksdb_options(init.rocksdb),
                self.history_retention_ms,
            )?)
        } else {
            Box::new(VersionedStore::in_memory(
                settings.name.clone(),
                self.history_retention_ms,
            ))
        };
        if settings.logging.is_some() {
            store = Box::new(ChangeLoggingVersionedStore::new(
                store,
                init.changelog.clone(),
            ));
        }
        Ok(Box::new(VersionedKeyValueStore::new(codec, store)))
    }
}
