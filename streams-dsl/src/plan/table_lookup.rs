//! The table lookup node: what a join that reads a table without a store of
//! its own needs. As written without optimization it materializes the table
//! in a store (`KTABLE-MATERIALIZE-...`) fed by its updates; with the value
//! getter rewrite it writes nothing and the join reads the table through the
//! store it is derived from.

use super::{NodeWriter, Physical, WriteContext};
use crate::operators::{TableGetter, TableMaterialize, TableRows};
use std::rc::Rc;
use std::sync::{Arc, OnceLock};
use streams_core::record::Change;
use streams_core::serde::SerdeRef;
use streams_core::state::KeyValueStoreBuilder;
use streams_core::topology::{NodeRef, TopologyBuilder, TopologyError};

/// How a processor reads a table: its rows and the stores to connect it to,
/// both settled when the plan is written.
pub(crate) struct TableRead<K, V> {
    /// The table's store or, for a derived table, the store it would be
    /// materialized in; for logs.
    pub(crate) table: Arc<str>,
    pub(crate) rows: TableRows<K, V>,
    pub(crate) stores: Arc<OnceLock<Vec<String>>>,
}

impl<K, V> Clone for TableRead<K, V> {
    fn clone(&self) -> Self {
        Self {
            table: self.table.clone(),
            rows: self.rows.clone(),
            stores: self.stores.clone(),
        }
    }
}

impl<K: 'static, V: Clone + 'static> TableRead<K, V> {
    /// Reads through `getter`, known now.
    pub(crate) fn through(table: &str, getter: TableGetter<K, V>) -> Self {
        Self {
            table: table.into(),
            rows: TableRows::resolved(getter.get),
            stores: Arc::new(OnceLock::from(getter.stores)),
        }
    }

    /// Reads through a getter the plan chooses when it is written.
    pub(crate) fn later(table: &str) -> Self {
        Self {
            table: table.into(),
            rows: TableRows::unresolved(),
            stores: Arc::new(OnceLock::new()),
        }
    }

    fn settle(&self, getter: TableGetter<K, V>) {
        self.rows.resolve(getter.get);
        let _first = self.stores.set(getter.stores);
    }
}

/// Writes a table lookup: a materializing store, or nothing under value
/// getters.
pub(crate) struct TableLookup<K, V> {
    /// The store to materialize into.
    pub(crate) store: String,
    pub(crate) key_serde: Option<SerdeRef<K>>,
    pub(crate) value_serde: Option<SerdeRef<V>>,
    /// The derived table's getter, if it has one.
    pub(crate) getter: Option<TableGetter<K, V>>,
    pub(crate) read: TableRead<K, V>,
}

impl<K: Clone + 'static, V: Clone + 'static> NodeWriter for TableLookup<K, V> {
    fn write(
        self: Box<Self>,
        context: WriteContext,
        physical: &mut TopologyBuilder,
    ) -> Result<Physical, TopologyError> {
        let lookup = *self;
        if context.optimization.value_getters()
            && let Some(getter) = lookup.getter
        {
            lookup.read.settle(getter);
            return Ok(Rc::new(()));
        }
        let parents = context.parents::<K, Change<V>>()?;
        physical.add_state_store(
            KeyValueStoreBuilder::<K, V>::persistent(lookup.store.clone())
                .with_serdes(lookup.key_serde, lookup.value_serde),
        );
        let store: Arc<str> = lookup.store.as_str().into();
        let node: NodeRef<K, Change<V>> = physical.add_processor(
            context.name.clone(),
            move || TableMaterialize {
                store: store.clone(),
            },
            &parents,
        );
        physical.connect_store(&lookup.store, node);
        lookup
            .read
            .settle(TableGetter::of_store(&lookup.store, false));
        Ok(Rc::new(node))
    }
}
