//! The mutable state a task shares with all of its nodes while it processes, and
//! the one place where a failure meets its error handler.

use super::{RecordCollector, TaskId, TaskMetrics, TaskSensors};
use crate::error::StreamsError;
use crate::handler::{
    ErrorContext, ErrorHandlers, ErrorStage, HandlerResponse, dead_letter_of_refused,
    dead_letter_record,
};
use crate::processor::PunctuationQueue;
use crate::record::{ConsumedRecord, ProducedRecord, RecordMetadata};
use crate::state::{GlobalStores, TaskStores};
use std::error::Error;
use std::sync::Arc;

/// Task-wide state handed down the graph with every record.
pub(crate) struct TaskContext {
    pub(crate) task_id: TaskId,
    pub(crate) application_id: Arc<str>,
    /// The source record being processed, as consumed; `None` in punctuations
    /// and for records fed to a node directly.
    pub(crate) current_input: Option<ConsumedRecord>,
    pub(crate) stream_time: i64,
    pub(crate) wall_clock_ms: i64,
    pub(crate) collector: Box<dyn RecordCollector>,
    pub(crate) punctuation: PunctuationQueue,
    pub(crate) metrics: TaskMetrics,
    pub(crate) sensors: TaskSensors,
    pub(crate) stores: TaskStores,
    /// The instance's global stores.
    pub(crate) global_stores: GlobalStores,
    pub(crate) handlers: ErrorHandlers,
    /// Set by a node that keeps the current input record to retry it later
    /// (see [`ProcessorContext::hold_input`](crate::processor::ProcessorContext::hold_input)),
    /// with what the hold stops.
    pub(crate) hold_requested: Vec<(usize, HoldScope)>,
}

/// What a record held for a retry stops until its hold ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HoldScope {
    /// The whole task takes no further records.
    Task,
    /// Only the held record's own partition does; the task's other
    /// partitions go on.
    Partition,
}

/// What became of a failure after its handler ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Handled {
    /// The record was skipped (and possibly dead-lettered); go on.
    Continue,
    /// The handler said fail: the caller returns its error.
    Fail,
}

impl TaskContext {
    /// Stream time, or `None` before the first record.
    pub(crate) fn stream_time(&self) -> Option<i64> {
        (self.stream_time != i64::MIN).then_some(self.stream_time)
    }

    /// Where the current source record came from.
    pub(crate) fn current_metadata(&self) -> Option<&RecordMetadata> {
        self.current_input.as_ref().map(|r| &r.metadata)
    }

    /// Asks the handler of `stage` what to do with a failure of the current
    /// record at `node`, logs it, counts it and writes its dead letter. Fails only
    /// when the dead-letter record cannot be sent.
    pub(crate) fn handle_failure(
        &mut self,
        stage: ErrorStage,
        node: Option<&str>,
        exception: &str,
        error: &(dyn Error + 'static),
    ) -> Result<Handled, StreamsError> {
        self.apply_handler(stage, node, exception, error, None)
    }

    /// Asks the production handler what to do with an output record of this
    /// task the broker refused after it was sent (its source record is no
    /// longer known; a dead letter carries the refused record's bytes).
    pub(crate) fn handle_refused(
        &mut self,
        refused: &ProducedRecord,
        error: &(dyn Error + 'static),
    ) -> Result<Handled, StreamsError> {
        self.apply_handler(
            ErrorStage::Production,
            None,
            "ProductionError",
            error,
            Some(refused),
        )
    }

    fn apply_handler(
        &mut self,
        stage: ErrorStage,
        node: Option<&str>,
        exception: &str,
        error: &(dyn Error + 'static),
        refused: Option<&ProducedRecord>,
    ) -> Result<Handled, StreamsError> {
        let record = match refused {
            Some(_) => None,
            None => self.current_metadata(),
        };
        let failure = ErrorContext {
            stage,
            task_id: self.task_id,
            node,
            source: record,
            exception,
            error,
        };
        let response = self.handlers.for_stage(stage).respond(&failure);
        let task = self.task_id;
        let refused_topic = refused.map(|r| &*r.topic);
        let node = node.unwrap_or("-");
        match response {
            HandlerResponse::Fail => {
                tracing::error!(%task, %stage, node, ?record, ?refused_topic, %error, "a record failed; the handler says fail");
                return Ok(Handled::Fail);
            }
            HandlerResponse::Continue => {
                tracing::warn!(%task, %stage, node, ?record, ?refused_topic, %error, "skipping a record that failed");
            }
            HandlerResponse::DeadLetter { topic } => {
                let dead_letter = match (refused, &self.current_input) {
                    (Some(refused), _) => Some(dead_letter_of_refused(
                        &topic,
                        refused,
                        &failure,
                        &self.application_id,
                    )),
                    (None, Some(source)) => Some(dead_letter_record(
                        &topic,
                        source,
                        &failure,
                        &self.application_id,
                    )),
                    (None, None) => None,
                };
                match dead_letter {
                    Some(dead_letter) => {
                        tracing::warn!(%task, %stage, node, ?record, ?refused_topic, %error, dead_letter_topic = %topic, "sending a record that failed to the dead-letter topic");
                        self.collector.send(dead_letter)?;
                        self.metrics.dead_lettered_records += 1;
                        self.metrics.produced_records += 1;
                        self.sensors.dead_lettered(stage);
                    }
                    None => {
                        tracing::warn!(%task, %stage, node, %error, dead_letter_topic = %topic, "skipping a failure outside of a source record (a punctuation): there is no record to dead-letter");
                    }
                }
            }
        }
        self.metrics.skipped_records += 1;
        self.sensors.skipped(stage);
        Ok(Handled::Continue)
    }
}
