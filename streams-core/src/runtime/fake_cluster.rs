//! An in-memory Kafka for the runtime's unit tests: topic logs with
//! transactional records (open, committed, aborted) read with either
//! isolation level, a one-member consumer group with committed offsets and
//! generations, transactional ids with epochs (so a newer producer fences an
//! older one), and faults to inject into the next call of a kind. The fake
//! clients ([`FakeConsumer`], [`FakeProducer`], [`FakeChangelogReader`])
//! implement the runtime's client traits on it.

use super::RuntimeError;
use super::changelog_reader::{ChangelogEntry, ChangelogReader};
use super::consumer::{GroupConsumer, GroupMetadata};
use super::producer::ProducerClient;
use super::producer_error::{ErrorClass, ProducerError};
use super::rebalance::RebalanceEvent;
use super::rejected_record::{RejectedRecord, delivery_operation, is_record_failure};
use crate::partitioner::default_partition;
use crate::record::{ConsumedRecord, Headers, ProducedRecord, RecordMetadata};
use crate::task::TaskId;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use streams_state::TopicPartition;

/// A record's key and value.
pub(crate) type KeyValue = (Option<Vec<u8>>, Option<Vec<u8>>);

/// Whether a record is visible to `read_committed` readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Committed,
    Open,
    Aborted,
}

#[derive(Debug, Clone)]
struct Entry {
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    timestamp: i64,
    headers: Headers,
    status: Status,
    /// The transactional producer (id, epoch) that wrote it, if one did.
    writer: Option<(String, u64)>,
}

/// A failure the next call of its kind returns.
#[derive(Debug, Clone)]
pub(crate) enum Fault {
    /// The next producer flush.
    Flush(ProducerError),
    /// The next record sent is not delivered (reported like a delivery report).
    Delivery(ProducerError),
    /// The next record sent to `topic` is refused by the broker (reported
    /// like a delivery report: refused on its own account, or a producer
    /// failure, by the same rule as librdkafka's reports).
    Refuse {
        /// The topic whose next record is refused.
        topic: String,
        /// The delivery failure.
        error: ProducerError,
    },
    /// The next `send_offsets_to_transaction`.
    SendOffsets(ProducerError),
    /// The next `commit_transaction`.
    CommitTransaction(ProducerError),
    /// The next consumer offset commit.
    ConsumerCommit(KafkaError),
}

#[derive(Default)]
struct Cluster {
    logs: BTreeMap<TopicPartition, Vec<Entry>>,
    partitions: BTreeMap<String, i32>,
    committed: BTreeMap<TopicPartition, i64>,
    generation: i32,
    epochs: HashMap<String, u64>,
    faults: VecDeque<Fault>,
    /// Commits of each kind, for assertions.
    consumer_commits: u64,
    transaction_commits: u64,
    transaction_aborts: u64,
}

impl Cluster {
    fn take_fault(&mut self, matches: impl Fn(&Fault) -> bool) -> Option<Fault> {
        let position = self.faults.iter().position(matches)?;
        self.faults.remove(position)
    }

    /// The last stable offset: where `read_committed` readers stop.
    fn stable_end(&self, partition: &TopicPartition) -> i64 {
        let log = self.logs.get(partition).map_or(&[][..], Vec::as_slice);
        log.iter()
            .position(|e| e.status == Status::Open)
            .unwrap_or(log.len()) as i64
    }

    fn end(&self, partition: &TopicPartition, read_committed: bool) -> i64 {
        if read_committed {
            self.stable_end(partition)
        } else {
            self.logs.get(partition).map_or(0, |log| log.len() as i64)
        }
    }

    /// The next visible entry at or after `position`, with its offset.
    fn next_visible(
        &self,
        partition: &TopicPartition,
        position: i64,
        read_committed: bool,
    ) -> Option<(i64, &Entry)> {
        let end = self.end(partition, read_committed);
        let log = self.logs.get(partition)?;
        (position..end).find_map(|offset| {
            let entry = &log[offset as usize];
            let visible = !read_committed || entry.status == Status::Committed;
            visible.then_some((offset, entry))
        })
    }
}

/// The shared in-memory cluster.
#[derive(Clone, Default)]
pub(crate) struct FakeCluster(Arc<Mutex<Cluster>>);

