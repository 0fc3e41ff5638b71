//! A built topology: validated nodes with resolved serdes, split into
//! sub-topologies (groups of nodes connected by edges; repartition topics separate
//! them). It is shared by every task and thread of an application.

use super::description::{
    NodeDescription, NodeKindDescription, SubtopologyDescription, TopologyDescription,
};
use super::factory::KeyPartitioner;
use super::{NodeFactory, OffsetResetPolicy, TopicRef};
use crate::serde::SerdeRegistry;
use crate::state::{ChangelogSpec, GlobalStoreBuilder, StoreBuilder};
use std::sync::Arc;

/// What a node is, as far as topics and stores go.
#[derive(Debug, Clone)]
pub(crate) enum NodeKind {
    Source { topics: Vec<TopicRef> },
    Processor { stores: Vec<String> },
    Sink { topic: Option<TopicRef> },
}

pub(crate) struct BuiltNode {
    pub(crate) name: Arc<str>,
    pub(crate) kind: NodeKind,
    pub(crate) parents: Vec<usize>,
    pub(crate) children: Vec<usize>,
    pub(crate) factory: Arc<dyn NodeFactory>,
}

/// A store of the topology and the nodes connected to it.
pub(crate) struct BuiltStore {
    pub(crate) builder: Arc<dyn StoreBuilder>,
    pub(crate) nodes: Vec<usize>,
}

/// A connected part of a topology; one task runs it per input partition number.
#[derive(Debug, Clone)]
pub struct Subtopology {
    id: u32,
    nodes: Vec<usize>,
}

impl Subtopology {
    /// Its number.
    pub fn id(&self) -> u32 {
        self.id
    }

    pub(crate) fn nodes(&self) -> &[usize] {
        &self.nodes
    }
}

/// A topology ready to run: built by `TopologyBuilder::build` or `StreamsBuilder::build`.
pub struct Topology {
    nodes: Vec<BuiltNode>,
    stores: Vec<BuiltStore>,
    subtopologies: Vec<Subtopology>,
    topic_settings: TopicSettings,
    global_stores: Vec<Arc<dyn GlobalStoreBuilder>>,
    serdes: SerdeRegistry,
}

/// What the topology says about topics beyond reading and writing them.
pub(crate) struct TopicSettings {
    /// Source topics with an offset reset policy of their own.
    pub(crate) offset_resets: Vec<(TopicRef, OffsetResetPolicy)>,
    /// Internal topics with a partition count set by the topology.
    pub(crate) partition_counts: Vec<(TopicRef, u32)>,
    /// Stores whose changelog is the source topic they are read from, by
    /// store name.
    pub(crate) source_changelogs: Vec<(String, String)>,
}

impl Topology {
    pub(crate) fn new(
        nodes: Vec<BuiltNode>,
        stores: Vec<BuiltStore>,
        topic_settings: TopicSettings,
        global_stores: Vec<Arc<dyn GlobalStoreBuilder>>,
        serdes: SerdeRegistry,
    ) -> Self {
        let subtopologies = split_into_subtopologies(&nodes, &stores);
        Self {
            nodes,
            stores,
            subtopologies,
            topic_settings,
            global_stores,
            serdes,
        }
    }

    /// The global stores: each instance keeps a copy of all partitions of
    /// their topics.
    pub fn global_stores(&self) -> &[Arc<dyn GlobalStoreBuilder>] {
        &self.global_stores
    }

    /// The topics of the global stores, sorted.
    pub fn global_topics(&self) -> Vec<String> {
        let mut topics: Vec<String> = self
            .global_stores
            .iter()
            .map(|s| s.topic().to_string())
            .collect();
        topics.sort();
        topics
    }

    /// The source topics (resolved for an application id) whose sources set
    /// an offset reset policy, with it.
    pub fn offset_resets(&self, application_id: &str) -> Vec<(String, OffsetResetPolicy)> {
        self.topic_settings
            .offset_resets
            .iter()
            .map(|(topic, policy)| (topic.resolve(application_id), *policy))
            .collect()
    }

    /// The internal topics (resolved for an application id) whose partition
    /// count the topology sets, with it (see
    /// [`TopologyBuilder::set_partition_count`](super::TopologyBuilder::set_partition_count)).
    pub fn partition_counts(&self, application_id: &str) -> Vec<(String, u32)> {
        self.topic_settings
            .partition_counts
            .iter()
            .map(|(topic, partitions)| (topic.resolve(application_id), *partitions))
            .collect()
    }

