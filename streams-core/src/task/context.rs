//! The mutable state a task shares with all of its nodes while it processes.

use super::{RecordCollector, TaskId, TaskMetrics};
use crate::processor::PunctuationQueue;
use crate::record::RecordMetadata;
use crate::state::TaskStores;
use std::sync::Arc;

/// Task-wide state handed down the graph with every record.
pub(crate) struct TaskContext {
    pub(crate) task_id: TaskId,
    pub(crate) application_id: Arc<str>,
    pub(crate) current_record: Option<RecordMetadata>,
    pub(crate) stream_time: i64,
    pub(crate) wall_clock_ms: i64,
    pub(crate) collector: Box<dyn RecordCollector>,
    pub(crate) punctuation: PunctuationQueue,
    pub(crate) metrics: TaskMetrics,
    pub(crate) stores: TaskStores,
}

impl TaskContext {
    /// Stream time, or `None` before the first record.
    pub(crate) fn stream_time(&self) -> Option<i64> {
        (self.stream_time != i64::MIN).then_some(self.stream_time)
    }
}
