//! Why an interactive query of a running application's state store cannot be
//! answered here and now; each message says what to do.

use crate::error::StreamsError;
use crate::serde::SerdeError;

/// Errors of [`KafkaStreams`](super::KafkaStreams)' interactive queries.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The topology has no key-value store of this name with these types.
    #[error(
        "no queryable key-value store '{store}' with key and value types {types}: query a store the topology materializes (e.g. Materialized::named) with its own key and value types"
    )]
    UnknownStore {
        /// The store name.
        store: String,
        /// The key and value types asked for.
        types: String,
    },

    /// The key's partition is not assigned to this instance.
    #[error(
        "store '{store}': the key is in partition {partition}, which this instance does not host: ask the instance that owns it"
    )]
    NotHosted {
        /// The store name.
        store: String,
        /// The key's partition.
        partition: i32,
    },

    /// The task owning the partition is restoring its state from the changelog.
    #[error(
        "store '{store}' partition {partition} is restoring from its changelog: try again once the application is Running"
    )]
    Restoring {
        /// The store name.
        store: String,
        /// The partition.
        partition: i32,
    },

    /// The task moved (rebalance or shutdown) while the query waited.
    #[error(
        "store '{store}' partition {partition} moved away from its stream thread while the query waited: try again"
    )]
    Moved {
        /// The store name.
        store: String,
        /// The partition.
        partition: i32,
    },

    /// The stream thread did not answer in time.
    #[error(
        "store '{store}' partition {partition}: the stream thread did not answer within {waited_ms} ms"
    )]
    Timeout {
        /// The store name.
        store: String,
        /// The partition.
        partition: i32,
        /// How long the query waited.
        waited_ms: u128,
    },

    /// The key does not serialize with the store's key serde.
    #[error("store '{store}': the key does not serialize: {source}")]
    KeySerde {
        /// The store name.
        store: String,
        /// The serde's error.
        source: Box<SerdeError>,
    },

    /// The store's input is partitioned by a custom partitioner of another key type.
    #[error(
        "store '{store}': its input is written by sink '{sink}', whose partitioner takes another key type than the query's: query with the key type that sink partitions"
    )]
    PartitionerKeyType {
        /// The store name.
        store: String,
        /// The sink with the custom partitioner.
        sink: String,
    },

    /// The store could not be read.
    #[error("store '{store}': {source}")]
    Store {
        /// The store name.
        store: String,
        /// What failed.
        source: Box<StreamsError>,
    },
}
