//! The one partitioner of an application: which partition a record goes to
//! when a sink writes it (output and repartition topics alike), and so which
//! partition, hence which task, interactive queries ask for a key. The default
//! is Kafka's: murmur2 of the serialized key, as the Java client computes it,
//! with windowed keys partitioned by their inner key; a sink can take a custom
//! [`StreamPartitioner`] instead (`Produced::with_partitioner`,
//! `Repartitioned::with_partitioner` in the DSL).

mod murmur2;
mod stream_partitioner;

pub use murmur2::{default_partition, murmur2};
pub use stream_partitioner::{PartitionerRef, StreamPartitioner};
