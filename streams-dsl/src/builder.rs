//! `StreamsBuilder`: where a DSL application starts.

use crate::operators::VersionedTableSource;
use crate::plan::{LogicalPlan, PlanKind, TableSourceWriter};
use crate::{Consumed, Data, GlobalKTable, KStream, KTable, Materialized};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use streams_core::record::Change;
use streams_core::runtime::StreamsConfig;
use streams_core::serde::Serde;
use streams_core::serde::{OptionSerde, SerdeRef};
use streams_core::state::GlobalTableBuilder;
use streams_core::state::StoreBuilder;
use streams_core::topology::{TopicRef, Topology, TopologyError, TopologyOptimization};

/// Builds a topology from DSL operators. Streams created from it share it, so
/// operators can be chained from any of them; `build()` validates the result.
#[derive(Default)]
pub struct StreamsBuilder {
    topology: Rc<RefCell<LogicalPlan>>,
}

impl StreamsBuilder {
    /// An empty builder with the built-in serdes registered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes `serde` the default for `T` (and for `Option<T>`) wherever this
    /// topology reads or writes a `T` without an explicit serde.
    ///
    /// ```
    /// use streams_dsl::prelude::*;
    /// #[derive(serde::Serialize, serde::Deserialize, Clone)]
    /// struct Order { id: u64 }
    /// let builder = StreamsBuilder::new();
    /// builder.register_serde(JsonSerde::<Order>::new());
    /// ```
    pub fn register_serde<T: 'static>(&self, serde: impl Serde<T> + 'static) -> &Self {
        self.topology.borrow_mut().register_serde(serde);
        self
    }

    /// Adds a state store that processors can use (see [`KStream::process`]).
    pub fn add_state_store(&self, store: impl StoreBuilder + 'static) -> &Self {
        self.topology.borrow_mut().add_state_store(store);
        self
    }

    /// A stream of the records of `topic`.
    pub fn stream<K: Data, V: Data>(&self, topic: &str, consumed: Consumed<K, V>) -> KStream<K, V> {
        self.stream_from(&[topic], consumed)
    }

    /// One stream of the records of several topics.
    pub fn stream_from<K: Data, V: Data>(
        &self,
        topics: &[&str],
        consumed: Consumed<K, V>,
    ) -> KStream<K, V> {
        let mut topology = self.topology.borrow_mut();
        let name = consumed
            .name
            .unwrap_or_else(|| topology.generate_name("KSTREAM-SOURCE"));
        let node = topology.add_source(
            name,
            topics
                .iter()
                .map(|t| TopicRef::External(t.to_string()))
                .collect(),
            consumed.key_serde.clone(),
            consumed.value_serde.clone(),
            consumed.timestamp_extractor.clone(),
        );
        if let Some(policy) = consumed.offset_reset {
            topology.set_offset_reset(node, policy);
        }
        drop(topology);
        KStream::new(
            self.topology.clone(),
            node,
            consumed.key_serde,
            consumed.value_serde,
            false,
        )
    }

    /// A table of the latest value per key of `topic` (a null value deletes its
    /// key), materialized in a store so it can be joined, aggregated and queried.
    ///
    /// With [`Materialized::versioned`] the store keeps each key's history:
    /// an update older than its key's latest version goes into the history
    /// without being forwarded, and stream-table joins read the table as of
    /// each stream record's timestamp.
    pub fn table<K: Data, V: Data>(
        &self,
        topic: &str,
        consumed: Consumed<K, V>,
        materialized: Materialized<K, V>,
    ) -> KTable<K, V> {
        let mut topology = self.topology.borrow_mut();
        let source_name = consumed
            .name
            .clone()
            .unwrap_or_else(|| topology.generate_name("KSTREAM-SOURCE"));
        let value_serde: Option<SerdeRef<Option<V>>> = consumed
            .value_serde
            .clone()
            .map(|inner| Arc::new(OptionSerde::new(inner)) as SerdeRef<Option<V>>);
        let source = topology.add_source::<K, Option<V>>(
            source_name,
            vec![TopicRef::External(topic.to_string())],
            consumed.key_serde.clone(),
            value_serde,
            consumed.table_extractor(),
        );
        if let Some(policy) = consumed.offset_reset {
            topology.set_offset_reset(source, policy);
        }
        let store = materialized
            .name
            .clone()
            .unwrap_or_else(|| topology.generate_name(&format!("{topic}-STATE-STORE")));
        let store_builder = materialized
            .store
            .key_value_builder::<K, V>(store.clone())
            .with_serdes(
                materialized
                    .key_serde
                    .clone()
                    .or(consumed.key_serde.clone()),
                materialized
                    .value_serde
                    .clone()
                    .or(consumed.value_serde.clone()),
            )
            .with_caching(materialized.caching);
        let name = topology.generate_name("KTABLE-SOURCE");
        let store_name: Arc<str> = store.as_str().into();
        let node = match materialized.history_retention {
            Some(history_retention) => {
                topology.add_state_store(store_builder.versioned(history_retention));
                let node = topology.add_processor(
                    PlanKind::TableSource,
                    name,
                    move || VersionedTableSource {
                        store: store_name.clone(),
                    },
                    &[source],
                );
                topology.connect_store(&store, node);
                node
            }
            None => {
                // The source topic holds the store's bytes (same serdes, the
                // records' own timestamps), so it can be its changelog.
                let reusable = materialized.store.changelog.is_default()
                    && materialized.key_serde.is_none()
                    && materialized.value_serde.is_none()
                    && consumed.timestamp_extractor.is_none();
                topology.add_node::<K, Change<V>, K, Option<V>>(
                    PlanKind::TableSource,
                    name,
                    &[source],
                    Box::new(TableSourceWriter {
                        store: store_builder,
                        reusable_topic: reusable.then(|| topic.to_string()),
                    }),
                )
            }
        };
        drop(topology);
        let table = KTable::new(
            self.topology.clone(),
            node,
            Some(store),
            materialized.key_serde.or(consumed.key_serde),
            materialized.value_serde.or(consumed.value_serde),
        );
        match materialized.history_retention {
            Some(history_retention) => table.with_versioned_store(history_retention),
            None => table,
        }
    }

    /// A global table of `topic` (Kafka Streams' `globalTable`): every
    /// instance keeps all of its partitions in the global store
    /// `materialized` names (persistent or in memory; the topic is its
    /// changelog, so it is never logged again, nor cached), so streams join it
    /// by any key without repartitioning. Rows hold the latest value per key,
    /// a null value deletes. The topic is read from its start, raw: records
    /// are stored as they are and deserialized when looked up, so `consumed`
    /// gives the serdes but no timestamp extractor or offset reset applies
    /// (each row keeps its record's timestamp).
    pub fn global_table<K: Data, V: Data>(
        &self,
        topic: &str,
        consumed: Consumed<K, V>,
        materialized: Materialized<K, V>,
    ) -> GlobalKTable<K, V> {
        let mut topology = self.topology.borrow_mut();
        let store = materialized
            .name
            .clone()
            .unwrap_or_else(|| topology.generate_name(&format!("{topic}-STATE-STORE")));
        if materialized.history_retention.is_some() {
            topology.report(TopologyError::VersionedStoreUnsupported {
                store: store.clone(),
                operation: "a global table",
            });
        }
        let store_builder = materialized
            .store
            .store_type
            .key_value_builder::<K, V>(store.clone())
            .with_serdes(
                materialized.key_serde.or(consumed.key_serde),
                materialized.value_serde.or(consumed.value_serde),
            );
        topology.add_global_store(GlobalTableBuilder::new(store_builder, topic));
        GlobalKTable::new(store)
    }

    /// Validates the topology and returns it, ready for the TopologyTestDriver or
    /// the runtime, written as declared (no optimization: `topology.optimization=none`).
    pub fn build(self) -> Result<Topology, TopologyError> {
        self.build_optimized(TopologyOptimization::none())
    }

    /// Like [`build`](Self::build), optimized as `config`'s
    /// `topology.optimization` says (Kafka Streams' `build(props)`); give the
    /// runtime the same config.
    pub fn build_with(self, config: &StreamsConfig) -> Result<Topology, TopologyError> {
        self.build_optimized(config.topology_optimization())
    }

    /// Like [`build`](Self::build), with the rewrites `optimization` turns on
    /// applied to the logical plan before it is written (see
    /// [`TopologyOptimization`]); `describe()` shows the optimized topology.
    ///
    /// ```
    /// use streams_dsl::prelude::*;
    /// let builder = StreamsBuilder::new();
    /// let by_card = builder
    ///     .stream::<String, i64>("payments", Consumed::default())
    ///     .select_key(|_, cents| format!("bucket-{}", cents / 1_000));
    /// by_card.group_by_key().count(Materialized::default());
    /// by_card.group_by_key().reduce(|a, b| a + b, Materialized::default());
    /// let topology = builder.build_optimized(TopologyOptimization::all()).unwrap();
    /// let repartitions: Vec<_> = topology.internal_topics("app").into_iter()
    ///     .filter(|t| t.ends_with("-repartition")).collect();
    /// assert_eq!(repartitions.len(), 1);
    /// ```
    pub fn build_optimized(
        self,
        optimization: TopologyOptimization,
    ) -> Result<Topology, TopologyError> {
        let plan = Rc::try_unwrap(self.topology)
            .map(RefCell::into_inner)
            .unwrap_or_else(|shared| shared.replace(LogicalPlan::default()));
        plan.build(optimization)
    }
}
