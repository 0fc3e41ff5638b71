//! How each logical node writes itself into the physical topology: a
//! source, a processor, a sink or a repartition (a sink and a source). The
//! nodes' typed outputs travel between writers as `NodeRef`s behind `Any`, so
//! every edge is checked against the types the DSL declared.

use super::RepartitionSpec;
use std::any::Any;
use std::marker::PhantomData;
use std::rc::Rc;
use streams_core::partitioner::PartitionerRef;
use streams_core::processor::{Processor, TimestampExtractorRef};
use streams_core::serde::SerdeRef;
use streams_core::topology::{
    NodeRef, OffsetResetPolicy, SinkTopic, TopicRef, TopologyBuilder, TopologyError,
    TopologyOptimization,
};

/// A written node's output: the `NodeRef<K, V>` of its physical node (`()`
/// for sinks).
pub(crate) type Physical = Rc<dyn Any>;

/// What a node needs to write itself.
pub(crate) struct WriteContext {
    pub(crate) name: String,
    pub(super) parents: Vec<Physical>,
    pub(super) stores: Vec<String>,
    pub(super) offset_reset: Option<OffsetResetPolicy>,
    /// The rewrites `build` applies.
    pub(crate) optimization: TopologyOptimization,
}

impl WriteContext {
    /// The physical nodes of this node's parents, which emit `Record<K, V>`.
    pub(crate) fn parents<K: 'static, V: 'static>(
        &self,
    ) -> Result<Vec<NodeRef<K, V>>, TopologyError> {
        self.parents
            .iter()
            .map(|parent| {
                parent
                    .downcast_ref::<NodeRef<K, V>>()
                    .copied()
                    .ok_or_else(|| {
                        TopologyError::Internal(format!(
                            "plan node {}: a parent's output is not the input it declared",
                            self.name
                        ))
                    })
            })
            .collect()
    }

    /// Connects the stores this node was given to its physical `node`.
    pub(crate) fn connect_stores<K, V>(&self, node: NodeRef<K, V>, physical: &mut TopologyBuilder) {
        for store in &self.stores {
            physical.connect_store(store, node);
        }
    }
}

/// Writes one logical node.
pub(crate) trait NodeWriter {
    fn write(
        self: Box<Self>,
        context: WriteContext,
        physical: &mut TopologyBuilder,
    ) -> Result<Physical, TopologyError>;

    /// For a repartition the DSL created on its own (not `repartition()`),
    /// what merging it with another one requires; `None` for other nodes.
    fn mergeable_repartition(&self) -> Option<RepartitionSettings> {
        None
    }
}

pub(super) struct SourceWriter<K, V> {
    pub(super) topics: Vec<TopicRef>,
    pub(super) key_serde: Option<SerdeRef<K>>,
    pub(super) value_serde: Option<SerdeRef<V>>,
    pub(super) extractor: Option<TimestampExtractorRef<K, V>>,
}

impl<K: Clone + 'static, V: Clone + 'static> NodeWriter for SourceWriter<K, V> {
    fn write(
        self: Box<Self>,
        context: WriteContext,
        physical: &mut TopologyBuilder,
    ) -> Result<Physical, TopologyError> {
        let node = physical.add_source_with_extractor(
            context.name.clone(),
            self.topics,
            self.key_serde,
            self.value_serde,
            self.extractor,
        );
        if let Some(policy) = context.offset_reset {
            physical.set_offset_reset(node, policy);
        }
        Ok(Rc::new(node))
    }
}

/// The record types a processor reads and writes.
type ProcessorTypes<KIn, VIn, KOut, VOut> = PhantomData<fn(KIn, VIn) -> (KOut, VOut)>;

pub(super) struct ProcessorWriter<KIn, VIn, KOut, VOut, F> {
    supplier: F,
    types: ProcessorTypes<KIn, VIn, KOut, VOut>,
}

