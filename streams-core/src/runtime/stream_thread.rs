//! A stream thread: one OS thread owning a group consumer, a restore consumer, a
//! producer and the tasks of the partitions the group assigned to it. It polls,
//! buffers records per task (pausing full partitions), processes them in
//! stream-time order, fires wall-clock punctuators, commits every
//! `commit.interval.ms`, and handles rebalances between polls.

use super::metrics::SharedMetrics;
use super::producer::{DeliveryTracker, KafkaRecordCollector, ThreadProducer};
use super::query_router::{QueryCommand, QueryRouter, TaskAvailability};
use super::rebalance::{RebalanceEvent, RebalanceRecorder};
use super::restore_consumer::RestoreConsumer;
use super::restorer::restore_task;
use super::task_checkpoint::{StoreChangelog, TaskCheckpoint};
use super::{RuntimeError, StateMachine, StreamsConfig, StreamsState, TopicPlan};
use crate::metrics::ThreadSensors;
use crate::record::{ConsumedRecord, Headers, RecordMetadata};
use crate::task::{StreamTask, TaskConfig, TaskId, TaskMetrics};
use crate::topology::Topology;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Headers as _, Message};
use rdkafka::{Offset, TopicPartitionList};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use streams_state::{ThreadCache, TopicPartition};

/// Records processed per task before the thread polls again.
const PROCESS_BATCH: usize = 1000;
/// Records taken from the consumer per poll round.
const POLL_BATCH: usize = 2000;
/// Longest a closing thread waits for the group to take its partitions back.
const LEAVE_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest a flush, commit or metadata request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Where a thread is in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ThreadState {
    /// Waiting for an assignment, or moving tasks.
    Rebalancing,
    /// Processing its tasks (restoration done).
    Running,
    /// Stopped.
    Dead,
}

/// What the threads of an instance share with each other and the application.
pub(crate) struct ThreadShared {
    pub(crate) config: StreamsConfig,
    pub(crate) topology: Arc<Topology>,
    pub(crate) plan: TopicPlan,
    pub(crate) state: StateMachine,
    pub(crate) metrics: Arc<SharedMetrics>,
    pub(crate) shutdown: AtomicBool,
    pub(crate) alive: AtomicUsize,
    pub(crate) threads: Mutex<Vec<ThreadState>>,
    pub(crate) failure: Mutex<Option<Arc<RuntimeError>>>,
    /// Who owns which task, for interactive queries.
    pub(crate) queries: QueryRouter,
}

impl ThreadShared {
    /// Records a thread's state and derives the instance's: Running once every
    /// live thread runs, Rebalancing while any does not.
    fn set_thread_state(&self, index: usize, state: ThreadState) {
        let all_running = {
            let mut threads = self
                .threads
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            threads[index] = state;
            threads
                .iter()
                .filter(|s| **s != ThreadState::Dead)
                .all(|s| *s == ThreadState::Running)
        };
        if state == ThreadState::Dead {
            return;
        }
        self.state.transition(if all_running {
            StreamsState::Running
        } else {
            StreamsState::Rebalancing
        });
    }

    fn fail(&self, error: RuntimeError) {
        tracing::error!(%error, "stream thread failed; shutting the instance down");
        self.failure
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get_or_insert(Arc::new(error));
        self.state.transition(StreamsState::PendingError);
        self.shutdown.store(true, Ordering::SeqCst);
    }
}

/// Runs thread `index` until shutdown or failure; the last thread to stop
/// moves the instance to NotRunning (or Error).
pub(crate) fn run(shared: Arc<ThreadShared>, index: usize) {
    let result = StreamThread::new(shared.clone(), index).and_then(|mut thread| {
        let outcome = thread.run_loop();
        let closed = thread.close(outcome.is_ok());
        outcome.and(closed)
    });
    if let Err(error) = result {
        shared.fail(error);
    }
    shared.set_thread_state(index, ThreadState::Dead);
    if shared.alive.fetch_sub(1, Ordering::SeqCst) == 1 {
        match shared.state.get() {
            StreamsState::PendingError => {
                shared.state.transition(StreamsState::Error);
            }
            StreamsState::PendingShutdown => {
                shared.state.transition(StreamsState::NotRunning);
            }
            _ => {
                shared.fail(RuntimeError::IllegalState {
                    operation: "keep running",
                    state: shared.state.get(),
                    hint: "every stream thread stopped without close() being called",
                });
                shared.state.transition(StreamsState::Error);
            }
        }
    }
}

