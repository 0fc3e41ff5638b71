//! Declares a typed session store (made from a key-value store declaration with
//! `KeyValueStoreBuilder::sessions`).

use super::window_builder::{expire_changelog, millis};
use super::{
    ChangelogSpec, KeyValueStoreBuilder, StoreBuilder, StoreInit, TaskStore, TypedSessionStore,
};
use crate::error::StreamsError;
use crate::serde::SerdeRegistry;
use crate::topology::TopologyError;
use std::time::Duration;
use streams_state::{ChangeLogging, SegmentedSessionStore, SessionStore};

/// A session store of `K` to `V`: persistent or in-memory, cached, logged to a
/// changelog that compacts and deletes after the retention period.
///
/// ```
/// use std::time::Duration;
/// use streams_core::state::KeyValueStoreBuilder;
/// let sessions = KeyValueStoreBuilder::<String, i64>::persistent("clicks-per-session")
///     .sessions(Duration::from_secs(600));
/// ```
pub struct SessionStoreBuilder<K, V> {
    settings: KeyValueStoreBuilder<K, V>,
    retention_ms: i64,
}

impl<K, V> SessionStoreBuilder<K, V> {
    pub(crate) fn new(mut settings: KeyValueStoreBuilder<K, V>, retention: Duration) -> Self {
        let retention_ms = millis(retention).max(1);
        expire_changelog(&mut settings, retention_ms);
        Self {
            settings,
            retention_ms,
        }
    }
}

impl<K: 'static, V: 'static> StoreBuilder for SessionStoreBuilder<K, V> {
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
        let store: Box<dyn SessionStore> = if settings.persistent {
            Box::new(SegmentedSessionStore::rocksdb(
                &settings.name,
                init.task_dir,
                self.retention_ms,
                &settings.rocksdb_options(init.rocksdb),
            )?)
        } else {
            Box::new(SegmentedSessionStore::in_memory(
                &settings.name,
                self.retention_ms,
            )?)
        };
        let store = settings.layers(store, &init, |store, changelog| {
            Box::new(ChangeLogging::new(store, changelog))
        });
        Ok(Box::new(TypedSessionStore::new(codec, store)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_changelogs_compact_and_delete_a_day_after_the_retention() {
        let builder = KeyValueStoreBuilder::<String, i64>::in_memory("sessions")
            .with_changelog_config("min.insync.replicas", "2")
            .sessions(Duration::from_secs(60));
        let configs = builder.changelog().unwrap().topic_configs;
        let config = |key: &str| {
            configs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(config("cleanup.policy"), Some("compact,delete"));
        assert_eq!(config("retention.ms"), Some("86460000"));
        assert_eq!(config("min.insync.replicas"), Some("2"));
    }

    #[test]
    fn unlogged_session_stores_have_no_changelog() {
        let builder = KeyValueStoreBuilder::<String, i64>::persistent("sessions")
            .with_logging_disabled()
            .sessions(Duration::from_secs(60));
        assert_eq!(builder.changelog(), None);
    }
}
