//! A readable description of a topology, printed in the layout of Kafka Streams'
//! `TopologyDescription`.

use std::fmt;

/// The sub-topologies of a topology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopologyDescription {
    /// Sub-topologies by id.
    pub subtopologies: Vec<SubtopologyDescription>,
    /// The changelog topic of each logged store, by store name (without the
    /// application-id prefix, as internal source topics are shown).
    pub changelogs: std::collections::BTreeMap<String, String>,
    /// The topic of each global store, by store name: every instance keeps a
    /// copy of it, outside the sub-topologies (it creates no tasks).
    pub global_stores: std::collections::BTreeMap<String, String>,
}

/// One sub-topology and its nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubtopologyDescription {
    /// Its id.
    pub id: u32,
    /// Its nodes in topological order.
    pub nodes: Vec<NodeDescription>,
}

/// One node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeDescription {
    /// Unique name.
    pub name: String,
    /// Source, processor or sink, with its topics or stores.
    pub kind: NodeKindDescription,
    /// Parent node names.
    pub predecessors: Vec<String>,
    /// Child node names.
    pub successors: Vec<String>,
}

/// What a node is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKindDescription {
    /// Reads topics.
    Source {
        /// Topic names (internal topics without the application-id prefix).
        topics: Vec<String>,
    },
    /// Runs a processor.
    Processor {
        /// State stores it uses.
        stores: Vec<String>,
    },
    /// Writes a topic.
    Sink {
        /// Topic name; `None` when chosen per record.
        topic: Option<String>,
    },
}

impl fmt::Display for TopologyDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Topologies:")?;
        for sub in &self.subtopologies {
            writeln!(f, "   Sub-topology: {}", sub.id)?;
            for node in &sub.nodes {
                match &node.kind {
                    NodeKindDescription::Source { topics } => writeln!(
                        f,
                        "    Source: {} (topics: [{}])",
                        node.name,
                        topics.join(", ")
                    )?,
                    NodeKindDescription::Processor { stores } => writeln!(
                        f,
                        "    Processor: {} (stores: [{}])",
                        node.name,
                        stores.join(", ")
                    )?,
                    NodeKindDescription::Sink { topic } => writeln!(
                        f,
                        "    Sink: {} (topic: {})",
                        node.name,
                        topic.as_deref().unwrap_or("<chosen per record>")
                    )?,
                }
                // Sinks end a path; Kafka Streams prints no successor line for them.
                if !matches!(node.kind, NodeKindDescription::Sink { .. }) {
                    let successors = if node.successors.is_empty() {
                        "none".to_string()
                    } else {
                        node.successors.join(", ")
                    };
                    writeln!(f, "      --> {successors}")?;
                }
                if !node.predecessors.is_empty() {
                    writeln!(f, "      <-- {}", node.predecessors.join(", "))?;
                }
            }
            writeln!(f)?;
        }
        for (store, topic) in &self.global_stores {
            writeln!(
                f,
                "   Global store: {store} (topic: {topic}; every instance, no tasks)"
            )?;
        }
        Ok(())
    }
}