    /// The source topic that is the changelog of `store`, when the topology
    /// reuses it (see
    /// [`TopologyBuilder::use_source_topic_as_changelog`](super::TopologyBuilder::use_source_topic_as_changelog)):
    /// the store is not logged, and restores from that topic.
    pub fn source_changelog(&self, store: &str) -> Option<&str> {
        self.topic_settings
            .source_changelogs
            .iter()
            .find(|(name, _)| name == store)
            .map(|(_, topic)| topic.as_str())
    }

    pub(crate) fn node(&self, index: usize) -> &BuiltNode {
        &self.nodes[index]
    }

    /// The stores used by a sub-topology's nodes, with those nodes.
    pub(crate) fn stores_of(&self, subtopology: &Subtopology) -> impl Iterator<Item = &BuiltStore> {
        self.stores
            .iter()
            .filter(|s| s.nodes.iter().any(|n| subtopology.nodes.contains(n)))
    }

    /// The changelog topics of a sub-topology's stores, resolved for an
    /// application id, with their topic configs.
    pub fn changelog_topics(
        &self,
        subtopology: u32,
        application_id: &str,
    ) -> Vec<(String, ChangelogSpec)> {
        let Some(sub) = self.subtopology(subtopology) else {
            return Vec::new();
        };
        self.stores_of(sub)
            .filter_map(|s| {
                s.builder
                    .changelog()
                    .map(|spec| (changelog_topic(application_id, s.builder.name()), spec))
            })
            .collect()
    }

    /// The builder of the store `name` and the sub-topology whose tasks own it.
    pub(crate) fn store_owner(&self, name: &str) -> Option<(&dyn StoreBuilder, u32)> {
        let store = self.stores.iter().find(|s| s.builder.name() == name)?;
        let sub = self
            .subtopologies
            .iter()
            .find(|sub| store.nodes.iter().any(|n| sub.nodes.contains(n)))?;
        Some((store.builder.as_ref(), sub.id))
    }

    /// The sub-topology with this id.
    pub fn subtopology(&self, id: u32) -> Option<&Subtopology> {
        self.subtopologies.get(id as usize)
    }

    /// All sub-topologies, by id.
    pub fn subtopologies(&self) -> &[Subtopology] {
        &self.subtopologies
    }

    /// The default serdes by type this topology was built with.
    pub fn serdes(&self) -> &SerdeRegistry {
        &self.serdes
    }

    /// The topics a sub-topology reads, resolved for an application id.
    pub fn source_topics(&self, subtopology: u32, application_id: &str) -> Vec<String> {
        self.topics_of(subtopology, application_id, |kind| match kind {
            NodeKind::Source { topics } => topics.clone(),
            _ => Vec::new(),
        })
    }

    /// The fixed topics a sub-topology writes, resolved for an application id.
    pub fn sink_topics(&self, subtopology: u32, application_id: &str) -> Vec<String> {
        self.topics_of(subtopology, application_id, |kind| match kind {
            NodeKind::Sink { topic: Some(topic) } => vec![topic.clone()],
            _ => Vec::new(),
        })
    }

