//! The commit protocol: how a stream thread makes its tasks' output and
//! consumed offsets durable together, and what it does when the producer
//! fails. [`AtLeastOnce`](super::at_least_once::AtLeastOnce) flushes the
//! producer, then commits offsets through the consumer;
//! [`ExactlyOnce`](super::exactly_once::ExactlyOnce) sends the offsets into
//! the open transaction with the consumer's group metadata and commits it.
//! Both run on the same [`StreamsProducer`].
//!
//! The thread's commit, in order: tasks flush their caches (caches write
//! down and forward, changelog records are sent), then
//! [`CommitProtocol::commit`], then the tasks' stores commit their writes
//! with the changelog offsets that are now durable (`StreamTask::commit_state`)
//! and their checkpoints advance to them. A failure before the stores commit
//! leaves them at their previous commit; restoration replays the changelog
//! after it.

use super::at_least_once::AtLeastOnce;
use super::consumer::GroupConsumer;
use super::exactly_once::ExactlyOnce;
use super::producer::StreamsProducer;
use super::producer_error::ProducerError;
use super::{ProcessingGuarantee, RuntimeError};
use std::rc::Rc;
use std::time::Duration;
use streams_state::TopicPartition;

/// One of the two processing guarantees' commit.
pub(crate) trait CommitProtocol {
    /// The producer every task of the thread sends through.
    fn producer(&self) -> &Rc<StreamsProducer>;

    /// Waits until what the tasks sent so far is delivered, where the
    /// guarantee lets records be judged one by one before the commit
    /// (at-least-once flushes, so refused records meet their handlers
    /// before the offsets past them are committed; exactly-once delivers
    /// inside the transaction's commit).
    fn deliver(&mut self) -> Result<(), RuntimeError>;

    /// Makes what the tasks sent so far and the consumed `offsets` (next
    /// offset of each input partition) durable together. Fails with
    /// [`RuntimeError::TaskMigrated`] when the tasks are no longer this
    /// thread's and with [`RuntimeError::TaskCorrupted`] when the output was
    /// aborted; no offset is committed for output that was not.
    fn commit(
        &mut self,
        offsets: &[(TopicPartition, i64)],
        consumer: &mut dyn GroupConsumer,
    ) -> Result<(), RuntimeError>;

    /// What a producer failure means for the thread.
    fn failure(&self, error: ProducerError) -> RuntimeError;

    /// Throws away what was sent since the last commit, as far as the
    /// guarantee can (exactly-once aborts the transaction), and forgets the
    /// acknowledgements of `changelogs`.
    fn abort(&mut self, changelogs: &[TopicPartition]) -> Result<(), RuntimeError>;

    /// After the tasks were lost: makes the producer usable again (a fenced
    /// producer is replaced; an open transaction is aborted).
    fn recover(&mut self, changelogs: &[TopicPartition]) -> Result<(), RuntimeError>;

    /// Whether something sent still waits for a commit.
    fn has_uncommitted_output(&self) -> bool;
}

/// The commit protocol of `guarantee` on `producer`; `request_timeout`
/// bounds each broker request, `task_timeout` the retries of retriable ones.
pub(crate) fn commit_protocol(
    guarantee: ProcessingGuarantee,
    producer: Rc<StreamsProducer>,
    request_timeout: Duration,
    task_timeout: Duration,
) -> Box<dyn CommitProtocol> {
    match guarantee {
        ProcessingGuarantee::AtLeastOnce => Box::new(AtLeastOnce::new(producer, request_timeout)),
        ProcessingGuarantee::ExactlyOnceV2 => {
            Box::new(ExactlyOnce::new(producer, request_timeout, task_timeout))
        }
    }
}