/// A transactional failure the fakes report, with its class.
pub(crate) fn producer_error(class: ErrorClass, code: RDKafkaErrorCode) -> ProducerError {
    ProducerError {
        operation: format!("a fake {class:?} failure"),
        error: KafkaError::MessageProduction(code),
        class,
    }
}

fn fenced() -> ProducerError {
    producer_error(ErrorClass::Fenced, RDKafkaErrorCode::Fenced)
}

impl FakeCluster {
    fn lock(&self) -> MutexGuard<'_, Cluster> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Creates `topic` with `partitions` empty partitions.
    pub(crate) fn create_topic(&self, topic: &str, partitions: i32) {
        let mut cluster = self.lock();
        cluster.partitions.insert(topic.to_string(), partitions);
        for partition in 0..partitions {
            cluster
                .logs
                .entry(TopicPartition::new(topic, partition))
                .or_default();
        }
    }

    /// Appends a committed, non-transactional record.
    pub(crate) fn append(
        &self,
        topic: &str,
        partition: i32,
        key: &[u8],
        value: &[u8],
        timestamp: i64,
    ) {
        self.lock()
            .logs
            .entry(TopicPartition::new(topic, partition))
            .or_default()
            .push(Entry {
                key: Some(key.to_vec()),
                value: Some(value.to_vec()),
                timestamp,
                headers: Headers::new(),
                status: Status::Committed,
                writer: None,
            });
    }

    /// The (key, value) records of a partition a reader with this isolation sees.
    pub(crate) fn records(
        &self,
        topic: &str,
        partition: i32,
        read_committed: bool,
    ) -> Vec<KeyValue> {
        let cluster = self.lock();
        let partition = TopicPartition::new(topic, partition);
        let mut records = Vec::new();
        let mut position = 0;
        while let Some((offset, entry)) = cluster.next_visible(&partition, position, read_committed)
        {
            records.push((entry.key.clone(), entry.value.clone()));
            position = offset + 1;
        }
        records
    }

    /// The headers of the records of a partition a reader with this
    /// isolation sees.
    pub(crate) fn headers(
        &self,
        topic: &str,
        partition: i32,
        read_committed: bool,
    ) -> Vec<Headers> {
        let cluster = self.lock();
        let partition = TopicPartition::new(topic, partition);
        let mut headers = Vec::new();
        let mut position = 0;
        while let Some((offset, entry)) = cluster.next_visible(&partition, position, read_committed)
        {
            headers.push(entry.headers.clone());
            position = offset + 1;
        }
        headers
    }

    /// The (key, timestamp) of each record of a partition, as a
    /// read-uncommitted reader sees them.
    pub(crate) fn key_timestamps(
        &self,
        topic: &str,
        partition: i32,
    ) -> Vec<(Option<Vec<u8>>, i64)> {
        let cluster = self.lock();
        let partition = TopicPartition::new(topic, partition);
        let mut records = Vec::new();
        let mut position = 0;
        while let Some((offset, entry)) = cluster.next_visible(&partition, position, false) {
            records.push((entry.key.clone(), entry.timestamp));
            position = offset + 1;
        }
        records
    }

    /// Records written to a partition, whatever their status (the log's length).
    pub(crate) fn log_len(&self, topic: &str, partition: i32) -> usize {
        self.lock()
            .logs
            .get(&TopicPartition::new(topic, partition))
            .map_or(0, Vec::len)
    }

    /// The group's committed offset of a partition.
    pub(crate) fn committed(&self, topic: &str, partition: i32) -> Option<i64> {
        self.lock()
            .committed
            .get(&TopicPartition::new(topic, partition))
            .copied()
    }

    /// Makes the next call of the fault's kind fail.
    pub(crate) fn inject(&self, fault: Fault) {
        self.lock().faults.push_back(fault);
    }

    /// Faults injected but not hit yet.
    pub(crate) fn pending_faults(&self) -> usize {
        self.lock().faults.len()
    }

    /// A new group generation the current member is not part of (as after
    /// it stalled past its session timeout).
    pub(crate) fn bump_generation(&self) {
        self.lock().generation += 1;
    }

