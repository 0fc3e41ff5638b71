//! The custom partitioner of a sink (Kafka Streams' `StreamPartitioner`).

use std::sync::Arc;

/// Chooses the partition of a record a sink writes to `topic`.
///
/// `value` is `None` when only the key is known: interactive queries look up
/// the partition of a key this way (Kafka Streams passes a null value), so a
/// partitioner that should serve queries decides by the key. Returning `None`
/// leaves the record to the default partitioning (murmur2 of the serialized
/// key; the producer's choice for a null key), as Kafka Streams does for an
/// empty result. Multicast to several partitions (KIP-837's `partitions()`)
/// is not supported.
///
/// Closures `Fn(&str, &K, Option<&V>, i32) -> Option<i32>` are partitioners:
///
/// ```
/// use streams_core::partitioner::StreamPartitioner;
/// // Orders of one region stay together: the region is the key's prefix.
/// let by_region = |_topic: &str, key: &String, _value: Option<&u64>, partitions: i32| {
///     let region = key.split('-').next()?;
///     Some(region.bytes().map(i32::from).sum::<i32>() % partitions)
/// };
/// assert_eq!(by_region.partition("orders", &"eu-17".to_string(), Some(&3), 4), Some(2));
/// assert_eq!(by_region.partition("orders", &"eu-18".to_string(), None, 4), Some(2));
/// ```
pub trait StreamPartitioner<K, V>: Send + Sync {
    /// The partition, in `0..partitions`, of the record with `key` and
    /// `value` written to `topic`; `None` for the default partitioning.
    fn partition(&self, topic: &str, key: &K, value: Option<&V>, partitions: i32) -> Option<i32>;
}

impl<K, V, F> StreamPartitioner<K, V> for F
where
    F: Fn(&str, &K, Option<&V>, i32) -> Option<i32> + Send + Sync,
{
    fn partition(&self, topic: &str, key: &K, value: Option<&V>, partitions: i32) -> Option<i32> {
        self(topic, key, value, partitions)
    }
}

/// A shareable partitioner.
pub type PartitionerRef<K, V> = Arc<dyn StreamPartitioner<K, V>>;
