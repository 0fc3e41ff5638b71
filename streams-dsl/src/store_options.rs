//! The store options that `Materialized`, `StreamJoined` and the suppression
//! buffer configs share: where a store keeps its data ([`StoreType`]) and
//! whether and how it is logged to a changelog topic, applied to the store
//! builders in one place.

use streams_core::state::{KeyValueStoreBuilder, TimeOrderedBufferBuilder};

/// Where a store keeps its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreType {
    /// RocksDB on local disk (the default): state larger than memory, fast restart.
    Persistent,
    /// In memory: rebuilt from the changelog on every restart.
    InMemory,
}

impl StoreType {
    /// A key-value store of this type called `name`.
    pub(crate) fn key_value_builder<K, V>(
        self,
        name: impl Into<String>,
    ) -> KeyValueStoreBuilder<K, V> {
        match self {
            StoreType::Persistent => KeyValueStoreBuilder::persistent(name),
            StoreType::InMemory => KeyValueStoreBuilder::in_memory(name),
        }
    }
}

/// Whether a store is logged to a changelog topic, and that topic's configs
/// (default: logged, no extra configs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChangelogOptions {
    logging: bool,
    configs: Vec<(String, String)>,
}

impl Default for ChangelogOptions {
    fn default() -> Self {
        Self {
            logging: true,
            configs: Vec::new(),
        }
    }
}

impl ChangelogOptions {
    /// Logged, with no changelog configs of its own (so a source topic can
    /// serve as the changelog).
    pub(crate) fn is_default(&self) -> bool {
        self.logging && self.configs.is_empty()
    }

    /// No changelog topic.
    pub(crate) fn disable(&mut self) {
        self.logging = false;
    }

    /// Adds a changelog topic config.
    pub(crate) fn add_config(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.configs.push((key.into(), value.into()));
    }

    /// `builder` logged with these configs, or with logging disabled.
    pub(crate) fn apply<B: LoggedStoreBuilder>(&self, builder: B) -> B {
        if !self.logging {
            return builder.with_logging_disabled();
        }
        self.configs.iter().fold(builder, |builder, (key, value)| {
            builder.with_changelog_config(key, value)
        })
    }
}

/// The options of a store kept as a key-value store (or a window or session
/// store made from one): its type and its logging (default: persistent,
/// logged).
#[derive(Debug, Clone)]
pub(crate) struct StoreOptions {
    pub(crate) store_type: StoreType,
    pub(crate) changelog: ChangelogOptions,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            store_type: StoreType::Persistent,
            changelog: ChangelogOptions::default(),
        }
    }
}

impl StoreOptions {
    /// A key-value store called `name` of this type and logging.
    pub(crate) fn key_value_builder<K, V>(
        &self,
        name: impl Into<String>,
    ) -> KeyValueStoreBuilder<K, V> {
        self.changelog
            .apply(self.store_type.key_value_builder(name))
    }
}

/// A store builder the changelog options apply to.
pub(crate) trait LoggedStoreBuilder: Sized {
    /// The builder with no changelog.
    fn with_logging_disabled(self) -> Self;

    /// The builder with one more changelog topic config.
    fn with_changelog_config(self, key: &str, value: &str) -> Self;
}

impl<K, V> LoggedStoreBuilder for KeyValueStoreBuilder<K, V> {
    fn with_logging_disabled(self) -> Self {
        KeyValueStoreBuilder::with_logging_disabled(self)
    }

    fn with_changelog_config(self, key: &str, value: &str) -> Self {
        KeyValueStoreBuilder::with_changelog_config(self, key, value)
    }
}

impl<K, V, B> LoggedStoreBuilder for TimeOrderedBufferBuilder<K, V, B> {
    fn with_logging_disabled(self) -> Self {
        TimeOrderedBufferBuilder::with_logging_disabled(self)
    }

    fn with_changelog_config(self, key: &str, value: &str) -> Self {
        TimeOrderedBufferBuilder::with_changelog_config(self, key, value)
    }
}
