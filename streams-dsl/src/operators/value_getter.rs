//! Value getters: how a processor reads a table's current row of a key when
//! the table has no store of its own (Kafka Streams' `KTableValueGetter`). A
//! derived table (filter, map_values, a table-table join) is read through the
//! store it comes from, applying its operation to the row found, instead of
//! being materialized again for every join that reads it.
//!
//! Only a versioned store answers as of a time: a table derived from a
//! versioned one is not versioned (as in Kafka Streams, where only a
//! versioned store's getter is), so its getter reads its parents' latest
//! rows whatever time it is asked for.

use super::{RowJoiner, TableStore};
use std::sync::{Arc, OnceLock};
use streams_core::error::ProcessError;
use streams_core::processor::StoreAccess;
use streams_core::state::{KeyLookup, ValueAndTimestamp};

/// Reads the row of a key, as of a time (versioned stores; `None`: the
/// latest): `None` when the key is null (it cannot have a row), else the
/// key's row, if any.
pub(crate) type ValueGetter<K, V> = Arc<
    dyn Fn(&K, Option<i64>, &mut StoreAccess<'_>) -> Result<Option<KeyLookup<V>>, ProcessError>
        + Send
        + Sync,
>;

/// A table's value getter and the stores it reads (which every processor
/// using it must be connected to).
pub(crate) struct TableGetter<K, V> {
    pub(crate) get: ValueGetter<K, V>,
    pub(crate) stores: Vec<String>,
}

impl<K, V> Clone for TableGetter<K, V> {
    fn clone(&self) -> Self {
        Self {
            get: self.get.clone(),
            stores: self.stores.clone(),
        }
    }
}

impl<K: 'static, V: Clone + 'static> TableGetter<K, V> {
    /// Reads the table's store `store` (a versioned one by time).
    pub(crate) fn of_store(store: &str, versioned: bool) -> Self {
        let table = TableStore {
            name: store.into(),
            versioned,
        };
        Self {
            get: Arc::new(move |key, as_of, stores| table.lookup(key, as_of, stores)),
            stores: vec![store.to_string()],
        }
    }

    /// The rows `predicate` says `keep` to (as `KTable::filter` keeps them).
    pub(crate) fn filtered<F>(self, predicate: Arc<F>, keep: bool) -> Self
    where
        F: Fn(&K, &V) -> bool + Send + Sync + 'static,
    {
        let parent = self.get;
        Self {
            get: Arc::new(move |key, _, stores| {
                Ok(parent(key, None, stores)?.map(|found| KeyLookup {
                    key: found.key,
                    current: found
                        .current
                        .filter(|row| predicate(key, &row.value) == keep),
                }))
            }),
            stores: self.stores,
        }
    }

    /// The rows with their values mapped (as `KTable::map_values` maps them).
    pub(crate) fn mapped<V2: 'static, F>(self, mapper: Arc<F>) -> TableGetter<K, V2>
    where
        F: Fn(&K, V) -> V2 + Send + Sync + 'static,
    {
        let parent = self.get;
        TableGetter {
            get: Arc::new(move |key, _, stores| {
                Ok(parent(key, None, stores)?.map(|found| KeyLookup {
                    key: found.key,
                    current: found.current.map(|row| ValueAndTimestamp {
                        value: mapper(key, row.value),
                        timestamp: row.timestamp,
                    }),
                }))
            }),
            stores: self.stores,
        }
    }

    /// The rows of this table joined with `other`'s by `joiner` (as a
    /// table-table join emits them): the later of the two rows' timestamps.
    pub(crate) fn joined<V2: Clone + 'static, VR: 'static>(
        self,
        other: TableGetter<K, V2>,
        joiner: RowJoiner<V, V2, VR>,
    ) -> TableGetter<K, VR> {
        let (left, right) = (self.get, other.get);
        let mut stores = self.stores;
        for store in other.stores {
            if !stores.contains(&store) {
                stores.push(store);
            }
        }
        TableGetter {
            get: Arc::new(move |key, _, access| {
                let Some(this) = left(key, None, access)? else {
                    return Ok(None);
                };
                let that = right(key, None, access)?.and_then(|found| found.current);
                let this_row = this.current;
                let timestamp = match (&this_row, &that) {
                    (Some(a), Some(b)) => a.timestamp.max(b.timestamp),
                    (Some(a), None) => a.timestamp,
                    (None, Some(b)) => b.timestamp,
                    (None, None) => 0,
                };
                let value = joiner(this_row.map(|r| r.value), that.map(|r| r.value));
                Ok(Some(KeyLookup {
                    key: this.key,
                    current: value.map(|value| ValueAndTimestamp { value, timestamp }),
                }))
            }),
            stores,
        }
    }
}

/// A table's getter as a processor uses it: chosen when the logical plan is
/// written (the derived table's own getter under `topology.optimization`,
/// else a store materializing the table), after the processor is declared.
pub(crate) struct TableRows<K, V> {
    getter: Arc<OnceLock<ValueGetter<K, V>>>,
}

impl<K, V> Clone for TableRows<K, V> {
    fn clone(&self) -> Self {
        Self {
            getter: self.getter.clone(),
        }
    }
}

impl<K, V> TableRows<K, V> {
    /// Rows read by a getter chosen later, through `resolve`.
    pub(crate) fn unresolved() -> Self {
        Self {
            getter: Arc::new(OnceLock::new()),
        }
    }

    /// Rows read by `getter`.
    pub(crate) fn resolved(getter: ValueGetter<K, V>) -> Self {
        let rows = Self::unresolved();
        rows.resolve(getter);
        rows
    }

    /// Chooses the getter (the first choice stays).
    pub(crate) fn resolve(&self, getter: ValueGetter<K, V>) {
        let _first = self.getter.set(getter);
    }

    /// The row of `key` (see [`ValueGetter`]).
    pub(crate) fn lookup(
        &self,
        key: &K,
        as_of: Option<i64>,
        stores: &mut StoreAccess<'_>,
    ) -> Result<Option<KeyLookup<V>>, ProcessError> {
        match self.getter.get() {
            Some(get) => get(key, as_of, stores),
            None => Err(ProcessError::msg(
                "a table lookup was used before the topology was built",
            )),
        }
    }
}