struct ActiveTask {
    task: StreamTask,
    checkpoint: TaskCheckpoint,
    /// Since when the task has waited for data on an empty partition.
    idle_since: Option<Instant>,
}

struct StreamThread {
    shared: Arc<ThreadShared>,
    index: usize,
    consumer: BaseConsumer<RebalanceRecorder>,
    restore: RestoreConsumer,
    producer: Rc<ThreadProducer>,
    cache: ThreadCache,
    tasks: BTreeMap<TaskId, ActiveTask>,
    topic_names: HashMap<String, Arc<str>>,
    paused: HashSet<(Arc<str>, i32)>,
    /// Partitions whose buffer reached the bound in the last poll round.
    filled: HashSet<(Arc<str>, i32)>,
    last_commit: Instant,
    closed_metrics: TaskMetrics,
    /// [`progress`](Self::progress) at the last commit.
    committed_progress: u64,
    state_dir: PathBuf,
    /// Interactive queries for this thread's tasks.
    queries: Option<Receiver<QueryCommand>>,
    /// The thread's metrics (also fed by its consumer's statistics).
    sensors: Arc<ThreadSensors>,
}

impl StreamThread {
    fn new(shared: Arc<ThreadShared>, index: usize) -> Result<Self, RuntimeError> {
        let config = &shared.config;
        let name = format!("StreamThread-{}", index + 1);
        let sensors = Arc::new(ThreadSensors::new(&shared.metrics.registry, &name));
        let consumer: BaseConsumer<RebalanceRecorder> = config
            .consumer_config(&name)
            .create_with_context(RebalanceRecorder::with_statistics(sensors.clone()))
            .map_err(|e| RuntimeError::kafka("creating the consumer", e))?;
        let restore: BaseConsumer = config
            .restore_consumer_config(&name)
            .create()
            .map_err(|e| RuntimeError::kafka("creating the restore consumer", e))?;
        let changelog_topics: HashSet<String> = shared
            .plan
            .internal_topics
            .iter()
            .filter(|t| t.kind == super::InternalTopicKind::Changelog)
            .map(|t| t.name.clone())
            .collect();
        let producer = config
            .producer_config(&name)
            .create_with_context(DeliveryTracker::new(changelog_topics))
            .map_err(|e| RuntimeError::kafka("creating the producer", e))?;
        let sources = shared.plan.source_topics();
        let topics: Vec<&str> = sources.iter().map(String::as_str).collect();
        consumer
            .subscribe(&topics)
            .map_err(|e| RuntimeError::kafka("subscribing to the source topics", e))?;
        tracing::info!(thread = %name, topics = ?topics, "stream thread started");
        Ok(Self {
            cache: ThreadCache::new(config.cache_max_bytes_per_thread()),
            state_dir: config.application_state_dir(),
            shared: shared.clone(),
            index,
            consumer,
            restore: RestoreConsumer::new(restore, REQUEST_TIMEOUT),
            producer: Rc::new(ThreadProducer::new(producer)),
            tasks: BTreeMap::new(),
            topic_names: HashMap::new(),
            paused: HashSet::new(),
            filled: HashSet::new(),
            last_commit: Instant::now(),
            closed_metrics: TaskMetrics::default(),
            committed_progress: 0,
            queries: shared.queries.take_receiver(index),
            sensors,
        })
    }

    fn run_loop(&mut self) -> Result<(), RuntimeError> {
        let poll_interval = self.shared.config.poll_interval();
        let commit_interval = self.shared.config.commit_interval();
        while !self.shared.shutdown.load(Ordering::SeqCst) {
            match self.run_once(poll_interval, commit_interval) {
                Err(error) if error.is_task_migrated() => self.recover_lost_tasks(&error)?,
                other => other?,
            }
        }
        Ok(())
    }

