//! The one producer of a stream thread. [`ProducerClient`] is what the runtime
//! needs of a Kafka producer (librdkafka's in
//! [`kafka_producer`](super::kafka_producer), an in-memory one in the unit
//! tests); [`StreamsProducer`] wraps it for the thread: the tasks' collectors
//! send through it (beginning a transaction on the first send under
//! exactly-once), it keeps the first failure for the commit protocol to
//! classify, hands the records the broker refused to their tasks' production
//! handlers (at-least-once), and it can replace a client that was fenced.

use super::RuntimeError;
use super::consumer::GroupMetadata;
use super::producer_error::{ErrorClass, ProducerError};
use super::rejected_record::RejectedRecord;
use crate::error::StreamsError;
use crate::record::ProducedRecord;
use crate::task::{RecordCollector, TaskId};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;
use streams_state::TopicPartition;

/// What the runtime needs of a Kafka producer.
pub(crate) trait ProducerClient {
    /// Queues one record of `task`, waiting for queue space when the local
    /// queue is full.
    fn send(&self, record: &ProducedRecord, task: TaskId) -> Result<(), ProducerError>;

    /// Serves delivery reports without blocking.
    fn poll(&self);

    /// Waits until every queued record is acknowledged or failed, at most `timeout`.
    fn flush(&self, timeout: Duration) -> Result<(), ProducerError>;

    /// The first delivery failure since the last call, if any, other than
    /// the records refused on their own account.
    fn take_delivery_failure(&self) -> Option<ProducerError>;

    /// The records the broker refused on their own account since the last call.
    fn take_rejected(&self) -> Vec<RejectedRecord>;

    /// The last acknowledged offset of a changelog partition.
    fn acked_offset(&self, partition: &TopicPartition) -> Option<i64>;

    /// Forgets the acknowledged offsets of `partitions` (their task starts over).
    fn forget_acked(&self, partitions: &[TopicPartition]);

    /// How many partitions `topic` has (what a custom partitioner needs).
    fn partitions(&self, topic: &str) -> Result<i32, ProducerError>;

    /// The error that made the client unusable, if one did.
    fn fatal_error(&self) -> Option<String>;

    /// Registers the `transactional.id`, fencing older producers with it and
    /// aborting what they left open.
    fn init_transactions(&self, timeout: Duration) -> Result<(), ProducerError>;

    /// Opens a transaction.
    fn begin_transaction(&self) -> Result<(), ProducerError>;

    /// Adds the consumed `offsets` to the open transaction, for the group of `group`.
    fn send_offsets_to_transaction(
        &self,
        offsets: &[(TopicPartition, i64)],
        group: &GroupMetadata,
        timeout: Duration,
    ) -> Result<(), ProducerError>;

    /// Commits the open transaction (delivering what is queued first).
    fn commit_transaction(&self) -> Result<(), ProducerError>;

    /// Aborts the open transaction, purging what is queued.
    fn abort_transaction(&self) -> Result<(), ProducerError>;
}

/// Creates the thread's producer client (again, after it was fenced).
pub(crate) type ProducerFactory = Box<dyn Fn() -> Result<Box<dyn ProducerClient>, RuntimeError>>;

/// The producer of one stream thread, shared by its tasks' collectors and
/// its commit protocol.
pub(crate) struct StreamsProducer {
    client: RefCell<Box<dyn ProducerClient>>,
    factory: ProducerFactory,
    /// Exactly-once: sends happen inside transactions.
    transactional: bool,
    init_timeout: Duration,
    in_transaction: Cell<bool>,
    /// The first failure of a send since the last [`take_failure`](Self::take_failure).
    send_failure: RefCell<Option<ProducerError>>,
}

impl StreamsProducer {
    /// Creates the client; a transactional one registers its `transactional.id`.
    pub(crate) fn new(
        factory: ProducerFactory,
        transactional: bool,
        init_timeout: Duration,
    ) -> Result<Self, RuntimeError> {
        let client = Self::create(&factory, transactional, init_timeout)?;
        Ok(Self {
            client: RefCell::new(client),
            factory,
            transactional,
            init_timeout,
            in_transaction: Cell::new(false),
            send_failure: RefCell::new(None),
        })
    }

