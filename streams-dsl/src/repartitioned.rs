//! `Repartitioned`: how `KStream::repartition` writes and reads its internal topic.

use std::sync::Arc;
use streams_core::partitioner::{PartitionerRef, StreamPartitioner};
use streams_core::serde::{Serde, SerdeRef};

/// Name, serdes and partitioner of a repartition step. The internal topic is
/// `<application.id>-<name>-repartition`; the name defaults to a generated
/// one, the partitioner to Kafka's default (murmur2 of the serialized key;
/// windowed keys by their inner key).
pub struct Repartitioned<K, V> {
    pub(crate) key_serde: Option<SerdeRef<K>>,
    pub(crate) value_serde: Option<SerdeRef<V>>,
    pub(crate) name: Option<String>,
    pub(crate) partitioner: Option<PartitionerRef<K, V>>,
}

impl<K, V> Default for Repartitioned<K, V> {
    fn default() -> Self {
        Self {
            key_serde: None,
            value_serde: None,
            name: None,
            partitioner: None,
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
}
