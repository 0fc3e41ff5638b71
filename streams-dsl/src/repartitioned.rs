//! `Repartitioned`: how `KStream::repartition` writes and reads its internal topic.

use std::sync::Arc;
use streams_core::partitioner::{PartitionerRef, StreamPartitioner};
use streams_core::serde::{Serde, SerdeRef};

/// Name, serdes, partitioner and partition count of a repartition step. The
/// internal topic is `<application.id>-<name>-repartition`; the name defaults
/// to a generated one, the partitioner to Kafka's default (murmur2 of the
/// serialized key; windowed keys by their inner key), the partition count to
/// that of the topics upstream.
pub struct Repartitioned<K, V> {
    pub(crate) key_serde: Option<SerdeRef<K>>,
    pub(crate) value_serde: Option<SerdeRef<V>>,
    pub(crate) name: Option<String>,
    pub(crate) partitioner: Option<PartitionerRef<K, V>>,
    pub(crate) partitions: Option<u32>,
}

impl<K, V> Default for Repartitioned<K, V> {
    fn default() -> Self {
        Self {
            key_serde: None,
            value_serde: None,
            name: None,
            partitioner: None,
            partitions: None,
        }
    }
}

impl<K, V> Repartitioned<K, V> {
    /// Explicit key and value serdes.
    pub fn with(key_serde: impl Serde<K> + 'static, value_serde: impl Serde<V> + 'static) -> Self {
        Self {
            key_serde: Some(Arc::new(key_serde)),
            value_serde: Some(Arc::new(value_serde)),
            ..Self::default()
        }
    }

    /// The name of the step; the topic is `<application.id>-<name>-repartition`.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Writes each record to the partition of the repartition topic
    /// `partitioner` chooses (Kafka Streams' `Repartitioned.streamPartitioner`);
    /// interactive queries of the stores downstream find keys with it too.
    pub fn with_partitioner(mut self, partitioner: impl StreamPartitioner<K, V> + 'static) -> Self {
        self.partitioner = Some(Arc::new(partitioner));
        self
    }

    /// Creates the repartition topic with `partitions` partitions (Kafka
    /// Streams' `Repartitioned.withNumberOfPartitions`), so the part of the
    /// topology reading it runs as that many tasks whatever the partition
    /// count upstream. An existing topic must already have that count, and a
    /// join or merge reading it beside other topics needs them to have it
    /// too: the runtime fails at start naming the topics otherwise. Zero
    /// fails `build()`.
    ///
    /// ```
    /// use streams_dsl::prelude::*;
    /// let builder = StreamsBuilder::new();
    /// builder
    ///     .stream::<String, String>("orders", Consumed::default())
    ///     .select_key(|_, order| order.clone())
    ///     .repartition(Repartitioned::default().named("by-order").with_number_of_partitions(12))
    ///     .to("orders-by-id", Produced::default());
    /// let topology = builder.build().unwrap();
    /// assert_eq!(topology.partition_counts("app"), [("app-by-order-repartition".to_string(), 12)]);
    /// ```
    pub fn with_number_of_partitions(mut self, partitions: u32) -> Self {
        self.partitions = Some(partitions);
        self
    }
}