    /// The custom partitioner (asked by key) of the sinks of this topology
    /// that write a topic `subtopology` reads, with that topic; `Ok(None)`
    /// when they partition by default. Fails, naming the sink, when the
    /// partitioner's key type is not `K`.
    pub(crate) fn input_partitioner<K: 'static>(
        &self,
        subtopology: u32,
    ) -> Result<Option<(KeyPartitioner<K>, &TopicRef)>, String> {
        let Some(sub) = self.subtopology(subtopology) else {
            return Ok(None);
        };
        let inputs: Vec<&TopicRef> = sub
            .nodes
            .iter()
            .filter_map(|&n| match &self.nodes[n].kind {
                NodeKind::Source { topics } => Some(topics),
                _ => None,
            })
            .flatten()
            .collect();
        for node in &self.nodes {
            let NodeKind::Sink { topic: Some(topic) } = &node.kind else {
                continue;
            };
            if !inputs.contains(&topic) {
                continue;
            }
            if let Some(partitioner) = node.factory.key_partitioner() {
                return match partitioner.downcast::<KeyPartitioner<K>>() {
                    Ok(partitioner) => Ok(Some((KeyPartitioner::clone(&partitioner), topic))),
                    Err(_) => Err(node.name.to_string()),
                };
            }
        }
        Ok(None)
    }

    /// Every internal topic (repartition topics), resolved for an application id.
    pub fn internal_topics(&self, application_id: &str) -> Vec<String> {
        let mut topics: Vec<String> = self
            .nodes
            .iter()
            .filter_map(|n| match &n.kind {
                NodeKind::Source { topics } => Some(topics),
                _ => None,
            })
            .flatten()
            .filter(|t| t.is_internal())
            .map(|t| t.resolve(application_id))
            .collect();
        topics.sort();
        topics
    }

    fn topics_of(
        &self,
        subtopology: u32,
        application_id: &str,
        topics: impl Fn(&NodeKind) -> Vec<TopicRef>,
    ) -> Vec<String> {
        let Some(sub) = self.subtopology(subtopology) else {
            return Vec::new();
        };
        let mut names: Vec<String> = sub
            .nodes
            .iter()
            .flat_map(|&n| topics(&self.nodes[n].kind))
            .map(|t| t.resolve(application_id))
            .collect();
        names.dedup();
        names
    }

    /// A description of the sub-topologies and their nodes; `Display` prints it in
    /// the form of Kafka Streams' `TopologyDescription`.
    pub fn describe(&self) -> TopologyDescription {
        let names = |indices: &[usize]| {
            indices
                .iter()
                .map(|&i| self.nodes[i].name.to_string())
                .collect::<Vec<_>>()
        };
        TopologyDescription {
            global_stores: self
                .global_stores
                .iter()
                .map(|s| (s.name().to_string(), s.topic().to_string()))
                .collect(),
            changelogs: self
                .stores
                .iter()
                .filter(|s| s.builder.changelog().is_some())
                .map(|s| {
                    let name = s.builder.name();
                    (name.to_string(), format!("{name}-changelog"))
                })
                .collect(),
            subtopologies: self
                .subtopologies
                .iter()
                .map(|sub| SubtopologyDescription {
                    id: sub.id,
                    nodes: sub
                        .nodes
                        .iter()
                        .map(|&i| {
                            let node = &self.nodes[i];
                            NodeDescription {
                                name: node.name.to_string(),
                                kind: match &node.kind {
                                    NodeKind::Source { topics } => NodeKindDescription::Source {
                                        topics: topics.iter().map(ToString::to_string).collect(),
                                    },
                                    NodeKind::Processor { stores } => {
                                        NodeKindDescription::Processor {
                                            stores: stores.clone(),
                                        }
                                    }
                                    NodeKind::Sink { topic } => NodeKindDescription::Sink {
                                        topic: topic.as_ref().map(ToString::to_string),
                                    },
                                },
                                predecessors: names(&node.parents),
                                successors: names(&node.children),
                            }
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

impl std::fmt::Debug for Topology {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.describe())
    }
}

/// Groups nodes connected by parent/child edges; groups are numbered by their
/// first node, nodes inside a group keep construction (topological) order.
fn split_into_subtopologies(nodes: &[BuiltNode], stores: &[BuiltStore]) -> Vec<Subtopology> {
    let mut group: Vec<usize> = (0..nodes.len()).collect();
    fn root(group: &mut [usize], mut node: usize) -> usize {
        while group[node] != node {
            group[node] = group[group[node]];
            node = group[node];
        }
        node
    }
    let mut join = |a: usize, b: usize| {
        let (a, b) = (root(&mut group, a), root(&mut group, b));
        group[a.max(b)] = a.min(b);
    };
    for (index, node) in nodes.iter().enumerate() {
        for &parent in &node.parents {
            join(index, parent);
        }
    }
    // Nodes sharing a store run in one task, so they belong to one sub-topology.
    for store in stores {
        for pair in store.nodes.windows(2) {
            join(pair[0], pair[1]);
        }
    }
    let mut subtopologies: Vec<Subtopology> = Vec::new();
    let mut id_of_root = std::collections::HashMap::new();
    for index in 0..nodes.len() {
        let r = root(&mut group, index);
        let id = *id_of_root.entry(r).or_insert_with(|| {
            subtopologies.push(Subtopology {
                id: subtopologies.len() as u32,
                nodes: Vec::new(),
            });
            subtopologies.len() - 1
        });
        subtopologies[id].nodes.push(index);
    }
    subtopologies
}

/// The changelog topic of a store: `<application.id>-<store>-changelog`.
pub fn changelog_topic(application_id: &str, store: &str) -> String {
    format!("{application_id}-{store}-changelog")
}
