//! The DSL's logical plan: every DSL call records a node of one operation
//! kind here instead of writing the physical topology. `StreamsBuilder::build`
//! optimizes the plan (see [`TopologyOptimization`]) and then lets every node
//! write itself into a [`TopologyBuilder`], which stays the Processor API and
//! physical layer.
//!
//! Node names are generated when the DSL call is made, from the same counter
//! as the physical builder's, so the written topology is the one the DSL
//! calls describe, node for node, unless an optimization rewrites it.

mod merge_repartitions;
mod node_kind;
mod table_lookup;
mod table_source;
mod writer;

pub(crate) use node_kind::PlanKind;
pub(crate) use table_lookup::{TableLookup, TableRead};
pub(crate) use table_source::TableSourceWriter;
pub(crate) use writer::{NodeWriter, Physical, WriteContext};

use std::marker::PhantomData;
use std::sync::{Arc, OnceLock};
use streams_core::partitioner::PartitionerRef;
use streams_core::processor::{Processor, TimestampExtractorRef};
use streams_core::serde::{Serde, SerdeRef, SerdeRegistry};
use streams_core::state::{GlobalStoreBuilder, StoreBuilder};
use streams_core::topology::{
    OffsetResetPolicy, SinkTopic, TopicRef, Topology, TopologyBuilder, TopologyError,
    TopologyOptimization,
};
use writer::{ProcessorWriter, RepartitionWriter, SinkWriter, SourceWriter};

/// A node of the logical plan that emits `Record<K, V>`.
pub(crate) struct PlanRef<K, V> {
    index: usize,
    types: PhantomData<fn() -> (K, V)>,
}

impl<K, V> PlanRef<K, V> {
    fn new(index: usize) -> Self {
        Self {
            index,
            types: PhantomData,
        }
    }
}

impl<K, V> Clone for PlanRef<K, V> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K, V> Copy for PlanRef<K, V> {}

/// One recorded operation.
struct PlanNode {
    name: String,
    kind: PlanKind,
    parents: Vec<usize>,
    stores: Vec<String>,
    /// Stores chosen when an earlier node is written (those a table lookup
    /// reads, see [`TableRead`]).
    later_stores: Vec<Arc<OnceLock<Vec<String>>>>,
    offset_reset: Option<OffsetResetPolicy>,
    /// Set by an optimization: this node is not written, its output is that
    /// of the node at this index (same record types).
    replaced_by: Option<usize>,
    writer: Box<dyn NodeWriter>,
}

/// What a repartition node writes: a sink to an internal topic and a source
/// reading it back.
pub(crate) struct RepartitionSpec<K, V> {
    /// The topic is `<application.id>-<name>-repartition`.
    pub(crate) name: String,
    pub(crate) key_serde: Option<SerdeRef<K>>,
    pub(crate) value_serde: Option<SerdeRef<V>>,
    pub(crate) partitioner: Option<PartitionerRef<K, V>>,
    pub(crate) partitions: Option<u32>,
    /// Created by the DSL for an aggregation or a join of a re-keyed stream
    /// (so the optimizer may merge it), not asked for by the user.
    pub(crate) implicit: bool,
}

/// The DSL's logical plan under construction, with the physical builder that
/// holds what needs no planning (serdes, state stores, global stores,
/// problems found while declaring).
pub(crate) struct LogicalPlan {
    physical: TopologyBuilder,
    nodes: Vec<PlanNode>,
}

impl Default for LogicalPlan {
    fn default() -> Self {
        Self {
            physical: TopologyBuilder::new(),
            nodes: Vec::new(),
        }
    }
}

impl LogicalPlan {
    /// A fresh name `<prefix>-<counter>`, as Kafka Streams generates them.
    pub(crate) fn generate_name(&mut self, prefix: &str) -> String {
        self.physical.generate_name(prefix)
    }