    /// (consumer commits, transaction commits, transaction aborts) so far.
    pub(crate) fn commit_counts(&self) -> (u64, u64, u64) {
        let cluster = self.lock();
        (
            cluster.consumer_commits,
            cluster.transaction_commits,
            cluster.transaction_aborts,
        )
    }

    /// A group consumer (the group's only member).
    pub(crate) fn consumer(&self, read_committed: bool) -> FakeConsumer {
        FakeConsumer {
            cluster: self.clone(),
            read_committed,
            member: Arc::default(),
        }
    }

    /// A producer; `transactional_id` makes it transactional.
    pub(crate) fn producer(&self, transactional_id: Option<&str>) -> FakeProducer {
        FakeProducer {
            cluster: self.clone(),
            transactional_id: transactional_id.map(str::to_string),
            epoch: Cell::new(0),
            open: RefCell::default(),
            offsets: RefCell::default(),
            unacked: RefCell::default(),
            acked: RefCell::default(),
            failure: RefCell::default(),
            rejected: RefCell::default(),
            refused_in_transaction: Cell::new(false),
            changelog_topics: RefCell::default(),
        }
    }

    /// A reader of changelog partitions.
    pub(crate) fn changelog_reader(&self, read_committed: bool) -> FakeChangelogReader {
        FakeChangelogReader {
            cluster: self.clone(),
            read_committed,
            state: Arc::default(),
        }
    }
}

/// What the tests see of a fake consumer after it was moved into a thread.
#[derive(Default)]
pub(crate) struct MemberState {
    subscribed: Vec<String>,
    assigned: Vec<TopicPartition>,
    positions: HashMap<TopicPartition, i64>,
    paused: HashSet<TopicPartition>,
    events: VecDeque<RebalanceEvent>,
    generation: i32,
    /// Times the member left and joined again.
    pub(crate) rejoins: u32,
    /// Partitions rewound to their committed offsets, in order.
    pub(crate) rewound: Vec<TopicPartition>,
    closed: bool,
    next_partition: usize,
}

/// The group consumer on the fake cluster.
pub(crate) struct FakeConsumer {
    cluster: FakeCluster,
    read_committed: bool,
    member: Arc<Mutex<MemberState>>,
}

impl FakeConsumer {
    /// The member's state, shared with the consumer.
    pub(crate) fn member(&self) -> Arc<Mutex<MemberState>> {
        self.member.clone()
    }

    fn state(&self) -> MutexGuard<'_, MemberState> {
        self.member
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every partition of the subscribed topics: the one member gets them all.
    fn full_assignment(&self, topics: &[String]) -> Vec<TopicPartition> {
        let cluster = self.cluster.lock();
        topics
            .iter()
            .flat_map(|topic| {
                let count = cluster.partitions.get(topic).copied().unwrap_or(0);
                (0..count).map(move |p| TopicPartition::new(topic.clone(), p))
            })
            .collect()
    }
}

impl MemberState {
    /// Queues a rebalance event for the thread.
    pub(crate) fn push_event(&mut self, event: RebalanceEvent) {
        self.events.push_back(event);
    }

    /// The partitions paused now.
    pub(crate) fn paused(&self) -> Vec<TopicPartition> {
        let mut paused: Vec<TopicPartition> = self.paused.iter().cloned().collect();
        paused.sort();
        paused
    }

    /// Whether the consumer left the group.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// The assignment.
    pub(crate) fn assigned(&self) -> &[TopicPartition] {
        &self.assigned
    }
}

impl FakeConsumer {
    /// The next visible record of an assigned, unpaused partition, round robin.
    fn next_record(&mut self) -> Option<Result<ConsumedRecord, KafkaError>> {
        let cluster = self.cluster.lock();
        let mut state = self
            .member
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = state.assigned.len();
        for step in 0..count {
            let index = (state.next_partition + step) % count;
            let partition = state.assigned[index].clone();
            if state.paused.contains(&partition) {
                continue;
            }
            let position = state.positions.get(&partition).copied().unwrap_or(0);
            if let Some((offset, entry)) =
                cluster.next_visible(&partition, position, self.read_committed)
            {
                state.positions.insert(partition.clone(), offset + 1);
                state.next_partition = index + 1;
                return Some(Ok(ConsumedRecord {
                    metadata: RecordMetadata {
                        topic: Arc::from(partition.topic.as_str()),
                        partition: partition.partition,
                        offset,
                    },
                    timestamp: entry.timestamp,
                    key: entry.key.clone(),
                    value: entry.value.clone(),
                    headers: entry.headers.clone(),
                }));
            }
        }
        None
    }
}