impl<KIn, VIn, KOut, VOut, F> ProcessorWriter<KIn, VIn, KOut, VOut, F> {
    pub(super) fn new(supplier: F) -> Self {
        Self {
            supplier,
            types: PhantomData,
        }
    }
}

impl<KIn, VIn, KOut, VOut, P, F> NodeWriter for ProcessorWriter<KIn, VIn, KOut, VOut, F>
where
    F: Fn() -> P + Send + Sync + 'static,
    P: Processor<KIn, VIn, KOut, VOut> + 'static,
    KIn: 'static,
    VIn: 'static,
    KOut: 'static,
    VOut: 'static,
{
    fn write(
        self: Box<Self>,
        context: WriteContext,
        physical: &mut TopologyBuilder,
    ) -> Result<Physical, TopologyError> {
        let parents = context.parents::<KIn, VIn>()?;
        let node: NodeRef<KOut, VOut> =
            physical.add_processor(context.name.clone(), self.supplier, &parents);
        context.connect_stores(node, physical);
        Ok(Rc::new(node))
    }
}

pub(super) struct SinkWriter<K, V> {
    pub(super) topic: SinkTopic<K, V>,
    pub(super) key_serde: Option<SerdeRef<K>>,
    pub(super) value_serde: Option<SerdeRef<V>>,
    pub(super) partitioner: Option<PartitionerRef<K, V>>,
}

impl<K: 'static, V: 'static> NodeWriter for SinkWriter<K, V> {
    fn write(
        self: Box<Self>,
        context: WriteContext,
        physical: &mut TopologyBuilder,
    ) -> Result<Physical, TopologyError> {
        let parents = context.parents::<K, V>()?;
        physical.add_partitioned_sink(
            context.name,
            self.topic,
            self.key_serde,
            self.value_serde,
            self.partitioner,
            &parents,
        );
        Ok(Rc::new(()))
    }
}

pub(super) struct RepartitionWriter<K, V> {
    pub(super) spec: RepartitionSpec<K, V>,
}

impl<K: Clone + 'static, V: Clone + 'static> NodeWriter for RepartitionWriter<K, V> {
    fn mergeable_repartition(&self) -> Option<RepartitionSettings> {
        let spec = &self.spec;
        (spec.implicit && spec.partitioner.is_none()).then(|| RepartitionSettings {
            key_serde: serde_identity(&spec.key_serde),
            value_serde: serde_identity(&spec.value_serde),
            partitions: spec.partitions,
        })
    }

    fn write(
        self: Box<Self>,
        context: WriteContext,
        physical: &mut TopologyBuilder,
    ) -> Result<Physical, TopologyError> {
        let parents = context.parents::<K, V>()?;
        let spec = self.spec;
        let name = &context.name;
        let topic = TopicRef::Internal(format!("{name}-repartition"));
        if let Some(partitions) = spec.partitions {
            physical.set_partition_count(topic.clone(), partitions);
        }
        physical.add_partitioned_sink(
            format!("{name}-repartition-sink"),
            SinkTopic::Topic(topic.clone()),
            spec.key_serde.clone(),
            spec.value_serde.clone(),
            spec.partitioner,
            &parents,
        );
        let source = physical.add_source::<K, V>(
            format!("{name}-repartition-source"),
            vec![topic],
            spec.key_serde,
            spec.value_serde,
        );
        Ok(Rc::new(source))
    }
}

/// What two repartitions of one stream must share to become one topic:
/// the same serdes (the same serde objects, or both left to the registry),
/// partition count and partitioner (none).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RepartitionSettings {
    key_serde: Option<*const ()>,
    value_serde: Option<*const ()>,
    partitions: Option<u32>,
}

fn serde_identity<T: ?Sized>(serde: &Option<std::sync::Arc<T>>) -> Option<*const ()> {
    serde
        .as_ref()
        .map(|serde| std::sync::Arc::as_ptr(serde).cast::<()>())
}