    fn run_once(
        &mut self,
        poll_interval: Duration,
        commit_interval: Duration,
    ) -> Result<(), RuntimeError> {
        self.handle_rebalance_events()?;
        let busy = self.tasks.values().any(|t| t.task.ready_to_process());
        // --- thread metrics (operability): each step timed around its call ---
        let buffered =
            |thread: &Self| -> usize { thread.tasks.values().map(|t| t.task.buffered()).sum() };
        let (started, before) = (Instant::now(), buffered(self));
        self.poll(if busy { Duration::ZERO } else { poll_interval });
        let polled = buffered(self).saturating_sub(before) as u64;
        self.sensors.record_poll(started.elapsed(), polled);
        self.handle_rebalance_events()?;
        self.sensors.set_tasks(self.tasks.len(), 0);
        let (started, before) = (Instant::now(), self.progress());
        self.process()?;
        self.sensors
            .record_process(started.elapsed(), self.progress().saturating_sub(before));
        self.serve_queries();
        let started = Instant::now();
        self.punctuate()?;
        self.sensors.record_punctuate(started.elapsed());
        self.producer.poll();
        if self.last_commit.elapsed() >= commit_interval {
            // As Kafka Streams, only commit when something was processed.
            if self.progress() != self.committed_progress {
                let started = Instant::now();
                self.commit()?;
                self.sensors.record_commit(started.elapsed());
            } else {
                self.last_commit = Instant::now();
            }
        }
        Ok(())
    }

    /// Answers the interactive queries waiting for this thread's tasks.
    fn serve_queries(&mut self) {
        if let Some(receiver) = &self.queries {
            while let Ok(command) = receiver.try_recv() {
                // A task no longer here drops the query, which tells its caller.
                if let Some(active) = self.tasks.get_mut(&command.task) {
                    (command.job)(&mut active.task);
                }
            }
        }
    }

    /// The group refused a commit: closes every task without committing (its
    /// records will be processed again: at least once), then takes the current
    /// assignment up again from the committed offsets, restoring state.
    fn recover_lost_tasks(&mut self, error: &RuntimeError) -> Result<(), RuntimeError> {
        tracing::warn!(thread = self.index + 1, %error, "tasks lost; closing them without a commit and rejoining");
        self.lose_tasks();
        let assignment = self
            .consumer
            .assignment()
            .map_err(|e| RuntimeError::kafka("reading the assignment", e))?;
        if assignment.count() > 0 {
            self.shared
                .set_thread_state(self.index, ThreadState::Rebalancing);
            self.assign(&assignment)?;
            self.shared
                .set_thread_state(self.index, ThreadState::Running);
        }
        Ok(())
    }

    /// Closes every task without committing or checkpointing.
    fn lose_tasks(&mut self) {
        self.shared.queries.release_thread(self.index);
        self.filled.clear();
        for (_, mut active) in std::mem::take(&mut self.tasks) {
            self.closed_metrics += active.task.metrics();
            if let Err(error) = active.task.close() {
                tracing::warn!(task = %active.task.id(), %error, "closing a lost task failed");
            }
        }
        if !self.paused.is_empty() {
            let list = partition_list(self.paused.iter().map(|(t, p)| (&**t, *p)));
            if let Err(error) = self.consumer.resume(&list) {
                tracing::warn!(%error, "resuming partitions of lost tasks failed");
            }
            self.paused.clear();
        }
    }

    /// Takes records from the consumer into their tasks' buffers until one
    /// partition's buffer is full. The rest stay in the consumer's queue:
    /// librdkafka drops the records it prefetched for a partition when it is
    /// paused, so pausing one that is about to drain only costs refetching.
    /// A partition still full one round later is not being drained (its task
    /// waits for another input): that one is paused, so the others keep flowing.
    fn poll(&mut self, timeout: Duration) {
        let bound = self.shared.config.buffered_records_per_partition();
        let to_pause: Vec<(Arc<str>, i32)> = std::mem::take(&mut self.filled)
            .into_iter()
            .filter(|(topic, partition)| {
                !self.paused.contains(&(topic.clone(), *partition))
                    && self
                        .shared
                        .plan
                        .task_of(topic, *partition)
                        .and_then(|id| self.tasks.get(&id))
                        .is_some_and(|t| t.task.buffered_in(topic, *partition) >= bound)
            })
            .collect();
        let mut wait = timeout;
        for _ in 0..POLL_BATCH {
            let message = match self.consumer.poll(wait) {
                None => break,
                Some(Err(error)) => {
                    tracing::warn!(%error, "polling failed");
                    break;
                }
                Some(Ok(message)) => message,
            };
            wait = Duration::ZERO;
            let Some(task_id) = self
                .shared
                .plan
                .task_of(message.topic(), message.partition())
            else {
                continue;
            };
            let Some(active) = self.tasks.get_mut(&task_id) else {
                continue;
            };
            let topic = intern(&mut self.topic_names, message.topic());
            let partition = message.partition();
            active
                .task
                .add_record(consumed_record(&message, topic.clone()));
            if active.task.buffered_in(&topic, partition) >= bound {
                self.filled.insert((topic, partition));
                break;
            }
        }
        if !to_pause.is_empty() {
            let list = partition_list(to_pause.iter().map(|(t, p)| (&**t, *p)));
            match self.consumer.pause(&list) {
                Ok(()) => {
                    self.shared.metrics.paused(to_pause.len() as u64);
                    self.paused.extend(to_pause);
                }
                Err(error) => tracing::warn!(%error, "pausing full partitions failed"),
            }
        }
    }

