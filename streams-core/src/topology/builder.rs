//! `TopologyBuilder`: the typed, low-level way to assemble sources, processors and
//! sinks (the DSL is built on it). Edges are typed: a processor can only be
//! attached to parents whose output is its input, or the program does not compile.

use super::built::{BuiltNode, BuiltStore, NodeKind, TopicSettings};
use super::factory::{NodeSpec, ProcessorFactory, SinkSpec, SourceSpec};
use super::topic::check_topic_name;
use super::{OffsetResetPolicy, TopicRef, Topology, TopologyError};
use crate::partitioner::PartitionerRef;
use crate::processor::{Processor, TimestampExtractorRef};
use crate::record::Record;
use crate::serde::{Serde, SerdeRef, SerdeRegistry};
use crate::state::{GlobalStoreBuilder, StoreBuilder};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

/// A node of a topology under construction that emits `Record<K, V>`.
pub struct NodeRef<K, V> {
    index: usize,
    types: PhantomData<fn() -> (K, V)>,
}

impl<K, V> NodeRef<K, V> {
    fn new(index: usize) -> Self {
        Self {
            index,
            types: PhantomData,
        }
    }
}

impl<K, V> Clone for NodeRef<K, V> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K, V> Copy for NodeRef<K, V> {}

impl<K, V> std::fmt::Debug for NodeRef<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NodeRef({})", self.index)
    }
}

/// Chooses a topic name for each record.
pub type TopicChooser<K, V> = Arc<dyn Fn(&Record<K, V>) -> String + Send + Sync>;

/// Where a sink writes.
pub enum SinkTopic<K, V> {
    /// One topic.
    Topic(TopicRef),
    /// A topic chosen for each record (Kafka Streams' `TopicNameExtractor`).
    PerRecord(TopicChooser<K, V>),
}

struct NodeDef {
    name: String,
    kind: NodeKind,
    parents: Vec<usize>,
    spec: Box<dyn NodeSpec>,
}

/// Assembles a topology node by node.
///
/// ```
/// use streams_core::processor::{Processor, ProcessorContext};
/// use streams_core::error::ProcessError;
/// use streams_core::record::Record;
/// use streams_core::topology::{SinkTopic, TopicRef, TopologyBuilder};
///
/// struct Upper;
/// impl Processor<String, String, String, String> for Upper {
///     fn process(&mut self, r: Record<String, String>, ctx: &mut ProcessorContext<'_, String, String>) -> Result<(), ProcessError> {
///         let upper = r.value.to_uppercase();
///         ctx.forward(r.with_value(upper))
///     }
/// }
///
/// let mut builder = TopologyBuilder::new();
/// let source = builder.add_source::<String, String>("source", vec![TopicRef::External("in".into())], None, None);
/// let upper = builder.add_processor("upper", || Upper, &[source]);
/// builder.add_sink("sink", SinkTopic::Topic(TopicRef::External("out".into())), None, None, &[upper]);
/// let topology = builder.build().unwrap();
/// assert_eq!(topology.describe().subtopologies.len(), 1);
/// ```
pub struct TopologyBuilder {
    nodes: Vec<NodeDef>,
    stores: Vec<Box<dyn StoreBuilder>>,
    global_stores: Vec<Box<dyn GlobalStoreBuilder>>,
    store_connections: Vec<(String, usize)>,
    offset_resets: Vec<(usize, OffsetResetPolicy)>,
    partition_counts: Vec<(TopicRef, u32)>,
    source_changelogs: Vec<(String, String)>,
    serdes: SerdeRegistry,
    generated: usize,
    problems: Vec<TopologyError>,
}

impl Default for TopologyBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl TopologyBuilder {
    /// An empty builder whose serde registry has the built-in serdes.
    pub fn new() -> Self {
        Self {
            nodes: Vec::new(),
            stores: Vec::new(),
            global_stores: Vec::new(),
            store_connections: Vec::new(),
            offset_resets: Vec::new(),
            partition_counts: Vec::new(),
            source_changelogs: Vec::new(),
            serdes: SerdeRegistry::with_builtins(),
            generated: 0,
            problems: Vec::new(),
        }
    }