impl GroupConsumer for FakeConsumer {
    fn subscribe(&mut self, topics: &[String]) -> Result<(), RuntimeError> {
        let assignment = self.full_assignment(topics);
        let mut state = self.state();
        state.subscribed = topics.to_vec();
        state.events.push_back(RebalanceEvent::Assign(assignment));
        Ok(())
    }

    fn rejoin(&mut self, topics: &[String]) -> Result<(), RuntimeError> {
        self.cluster.bump_generation();
        let assignment = self.full_assignment(topics);
        let mut state = self.state();
        state.rejoins += 1;
        let revoked = state.assigned.clone();
        state.events.push_back(RebalanceEvent::Revoke(revoked));
        state.events.push_back(RebalanceEvent::Assign(assignment));
        Ok(())
    }

    /// Like a real consumer, waits out `timeout` (at most 5 ms, the tests
    /// set `poll.ms` low) when there is nothing to return.
    fn poll(&mut self, timeout: Duration) -> Option<Result<ConsumedRecord, KafkaError>> {
        let record = self.next_record();
        if record.is_none() && !timeout.is_zero() {
            std::thread::sleep(timeout.min(Duration::from_millis(5)));
        }
        record
    }

    fn next_rebalance_event(&mut self) -> Option<RebalanceEvent> {
        self.state().events.pop_front()
    }

    fn assign(&mut self, partitions: &[TopicPartition]) -> Result<(), RuntimeError> {
        let cluster = self.cluster.lock();
        let mut state = self
            .member
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.assigned = partitions.to_vec();
        state.positions = partitions
            .iter()
            .map(|p| (p.clone(), cluster.committed.get(p).copied().unwrap_or(0)))
            .collect();
        state.paused.clear();
        state.generation = cluster.generation;
        Ok(())
    }

    fn unassign(&mut self) -> Result<(), RuntimeError> {
        let mut state = self.state();
        state.assigned.clear();
        state.positions.clear();
        state.paused.clear();
        Ok(())
    }

    fn pause(&mut self, partitions: &[TopicPartition]) -> Result<(), RuntimeError> {
        self.state().paused.extend(partitions.iter().cloned());
        Ok(())
    }

    fn resume(&mut self, partitions: &[TopicPartition]) -> Result<(), RuntimeError> {
        let mut state = self.state();
        for partition in partitions {
            state.paused.remove(partition);
        }
        Ok(())
    }

    fn seek_to_committed(&mut self, partitions: &[TopicPartition]) -> Result<(), RuntimeError> {
        let cluster = self.cluster.lock();
        let mut state = self
            .member
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for partition in partitions {
            let committed = cluster.committed.get(partition).copied().unwrap_or(0);
            state.positions.insert(partition.clone(), committed);
            state.rewound.push(partition.clone());
        }
        Ok(())
    }

    fn commit(&mut self, offsets: &[(TopicPartition, i64)]) -> Result<(), KafkaError> {
        let mut cluster = self.cluster.lock();
        if let Some(Fault::ConsumerCommit(error)) =
            cluster.take_fault(|f| matches!(f, Fault::ConsumerCommit(_)))
        {
            return Err(error);
        }
        if self.state().generation != cluster.generation {
            return Err(KafkaError::ConsumerCommit(
                RDKafkaErrorCode::IllegalGeneration,
            ));
        }
        for (partition, next) in offsets {
            cluster.committed.insert(partition.clone(), *next);
        }
        cluster.consumer_commits += 1;
        Ok(())
    }

    fn group_metadata(&self) -> Option<GroupMetadata> {
        Some(GroupMetadata {
            kafka: None,
            generation: self.state().generation,
        })
    }

    fn close(&mut self, _: Duration) {
        let mut state = self.state();
        state.assigned.clear();
        state.closed = true;
    }
}

