//! The plumbing between a task's nodes: typed edges between processors and the
//! type-erased view the task uses to initialise, punctuate and close every node.

use super::TaskContext;
use crate::error::{ProcessError, StreamsError};
use crate::processor::PunctuatorId;
use crate::record::Record;
use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

/// A node that accepts `Record<K, V>`: a processor or a sink.
pub(crate) trait NodeInput<K, V> {
    fn process(&mut self, record: Record<K, V>, task: &mut TaskContext)
    -> Result<(), ProcessError>;
}

/// A shared, typed handle to a node's input. Nodes are shared because a node may
/// have several parents (merge).
pub(crate) type InputHandle<K, V> = Rc<RefCell<dyn NodeInput<K, V>>>;

/// A typed edge to a child node.
pub(crate) struct Child<K, V> {
    pub(crate) name: Arc<str>,
    pub(crate) input: InputHandle<K, V>,
}

/// Why a source node could not pass a record on.
pub(crate) enum SourceFailure {
    /// The bytes did not deserialize; the deserialization handler decides.
    Deserialization(Box<StreamsError>),
    /// A downstream processor failed.
    Processing(ProcessError),
}

/// A source node: accepts the raw records of its topics.
pub(crate) trait RawInput {
    /// The timestamp `raw` has for the task (its extractor's, or its own
    /// without one); `partition_time` is the largest so far in its partition.
    fn timestamp_of(
        &self,
        raw: &crate::record::ConsumedRecord,
        partition_time: i64,
    ) -> Result<i64, crate::processor::TimestampExtractionError>;

    /// Deserializes and forwards the task's current input record
    /// ([`TaskContext::current_input`]).
    fn process_raw(&mut self, task: &mut TaskContext) -> Result<(), SourceFailure>;
}

/// The type-erased life cycle of every node.
pub(crate) trait TaskNode {
    fn init(&mut self, task: &mut TaskContext) -> Result<(), ProcessError>;
    fn punctuate(
        &mut self,
        punctuator: PunctuatorId,
        timestamp: i64,
        task: &mut TaskContext,
    ) -> Result<(), ProcessError>;
    /// Commit-time flush (see `Processor::flush`).
    fn flush(&mut self, task: &mut TaskContext) -> Result<(), ProcessError>;
    fn close(&mut self);
    /// Adds a child given its typed input handle (an [`InputHandle`] behind `Any`);
    /// false when the child's input type is not this node's output type.
    fn connect(&mut self, child_name: Arc<str>, child_input: &dyn Any) -> bool;
}

/// A node as the task holds it, for its life cycle.
pub(crate) type SharedNode = Rc<RefCell<dyn TaskNode>>;

/// How records enter a freshly created node.
pub(crate) enum NodeEntry {
    /// A source: raw records of its topics.
    Source(Rc<RefCell<dyn RawInput>>),
    /// A processor or sink: a boxed [`InputHandle`] of its input types.
    Typed(Box<dyn Any>),
}

/// A node instantiated for one task.
pub(crate) struct CreatedNode {
    pub(crate) node: SharedNode,
    pub(crate) entry: NodeEntry,
}

/// Adds a child to a typed child list if its input type matches.
pub(crate) fn connect_child<K: 'static, V: 'static>(
    children: &mut Vec<Child<K, V>>,
    name: Arc<str>,
    child_input: &dyn Any,
) -> bool {
    match child_input.downcast_ref::<InputHandle<K, V>>() {
        Some(input) => {
            children.push(Child {
                name,
                input: input.clone(),
            });
            true
        }
        None => false,
    }
}