    fn create(
        factory: &ProducerFactory,
        transactional: bool,
        init_timeout: Duration,
    ) -> Result<Box<dyn ProducerClient>, RuntimeError> {
        let client = factory()?;
        if transactional {
            client
                .init_transactions(init_timeout)
                .map_err(ProducerError::into_runtime_error)?;
        }
        Ok(client)
    }

    /// Replaces the client with a new one (a fenced or failed producer cannot
    /// be used again); the new one fences its predecessor's epoch.
    pub(crate) fn reset(&self) -> Result<(), RuntimeError> {
        let client = Self::create(&self.factory, self.transactional, self.init_timeout)?;
        *self.client.borrow_mut() = client;
        self.in_transaction.set(false);
        self.send_failure.borrow_mut().take();
        Ok(())
    }

    /// Whether a transaction is open (something was sent since the last commit).
    pub(crate) fn in_transaction(&self) -> bool {
        self.in_transaction.get()
    }

    /// Sends one record (opening a transaction first under exactly-once).
    ///
    /// A failure of the producer (an earlier delivery, a fenced or failed
    /// client, a transaction that would not open) is kept for
    /// [`take_failure`](Self::take_failure), the commit protocol's to judge,
    /// and reported as [`StreamsError::ProducerFailed`]. A failure of this
    /// record alone (too large, a topic that does not exist) is reported as
    /// [`StreamsError::Produce`] for the production handler to judge.
    pub(crate) fn send(&self, record: &ProducedRecord, task: TaskId) -> Result<(), StreamsError> {
        self.fail_transaction_on_rejections();
        let failed = self.send_failure.borrow().as_ref().map(ToString::to_string);
        if let Some(reason) = failed {
            return Err(StreamsError::ProducerFailed { reason });
        }
        let earlier = self.client.borrow().take_delivery_failure();
        if let Some(failure) =
            earlier.map_or_else(|| self.begin_transaction_if_needed().err(), Some)
        {
            return Err(self.keep(failure));
        }
        let sent = self.client.borrow().send(record, task);
        sent.map_err(|failure| {
            if failure.class != ErrorClass::Fatal || self.fatal_error().is_some() {
                self.keep(failure)
            } else {
                StreamsError::Produce {
                    topic: record.topic.to_string(),
                    reason: failure.to_string(),
                }
            }
        })
    }

    /// Keeps the first producer failure; the task is told the producer failed.
    fn keep(&self, failure: ProducerError) -> StreamsError {
        let reason = failure.to_string();
        self.send_failure.borrow_mut().get_or_insert(failure);
        StreamsError::ProducerFailed { reason }
    }

    /// Opens a transaction unless one is open (exactly-once only).
    pub(crate) fn begin_transaction_if_needed(&self) -> Result<(), ProducerError> {
        if self.transactional && !self.in_transaction.get() {
            self.client.borrow().begin_transaction()?;
            self.in_transaction.set(true);
        }
        Ok(())
    }

    /// The first send or delivery failure since the last call.
    pub(crate) fn take_failure(&self) -> Option<ProducerError> {
        self.fail_transaction_on_rejections();
        let failure = self.send_failure.borrow_mut().take();
        failure.or_else(|| self.client.borrow().take_delivery_failure())
    }

    /// The records the broker refused since the last call, for the
    /// production handlers of the tasks that sent them (at-least-once).
    ///
    /// Under exactly-once none is returned: a record that failed makes the
    /// open transaction fail (librdkafka refuses to commit it), so the
    /// first refused record is kept as the producer's failure instead, for
    /// the commit protocol (Kafka Streams: with exactly-once, a send error
    /// is fatal to the transaction whatever the handler would say).
    pub(crate) fn take_rejected(&self) -> Vec<RejectedRecord> {
        if self.transactional {
            self.fail_transaction_on_rejections();
            return Vec::new();
        }
        self.client.borrow().take_rejected()
    }

    /// Exactly-once: keeps the first refused record's error as the failure.
    fn fail_transaction_on_rejections(&self) {
        if !self.transactional {
            return;
        }
        let rejected = self.client.borrow().take_rejected();
        if let Some(mut first) = rejected.into_iter().next() {
            first.error.operation.push_str(
                " (under exactly_once_v2 a refused record fails its transaction, which is \
                 aborted: the production handler cannot skip it; fix the record or the topic)",
            );
            self.send_failure.borrow_mut().get_or_insert(first.error);
        }
    }

    /// Serves delivery reports without blocking.
    pub(crate) fn poll(&self) {
        self.client.borrow().poll();
    }