/// A producer on the fake cluster: records are written (as open
/// transactional records under a transaction) when sent and acknowledged at
/// the next poll or flush.
pub(crate) struct FakeProducer {
    cluster: FakeCluster,
    transactional_id: Option<String>,
    epoch: Cell<u64>,
    /// Entries written in the open transaction.
    open: RefCell<Vec<(TopicPartition, usize)>>,
    /// Offsets added to the open transaction.
    offsets: RefCell<Vec<(TopicPartition, i64)>>,
    unacked: RefCell<Vec<(TopicPartition, i64)>>,
    acked: RefCell<HashMap<TopicPartition, i64>>,
    failure: RefCell<Option<ProducerError>>,
    rejected: RefCell<Vec<RejectedRecord>>,
    /// A record of the open transaction was refused: it cannot commit.
    refused_in_transaction: Cell<bool>,
    changelog_topics: RefCell<HashSet<String>>,
}

impl FakeProducer {
    /// Whether a newer producer took this one's transactional id.
    fn fenced(&self, cluster: &Cluster) -> bool {
        self.transactional_id
            .as_ref()
            .is_some_and(|id| cluster.epochs.get(id).copied().unwrap_or(0) > self.epoch.get())
    }

    fn acknowledge(&self) {
        let mut acked = self.acked.borrow_mut();
        for (partition, offset) in self.unacked.borrow_mut().drain(..) {
            let entry = acked.entry(partition).or_insert(offset);
            *entry = (*entry).max(offset);
        }
    }

    fn finish_transaction(&self, cluster: &mut Cluster, status: Status) {
        for (partition, index) in self.open.borrow_mut().drain(..) {
            if let Some(entry) = cluster
                .logs
                .get_mut(&partition)
                .and_then(|log| log.get_mut(index))
            {
                entry.status = status;
            }
        }
        if status == Status::Committed {
            for (partition, next) in self.offsets.borrow_mut().drain(..) {
                cluster.committed.insert(partition, next);
            }
        }
        self.offsets.borrow_mut().clear();
    }

    /// Only records of these topics count as changelog writes for acknowledgement.
    pub(crate) fn track_changelogs(&self, topics: impl IntoIterator<Item = String>) {
        self.changelog_topics.borrow_mut().extend(topics);
    }
}

impl ProducerClient for FakeProducer {
    fn send(&self, record: &ProducedRecord, task: TaskId) -> Result<(), ProducerError> {
        let mut cluster = self.cluster.lock();
        if self.fenced(&cluster) {
            return Err(fenced());
        }
        let count = cluster.partitions.get(&*record.topic).copied().unwrap_or(1);
        let partition = record.partition.unwrap_or_else(|| {
            record
                .key
                .as_deref()
                .map_or(0, |key| default_partition(key, count))
        });
        if let Some(Fault::Delivery(error)) =
            cluster.take_fault(|f| matches!(f, Fault::Delivery(_)))
        {
            self.failure.borrow_mut().get_or_insert(error);
            return Ok(());
        }
        if let Some(Fault::Refuse { mut error, .. }) = cluster
            .take_fault(|f| matches!(f, Fault::Refuse { topic, .. } if **topic == *record.topic))
        {
            error.operation = delivery_operation(&record.topic, partition);
            self.refused_in_transaction
                .set(self.transactional_id.is_some());
            if is_record_failure(error.error.rdkafka_error_code())
                && !self.changelog_topics.borrow().contains(&*record.topic)
            {
                self.rejected.borrow_mut().push(RejectedRecord {
                    task,
                    record: ProducedRecord {
                        partition: Some(partition),
                        ..record.clone()
                    },
                    error,
                });
            } else {
                self.failure.borrow_mut().get_or_insert(error);
            }
            return Ok(());
        }
        let partition = TopicPartition::new(&*record.topic, partition);
        let transactional = self.transactional_id.is_some();
        let log = cluster.logs.entry(partition.clone()).or_default();
        log.push(Entry {
            key: record.key.clone(),
            value: record.value.clone(),
            timestamp: record.timestamp,
            headers: record.headers.clone(),
            status: if transactional {
                Status::Open
            } else {
                Status::Committed
            },
            writer: self
                .transactional_id
                .clone()
                .map(|id| (id, self.epoch.get())),
        });
        let index = log.len() - 1;
        if transactional {
            self.open.borrow_mut().push((partition.clone(), index));
        }
        if self.changelog_topics.borrow().contains(&partition.topic) {
            self.unacked.borrow_mut().push((partition, index as i64));
        }
        Ok(())
    }

