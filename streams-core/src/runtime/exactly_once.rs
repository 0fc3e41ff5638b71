//! The exactly-once v2 commit (KIP-447): one transactional producer per
//! stream thread carries every sink, repartition and changelog record of the
//! thread's tasks in a transaction opened on the first send after a commit;
//! a commit adds the consumed offsets to it with the consumer's group
//! metadata (a member of an older generation is refused: zombie fencing)
//! and commits it. Consumers reading `read_committed` see the output, and
//! the group sees the offsets, all at once or not at all.
//!
//! Failures: a fenced producer or a refused generation means the tasks
//! migrated (closed without a commit, the producer replaced, the thread
//! rejoins); an abortable error or a transaction timeout aborts the
//! transaction and takes the tasks back to their last commit; a retriable
//! error is retried for up to `task.timeout.ms`; anything else stops the
//! thread. Offsets are only ever committed inside the transaction of the
//! output they correspond to.

use super::RuntimeError;
use super::commit_protocol::CommitProtocol;
use super::consumer::GroupConsumer;
use super::producer::StreamsProducer;
use super::producer_error::{ErrorClass, ProducerError};
use std::rc::Rc;
use std::time::{Duration, Instant};
use streams_state::TopicPartition;

/// Offsets and output in one transaction.
pub(crate) struct ExactlyOnce {
    producer: Rc<StreamsProducer>,
    request_timeout: Duration,
    task_timeout: Duration,
}

impl ExactlyOnce {
    /// The protocol on a transactional `producer`.
    pub(crate) fn new(
        producer: Rc<StreamsProducer>,
        request_timeout: Duration,
        task_timeout: Duration,
    ) -> Self {
        Self {
            producer,
            request_timeout,
            task_timeout,
        }
    }

    /// Sends the consumed offsets (with the consumer's group metadata) into
    /// the open transaction and commits it.
    fn send_offsets_and_commit(
        &self,
        offsets: &[(TopicPartition, i64)],
        consumer: &mut dyn GroupConsumer,
    ) -> Result<(), RuntimeError> {
        if !offsets.is_empty() {
            let group = consumer
                .group_metadata()
                .ok_or_else(|| RuntimeError::TaskMigrated {
                    reason: "the consumer has no group membership to commit offsets with".into(),
                })?;
            self.retrying(|| {
                self.producer
                    .send_offsets_to_transaction(offsets, &group, self.request_timeout)
            })?;
        }
        self.retrying(|| self.producer.commit_transaction())
    }

    /// Calls `operation` until it succeeds or fails with a non-retriable
    /// error; retriable failures are retried until `task.timeout.ms` passed.
    fn retrying(
        &self,
        mut operation: impl FnMut() -> Result<(), ProducerError>,
    ) -> Result<(), RuntimeError> {
        let deadline = Instant::now() + self.task_timeout;
        loop {
            match operation() {
                Ok(()) => return Ok(()),
                Err(error) if error.class == ErrorClass::Retriable && Instant::now() < deadline => {
                    tracing::warn!(%error, "retrying a transactional call");
                }
                Err(error) => return Err(self.failure(error)),
            }
        }
    }
}

impl CommitProtocol for ExactlyOnce {
    fn producer(&self) -> &Rc<StreamsProducer> {
        &self.producer
    }

    /// Delivery happens inside [`commit`](CommitProtocol::commit).
    fn deliver(&mut self) -> Result<(), RuntimeError> {
        Ok(())
    }

    fn commit(
        &mut self,
        offsets: &[(TopicPartition, i64)],
        consumer: &mut dyn GroupConsumer,
    ) -> Result<(), RuntimeError> {
        if offsets.is_empty() && !self.producer.in_transaction() {
            return Ok(());
        }
        self.producer
            .begin_transaction_if_needed()
            .map_err(|error| self.failure(error))?;
        let committed = self.send_offsets_and_commit(offsets, consumer);
        // librdkafka fails the transaction when a record failed: the offsets
        // call or the commit then errs. A record the broker refused (too
        // large, no such topic) would fail again if the tasks went back to
        // their last commit: the transaction is aborted and the thread stops
        // with the record's error, as in Kafka Streams, where a send error is
        // fatal to the transaction. Pending delivery reports are served first
        // so the refused record is known whichever call noticed the failure.
        // A failure seen by the delivery tracker only after a successful
        // commit is reported rather than hidden.
        if committed.is_err() {
            self.producer.poll();
        }
        match (committed, self.producer.take_failure()) {
            (Err(_), Some(failure)) if failure.class == ErrorClass::Fatal => {
                if let Err(error) = self.producer.abort_transaction(&[]) {
                    tracing::warn!(%error, "aborting the failed transaction failed");
                }
                Err(failure.into_runtime_error())
            }
            (Err(error), _) => Err(error),
            (Ok(()), Some(failure)) => Err(failure.into_runtime_error()),
            (Ok(()), None) => Ok(()),
        }
    }

    /// Fenced: the tasks migrated. Abortable, or retriable past the task
    /// timeout (a transaction that timed out on the broker is aborted there):
    /// the transaction is aborted and the tasks go back to their last commit.
    fn failure(&self, error: ProducerError) -> RuntimeError {
        match error.class {
            ErrorClass::Fenced => RuntimeError::TaskMigrated {
                reason: error.to_string(),
            },
            ErrorClass::Abortable | ErrorClass::Retriable => RuntimeError::TaskCorrupted {
                reason: error.to_string(),
            },
            ErrorClass::Fatal => error.into_runtime_error(),
        }
    }

    /// Aborts the open transaction; a producer that cannot abort (fenced,
    /// fatal) is replaced, which aborts it on the broker (`init_transactions`).
    fn abort(&mut self, changelogs: &[TopicPartition]) -> Result<(), RuntimeError> {
        match self.producer.abort_transaction_for_retry(changelogs) {
            Ok(None) => Ok(()),
            Ok(Some(refused)) => Err(refused.into_runtime_error()),
            Err(error) => {
                tracing::warn!(%error, "aborting failed; replacing the producer");
                self.producer.reset()
            }
        }
    }

    fn recover(&mut self, changelogs: &[TopicPartition]) -> Result<(), RuntimeError> {
        if let Some(reason) = self.producer.fatal_error() {
            tracing::warn!(%reason, "replacing the fenced producer");
            self.producer.forget(changelogs);
            return self.producer.reset();
        }
        self.abort(changelogs)
    }

    fn has_uncommitted_output(&self) -> bool {
        self.producer.in_transaction()
    }
}

#[cfg(test)]
#[path = "exactly_once_tests.rs"]
mod tests;
