//! The task manager of a stream thread: its tasks by [`TaskId`], each in one
//! state — waiting to be created (its directory or stores still locked
//! elsewhere: retried with backoff until `task.timeout.ms`), restoring (owned
//! by the [`StateUpdater`]), running, or suspended after a revocation (resumed
//! or closed by the next assignment, as Kafka Streams' eager rebalancing does).
//! It applies assignments and revocations, routes polled records to tasks,
//! runs processing and punctuation with panics caught per task, and drives
//! the commit of the running tasks through the thread's [`CommitProtocol`].

use super::RuntimeError;
use super::active_task::{ActiveTask, TaskState};
use super::commit_protocol::CommitProtocol;
use super::consumer::GroupConsumer;
use super::producer::StreamsProducer;
use super::query_router::TaskAvailability;
use super::state_updater::StateUpdater;
use super::task_factory::{CreateError, TaskFactory};
use super::thread_shared::ThreadShared;
use crate::error::{StreamsError, panic_message};
use crate::metrics::ThreadSensors;
use crate::record::ConsumedRecord;
use crate::task::{StreamTask, TaskId, TaskMetrics};
use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{Duration, Instant};
use streams_state::TopicPartition;

/// Records processed per task before the thread polls again.
const PROCESS_BATCH: usize = 1000;
/// First wait before creating a task whose directory or stores were locked.
const FIRST_BACKOFF: Duration = Duration::from_millis(10);
/// Longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// A task assigned but not created yet.
struct PendingTask {
    since: Instant,
    next_attempt: Instant,
    backoff: Duration,
    last_reason: Option<String>,
}

impl PendingTask {
    fn new(now: Instant) -> Self {
        Self {
            since: now,
            next_attempt: now,
            backoff: FIRST_BACKOFF,
            last_reason: None,
        }
    }
}

/// Runs `work` on a task, turning its error or panic into the thread's error
/// naming the task (and, for a panic, the record it was processing).
fn guarded<T>(
    task: &mut StreamTask,
    work: impl FnOnce(&mut StreamTask) -> Result<T, StreamsError>,
) -> Result<T, RuntimeError> {
    let id = task.id();
    match catch_unwind(AssertUnwindSafe(|| work(task))) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(source)) => Err(RuntimeError::TaskFailed {
            task: id.to_string(),
            source: Box::new(source),
        }),
        Err(payload) => Err(RuntimeError::TaskPanicked {
            task: id.to_string(),
            record: task.record_in_process().map(ToString::to_string),
            message: panic_message(payload.as_ref()).to_string(),
        }),
    }
}

/// The tasks of one stream thread.
pub(crate) struct TaskManager {
    shared: Arc<ThreadShared>,
    index: usize,
    factory: TaskFactory,
    running: BTreeMap<TaskId, ActiveTask>,
    suspended: BTreeMap<TaskId, ActiveTask>,
    pending: BTreeMap<TaskId, PendingTask>,
    updater: StateUpdater,
    /// Counters of the tasks closed so far.
    closed_metrics: TaskMetrics,
    /// Tasks not running whose fetched records had nowhere to go: their
    /// partitions are rewound to the committed offsets when they start.
    rewind: BTreeSet<TaskId>,
    task_timeout: Duration,
    sensors: Arc<ThreadSensors>,
}

impl TaskManager {
    /// The task manager of thread `index`.
    pub(crate) fn new(
        shared: Arc<ThreadShared>,
        index: usize,
        factory: TaskFactory,
        updater: StateUpdater,
        sensors: Arc<ThreadSensors>,
    ) -> Self {
        let task_timeout = shared.config.task_timeout();
        Self {
            shared,
            index,
            factory,
            running: BTreeMap::new(),
            suspended: BTreeMap::new(),
            pending: BTreeMap::new(),
            updater,
            closed_metrics: TaskMetrics::default(),
            rewind: BTreeSet::new(),
            task_timeout,
            sensors,
        }
    }

