//! `StreamJoined`: names, serdes and stores of a stream-stream join.

use crate::StoreType;
use crate::store_options::StoreOptions;
use std::sync::Arc;
use streams_core::serde::{Serde, SerdeRef};

/// How a stream-stream join names its processors and stores and keeps its
/// buffers (Kafka Streams' `StreamJoined`).
///
/// Each side is buffered in a window store that keeps every record (duplicates
/// included); left and outer joins add a store shared by both sides for records
/// still waiting for a match. Defaults, as Kafka Streams: generated names,
/// persistent (RocksDB) stores, no caching, logging on, serdes from the input
/// streams or the builder's defaults for the types.
///
/// With a store name `s`, the stores are `s-this-join-store` (or
/// `s-outer-this-join-store` in an outer join), `s-other-join-store` (or
/// `s-outer-other-join-store` in a left or outer join) and
/// `s-left-shared-join-store` / `s-outer-shared-join-store`. With a name `n`,
/// the processors are named after it and inputs whose keys changed are
/// repartitioned through `<application.id>-n-left-repartition` and
/// `<application.id>-n-right-repartition`.
///
/// ```
/// use streams_dsl::prelude::*;
/// let joined = StreamJoined::<String, i64, String>::with(StringSerde, I64Serde, StringSerde)
///     .with_name("orders-with-payments")
///     .with_store_name("order-payment-buffers")
///     .in_memory()
///     .with_changelog_config("min.insync.replicas", "2");
/// ```
pub struct StreamJoined<K, V1, V2> {
    pub(crate) name: Option<String>,
    pub(crate) store_name: Option<String>,
    pub(crate) key_serde: Option<SerdeRef<K>>,
    pub(crate) value_serde: Option<SerdeRef<V1>>,
    pub(crate) other_value_serde: Option<SerdeRef<V2>>,
    pub(crate) store: StoreOptions,
}

impl<K, V1, V2> Default for StreamJoined<K, V1, V2> {
    fn default() -> Self {
        Self {
            name: None,
            store_name: None,
            key_serde: None,
            value_serde: None,
            other_value_serde: None,
            store: StoreOptions::default(),
        }
    }
}

impl<K, V1, V2> StreamJoined<K, V1, V2> {
    /// Explicit serdes for the key, this stream's values and the other stream's
    /// values.
    pub fn with(
        key_serde: impl Serde<K> + 'static,
        value_serde: impl Serde<V1> + 'static,
        other_value_serde: impl Serde<V2> + 'static,
    ) -> Self {
        Self {
            key_serde: Some(Arc::new(key_serde)),
            value_serde: Some(Arc::new(value_serde)),
            other_value_serde: Some(Arc::new(other_value_serde)),
            ..Self::default()
        }
    }

    /// The base name of the join's processors and repartition topics.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The base name of the join's stores (and so of their changelog topics).
    pub fn with_store_name(mut self, store_name: impl Into<String>) -> Self {
        self.store_name = Some(store_name.into());
        self
    }

    /// An explicit key serde.
    pub fn key_serde(mut self, serde: impl Serde<K> + 'static) -> Self {
        self.key_serde = Some(Arc::new(serde));
        self
    }

    /// An explicit serde for this stream's values.
    pub fn value_serde(mut self, serde: impl Serde<V1> + 'static) -> Self {
        self.value_serde = Some(Arc::new(serde));
        self
    }

    /// An explicit serde for the other stream's values.
    pub fn other_value_serde(mut self, serde: impl Serde<V2> + 'static) -> Self {
        self.other_value_serde = Some(Arc::new(serde));
        self
    }

    /// Keeps the join's stores in memory instead of RocksDB.
    pub fn in_memory(mut self) -> Self {
        self.store.store_type = StoreType::InMemory;
        self
    }

    /// No changelog topics: the join's buffers are not restored after a failure
    /// or a move.
    pub fn with_logging_disabled(mut self) -> Self {
        self.store.changelog.disable();
        self
    }

    /// Adds a topic config for the changelog topics of the join's stores.
    pub fn with_changelog_config(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.store.changelog.add_config(key, value);
        self
    }
}
