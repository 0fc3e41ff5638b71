//! Node specs and factories. A spec is what the builder records (serdes may still
//! be missing); building resolves it into a factory, which instantiates the node
//! for each task.

use super::TopologyError;
use super::builder::SinkTopic;
use crate::error::RecordPart;
use crate::partitioner::PartitionerRef;
use crate::processor::{Processor, TimestampExtractorRef};
use crate::serde::{SerdeRef, SerdeRegistry};
use crate::task::{
    CreatedNode, InputHandle, NodeEntry, ProcessorNode, SinkNode, SinkPartitioning, SinkTarget,
    SourceNode,
};
use std::any::Any;
use std::cell::RefCell;
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::Arc;

/// Builder-side description of a node, resolved at `build()`.
pub(crate) trait NodeSpec: Send + Sync {
    fn resolve(
        self: Box<Self>,
        node: &str,
        serdes: &SerdeRegistry,
    ) -> Result<Arc<dyn NodeFactory>, TopologyError>;
}

/// Creates one instance of a node for a task.
pub(crate) trait NodeFactory: Send + Sync {
    fn create(&self, name: Arc<str>, index: usize, application_id: &str) -> CreatedNode;

    /// A sink's custom partitioner as a [`KeyPartitioner`] of its key type,
    /// for interactive queries of the stores its topic feeds.
    fn key_partitioner(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        None
    }
}

/// A custom partitioner asked with the key alone (Kafka Streams passes a null
/// value when it looks up a key's partition): `(topic, key, partitions)`.
pub(crate) type KeyPartitioner<K> = Arc<dyn Fn(&str, &K, i32) -> Option<i32> + Send + Sync>;

fn resolve_serde<T: 'static>(
    explicit: Option<SerdeRef<T>>,
    serdes: &SerdeRegistry,
    node: &str,
    topic: &str,
    part: RecordPart,
) -> Result<SerdeRef<T>, TopologyError> {
    explicit
        .or_else(|| serdes.get::<T>())
        .ok_or_else(|| TopologyError::MissingSerde {
            node: node.to_string(),
            topic: topic.to_string(),
            part,
            type_name: std::any::type_name::<T>(),
        })
}

/// A source reading `K`/`V` records.
pub(crate) struct SourceSpec<K, V> {
    pub(crate) topics_label: String,
    pub(crate) key_serde: Option<SerdeRef<K>>,
    pub(crate) value_serde: Option<SerdeRef<V>>,
    pub(crate) extractor: Option<TimestampExtractorRef<K, V>>,
}

struct SourceFactory<K, V> {
    key_serde: SerdeRef<K>,
    value_serde: SerdeRef<V>,
    extractor: Option<TimestampExtractorRef<K, V>>,
}

impl<K: Clone + 'static, V: Clone + 'static> NodeSpec for SourceSpec<K, V> {
    fn resolve(
        self: Box<Self>,
        node: &str,
        serdes: &SerdeRegistry,
    ) -> Result<Arc<dyn NodeFactory>, TopologyError> {
        Ok(Arc::new(SourceFactory {
            key_serde: resolve_serde(
                self.key_serde,
                serdes,
                node,
                &self.topics_label,
                RecordPart::Key,
            )?,
            value_serde: resolve_serde(
                self.value_serde,
                serdes,
                node,
                &self.topics_label,
                RecordPart::Value,
            )?,
            extractor: self.extractor,
        }))
    }
}

impl<K: Clone + 'static, V: Clone + 'static> NodeFactory for SourceFactory<K, V> {
    fn create(&self, _name: Arc<str>, index: usize, _application_id: &str) -> CreatedNode {
        let node = Rc::new(RefCell::new(SourceNode::new(
            index,
            self.key_serde.clone(),
            self.value_serde.clone(),
            self.extractor.clone(),
        )));
        CreatedNode {
            node: node.clone(),
            entry: NodeEntry::Source(node),
        }
    }
}

/// The record types a processor reads and forwards.
pub(crate) type ProcessorTypes<KIn, VIn, KOut, VOut> = fn(KIn, VIn) -> (KOut, VOut);

