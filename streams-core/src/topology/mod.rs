//! Topologies: the typed builder of source, processor and sink nodes, the built
//! (validated, serde-resolved) topology split into sub-topologies, and its
//! human-readable description.

mod builder;
mod built;
mod description;
mod error;
mod factory;
mod offset_reset;
mod optimization;
mod render;
mod topic;

pub use builder::{NodeRef, SinkTopic, TopicChooser, TopologyBuilder};
pub use built::{Subtopology, Topology, changelog_topic};
pub use description::{
    NodeDescription, NodeKindDescription, SubtopologyDescription, TopologyDescription,
};
pub use error::TopologyError;
pub use offset_reset::OffsetResetPolicy;
pub use optimization::{InvalidOptimization, TopologyOptimization};
pub use topic::TopicRef;

pub(crate) use topic::check_topic_name;

pub(crate) use built::NodeKind;
pub(crate) use factory::NodeFactory;
