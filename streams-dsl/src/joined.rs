//! `Joined`: the name and serdes of a stream-table join (Kafka Streams'
//! `Joined`).

use std::sync::Arc;
use streams_core::serde::{Serde, SerdeRef};

/// Name and serdes of `KStream::join_with` / `left_join_with` (a stream
/// joined with a table). The join's node takes the name; a stream whose keys
/// changed is repartitioned through `<application.id>-<name>-left-repartition`
/// (as Kafka Streams names it), written and read with these serdes. Kafka
/// Streams' third serde, for the table's values, has no use here: the table
/// is read through its store, which has its own serdes.
///
/// ```
/// use streams_dsl::prelude::*;
/// let builder = StreamsBuilder::new();
/// let users = builder.table::<String, String>("users", Consumed::default(), Materialized::named("users"));
/// builder
///     .stream::<String, i64>("clicks", Consumed::default())
///     .select_key(|_, clicks| clicks.to_string())
///     .join_with(&users, |clicks, user| format!("{user}: {clicks}"), Joined::as_("clicks-with-users"));
/// let topology = builder.build().unwrap();
/// assert!(topology.describe().to_string().contains("clicks-with-users-left-repartition"));
/// ```
pub struct Joined<K, V> {
    pub(crate) name: Option<String>,
    pub(crate) key_serde: Option<SerdeRef<K>>,
    pub(crate) value_serde: Option<SerdeRef<V>>,
}

impl<K, V> Default for Joined<K, V> {
    fn default() -> Self {
        Self {
            name: None,
            key_serde: None,
            value_serde: None,
        }
    }
}

impl<K, V> Joined<K, V> {
    /// A join named `name` (Kafka Streams' `Joined.as`).
    pub fn as_(name: impl Into<String>) -> Self {
        Self::default().with_name(name)
    }

    /// A join with these serdes for the stream's keys and values.
    pub fn with(key_serde: impl Serde<K> + 'static, value_serde: impl Serde<V> + 'static) -> Self {
        Self::default()
            .key_serde(key_serde)
            .value_serde(value_serde)
    }

    /// Names the join's node (and its repartition topic).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// An explicit key serde.
    pub fn key_serde(mut self, serde: impl Serde<K> + 'static) -> Self {
        self.key_serde = Some(Arc::new(serde));
        self
    }

    /// An explicit serde for the stream's values.
    pub fn value_serde(mut self, serde: impl Serde<V> + 'static) -> Self {
        self.value_serde = Some(Arc::new(serde));
        self
    }
}