    /// Processes buffered records task by task, then resumes partitions whose
    /// buffer drained.
    fn process(&mut self) -> Result<(), RuntimeError> {
        let max_idle_ms = self.shared.config.max_task_idle_ms();
        for active in self.tasks.values_mut() {
            if max_idle_ms > 0 && !all_partitions_buffered(&active.task) {
                let since = *active.idle_since.get_or_insert_with(Instant::now);
                if since.elapsed() < Duration::from_millis(max_idle_ms as u64) {
                    continue;
                }
            } else {
                active.idle_since = None;
            }
            for _ in 0..PROCESS_BATCH {
                if !active.task.process_next()? {
                    break;
                }
            }
        }
        if self.paused.is_empty() {
            return Ok(());
        }
        let bound = self.shared.config.buffered_records_per_partition();
        let drained: Vec<(Arc<str>, i32)> = self
            .paused
            .iter()
            .filter(|(topic, partition)| {
                self.shared
                    .plan
                    .task_of(topic, *partition)
                    .and_then(|id| self.tasks.get(&id))
                    .is_none_or(|t| t.task.buffered_in(topic, *partition) < bound / 2 + 1)
            })
            .cloned()
            .collect();
        if !drained.is_empty() {
            let list = partition_list(drained.iter().map(|(t, p)| (&**t, *p)));
            self.consumer
                .resume(&list)
                .map_err(|e| RuntimeError::kafka("resuming drained partitions", e))?;
            for key in drained {
                self.paused.remove(&key);
            }
        }
        Ok(())
    }

