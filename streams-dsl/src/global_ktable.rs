//! `GlobalKTable<K, V>`: a table of a whole topic that every instance keeps in
//! full, so streams join it by any key without co-partitioning.

use std::marker::PhantomData;

/// A table holding every partition of its topic on every instance (Kafka
/// Streams' `GlobalKTable`), created by
/// [`StreamsBuilder::global_table`](crate::StreamsBuilder::global_table).
/// The instance's global thread reads the topic from the start (or its
/// checkpoint) before the stream threads start and keeps reading it while they
/// run; streams join it with [`KStream::join_global`](crate::KStream::join_global)
/// and [`KStream::left_join_global`](crate::KStream::left_join_global).
pub struct GlobalKTable<K, V> {
    store: String,
    _types: PhantomData<fn() -> (K, V)>,
}

impl<K, V> Clone for GlobalKTable<K, V> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            _types: PhantomData,
        }
    }
}

impl<K, V> GlobalKTable<K, V> {
    pub(crate) fn new(store: String) -> Self {
        Self {
            store,
            _types: PhantomData,
        }
    }

    /// The name of the global store holding the table's rows (for
    /// interactive queries).
    pub fn store_name(&self) -> &str {
        &self.store
    }
}
