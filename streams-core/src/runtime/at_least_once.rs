//! The at-least-once commit: the producer delivers everything sent so far,
//! then the consumed offsets are committed through the group consumer. A
//! failure before the offsets are committed loses nothing: the records after
//! the last committed offsets are processed again (possibly producing their
//! output a second time), which is the guarantee.

use super::RuntimeError;
use super::commit_protocol::CommitProtocol;
use super::consumer::GroupConsumer;
use super::producer::StreamsProducer;
use super::producer_error::{ErrorClass, ProducerError};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use std::rc::Rc;
use std::time::Duration;
use streams_state::TopicPartition;

/// Flush, then commit offsets.
pub(crate) struct AtLeastOnce {
    producer: Rc<StreamsProducer>,
    flush_timeout: Duration,
}

impl AtLeastOnce {
    /// The protocol on `producer`, flushing for at most `flush_timeout`.
    pub(crate) fn new(producer: Rc<StreamsProducer>, flush_timeout: Duration) -> Self {
        Self {
            producer,
            flush_timeout,
        }
    }
}

/// What a refused offset commit means: the group moved on (or could not
/// confirm this member in time), so the tasks are no longer safely this
/// thread's; anything else stops the thread.
fn consumer_commit_failure(error: KafkaError) -> RuntimeError {
    match error {
        KafkaError::ConsumerCommit(
            code @ (RDKafkaErrorCode::RebalanceInProgress
            | RDKafkaErrorCode::IllegalGeneration
            | RDKafkaErrorCode::UnknownMemberId
            | RDKafkaErrorCode::FencedInstanceId
            | RDKafkaErrorCode::AssignmentLost
            | RDKafkaErrorCode::NotCoordinator
            | RDKafkaErrorCode::CoordinatorNotAvailable
            | RDKafkaErrorCode::RequestTimedOut
            | RDKafkaErrorCode::OperationTimedOut),
        ) => RuntimeError::TaskMigrated {
            reason: format!("committing consumed offsets failed: {code}"),
        },
        other => RuntimeError::kafka("committing consumed offsets", other),
    }
}

impl CommitProtocol for AtLeastOnce {
    fn producer(&self) -> &Rc<StreamsProducer> {
        &self.producer
    }

    fn deliver(&mut self) -> Result<(), RuntimeError> {
        self.producer
            .flush(self.flush_timeout)
            .map_err(|error| self.failure(error))
    }

    fn commit(
        &mut self,
        offsets: &[(TopicPartition, i64)],
        consumer: &mut dyn GroupConsumer,
    ) -> Result<(), RuntimeError> {
        self.deliver()?;
        if offsets.is_empty() {
            return Ok(());
        }
        consumer.commit(offsets).map_err(consumer_commit_failure)
    }

    /// Anything that leaves sent records unacknowledged (a fenced producer, a
    /// timed-out delivery or flush) gives the tasks up, so they restart from
    /// their committed offsets; other failures stop the thread.
    fn failure(&self, error: ProducerError) -> RuntimeError {
        match error.class {
            ErrorClass::Fenced | ErrorClass::Retriable | ErrorClass::Abortable => {
                RuntimeError::TaskMigrated {
                    reason: error.to_string(),
                }
            }
            ErrorClass::Fatal => error.into_runtime_error(),
        }
    }

    /// Sent records cannot be taken back; only the acknowledgements of the
    /// changelogs are forgotten (their tasks start over).
    fn abort(&mut self, changelogs: &[TopicPartition]) -> Result<(), RuntimeError> {
        self.producer.forget(changelogs);
        Ok(())
    }

    fn recover(&mut self, changelogs: &[TopicPartition]) -> Result<(), RuntimeError> {
        self.producer.forget(changelogs);
        if let Some(reason) = self.producer.fatal_error() {
            tracing::warn!(%reason, "replacing the failed producer");
            self.producer.reset()?;
        }
        Ok(())
    }

    fn has_uncommitted_output(&self) -> bool {
        false
    }
}