    /// The input partitions of task `id`.
    fn partitions_of(&self, id: TaskId) -> Vec<TopicPartition> {
        self.shared
            .plan
            .subtopology(id.subtopology)
            .map(|plan| {
                plan.source_topics
                    .iter()
                    .map(|topic| TopicPartition::new(topic, id.partition))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether every assigned task is running (none waits or restores).
    pub(crate) fn all_running(&self) -> bool {
        self.pending.is_empty() && self.updater.is_empty()
    }

    /// Whether some task restores.
    pub(crate) fn is_restoring(&self) -> bool {
        !self.updater.is_empty()
    }

    /// Whether some running task would process a record now.
    pub(crate) fn has_buffered(&self) -> bool {
        self.running.values().any(|t| t.task.ready_to_process())
    }

    /// Records buffered by the running tasks.
    pub(crate) fn buffered(&self) -> usize {
        self.running.values().map(|t| t.task.buffered()).sum()
    }

    /// (assigned tasks, of them not running yet: waiting or restoring).
    pub(crate) fn counts(&self) -> (usize, usize) {
        let waiting = self.pending.len() + self.updater.len();
        (self.running.len() + waiting, waiting)
    }

    /// Records buffered for one input partition of a running task.
    pub(crate) fn buffered_in(&self, partition: &TopicPartition) -> usize {
        self.shared
            .plan
            .task_of(&partition.topic, partition.partition)
            .and_then(|id| self.running.get(&id))
            .map_or(0, |t| {
                t.task.buffered_in(&partition.topic, partition.partition)
            })
    }

    /// The running task `id`, for an interactive query.
    pub(crate) fn running_task_mut(&mut self, id: TaskId) -> Option<&mut StreamTask> {
        self.running.get_mut(&id).map(|t| &mut t.task)
    }

    /// A running task (for tests).
    #[cfg(test)]
    pub(crate) fn running_task(&self, id: TaskId) -> Option<&StreamTask> {
        self.running.get(&id).map(|t| &t.task)
    }

    /// The changelog partitions of the running tasks.
    pub(crate) fn running_changelogs(&self) -> Vec<TopicPartition> {
        self.running
            .values()
            .flat_map(ActiveTask::changelog_partitions)
            .collect()
    }

    /// The counters of every task this thread ran or runs.
    pub(crate) fn metrics(&self) -> TaskMetrics {
        let mut total = self.closed_metrics;
        for task in self.running.values().chain(self.suspended.values()) {
            total += task.task.metrics();
        }
        total
    }

    /// Records processed and punctuations run so far (what makes a commit worth it).
    pub(crate) fn progress(&self) -> u64 {
        let total = self.metrics();
        total.processed_records + total.punctuations
    }

    /// Applies an assignment (the whole set, eager protocol): suspended tasks
    /// not in it are closed, those in it resumed; new tasks are created (or
    /// left pending while locked) and start restoring with their partitions
    /// paused.
    pub(crate) fn assign(
        &mut self,
        partitions: &[TopicPartition],
        consumer: &mut dyn GroupConsumer,
    ) -> Result<(), RuntimeError> {
        consumer.assign(partitions)?;
        let ids: BTreeSet<TaskId> = partitions
            .iter()
            .filter_map(|p| self.shared.plan.task_of(&p.topic, p.partition))
            .collect();
        let gone: Vec<TaskId> = self
            .suspended
            .keys()
            .filter(|id| !ids.contains(id))
            .copied()
            .collect();
        for id in gone {
            if let Some(task) = self.suspended.remove(&id) {
                self.close(task, true)?;
            }
        }
        let now = Instant::now();
        let mut paused = Vec::new();
        let mut resumed = Vec::new();
        let mut waiting = Vec::new();
        for id in ids {
            if self.running.contains_key(&id) || self.pending.contains_key(&id) {
                continue;
            }
            match self.suspended.remove(&id) {
                Some(mut task) => {
                    if task.restored {
                        task.transition(TaskState::Running)?;
                        resumed.push(id);
                        self.running.insert(id, task);
                    } else {
                        paused.extend(task.partitions.iter().cloned());
                        waiting.push(id);
                        self.updater.add(task)?;
                    }
                }
                None => {
                    paused.extend(self.partitions_of(id));
                    waiting.push(id);
                    self.pending.insert(id, PendingTask::new(now));
                }
            }
        }
        if !paused.is_empty() {
            consumer.pause(&paused)?;
        }
        let queries = &self.shared.queries;
        queries.set_tasks(self.index, &waiting, TaskAvailability::Restoring);
        queries.set_tasks(self.index, &resumed, TaskAvailability::Active);
        self.create_pending()
    }

    /// Creates the pending tasks that are due; a locked one waits (doubling
    /// the wait, up to a second) until `task.timeout.ms` has passed.
    pub(crate) fn create_pending(&mut self) -> Result<(), RuntimeError> {
        let now = Instant::now();
        let due: Vec<TaskId> = self
            .pending
            .iter()
            .filter(|(_, p)| p.next_attempt <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            match self.factory.create(id, self.partitions_of(id)) {
                Ok(task) => {
                    self.pending.remove(&id);
                    self.updater.add(task)?;
                }
                Err(CreateError::Failed(error)) => return Err(*error),
                Err(CreateError::Locked(reason)) => {
                    let Some(pending) = self.pending.get_mut(&id) else {
                        continue;
                    };
                    if pending.since.elapsed() >= self.task_timeout {
                        return Err(RuntimeError::TaskCreationTimeout {
                            task: id.to_string(),
                            waited_ms: pending.since.elapsed().as_millis(),
                            reason,
                        });
                    }
                    if pending.last_reason.is_none() {
                        tracing::info!(task = %id, %reason, "task locked elsewhere; retrying");
                    }
                    pending.last_reason = Some(reason);
                    pending.next_attempt = now + pending.backoff;
                    pending.backoff = (pending.backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
        Ok(())
    }

    /// One restoration step (waiting at most `timeout` for changelog data);
    /// tasks that caught up start running with their partitions resumed.
    pub(crate) fn restore(
        &mut self,
        timeout: Duration,
        consumer: &mut dyn GroupConsumer,
    ) -> Result<(), RuntimeError> {
        if self.updater.is_empty() {
            return Ok(());
        }
        let restored = self.updater.step(timeout)?;
        let (applied, remaining) = self.updater.take_progress();
        self.sensors.record_restore(applied, remaining);
        let mut started = Vec::new();
        for mut task in restored {
            let id = task.id();
            task.transition(TaskState::Running)?;
            if self.rewind.remove(&id) {
                consumer.seek_to_committed(&task.partitions)?;
            }
            consumer.resume(&task.partitions)?;
            started.push(id);
            self.running.insert(id, task);
        }
        self.shared
            .queries
            .set_tasks(self.index, &started, TaskAvailability::Active);
        Ok(())
    }

    /// Buffers a polled record in its task; returns the partition's buffered
    /// count when the task runs.
    pub(crate) fn add_record(&mut self, record: ConsumedRecord) -> Option<usize> {
        let (topic, partition) = (record.metadata.topic.clone(), record.metadata.partition);
        let id = self.shared.plan.task_of(&topic, partition)?;
        if let Some(task) = self.running.get_mut(&id) {
            task.task.add_record(record);
            return Some(task.task.buffered_in(&topic, partition));
        }
        match self.updater.task_mut(id) {
            Some(task) => task.task.add_record(record),
            None => {
                tracing::debug!(task = %id, topic = %topic, partition, "a record for a task not created yet; its partition is rewound when it starts");
                self.rewind.insert(id);
            }
        }
        None
    }

    /// Processes buffered records of every running task (up to a batch each).
    /// A task with an empty input partition waits up to `max.task.idle.ms`.
    pub(crate) fn process(&mut self) -> Result<(), RuntimeError> {
        let max_idle_ms = self.shared.config.max_task_idle_ms();
        for active in self.running.values_mut() {
            if max_idle_ms > 0 && !all_partitions_buffered(&active.task) {
                let since = *active.idle_since.get_or_insert_with(Instant::now);
                if since.elapsed() < Duration::from_millis(max_idle_ms as u64) {
                    continue;
                }
            } else {
                active.idle_since = None;
            }
            guarded(&mut active.task, |task| {
                for _ in 0..PROCESS_BATCH {
                    if !task.process_next()? {
                        break;
                    }
                }
                Ok(())
            })?;
        }
        Ok(())
    }

    /// Fires due wall-clock punctuators of the running tasks.
    pub(crate) fn punctuate(&mut self, now_ms: i64) -> Result<(), RuntimeError> {
        for active in self.running.values_mut() {
            guarded(&mut active.task, |task| task.punctuate_wall_clock(now_ms))?;
        }
        Ok(())
    }

    /// Commits the running tasks: they flush their caches (sending the
    /// changelog records), the protocol commits their output with their
    /// consumed offsets, then their stores make their writes durable with the
    /// changelog offsets just committed (acknowledged under at-least-once, in
    /// the committed transaction under exactly-once) and their checkpoints
    /// advance to them.
    pub(crate) fn commit(
        &mut self,
        protocol: &mut dyn CommitProtocol,
        consumer: &mut dyn GroupConsumer,
    ) -> Result<(), RuntimeError> {
        let mut offsets = Vec::new();
        for active in self.running.values_mut() {
            guarded(&mut active.task, StreamTask::flush_caches)?;
            offsets.extend(
                active.task.next_offsets().map(|(topic, partition, next)| {
                    (TopicPartition::new(&**topic, partition), next)
                }),
            );
        }
        let producer = protocol.producer().clone();
        // What the broker refuses meets its handler before the offsets past
        // it are committed; dead letters sent on the way are delivered too.
        loop {
            protocol.deliver()?;
            if self.handle_rejected(&producer)? == 0 {
                break;
            }
        }
        protocol.commit(&offsets, consumer)?;
        for active in self.running.values_mut() {
            let mut logged = BTreeMap::new();
            for partition in active.changelog_partitions() {
                if let Some(offset) = producer.acked_offset(&partition) {
                    active.checkpoint.advance(&partition, offset);
                    logged.insert(partition, offset);
                }
            }
            // A store restoring from its source topic holds what was
            // processed of it, committed with the offsets just now.
            for (partition, offset) in active.task.source_changelog_offsets() {
                active.checkpoint.advance(&partition, offset);
                logged.insert(partition, offset);
            }
            guarded(&mut active.task, |task| task.commit_state(&logged))?;
        }
        self.shared.metrics.committed();
        Ok(())
    }

    /// Hands the records the broker refused since the last call to the
    /// production handlers of the tasks that sent them (at-least-once; see
    /// [`StreamsProducer::take_rejected`]); returns how many there were. A
    /// handler that says fail fails its task, naming the topic and partition
    /// the record was refused on and why. A refused record of a task this
    /// thread no longer has is logged and dropped: its records are processed
    /// again by the task's next owner.
    pub(crate) fn handle_rejected(
        &mut self,
        producer: &StreamsProducer,
    ) -> Result<usize, RuntimeError> {
        let rejected = producer.take_rejected();
        for refused in &rejected {
            let task = match self.running.get_mut(&refused.task) {
                Some(active) => &mut active.task,
                None => match self.suspended.get_mut(&refused.task) {
                    Some(active) => &mut active.task,
                    None => {
                        tracing::warn!(task = %refused.task, error = %refused.error, "a refused record of a task no longer here; dropping it");
                        continue;
                    }
                },
            };
            let error = StreamsError::Produce {
                topic: refused.record.topic.to_string(),
                reason: refused.error.to_string(),
            };
            guarded(task, |task| task.handle_refused(&refused.record, error))?;
        }
        Ok(rejected.len())
    }

    /// Bytes the running tasks' stores hold for writes since their last commit.
    pub(crate) fn uncommitted_bytes(&self) -> usize {
        self.running
            .values()
            .map(|t| t.task.uncommitted_bytes())
            .sum()
    }

    /// After a committed revocation: every task is suspended (its checkpoint
    /// written), restoration stops, pending tasks are dropped.
    pub(crate) fn suspend_all(&mut self) -> Result<(), RuntimeError> {
        let running = std::mem::take(&mut self.running);
        let restoring = self.updater.remove_all();
        for mut task in running.into_values().chain(restoring) {
            self.factory.suspend(&mut task)?;
            self.suspended.insert(task.id(), task);
        }
        self.pending.clear();
        self.rewind.clear();
        self.shared.queries.release_thread(self.index);
        Ok(())
    }

    /// The tasks are no longer this thread's: every one is closed without a
    /// commit (its stores back at their last commit).
    pub(crate) fn lose_all(&mut self) {
        let running = std::mem::take(&mut self.running);
        let suspended = std::mem::take(&mut self.suspended);
        let restoring = self.updater.remove_all();
        for task in running
            .into_values()
            .chain(suspended.into_values())
            .chain(restoring)
        {
            let id = task.id();
            if let Err(error) = self.close(task, false) {
                tracing::warn!(task = %id, %error, "closing a lost task failed");
            }
        }
        self.pending.clear();
        self.rewind.clear();
        self.shared.queries.release_thread(self.index);
    }

    /// The output since the last commit was aborted: the running tasks are
    /// closed without a commit and created again from their last committed
    /// offsets (restoring their state), the consumer rewound to those offsets.
    pub(crate) fn revive_running(
        &mut self,
        consumer: &mut dyn GroupConsumer,
    ) -> Result<(), RuntimeError> {
        let running = std::mem::take(&mut self.running);
        if running.is_empty() {
            return Ok(());
        }
        let ids: Vec<TaskId> = running.keys().copied().collect();
        let mut partitions = Vec::new();
        for task in running.into_values() {
            partitions.extend(task.partitions.iter().cloned());
            self.close(task, false)?;
        }
        consumer.pause(&partitions)?;
        consumer.seek_to_committed(&partitions)?;
        let now = Instant::now();
        for id in &ids {
            self.pending.insert(*id, PendingTask::new(now));
        }
        self.shared
            .queries
            .set_tasks(self.index, &ids, TaskAvailability::Restoring);
        self.create_pending()
    }

    /// Closes every task: cleanly after a final commit (checkpoints written),
    /// or without one.
    pub(crate) fn close_all(&mut self, clean: bool) -> Result<(), RuntimeError> {
        if !clean {
            self.lose_all();
            return Ok(());
        }
        let running = std::mem::take(&mut self.running);
        let suspended = std::mem::take(&mut self.suspended);
        let restoring = self.updater.remove_all();
        let mut first_error = None;
        for task in running
            .into_values()
            .chain(suspended.into_values())
            .chain(restoring)
        {
            if let Err(error) = self.close(task, true) {
                tracing::error!(%error, "closing a task failed");
                first_error.get_or_insert(error);
            }
        }
        self.pending.clear();
        self.shared.queries.release_thread(self.index);
        first_error.map_or(Ok(()), Err)
    }

    /// Whether some task is running (and so has something to commit).
    pub(crate) fn has_running(&self) -> bool {
        !self.running.is_empty()
    }

    fn close(&mut self, task: ActiveTask, clean: bool) -> Result<(), RuntimeError> {
        let metrics = self.factory.close(task, clean)?;
        self.closed_metrics += metrics;
        Ok(())
    }

    /// The ids of the tasks restoring (for tests and logs).
    #[cfg(test)]
    pub(crate) fn restoring_ids(&self) -> Vec<TaskId> {
        self.updater.task_ids().collect()
    }

    /// The ids of the running tasks.
    #[cfg(test)]
    pub(crate) fn running_ids(&self) -> Vec<TaskId> {
        self.running.keys().copied().collect()
    }

    /// The ids of the suspended tasks.
    #[cfg(test)]
    pub(crate) fn suspended_ids(&self) -> Vec<TaskId> {
        self.suspended.keys().copied().collect()
    }

    /// The ids of the tasks waiting to be created.
    #[cfg(test)]
    pub(crate) fn pending_ids(&self) -> Vec<TaskId> {
        self.pending.keys().copied().collect()
    }
}

/// Whether every input partition of the task has a buffered record.
fn all_partitions_buffered(task: &StreamTask) -> bool {
    let partition = task.id().partition;
    task.source_topics()
        .all(|topic| task.buffered_in(topic, partition) > 0)
}