    fn poll(&self) {
        self.acknowledge();
    }

    fn flush(&self, _: Duration) -> Result<(), ProducerError> {
        if let Some(Fault::Flush(error)) = self
            .cluster
            .lock()
            .take_fault(|f| matches!(f, Fault::Flush(_)))
        {
            return Err(error);
        }
        self.acknowledge();
        Ok(())
    }

    fn take_delivery_failure(&self) -> Option<ProducerError> {
        self.failure.borrow_mut().take()
    }

    fn take_rejected(&self) -> Vec<RejectedRecord> {
        std::mem::take(&mut *self.rejected.borrow_mut())
    }

    fn acked_offset(&self, partition: &TopicPartition) -> Option<i64> {
        self.acked.borrow().get(partition).copied()
    }

    fn forget_acked(&self, partitions: &[TopicPartition]) {
        let mut acked = self.acked.borrow_mut();
        for partition in partitions {
            acked.remove(partition);
        }
    }

    fn partitions(&self, topic: &str) -> Result<i32, ProducerError> {
        self.cluster
            .lock()
            .partitions
            .get(topic)
            .copied()
            .ok_or_else(|| {
                producer_error(ErrorClass::Fatal, RDKafkaErrorCode::UnknownTopicOrPartition)
            })
    }

    fn fatal_error(&self) -> Option<String> {
        self.fenced(&self.cluster.lock())
            .then(|| "fenced by a newer producer".to_string())
    }

    fn init_transactions(&self, _: Duration) -> Result<(), ProducerError> {
        let Some(id) = &self.transactional_id else {
            return Err(producer_error(
                ErrorClass::Fatal,
                RDKafkaErrorCode::NotConfigured,
            ));
        };
        let mut cluster = self.cluster.lock();
        let epoch = cluster.epochs.get(id).copied().unwrap_or(0) + 1;
        cluster.epochs.insert(id.clone(), epoch);
        // What older epochs of this id left open is aborted.
        for log in cluster.logs.values_mut() {
            for entry in log.iter_mut() {
                if entry.status == Status::Open
                    && entry
                        .writer
                        .as_ref()
                        .is_some_and(|(writer, _)| writer == id)
                {
                    entry.status = Status::Aborted;
                }
            }
        }
        self.epoch.set(epoch);
        Ok(())
    }

    fn begin_transaction(&self) -> Result<(), ProducerError> {
        if self.fenced(&self.cluster.lock()) {
            return Err(fenced());
        }
        Ok(())
    }

    fn send_offsets_to_transaction(
        &self,
        offsets: &[(TopicPartition, i64)],
        group: &GroupMetadata,
        _: Duration,
    ) -> Result<(), ProducerError> {
        let mut cluster = self.cluster.lock();
        if self.fenced(&cluster) {
            return Err(fenced());
        }
        if let Some(Fault::SendOffsets(error)) =
            cluster.take_fault(|f| matches!(f, Fault::SendOffsets(_)))
        {
            return Err(error);
        }
        if group.generation != cluster.generation {
            return Err(producer_error(
                ErrorClass::Fenced,
                RDKafkaErrorCode::IllegalGeneration,
            ));
        }
        self.offsets.borrow_mut().extend(offsets.iter().cloned());
        Ok(())
    }

    fn commit_transaction(&self) -> Result<(), ProducerError> {
        let mut cluster = self.cluster.lock();
        if self.fenced(&cluster) {
            return Err(fenced());
        }
        if let Some(Fault::CommitTransaction(error)) =
            cluster.take_fault(|f| matches!(f, Fault::CommitTransaction(_)))
        {
            return Err(error);
        }
        if let Some(error) = self.failure.borrow().clone() {
            return Err(ProducerError {
                class: ErrorClass::Abortable,
                ..error
            });
        }
        if self.refused_in_transaction.get() {
            return Err(producer_error(
                ErrorClass::Abortable,
                RDKafkaErrorCode::InvalidTransactionalState,
            ));
        }
        self.finish_transaction(&mut cluster, Status::Committed);
        cluster.transaction_commits += 1;
        drop(cluster);
        self.acknowledge();
        Ok(())
    }

