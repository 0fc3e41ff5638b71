//! `Produced`: how a sink writes its topic (serdes, partitioner and node name).

use std::sync::Arc;
use streams_core::partitioner::{PartitionerRef, StreamPartitioner};
use streams_core::serde::{Serde, SerdeRef};

/// Serdes, a partitioner and a name for a sink. Unset serdes fall back to the
/// stream's known serdes (those it was read with, if its types did not
/// change), then to the builder's defaults for the types. Without a
/// partitioner, records go where Kafka's default partitioner puts them
/// (murmur2 of the serialized key; windowed keys by their inner key).
pub struct Produced<K, V> {
    pub(crate) key_serde: Option<SerdeRef<K>>,
    pub(crate) value_serde: Option<SerdeRef<V>>,
    pub(crate) name: Option<String>,
    pub(crate) partitioner: Option<PartitionerRef<K, V>>,
}

impl<K, V> Default for Produced<K, V> {
    fn default() -> Self {
        Self {
            key_serde: None,
            value_serde: None,
            name: None,
            partitioner: None,
        }
    }
}

impl<K, V> Produced<K, V> {
    /// Explicit key and value serdes.
    pub fn with(key_serde: impl Serde<K> + 'static, value_serde: impl Serde<V> + 'static) -> Self {
        Self::default()
            .key_serde(key_serde)
            .value_serde(value_serde)
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

    /// The sink node's name.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Chooses each record's partition with `partitioner` (Kafka Streams'
    /// `Produced.streamPartitioner`); interactive queries of stores fed by the
    /// topic find keys with it too.
    ///
    /// ```
    /// use streams_dsl::prelude::*;
    /// // Every order of a customer ("customer/order") in one partition.
    /// let produced = Produced::<String, u64>::default().with_partitioner(
    ///     |_topic: &str, key: &String, _value: Option<&u64>, partitions: i32| {
    ///         let customer = key.split('/').next()?;
    ///         Some(streams_core::partitioner::default_partition(customer.as_bytes(), partitions))
    ///     },
    /// );
    /// ```
    pub fn with_partitioner(mut self, partitioner: impl StreamPartitioner<K, V> + 'static) -> Self {
        self.partitioner = Some(Arc::new(partitioner));
        self
    }
}
