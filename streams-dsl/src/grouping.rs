//! `Grouped`: the name and serdes of a grouping (Kafka Streams' `Grouped`),
//! used for the repartition topic a re-keyed grouping writes through.

use std::sync::Arc;
use streams_core::serde::{Serde, SerdeRef};

/// Name and serdes of `group_by` / `group_by_key` (and of `KTable::group_by`).
/// A grouping that repartitions writes through
/// `<application.id>-<name>-repartition` (without a name the topic is named
/// after the aggregation's store); the serdes write and read that topic and
/// are the defaults of the aggregation's store.
///
/// ```
/// use streams_dsl::prelude::*;
/// let builder = StreamsBuilder::new();
/// builder
///     .stream::<String, String>("page-views", Consumed::default())
///     .group_by_with(|_user, page| page.clone(), Grouped::as_("views-by-page"))
///     .count(Materialized::named("page-view-counts"));
/// let topology = builder.build().unwrap();
/// assert!(topology.describe().to_string().contains("views-by-page-repartition"));
/// ```
pub struct Grouped<K, V> {
    pub(crate) name: Option<String>,
    pub(crate) key_serde: Option<SerdeRef<K>>,
    pub(crate) value_serde: Option<SerdeRef<V>>,
}

impl<K, V> Default for Grouped<K, V> {
    fn default() -> Self {
        Self {
            name: None,
            key_serde: None,
            value_serde: None,
        }
    }
}

impl<K, V> Grouped<K, V> {
    /// A grouping named `name` (Kafka Streams' `Grouped.as`).
    pub fn as_(name: impl Into<String>) -> Self {
        Self::default().with_name(name)
    }

    /// A grouping with these serdes.
    pub fn with(key_serde: impl Serde<K> + 'static, value_serde: impl Serde<V> + 'static) -> Self {
        Self::default()
            .key_serde(key_serde)
            .value_serde(value_serde)
    }

    /// Names the grouping (and so its repartition topic).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
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
}