    fn punctuate(&mut self) -> Result<(), RuntimeError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        for active in self.tasks.values_mut() {
            active.task.punctuate_wall_clock(now)?;
        }
        Ok(())
    }

    /// The at-least-once commit: tasks flush (caches to stores and changelogs,
    /// stores made durable), the producer delivers everything, consumed offsets
    /// are committed, then checkpoints record the acknowledged changelog offsets.
    ///
    /// Exactly-once v2 replaces the middle two steps: with a transactional
    /// producer, `send_offsets_to_transaction` with the consumer's group
    /// metadata and `commit_transaction` take the place of the flush and the
    /// consumer commit; the steps before and after stay as they are.
    fn commit(&mut self) -> Result<(), RuntimeError> {
        for active in self.tasks.values_mut() {
            active.task.flush()?;
        }
        self.producer.flush(REQUEST_TIMEOUT)?;
        let mut offsets = TopicPartitionList::new();
        for active in self.tasks.values() {
            for (topic, partition, next) in active.task.next_offsets() {
                offsets
                    .add_partition_offset(topic, partition, Offset::Offset(next))
                    .map_err(|e| RuntimeError::kafka("preparing the offset commit", e))?;
            }
        }
        if offsets.count() > 0 {
            self.consumer
                .commit(&offsets, CommitMode::Sync)
                .map_err(|error| match error {
                    KafkaError::ConsumerCommit(
                        code @ (RDKafkaErrorCode::RebalanceInProgress
                        | RDKafkaErrorCode::IllegalGeneration
                        | RDKafkaErrorCode::UnknownMemberId
                        | RDKafkaErrorCode::FencedInstanceId
                        | RDKafkaErrorCode::AssignmentLost),
                    ) => RuntimeError::TaskMigrated {
                        reason: code.to_string(),
                    },
                    other => RuntimeError::kafka("committing consumed offsets", other),
                })?;
        }
        for active in self.tasks.values_mut() {
            let partitions: Vec<TopicPartition> = active
                .checkpoint
                .changelogs()
                .iter()
                .map(|c| c.partition.clone())
                .collect();
            for partition in partitions {
                if let Some(offset) = self.producer.acked_offset(&partition) {
                    active.checkpoint.advance(&partition, offset);
                }
            }
            active.checkpoint.write()?;
        }
        self.shared.metrics.committed();
        self.report_metrics();
        self.committed_progress = self.progress();
        self.last_commit = Instant::now();
        Ok(())
    }

    /// Records processed and punctuations run by this thread's tasks so far.
    fn progress(&self) -> u64 {
        let mut total = self.closed_metrics;
        for active in self.tasks.values() {
            total += active.task.metrics();
        }
        total.processed_records + total.punctuations
    }

    fn report_metrics(&self) {
        let mut total = self.closed_metrics;
        for active in self.tasks.values() {
            total += active.task.metrics();
        }
        self.shared.metrics.set_thread_tasks(self.index, total);
    }

    fn handle_rebalance_events(&mut self) -> Result<(), RuntimeError> {
        while let Some(event) = self.consumer.context().next_event() {
            match event {
                RebalanceEvent::Revoke(partitions) => {
                    tracing::info!(
                        thread = self.index + 1,
                        partitions = partitions.count(),
                        "partitions revoked"
                    );
                    self.shared
                        .set_thread_state(self.index, ThreadState::Rebalancing);
                    match self.close_tasks() {
                        Err(error) if error.is_task_migrated() => {
                            tracing::warn!(%error, "the revocation commit was refused; closing the tasks without it");
                            self.lose_tasks();
                        }
                        other => other?,
                    }
                    self.consumer
                        .unassign()
                        .map_err(|e| RuntimeError::kafka("unassigning revoked partitions", e))?;
                }
                RebalanceEvent::Assign(partitions) => {
                    tracing::info!(
                        thread = self.index + 1,
                        partitions = partitions.count(),
                        "partitions assigned"
                    );
                    self.shared
                        .set_thread_state(self.index, ThreadState::Rebalancing);
                    self.assign(&partitions)?;
                    self.shared
                        .set_thread_state(self.index, ThreadState::Running);
                }
                RebalanceEvent::Error(error) => {
                    tracing::warn!(%error, "rebalance error");
                }
            }
        }
        Ok(())
    }

    /// Commits, then closes every task (their stores flushed, checkpoints written).
    fn close_tasks(&mut self) -> Result<(), RuntimeError> {
        if self.tasks.is_empty() {
            return Ok(());
        }
        self.commit()?;
        self.shared.queries.release_thread(self.index);
        for (_, mut active) in std::mem::take(&mut self.tasks) {
            self.closed_metrics += active.task.metrics();
            active.task.close()?;
        }
        self.paused.clear();
        self.filled.clear();
        self.report_metrics();
        Ok(())
    }

    /// Assigns the partitions, creates their tasks and restores their state
    /// with the partitions paused, then resumes them.
    fn assign(&mut self, partitions: &TopicPartitionList) -> Result<(), RuntimeError> {
        self.consumer
            .assign(partitions)
            .map_err(|e| RuntimeError::kafka("assigning partitions", e))?;
        let mut task_ids: Vec<TaskId> = partitions
            .elements()
            .iter()
            .filter_map(|e| self.shared.plan.task_of(e.topic(), e.partition()))
            .collect();
        task_ids.sort();
        task_ids.dedup();
        if task_ids.is_empty() {
            return Ok(());
        }
        self.consumer
            .pause(partitions)
            .map_err(|e| RuntimeError::kafka("pausing partitions during restoration", e))?;
        for &id in &task_ids {
            let active = self.create_task(id)?;
            self.tasks.insert(id, active);
        }
        self.shared
            .queries
            .set_tasks(self.index, &task_ids, TaskAvailability::Restoring);
        let Self {
            tasks,
            restore,
            consumer,
            shared,
            ..
        } = self;
        for active in tasks.values_mut() {
            let mut keep_alive = || {
                // Paused partitions return no records; this serves group events.
                if let Some(Err(error)) = consumer.poll(Duration::ZERO) {
                    tracing::warn!(%error, "polling during restoration failed");
                }
            };
            let restored = restore_task(
                &mut active.task,
                &mut active.checkpoint,
                restore,
                &shared.metrics.restore,
                &mut keep_alive,
            )?;
            if restored > 0 {
                active.checkpoint.write()?;
            }
        }
        self.consumer
            .resume(partitions)
            .map_err(|e| RuntimeError::kafka("resuming partitions after restoration", e))?;
        self.shared
            .queries
            .set_tasks(self.index, &task_ids, TaskAvailability::Active);
        Ok(())
    }

    fn create_task(&self, id: TaskId) -> Result<ActiveTask, RuntimeError> {
        let config = &self.shared.config;
        let task = StreamTask::new(
            &self.shared.topology,
            id,
            TaskConfig {
                application_id: Arc::from(config.application_id()),
                wall_clock_ms: 0,
                handlers: config.error_handlers(),
                metrics: self.shared.metrics.registry.clone(),
                state_dir: self.state_dir.clone(),
                cache: self.cache.clone(),
                rocksdb: config.state_stores().rocksdb().clone(),
            },
            Box::new(KafkaRecordCollector::new(self.producer.clone())),
        )?;
        let changelogs = task
            .changelogs()
            .map(|(store, topic)| StoreChangelog {
                store: store.to_string(),
                partition: TopicPartition::new(topic, id.partition),
                persistent: task.store_is_persistent(store),
            })
            .collect();
        let checkpoint = TaskCheckpoint::load(&self.state_dir.join(id.to_string()), changelogs)?;
        Ok(ActiveTask {
            task,
            checkpoint,
            idle_since: None,
        })
    }

    /// Commits and closes the tasks on the way out (when the loop ended
    /// cleanly), then lets the consumer leave the group.
    fn close(&mut self, clean: bool) -> Result<(), RuntimeError> {
        let result = if clean {
            match self.close_tasks() {
                Err(error) if error.is_task_migrated() => {
                    tracing::warn!(%error, "the closing commit was refused; the next owner processes the rest again");
                    self.lose_tasks();
                    Ok(())
                }
                other => other,
            }
        } else {
            self.lose_tasks();
            Ok(())
        };
        // Leave the group now rather than on drop: unsubscribing revokes the
        // partitions, which the consumer applies while polling here.
        self.consumer.context().set_closing();
        // Events the loop did not get to: librdkafka waits for their (un)assign
        // call before it lets the member leave.
        while let Some(event) = self.consumer.context().next_event() {
            let applied = match event {
                RebalanceEvent::Assign(partitions) => self.consumer.assign(&partitions),
                RebalanceEvent::Revoke(_) => self.consumer.unassign(),
                RebalanceEvent::Error(_) => Ok(()),
            };
            if let Err(error) = applied {
                tracing::debug!(%error, "applying a pending rebalance while closing failed");
            }
        }
        self.consumer.unsubscribe();
        let deadline = Instant::now() + LEAVE_TIMEOUT;
        while !self.consumer.context().released() && Instant::now() < deadline {
            if let Some(Err(error)) = self.consumer.poll(Duration::from_millis(50)) {
                tracing::debug!(%error, "polling while leaving the group failed");
            }
        }
        tracing::info!(thread = self.index + 1, "stream thread stopped");
        result
    }
}

