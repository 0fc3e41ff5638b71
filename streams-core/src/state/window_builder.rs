//! Declares a typed window store (made from a key-value store declaration with
//! `KeyValueStoreBuilder::windowed`).

use super::{
    ChangelogSpec, KeyValueStoreBuilder, StoreBuilder, StoreInit, TaskStore, TimestampedWindowStore,
};
use crate::error::StreamsError;
use crate::serde::SerdeRegistry;
use crate::topology::TopologyError;
use std::time::Duration;
use streams_state::{ChangeLogging, SegmentedWindowStore, WindowStore};

/// A window store of `K` to `V`: persistent or in-memory, cached, logged to a
/// changelog that compacts and deletes after the retention period.
pub struct WindowStoreBuilder<K, V> {
    settings: KeyValueStoreBuilder<K, V>,
    window_size_ms: i64,
    retention_ms: i64,
    retain_duplicates: bool,
}

pub(crate) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Makes a time-bounded store's changelog compact and delete: records are kept a
/// day beyond the store's own retention, as Kafka Streams does, so a restore never
/// misses a live window or session.
pub(crate) fn expire_changelog<K, V>(settings: &mut KeyValueStoreBuilder<K, V>, retention_ms: i64) {
    if let Some(spec) = &mut settings.logging {
        for (key, value) in &mut spec.topic_configs {
            if key == "cleanup.policy" {
                *value = "compact,delete".into();
            }
        }
        let topic_retention = retention_ms.saturating_add(24 * 60 * 60 * 1000);
        spec.topic_configs
            .push(("retention.ms".into(), topic_retention.to_string()));
    }
}

impl<K, V> WindowStoreBuilder<K, V> {
    pub(crate) fn new(
        mut settings: KeyValueStoreBuilder<K, V>,
        window_size: Duration,
        retention: Duration,
    ) -> Self {
        let window_size_ms = millis(window_size).max(1);
        let retention_ms = millis(retention).max(window_size_ms);
        expire_changelog(&mut settings, retention_ms);
        Self {
            settings,
            window_size_ms,
            retention_ms,
            retain_duplicates: false,
        }
    }

    /// Keeps every write, even several for one key and window start, in write
    /// order (the buffers of stream-stream joins need each record). Such a store
    /// is never cached.
    pub fn with_retained_duplicates(mut self) -> Self {
        self.retain_duplicates = true;
        self
    }
}

impl<K: 'static, V: 'static> StoreBuilder for WindowStoreBuilder<K, V> {
    fn name(&self) -> &str {
        &self.settings.name
    }

    fn changelog(&self) -> Option<ChangelogSpec> {
        self.settings.logging.clone()
    }

    fn resolve_serdes(&mut self, serdes: &SerdeRegistry) -> Result<(), TopologyError> {
        self.settings.resolve_own_serdes(serdes)
    }

    fn open(&self, init: StoreInit<'_>) -> Result<Box<dyn TaskStore>, StreamsError> {
        let settings = &self.settings;
        let codec = settings.codec(init.application_id)?;
        let store: Box<dyn WindowStore> = if settings.persistent {
            Box::new(SegmentedWindowStore::rocksdb(
                &settings.name,
                init.task_dir,
                self.retention_ms,
                self.retain_duplicates,
                &settings.rocksdb_options(init.rocksdb),
            )?)
        } else {
            Box::new(SegmentedWindowStore::in_memory(
                &settings.name,
                self.retention_ms,
                self.retain_duplicates,
            )?)
        };
        let store = settings.layers(store, &init, |store, changelog| {
            Box::new(ChangeLogging::new(store, changelog))
        });
        Ok(Box::new(TimestampedWindowStore::new(
            codec,
            store,
            self.window_size_ms,
        )))
    }
}