/// A processor made by a supplier; needs no resolution.
pub(crate) struct ProcessorFactory<F, KIn, VIn, KOut, VOut> {
    pub(crate) supplier: F,
    pub(crate) types: PhantomData<ProcessorTypes<KIn, VIn, KOut, VOut>>,
}

impl<F, P, KIn, VIn, KOut, VOut> NodeSpec for ProcessorFactory<F, KIn, VIn, KOut, VOut>
where
    F: Fn() -> P + Send + Sync + 'static,
    P: Processor<KIn, VIn, KOut, VOut> + 'static,
    KIn: 'static,
    VIn: 'static,
    KOut: 'static,
    VOut: 'static,
{
    fn resolve(
        self: Box<Self>,
        _node: &str,
        _serdes: &SerdeRegistry,
    ) -> Result<Arc<dyn NodeFactory>, TopologyError> {
        Ok(Arc::new(*self))
    }
}

impl<F, P, KIn, VIn, KOut, VOut> NodeFactory for ProcessorFactory<F, KIn, VIn, KOut, VOut>
where
    F: Fn() -> P + Send + Sync + 'static,
    P: Processor<KIn, VIn, KOut, VOut> + 'static,
    KIn: 'static,
    VIn: 'static,
    KOut: 'static,
    VOut: 'static,
{
    fn create(&self, name: Arc<str>, index: usize, _application_id: &str) -> CreatedNode {
        let node = Rc::new(RefCell::new(ProcessorNode::<P, KIn, VIn, KOut, VOut>::new(
            name,
            index,
            (self.supplier)(),
        )));
        let input: InputHandle<KIn, VIn> = node.clone();
        CreatedNode {
            node,
            entry: NodeEntry::Typed(Box::new(input)),
        }
    }
}

/// A sink writing `K`/`V` records.
pub(crate) struct SinkSpec<K, V> {
    pub(crate) topic: SinkTopic<K, V>,
    pub(crate) key_serde: Option<SerdeRef<K>>,
    pub(crate) value_serde: Option<SerdeRef<V>>,
    pub(crate) partitioner: Option<PartitionerRef<K, V>>,
}

struct SinkFactory<K, V> {
    topic: SinkTopic<K, V>,
    key_serde: SerdeRef<K>,
    value_serde: SerdeRef<V>,
    partitioner: Option<PartitionerRef<K, V>>,
}

impl<K: 'static, V: 'static> NodeSpec for SinkSpec<K, V> {
    fn resolve(
        self: Box<Self>,
        node: &str,
        serdes: &SerdeRegistry,
    ) -> Result<Arc<dyn NodeFactory>, TopologyError> {
        let label = match &self.topic {
            SinkTopic::Topic(topic) => format!("'{topic}'"),
            SinkTopic::PerRecord(_) => "chosen per record".to_string(),
        };
        Ok(Arc::new(SinkFactory {
            key_serde: resolve_serde(self.key_serde, serdes, node, &label, RecordPart::Key)?,
            value_serde: resolve_serde(self.value_serde, serdes, node, &label, RecordPart::Value)?,
            topic: self.topic,
            partitioner: self.partitioner,
        }))
    }
}

impl<K: 'static, V: 'static> NodeFactory for SinkFactory<K, V> {
    fn create(&self, name: Arc<str>, _index: usize, application_id: &str) -> CreatedNode {
        let target = match &self.topic {
            SinkTopic::Topic(topic) => SinkTarget::Fixed(topic.resolve(application_id).into()),
            SinkTopic::PerRecord(choose) => SinkTarget::PerRecord(choose.clone()),
        };
        let partitioning = SinkPartitioning {
            custom: self.partitioner.clone(),
            key_bytes: self.key_serde.partition_bytes(),
        };
        let node = Rc::new(RefCell::new(SinkNode::new(
            name,
            target,
            self.key_serde.clone(),
            self.value_serde.clone(),
            partitioning,
        )));
        let input: InputHandle<K, V> = node.clone();
        CreatedNode {
            node,
            entry: NodeEntry::Typed(Box::new(input)),
        }
    }

    fn key_partitioner(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        let partitioner = self.partitioner.clone()?;
        let by_key: KeyPartitioner<K> = Arc::new(move |topic: &str, key: &K, partitions| {
            partitioner.partition(topic, key, None, partitions)
        });
        Some(Arc::new(by_key))
    }
}