    /// Makes `serde` the default for `T`.
    pub(crate) fn register_serde<T: 'static>(&mut self, serde: impl Serde<T> + 'static) {
        self.physical.register_serde(serde);
    }

    /// The serde registry.
    pub(crate) fn serdes(&self) -> &SerdeRegistry {
        self.physical.serdes()
    }

    /// The serde registry, to derive serdes of wrapper types.
    pub(crate) fn serdes_mut(&mut self) -> &mut SerdeRegistry {
        self.physical.serdes_mut()
    }

    /// Adds a state store (connected to processors with
    /// [`connect_store`](Self::connect_store)).
    pub(crate) fn add_state_store(&mut self, store: impl StoreBuilder + 'static) {
        self.physical.add_state_store(store);
    }

    /// Adds a global store.
    pub(crate) fn add_global_store(&mut self, store: impl GlobalStoreBuilder + 'static) {
        self.physical.add_global_store(store);
    }

    /// Records a problem; `build()` reports it.
    pub(crate) fn report(&mut self, problem: TopologyError) {
        self.physical.report(problem);
    }

    /// A source node reading `topics`.
    pub(crate) fn add_source<K: Clone + 'static, V: Clone + 'static>(
        &mut self,
        name: String,
        topics: Vec<TopicRef>,
        key_serde: Option<SerdeRef<K>>,
        value_serde: Option<SerdeRef<V>>,
        extractor: Option<TimestampExtractorRef<K, V>>,
    ) -> PlanRef<K, V> {
        self.push(
            name,
            PlanKind::Source,
            Vec::new(),
            Box::new(SourceWriter {
                topics,
                key_serde,
                value_serde,
                extractor,
            }),
        )
    }

    /// Makes the source `source` start partitions without a committed offset
    /// at `policy`.
    pub(crate) fn set_offset_reset<K, V>(
        &mut self,
        source: PlanRef<K, V>,
        policy: OffsetResetPolicy,
    ) {
        if let Some(node) = self.nodes.get_mut(source.index) {
            node.offset_reset = Some(policy);
        }
    }

    /// A processor node of `kind`, created per task by `supplier`.
    pub(crate) fn add_processor<KIn, VIn, KOut, VOut, P, F>(
        &mut self,
        kind: PlanKind,
        name: String,
        supplier: F,
        parents: &[PlanRef<KIn, VIn>],
    ) -> PlanRef<KOut, VOut>
    where
        F: Fn() -> P + Send + Sync + 'static,
        P: Processor<KIn, VIn, KOut, VOut> + 'static,
        KIn: 'static,
        VIn: 'static,
        KOut: 'static,
        VOut: 'static,
    {
        self.push(
            name,
            kind,
            parents.iter().map(|p| p.index).collect(),
            Box::new(ProcessorWriter::<KIn, VIn, KOut, VOut, F>::new(supplier)),
        )
    }

    /// A sink node writing to `topic`.
    pub(crate) fn add_sink<K: 'static, V: 'static>(
        &mut self,
        name: String,
        topic: SinkTopic<K, V>,
        key_serde: Option<SerdeRef<K>>,
        value_serde: Option<SerdeRef<V>>,
        partitioner: Option<PartitionerRef<K, V>>,
        parents: &[PlanRef<K, V>],
    ) {
        self.push::<(), ()>(
            name,
            PlanKind::Sink,
            parents.iter().map(|p| p.index).collect(),
            Box::new(SinkWriter {
                topic,
                key_serde,
                value_serde,
                partitioner,
            }),
        );
    }

    /// A repartition node: `parent`'s records through an internal topic.
    pub(crate) fn add_repartition<K: Clone + 'static, V: Clone + 'static>(
        &mut self,
        spec: RepartitionSpec<K, V>,
        parent: PlanRef<K, V>,
    ) -> PlanRef<K, V> {
        self.push(
            spec.name.clone(),
            PlanKind::Repartition,
            vec![parent.index],
            Box::new(RepartitionWriter { spec }),
        )
    }

    /// Lets the processor `node` reach the store named `store`.
    pub(crate) fn connect_store<K, V>(&mut self, store: &str, node: PlanRef<K, V>) {
        if let Some(node) = self.nodes.get_mut(node.index) {
            node.stores.push(store.to_string());
        }
    }

    /// Lets the processor `node` reach the stores that `stores` will name
    /// once the node deciding them is written.
    pub(crate) fn connect_later_stores<K, V>(
        &mut self,
        stores: Arc<OnceLock<Vec<String>>>,
        node: PlanRef<K, V>,
    ) {
        if let Some(node) = self.nodes.get_mut(node.index) {
            node.later_stores.push(stores);
        }
    }

    /// A node that writes itself with `writer` (operators with a shape of
    /// their own, like table lookups).
    pub(crate) fn add_node<K, V, P1, P2>(
        &mut self,
        kind: PlanKind,
        name: String,
        parents: &[PlanRef<P1, P2>],
        writer: Box<dyn NodeWriter>,
    ) -> PlanRef<K, V> {
        self.push(
            name,
            kind,
            parents.iter().map(|p| p.index).collect(),
            writer,
        )
    }

    /// The current name of a node.
    pub(crate) fn node_name<K, V>(&self, node: PlanRef<K, V>) -> &str {
        self.nodes
            .get(node.index)
            .map_or("<unknown>", |n| n.name.as_str())
    }

    /// Renames a node; only allowed before anything is attached to it,
    /// otherwise `build()` reports it.
    pub(crate) fn rename<K, V>(&mut self, node: PlanRef<K, V>, name: impl Into<String>) {
        let name = name.into();
        let attached = self.nodes.iter().any(|n| n.parents.contains(&node.index));
        match self.nodes.get_mut(node.index) {
            Some(target) if !attached => target.name = name,
            Some(target) => {
                let problem = TopologyError::RenameAfterUse {
                    node: target.name.clone(),
                    new_name: name,
                };
                self.physical.report(problem);
            }
            None => self.physical.report(TopologyError::UnknownNode { name }),
        }
    }

    fn push<K, V>(
        &mut self,
        name: String,
        kind: PlanKind,
        parents: Vec<usize>,
        writer: Box<dyn NodeWriter>,
    ) -> PlanRef<K, V> {
        self.nodes.push(PlanNode {
            name,
            kind,
            parents,
            stores: Vec::new(),
            later_stores: Vec::new(),
            offset_reset: None,
            replaced_by: None,
            writer,
        });
        PlanRef::new(self.nodes.len() - 1)
    }

    /// Applies `optimization`, writes every node into the physical builder in
    /// the order the DSL declared them, and builds the topology.
    pub(crate) fn build(
        mut self,
        optimization: TopologyOptimization,
    ) -> Result<Topology, TopologyError> {
        if optimization.merge_repartition_topics() {
            merge_repartitions::merge(&mut self.nodes);
        }
        let mut written: Vec<Physical> = Vec::with_capacity(self.nodes.len());
        for node in self.nodes {
            if let Some(survivor) = node.replaced_by {
                let output = written.get(survivor).cloned().ok_or_else(|| {
                    TopologyError::Internal(format!(
                        "plan node {} replaced by a node written after it",
                        node.name
                    ))
                })?;
                written.push(output);
                continue;
            }
            let parents = node
                .parents
                .iter()
                .map(|&parent| written.get(parent).cloned())
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    TopologyError::Internal(format!(
                        "plan node {} declared before its parent",
                        node.name
                    ))
                })?;
            let mut stores = node.stores;
            for later in &node.later_stores {
                let chosen = later.get().ok_or_else(|| {
                    TopologyError::Internal(format!(
                        "plan node {}: the stores of a table it reads were not chosen",
                        node.name
                    ))
                })?;
                stores.extend(chosen.iter().cloned());
            }
            let context = WriteContext {
                name: node.name,
                parents,
                stores,
                offset_reset: node.offset_reset,
                optimization,
            };
            written.push(node.writer.write(context, &mut self.physical)?);
        }
        self.physical.build()
    }
}