    /// Makes `serde` the default for `T` (and `Option<T>`) in this topology.
    pub fn register_serde<T: 'static>(&mut self, serde: impl Serde<T> + 'static) -> &mut Self {
        self.serdes.register(serde);
        self
    }

    /// The default serdes by type.
    pub fn serdes(&self) -> &SerdeRegistry {
        &self.serdes
    }

    /// The default serdes by type, to register or derive more.
    pub fn serdes_mut(&mut self) -> &mut SerdeRegistry {
        &mut self.serdes
    }

    /// A fresh deterministic node name, `PREFIX-0000000007` style, numbered in the
    /// order names are requested (as Kafka Streams names DSL nodes).
    pub fn generate_name(&mut self, prefix: &str) -> String {
        let name = format!("{prefix}-{:010}", self.generated);
        self.generated += 1;
        name
    }

    /// Adds a source node reading `topics`, its records keeping their own
    /// timestamps. Missing serdes are taken from the registry by type at
    /// `build()`.
    pub fn add_source<K: Clone + 'static, V: Clone + 'static>(
        &mut self,
        name: impl Into<String>,
        topics: Vec<TopicRef>,
        key_serde: Option<SerdeRef<K>>,
        value_serde: Option<SerdeRef<V>>,
    ) -> NodeRef<K, V> {
        self.add_source_with_extractor(name, topics, key_serde, value_serde, None)
    }

    /// Adds a source node like [`add_source`](Self::add_source) whose records
    /// get their timestamps from `extractor` (`None`: their own) for the whole
    /// sub-topology: stream time, windows and output timestamps.
    pub fn add_source_with_extractor<K: Clone + 'static, V: Clone + 'static>(
        &mut self,
        name: impl Into<String>,
        topics: Vec<TopicRef>,
        key_serde: Option<SerdeRef<K>>,
        value_serde: Option<SerdeRef<V>>,
        extractor: Option<TimestampExtractorRef<K, V>>,
    ) -> NodeRef<K, V> {
        let topics_label = topics
            .iter()
            .map(|t| format!("'{t}'"))
            .collect::<Vec<_>>()
            .join(", ");
        self.push(
            name.into(),
            NodeKind::Source { topics },
            Vec::new(),
            Box::new(SourceSpec {
                topics_label,
                key_serde,
                value_serde,
                extractor,
            }),
        )
    }

    /// Makes the source `source` start partitions without a committed offset
    /// at `policy`, instead of where the consumer's `auto.offset.reset` says
    /// (in the runtime; the TopologyTestDriver has no offsets to reset).
    pub fn set_offset_reset<K, V>(&mut self, source: NodeRef<K, V>, policy: OffsetResetPolicy) {
        self.offset_resets.push((source.index, policy));
    }

    /// Adds a global store: every instance keeps a copy of all partitions of
    /// its topic, and every processor can read it by name (see
    /// [`ProcessorContext::global_store`](crate::processor::ProcessorContext::global_store));
    /// nothing needs connecting. Its topic must exist and may not be read by
    /// a source of the topology too.
    pub fn add_global_store(&mut self, store: impl GlobalStoreBuilder + 'static) {
        self.global_stores.push(Box::new(store));
    }

    /// Creates the internal topic `topic` with `partitions` partitions
    /// instead of deriving its count from the sub-topology writing it (Kafka
    /// Streams' `Repartitioned.withNumberOfPartitions`). The sub-topology
    /// reading it then has that many tasks; `build()` fails if `topic` is not
    /// an internal topic some source reads or `partitions` is 0, and the
    /// runtime fails at start if it is read together with topics of another
    /// partition count.
    pub fn set_partition_count(&mut self, topic: TopicRef, partitions: u32) {
        self.partition_counts.push((topic, partitions));
    }

    /// Makes the source topic `topic` the changelog of the key-value store
    /// `store` (Kafka Streams' `reuse.ktable.source.topics`): the store must
    /// hold exactly the latest record per key of `topic`, with the topic's
    /// key and value bytes, and have logging disabled. Its tasks then restore
    /// it from their partition of `topic` up to the group's committed offset
    /// (records after it are processed again), and its checkpoint is the
    /// offset processed. `build()` fails if the store was not added, is
    /// logged, or no source reads `topic`.
    pub fn use_source_topic_as_changelog(&mut self, store: &str, topic: &str) {
        self.source_changelogs
            .push((store.to_string(), topic.to_string()));
    }

    /// Adds a processor created per task by `supplier`, attached to `parents`.
    pub fn add_processor<KIn, VIn, KOut, VOut, P, F>(
        &mut self,
        name: impl Into<String>,
        supplier: F,
        parents: &[NodeRef<KIn, VIn>],
    ) -> NodeRef<KOut, VOut>
    where
        F: Fn() -> P + Send + Sync + 'static,
        P: Processor<KIn, VIn, KOut, VOut> + 'static,
        KIn: 'static,
        VIn: 'static,
        KOut: 'static,
        VOut: 'static,
    {
        self.push(
            name.into(),
            NodeKind::Processor { stores: Vec::new() },
            parents.iter().map(|p| p.index).collect(),
            Box::new(ProcessorFactory {
                supplier,
                types: PhantomData,
            }),
        )
    }

    /// Adds a sink writing to `topic`, attached to `parents`, partitioning
    /// with the default partitioner. Missing serdes are taken from the
    /// registry by type at `build()`.
    pub fn add_sink<K: 'static, V: 'static>(
        &mut self,
        name: impl Into<String>,
        topic: SinkTopic<K, V>,
        key_serde: Option<SerdeRef<K>>,
        value_serde: Option<SerdeRef<V>>,
        parents: &[NodeRef<K, V>],
    ) {
        self.add_partitioned_sink(name, topic, key_serde, value_serde, None, parents);
    }

    /// Adds a sink like [`add_sink`](Self::add_sink) whose records go to the
    /// partition `partitioner` chooses (`None`: the default partitioner,
    /// murmur2 of the serialized key; windowed keys by their inner key).
    /// Interactive queries of the stores fed by its topic find a key's
    /// partition with the same partitioner.
    pub fn add_partitioned_sink<K: 'static, V: 'static>(
        &mut self,
        name: impl Into<String>,
        topic: SinkTopic<K, V>,
        key_serde: Option<SerdeRef<K>>,
        value_serde: Option<SerdeRef<V>>,
        partitioner: Option<PartitionerRef<K, V>>,
        parents: &[NodeRef<K, V>],
    ) {
        let described = match &topic {
            SinkTopic::Topic(topic) => Some(topic.clone()),
            SinkTopic::PerRecord(_) => None,
        };
        self.push::<(), ()>(
            name.into(),
            NodeKind::Sink { topic: described },
            parents.iter().map(|p| p.index).collect(),
            Box::new(SinkSpec {
                topic,
                key_serde,
                value_serde,
                partitioner,
            }),
        );
    }

    /// Adds a state store; connect it to the processors that use it with
    /// [`connect_store`](Self::connect_store).
    pub fn add_state_store(&mut self, store: impl StoreBuilder + 'static) {
        self.stores.push(Box::new(store));
    }

    /// Lets a processor reach the store named `store` through its context.
    pub fn connect_store<K, V>(&mut self, store: &str, processor: NodeRef<K, V>) {
        self.store_connections
            .push((store.to_string(), processor.index));
    }

    /// Records a problem found while declaring the topology; `build()` reports it.
    pub fn report(&mut self, problem: TopologyError) {
        self.problems.push(problem);
    }

    /// The current name of a node.
    pub fn node_name<K, V>(&self, node: NodeRef<K, V>) -> &str {
        self.nodes
            .get(node.index)
            .map_or("<unknown>", |n| n.name.as_str())
    }

    /// Renames a node. Only allowed before anything is attached to it; otherwise
    /// `build()` reports it.
    pub fn rename<K, V>(&mut self, node: NodeRef<K, V>, name: impl Into<String>) {
        let name = name.into();
        let attached = self.nodes.iter().any(|n| n.parents.contains(&node.index));
        match self.nodes.get_mut(node.index) {
            Some(target) if !attached => target.name = name,
            Some(target) => self.problems.push(TopologyError::RenameAfterUse {
                node: target.name.clone(),
                new_name: name,
            }),
            None => self.problems.push(TopologyError::UnknownNode { name }),
        }
    }

    fn push<K, V>(
        &mut self,
        name: String,
        kind: NodeKind,
        parents: Vec<usize>,
        spec: Box<dyn NodeSpec>,
    ) -> NodeRef<K, V> {
        self.nodes.push(NodeDef {
            name,
            kind,
            parents,
            spec,
        });
        NodeRef::new(self.nodes.len() - 1)
    }

    /// Validates the topology, resolves serdes and splits it into sub-topologies.
    pub fn build(mut self) -> Result<Topology, TopologyError> {
        if let Some(problem) = self.problems.drain(..).next() {
            return Err(problem);
        }
        self.validate()?;
        self.check_source_changelogs()?;
        let stores = self.connect_stores()?;
        let offset_resets = self.source_offset_resets()?;
        let partition_counts = self.internal_partition_counts()?;
        let global_stores = self.resolve_global_stores(&stores)?;
        let mut nodes = Vec::with_capacity(self.nodes.len());
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); self.nodes.len()];
        for (index, node) in self.nodes.iter().enumerate() {
            for &parent in &node.parents {
                children[parent].push(index);
            }
        }
        for (node, children) in self.nodes.into_iter().zip(children) {
            let factory = node.spec.resolve(&node.name, &self.serdes)?;
            nodes.push(BuiltNode {
                name: node.name.into(),
                kind: node.kind,
                parents: node.parents,
                children,
                factory,
            });
        }
        Ok(Topology::new(
            nodes,
            stores,
            TopicSettings {
                offset_resets,
                partition_counts,
                source_changelogs: self.source_changelogs,
            },
            global_stores,
            self.serdes,
        ))
    }

    /// The global stores with their serdes resolved, checked: names unique
    /// among all stores, topics read by no source.
    fn resolve_global_stores(
        &mut self,
        stores: &[BuiltStore],
    ) -> Result<Vec<Arc<dyn GlobalStoreBuilder>>, TopologyError> {
        let mut resolved: Vec<Arc<dyn GlobalStoreBuilder>> = Vec::new();
        for mut builder in std::mem::take(&mut self.global_stores) {
            builder.resolve_serdes(&self.serdes)?;
            let name = builder.name();
            check_topic_name(name).map_err(|reason| TopologyError::InvalidName {
                name: name.to_string(),
                reason,
            })?;
            let taken = stores.iter().any(|s| s.builder.name() == name)
                || resolved.iter().any(|s| s.name() == name);
            if taken {
                return Err(TopologyError::DuplicateStore {
                    store: name.to_string(),
                });
            }
            let topic = TopicRef::External(builder.topic().to_string());
            let reader = self.nodes.iter().find(|node| match &node.kind {
                NodeKind::Source { topics } => topics.contains(&topic),
                _ => false,
            });
            if let Some(source) = reader {
                return Err(TopologyError::TopicReadTwice {
                    topic: builder.topic().to_string(),
                    first: format!("global store {name}"),
                    second: source.name.clone(),
                });
            }
            if let Some(other) = resolved.iter().find(|s| s.topic() == builder.topic()) {
                return Err(TopologyError::TopicReadTwice {
                    topic: builder.topic().to_string(),
                    first: format!("global store {}", other.name()),
                    second: format!("global store {name}"),
                });
            }
            resolved.push(Arc::from(builder));
        }
        Ok(resolved)
    }

    /// The partition counts set for internal topics, checked: each names an
    /// internal topic a source reads, with one count above zero.
    /// Each store given a source topic as its changelog exists, is not
    /// logged, and a source reads the topic.
    fn check_source_changelogs(&self) -> Result<(), TopologyError> {
        for (store, topic) in &self.source_changelogs {
            let problem = match self.stores.iter().find(|s| s.name() == store) {
                None => Some("no such store was added".to_string()),
                Some(builder) if builder.changelog().is_some() => Some(
                    "the store is logged to a changelog of its own; disable its logging"
                        .to_string(),
                ),
                Some(_) => None,
            };
            let read = TopicRef::External(topic.clone());
            let problem = problem.or_else(|| {
                (!self.nodes.iter().any(|node| match &node.kind {
                    NodeKind::Source { topics } => topics.contains(&read),
                    _ => false,
                }))
                .then(|| format!("no source reads '{topic}'"))
            });
            if let Some(reason) = problem {
                return Err(TopologyError::InvalidSourceChangelog {
                    store: store.clone(),
                    topic: topic.clone(),
                    reason,
                });
            }
        }
        Ok(())
    }

    fn internal_partition_counts(&self) -> Result<Vec<(TopicRef, u32)>, TopologyError> {
        let mut counts: Vec<(TopicRef, u32)> = Vec::new();
        for (topic, partitions) in &self.partition_counts {
            let read = self.nodes.iter().any(|node| match &node.kind {
                NodeKind::Source { topics } => topics.contains(topic),
                _ => false,
            });
            let problem = if !topic.is_internal() {
                Some("only internal (repartition) topics get their partition count from the topology; create user topics with the partitions you want".to_string())
            } else if !read {
                Some("no source of the topology reads it".to_string())
            } else if *partitions == 0 {
                Some("a topic needs at least one partition".to_string())
            } else {
                counts
                    .iter()
                    .find(|(seen, count)| seen == topic && count != partitions)
                    .map(|(_, count)| {
                        format!("it is given both {count} and {partitions} partitions; give it one count")
                    })
            };
            if let Some(reason) = problem {
                return Err(TopologyError::InvalidPartitionCount {
                    topic: topic.to_string(),
                    partitions: *partitions,
                    reason,
                });
            }
            if !counts.iter().any(|(seen, _)| seen == topic) {
                counts.push((topic.clone(), *partitions));
            }
        }
        Ok(counts)
    }

    /// The topics of the sources given an offset reset policy, with it.
    fn source_offset_resets(&self) -> Result<Vec<(TopicRef, OffsetResetPolicy)>, TopologyError> {
        let mut resets = Vec::new();
        for &(node, policy) in &self.offset_resets {
            match self.nodes.get(node).map(|n| &n.kind) {
                Some(NodeKind::Source { topics }) => {
                    resets.extend(topics.iter().map(|topic| (topic.clone(), policy)));
                }
                _ => {
                    return Err(TopologyError::Internal(format!(
                        "an offset reset policy was set on node #{node}, which is not a source"
                    )));
                }
            }
        }
        Ok(resets)
    }

    /// Checks store names and connections and records each processor's stores.
    fn connect_stores(&mut self) -> Result<Vec<BuiltStore>, TopologyError> {
        let mut stores: Vec<BuiltStore> = Vec::with_capacity(self.stores.len());
        for mut builder in std::mem::take(&mut self.stores) {
            builder.resolve_serdes(&self.serdes)?;
            let name = builder.name().to_string();
            let name = name.as_str();
            check_topic_name(name).map_err(|reason| TopologyError::InvalidName {
                name: name.to_string(),
                reason,
            })?;
            if stores.iter().any(|s| s.builder.name() == name) {
                return Err(TopologyError::DuplicateStore {
                    store: name.to_string(),
                });
            }
            stores.push(BuiltStore {
                builder: Arc::from(builder),
                nodes: Vec::new(),
            });
        }
        for (store, node) in &self.store_connections {
            let target = self
                .nodes
                .get_mut(*node)
                .ok_or_else(|| TopologyError::UnknownNode {
                    name: format!("#{node}"),
                })?;
            let NodeKind::Processor { stores: connected } = &mut target.kind else {
                return Err(TopologyError::Internal(format!(
                    "store '{store}' connected to '{}', which is not a processor",
                    target.name
                )));
            };
            let built = stores
                .iter_mut()
                .find(|s| s.builder.name() == store)
                .ok_or_else(|| TopologyError::UnknownStore {
                    store: store.clone(),
                    node: target.name.clone(),
                })?;
            if !built.nodes.contains(node) {
                built.nodes.push(*node);
                connected.push(store.clone());
            }
        }
        Ok(stores)
    }

    fn validate(&self) -> Result<(), TopologyError> {
        if !self
            .nodes
            .iter()
            .any(|n| matches!(n.kind, NodeKind::Source { .. }))
        {
            return Err(TopologyError::NoSource);
        }
        let mut names: HashMap<&str, usize> = HashMap::new();
        let mut readers: HashMap<&TopicRef, &str> = HashMap::new();
        for (index, node) in self.nodes.iter().enumerate() {
            if names.insert(&node.name, index).is_some() {
                return Err(TopologyError::DuplicateName {
                    name: node.name.clone(),
                });
            }
            match &node.kind {
                NodeKind::Source { topics } => {
                    for topic in topics {
                        if let TopicRef::Internal(suffix) = topic {
                            check_topic_name(suffix).map_err(|reason| {
                                TopologyError::InvalidName {
                                    name: suffix.clone(),
                                    reason,
                                }
                            })?;
                        }
                        if let Some(first) = readers.insert(topic, &node.name) {
                            return Err(TopologyError::TopicReadTwice {
                                topic: topic.to_string(),
                                first: first.to_string(),
                                second: node.name.clone(),
                            });
                        }
                    }
                }
                NodeKind::Processor { .. } | NodeKind::Sink { .. } => {
                    if node.parents.iter().any(|&parent| parent >= index) {
                        return Err(TopologyError::Internal(format!(
                            "node '{}' is attached to a node of another topology (was a stream used after its builder was built?)",
                            node.name
                        )));
                    }
                    if node.parents.is_empty() {
                        return Err(TopologyError::NoParent {
                            node: node.name.clone(),
                        });
                    }
                }
            }
        }
        Ok(())
    }
}
