//! Tasks: one instance of a sub-topology for one input partition number. A task
//! owns its processor nodes, buffers its input partitions, picks the next record by
//! timestamp, runs it through the graph and fires punctuators. It talks to the
//! outside world only through [`ConsumedRecord`](crate::record::ConsumedRecord)s in
//! and a [`RecordCollector`] out, so the TopologyTestDriver and the broker-backed
//! runtime drive the very same code.

mod collector;
mod committed_offset;
mod context;
mod graph;
mod guard;
mod id;
mod metrics;
mod partition_group;
mod processor_node;
mod sink_node;
mod source_node;
mod stream_task;

pub use collector::RecordCollector;
pub use committed_offset::CommittedChangelogOffset;
pub use id::TaskId;
pub use metrics::TaskMetrics;
pub use stream_task::{NodeHandle, StreamTask, TaskConfig};

pub(crate) use crate::metrics::{NodeSensors, TaskSensors};
pub(crate) use context::{Handled, HoldScope, TaskContext};
pub(crate) use graph::{
    Child, CreatedNode, InputHandle, NodeEntry, NodeInput, RawInput, SharedNode, SourceFailure,
    TaskNode,
};
pub(crate) use guard::{guarded, serde_guarded};
pub(crate) use processor_node::ProcessorNode;
pub(crate) use sink_node::{SinkNode, SinkPartitioning, SinkTarget};
pub(crate) use source_node::SourceNode;