fn intern(names: &mut HashMap<String, Arc<str>>, topic: &str) -> Arc<str> {
    match names.get(topic) {
        Some(name) => name.clone(),
        None => {
            let name: Arc<str> = Arc::from(topic);
            names.insert(topic.to_string(), name.clone());
            name
        }
    }
}

fn consumed_record(message: &BorrowedMessage<'_>, topic: Arc<str>) -> ConsumedRecord {
    let mut headers = Headers::new();
    if let Some(borrowed) = message.headers() {
        for header in borrowed.iter() {
            headers.add(header.key, header.value.map(<[u8]>::to_vec));
        }
    }
    ConsumedRecord {
        metadata: RecordMetadata {
            topic,
            partition: message.partition(),
            offset: message.offset(),
        },
        timestamp: message.timestamp().to_millis().unwrap_or(-1),
        key: message.key().map(<[u8]>::to_vec),
        value: message.payload().map(<[u8]>::to_vec),
        headers,
    }
}

fn partition_list<'a>(partitions: impl Iterator<Item = (&'a str, i32)>) -> TopicPartitionList {
    let mut list = TopicPartitionList::new();
    for (topic, partition) in partitions {
        list.add_partition(topic, partition);
    }
    list
}

/// Whether every input partition of the task has a buffered record.
fn all_partitions_buffered(task: &StreamTask) -> bool {
    let partition = task.id().partition;
    task.source_topics()
        .all(|topic| task.buffered_in(topic, partition) > 0)
}