    fn abort_transaction(&self) -> Result<(), ProducerError> {
        let mut cluster = self.cluster.lock();
        self.finish_transaction(&mut cluster, Status::Aborted);
        self.refused_in_transaction.set(false);
        cluster.transaction_aborts += 1;
        self.unacked.borrow_mut().clear();
        Ok(())
    }
}

/// What the tests see of a changelog reader after it was moved into an updater.
#[derive(Default)]
pub(crate) struct ReaderState {
    /// Assigned partitions with the next offset to read.
    assigned: Vec<(TopicPartition, i64)>,
    /// Polls that returned records.
    pub(crate) reads: usize,
    /// End-offset requests still to fail.
    pub(crate) failing_end_offsets: usize,
    /// End-offset requests so far (one per changelog of a task starting to restore).
    pub(crate) end_offset_requests: usize,
    /// Where the next poll starts, so partitions take turns.
    next_partition: usize,
}

impl ReaderState {
    /// The partitions assigned now.
    pub(crate) fn assigned(&self) -> Vec<TopicPartition> {
        self.assigned.iter().map(|(p, _)| p.clone()).collect()
    }
}

/// A changelog reader on the fake cluster.
pub(crate) struct FakeChangelogReader {
    cluster: FakeCluster,
    read_committed: bool,
    state: Arc<Mutex<ReaderState>>,
}

impl FakeChangelogReader {
    /// The reader's state, shared with it.
    pub(crate) fn state(&self) -> Arc<Mutex<ReaderState>> {
        self.state.clone()
    }

    fn lock(&self) -> MutexGuard<'_, ReaderState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl ChangelogReader for FakeChangelogReader {
    fn end_offset(&mut self, partition: &TopicPartition) -> Result<i64, RuntimeError> {
        let mut state = self.lock();
        state.end_offset_requests += 1;
        if state.failing_end_offsets > 0 {
            state.failing_end_offsets -= 1;
            return Err(RuntimeError::kafka(
                "reading an end offset",
                KafkaError::MetadataFetch(RDKafkaErrorCode::OperationTimedOut),
            ));
        }
        Ok(self.cluster.lock().end(partition, self.read_committed))
    }

    fn committed_offset(
        &mut self,
        partition: &TopicPartition,
    ) -> Result<Option<i64>, RuntimeError> {
        Ok(self
            .cluster
            .committed(&partition.topic, partition.partition))
    }

    fn assign(&mut self, partitions: &[(TopicPartition, Option<i64>)]) -> Result<(), RuntimeError> {
        self.lock().assigned = partitions
            .iter()
            .map(|(p, start)| (p.clone(), start.unwrap_or(0)))
            .collect();
        Ok(())
    }

    /// Reads at most three records of one partition (the partitions take
    /// turns), so restoration takes several steps.
    fn poll(&mut self, _: Duration, max: usize) -> Result<Vec<ChangelogEntry>, RuntimeError> {
        let cluster = self.cluster.lock();
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = state.assigned.len();
        let mut entries = Vec::new();
        for step in 0..count {
            let index = (state.next_partition + step) % count;
            let (partition, next) = &mut state.assigned[index];
            while entries.len() < max.min(3) {
                let Some((offset, entry)) =
                    cluster.next_visible(partition, *next, self.read_committed)
                else {
                    // Past trailing invisible records, as a consumer's position moves.
                    *next = (*next).max(cluster.end(partition, self.read_committed));
                    break;
                };
                entries.push(ChangelogEntry {
                    partition: index,
                    offset,
                    key: entry.key.clone(),
                    value: entry.value.clone(),
                    timestamp: entry.timestamp,
                });
                *next = offset + 1;
            }
            if !entries.is_empty() {
                state.next_partition = index + 1;
                state.reads += 1;
                break;
            }
        }
        Ok(entries)
    }

    fn position(&mut self, index: usize) -> Result<Option<i64>, RuntimeError> {
        Ok(self.lock().assigned.get(index).map(|(_, next)| *next))
    }

    fn unassign(&mut self) -> Result<(), RuntimeError> {
        self.lock().assigned.clear();
        Ok(())
    }
}