    /// Waits until everything sent is acknowledged (at most `timeout`) and
    /// fails with the first failure since the last commit.
    pub(crate) fn flush(&self, timeout: Duration) -> Result<(), ProducerError> {
        self.client.borrow().flush(timeout)?;
        match self.take_failure() {
            Some(failure) => Err(failure),
            None => Ok(()),
        }
    }

    /// Adds `offsets` to the open transaction.
    pub(crate) fn send_offsets_to_transaction(
        &self,
        offsets: &[(TopicPartition, i64)],
        group: &GroupMetadata,
        timeout: Duration,
    ) -> Result<(), ProducerError> {
        self.client
            .borrow()
            .send_offsets_to_transaction(offsets, group, timeout)
    }

    /// Commits the open transaction.
    pub(crate) fn commit_transaction(&self) -> Result<(), ProducerError> {
        self.client.borrow().commit_transaction()?;
        self.in_transaction.set(false);
        Ok(())
    }

    /// Aborts the open transaction (if any) and forgets the failures and
    /// acknowledgements of what it purged.
    pub(crate) fn abort_transaction(
        &self,
        changelogs: &[TopicPartition],
    ) -> Result<(), ProducerError> {
        if self.in_transaction.get() {
            self.client.borrow().abort_transaction()?;
            self.in_transaction.set(false);
        }
        self.forget(changelogs);
        Ok(())
    }

    /// Aborts the open transaction so the tasks can go back to their last
    /// commit, unless a record of it was refused by the broker: that record
    /// would fail every retry, so its error is returned for the thread to
    /// stop with. The delivery reports still queued (librdkafka may fail the
    /// transaction before the refused record's report is served) are served
    /// after the abort, so the refusal is seen whichever call noticed it.
    pub(crate) fn abort_transaction_for_retry(
        &self,
        changelogs: &[TopicPartition],
    ) -> Result<Option<ProducerError>, ProducerError> {
        if self.in_transaction.get() {
            self.client.borrow().abort_transaction()?;
            self.in_transaction.set(false);
        }
        self.client.borrow().poll();
        self.fail_transaction_on_rejections();
        let refused = self
            .send_failure
            .borrow_mut()
            .take()
            .filter(|failure| failure.class == ErrorClass::Fatal);
        self.forget(changelogs);
        Ok(refused)
    }

    /// Drops the failures and acknowledged offsets of output that will not
    /// be committed (after an abort, or when tasks were lost).
    pub(crate) fn forget(&self, changelogs: &[TopicPartition]) {
        let client = self.client.borrow();
        client.poll();
        while client.take_delivery_failure().is_some() {}
        client.take_rejected();
        self.send_failure.borrow_mut().take();
        client.forget_acked(changelogs);
    }

    /// Forgets the acknowledged offsets of `changelogs` (their task starts over).
    pub(crate) fn forget_acked(&self, changelogs: &[TopicPartition]) {
        self.client.borrow().forget_acked(changelogs);
    }

    /// The error that made the client unusable, if one did.
    pub(crate) fn fatal_error(&self) -> Option<String> {
        self.client.borrow().fatal_error()
    }

    /// The last acknowledged offset of a changelog partition.
    pub(crate) fn acked_offset(&self, partition: &TopicPartition) -> Option<i64> {
        self.client.borrow().acked_offset(partition)
    }

    /// How many partitions `topic` has.
    pub(crate) fn partitions(&self, topic: &str) -> Result<i32, ProducerError> {
        self.client.borrow().partitions(topic)
    }
}

/// The collector of one task: hands records to the thread's producer.
pub(crate) struct KafkaRecordCollector {
    producer: Rc<StreamsProducer>,
    task: TaskId,
}

impl KafkaRecordCollector {
    /// The collector of `task`.
    pub(crate) fn new(producer: Rc<StreamsProducer>, task: TaskId) -> Self {
        Self { producer, task }
    }
}

impl RecordCollector for KafkaRecordCollector {
    fn send(&mut self, record: ProducedRecord) -> Result<(), StreamsError> {
        self.producer.send(&record, self.task)
    }

    fn partitions(&mut self, topic: &str) -> Result<i32, StreamsError> {
        self.producer
            .partitions(topic)
            .map_err(|error| StreamsError::Produce {
                topic: topic.to_string(),
                reason: error.to_string(),
            })
    }
}
