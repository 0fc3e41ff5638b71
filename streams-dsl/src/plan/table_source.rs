//! The table source node: a table's store and the processor keeping the
//! latest row per key of its topic in it. Under
//! `reuse.ktable.source.topics` the store is not logged: the source topic is
//! its changelog.

use super::{NodeWriter, Physical, WriteContext};
use crate::operators::{PendingHeaders, TableSource};
use std::rc::Rc;
use std::sync::Arc;
use streams_core::record::Change;
use streams_core::state::{KeyValueStoreBuilder, StoreBuilder};
use streams_core::topology::{NodeRef, TopologyBuilder, TopologyError};

/// Writes a table source with its store.
pub(crate) struct TableSourceWriter<K, V> {
    pub(crate) store: KeyValueStoreBuilder<K, V>,
    /// The source topic, when it holds exactly the store's bytes (so it can
    /// be the store's changelog).
    pub(crate) reusable_topic: Option<String>,
}

impl<K: Clone + 'static, V: Clone + 'static> NodeWriter for TableSourceWriter<K, V> {
    fn write(
        self: Box<Self>,
        context: WriteContext,
        physical: &mut TopologyBuilder,
    ) -> Result<Physical, TopologyError> {
        let parents = context.parents::<K, Option<V>>()?;
        let writer = *self;
        let name = writer.store.name().to_string();
        let store = match writer.reusable_topic {
            Some(topic) if context.optimization.reuse_source_topics() => {
                physical.use_source_topic_as_changelog(&name, &topic);
                writer.store.with_logging_disabled()
            }
            _ => writer.store,
        };
        physical.add_state_store(store);
        let store_name: Arc<str> = name.as_str().into();
        let node: NodeRef<K, Change<V>> = physical.add_processor(
            context.name.clone(),
            move || TableSource {
                store: store_name.clone(),
                pending: PendingHeaders::default(),
            },
            &parents,
        );
        physical.connect_store(&name, node);
        Ok(Rc::new(node))
    }
}
