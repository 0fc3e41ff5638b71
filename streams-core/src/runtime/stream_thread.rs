//! A stream thread: the loop, and only the loop. Each round it applies the
//! rebalance events its consumer recorded, creates tasks that were waiting
//! for a lock, polls (with backpressure), steps restoration, processes,
//! answers interactive queries, punctuates and commits every
//! `commit.interval.ms`. Tasks live in the [`TaskManager`]; the
//! [`CommitProtocol`] makes their output durable. When the tasks turn out to
//! be someone else's (migrated) they are closed without a commit and the
//! thread rejoins the group; when the transaction was aborted (corrupted)
//! they go back to their last commit.

use super::backpressure::Backpressure;
use super::client_supplier::ThreadClients;
use super::commit_protocol::{CommitProtocol, commit_protocol};
use super::consumer::GroupConsumer;
use super::producer::StreamsProducer;
use super::query_router::QueryCommand;
use super::rebalance::RebalanceEvent;
use super::state_directory::TaskOwner;
use super::state_updater::StateUpdater;
use super::task_factory::TaskFactory;
use super::task_manager::TaskManager;
use super::thread_shared::{ThreadShared, ThreadState};
use super::{ProcessingGuarantee, RuntimeError};
use crate::metrics::ThreadSensors;
use crate::task::TaskConfig;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use streams_state::{ThreadCache, TopicPartition};

/// Records taken from the consumer per poll round.
const POLL_BATCH: usize = 2000;
/// Longest a closing thread waits for the group to take its partitions back.
pub(crate) const LEAVE_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest a flush, commit or metadata request may take.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// One stream thread's loop and what it drives.
pub(crate) struct StreamThread {
    shared: Arc<ThreadShared>,
    index: usize,
    /// This run of the thread, to the state directory.
    owner: TaskOwner,
    consumer: Box<dyn GroupConsumer>,
    tasks: TaskManager,
    commit: Box<dyn CommitProtocol>,
    backpressure: Backpressure,
    queries: Option<Receiver<QueryCommand>>,
    source_topics: Vec<String>,
    /// Between a revocation (or joining) and the next assignment.
    awaiting_assignment: bool,
    last_commit: Instant,
    /// [`TaskManager::progress`] at the last commit.
    committed_progress: u64,
    /// The thread's metrics (also fed by its consumer's statistics).
    sensors: Arc<ThreadSensors>,
}

impl StreamThread {
    /// Thread `index` on `clients`, subscribed to the source topics; `owner`
    /// identifies this run of the thread to the state directory.
    pub(crate) fn new(
        shared: Arc<ThreadShared>,
        index: usize,
        owner: TaskOwner,
        clients: ThreadClients,
        sensors: Arc<ThreadSensors>,
    ) -> Result<Self, RuntimeError> {
        let config = &shared.config;
        let exactly_once = config.processing_guarantee() == ProcessingGuarantee::ExactlyOnceV2;
        let producer = Rc::new(StreamsProducer::new(
            clients.producer,
            exactly_once,
            REQUEST_TIMEOUT,
        )?);
        let commit = commit_protocol(
            config.processing_guarantee(),
            producer.clone(),
            REQUEST_TIMEOUT,
            config.task_timeout(),
        );
        let factory = TaskFactory::new(
            shared.topology.clone(),
            TaskConfig {
                application_id: Arc::from(config.application_id()),
                wall_clock_ms: 0,
                handlers: config.error_handlers(),
                metrics: shared.metrics.registry.clone(),
                state_dir: shared.directory.path().to_path_buf(),
                cache: ThreadCache::new(config.cache_max_bytes_per_thread()),
                rocksdb: config.state_stores().rocksdb().clone(),
                global_stores: shared.global_stores.clone(),
            },
            producer,
            shared.directory.clone(),
            owner,
        );
        let updater = StateUpdater::new(
            clients.restore,
            shared.restore_listener.clone(),
            shared.metrics.restore.clone(),
            config.task_timeout(),
        );
        let mut consumer = clients.consumer;
        let source_topics = shared.plan.source_topics();
        consumer.subscribe(&source_topics)?;
        tracing::info!(thread = %shared.thread_name(index), topics = ?source_topics, "stream thread started");
        Ok(Self {
            backpressure: Backpressure::new(config.buffered_records_per_partition()),
            queries: shared.queries.take_receiver(index),
            tasks: TaskManager::new(shared.clone(), index, factory, updater, sensors.clone()),
            sensors,
            shared,
            index,
            owner,
            consumer,
            commit,
            source_topics,
            awaiting_assignment: true,
            last_commit: Instant::now(),
            committed_progress: 0,
        })
    }

    /// Runs until the instance shuts down or an error the thread cannot
    /// recover from.
    pub(crate) fn run_loop(&mut self) -> Result<(), RuntimeError> {
        while !self.shared.is_shutting_down() {
            self.run_round()?;
        }
        Ok(())
    }

    /// One round of the loop, recovering from migrated and corrupted tasks.
    pub(crate) fn run_round(&mut self) -> Result<(), RuntimeError> {
        match self.run_once() {
            Err(error) if error.is_task_migrated() => self.handle_task_migrated(&error),
            Err(error) if error.is_task_corrupted() => self.handle_task_corrupted(&error),
            other => other,
        }
    }

    /// One round: events, task creation, poll, restoration, processing,
    /// queries, punctuation, commit.
    fn run_once(&mut self) -> Result<(), RuntimeError> {
        let poll_interval = self.shared.config.poll_interval();
        self.handle_rebalance_events()?;
        self.tasks.create_pending()?;
        let busy = self.tasks.has_buffered();
        let restoring = self.tasks.is_restoring();
        let (started, before) = (Instant::now(), self.tasks.buffered());
        self.poll(if busy || restoring {
            Duration::ZERO
        } else {
            poll_interval
        });
        let polled = self.tasks.buffered().saturating_sub(before) as u64;
        self.sensors.record_poll(started.elapsed(), polled);
        self.handle_rebalance_events()?;
        let restore_wait = if busy { Duration::ZERO } else { poll_interval };
        self.tasks.restore(restore_wait, self.consumer.as_mut())?;
        let (active, restoring) = self.tasks.counts();
        self.sensors.set_tasks(active, restoring);
        let (started, before) = (Instant::now(), self.tasks.progress());
        let processed = self.tasks.process();
        self.sensors.record_process(
            started.elapsed(),
            self.tasks.progress().saturating_sub(before),
        );
        self.check(processed)?;
        self.resume_drained()?;
        self.serve_queries();
        let started = Instant::now();
        let punctuated = self.tasks.punctuate(wall_clock_ms());
        self.sensors.record_punctuate(started.elapsed());
        self.check(punctuated)?;
        self.commit.producer().poll();
        let handled = self.tasks.handle_rejected(self.commit.producer()).map(drop);
        self.check(handled)?;
        self.maybe_commit()?;
        self.update_state();
        Ok(())
    }

    /// A task error caused by the producer is the producer's failure (the
    /// protocol decides what it means); any other stays as it is.
    fn check(&self, result: Result<(), RuntimeError>) -> Result<(), RuntimeError> {
        result.map_err(|error| match self.commit.producer().take_failure() {
            Some(failure) => self.commit.failure(failure),
            None => error,
        })
    }

    fn update_state(&self) {
        let state = if !self.awaiting_assignment && self.tasks.all_running() {
            ThreadState::Running
        } else {
            ThreadState::Rebalancing
        };
        self.shared.set_thread_state(self.index, state);
    }

    /// Takes records from the consumer into their tasks' buffers until one
    /// partition's buffer is full (see [`Backpressure`]), after pausing the
    /// partitions that stayed full since the last round.
    fn poll(&mut self, timeout: Duration) {
        let tasks = &self.tasks;
        let to_pause = self.backpressure.still_full(|p| tasks.buffered_in(p));
        let mut wait = timeout;
        for _ in 0..POLL_BATCH {
            let record = match self.consumer.poll(wait) {
                None => break,
                Some(Err(error)) => {
                    tracing::warn!(%error, "polling failed");
                    break;
                }
                Some(Ok(record)) => record,
            };
            wait = Duration::ZERO;
            let partition = (record.metadata.topic.clone(), record.metadata.partition);
            if let Some(buffered) = self.tasks.add_record(record)
                && self.backpressure.is_full(buffered)
            {
                self.backpressure
                    .filled(TopicPartition::new(&*partition.0, partition.1));
                break;
            }
        }
        if !to_pause.is_empty() {
            match self.consumer.pause(&to_pause) {
                Ok(()) => {
                    self.shared.metrics.paused(to_pause.len() as u64);
                    self.backpressure.paused(to_pause);
                }
                Err(error) => tracing::warn!(%error, "pausing full partitions failed"),
            }
        }
    }

    /// Resumes paused partitions whose buffer drained.
    fn resume_drained(&mut self) -> Result<(), RuntimeError> {
        let tasks = &self.tasks;
        let drained = self.backpressure.drained(|p| tasks.buffered_in(p));
        if drained.is_empty() {
            return Ok(());
        }
        self.consumer.resume(&drained)
    }

    /// Answers the interactive queries waiting for this thread's tasks.
    fn serve_queries(&mut self) {
        if let Some(receiver) = &self.queries {
            while let Ok(command) = receiver.try_recv() {
                // A task no longer running here drops the query, which tells its caller.
                if let Some(task) = self.tasks.running_task_mut(command.task) {
                    (command.job)(task);
                }
            }
        }
    }

    /// Commits every `commit.interval.ms` when something was processed (as
    /// Kafka Streams) or output waits for a commit, and at once when the
    /// tasks' stores hold more uncommitted bytes than the thread's share of
    /// `statestore.uncommitted.max.bytes` (KIP-892).
    fn maybe_commit(&mut self) -> Result<(), RuntimeError> {
        let config = &self.shared.config;
        if self.tasks.uncommitted_bytes() > config.uncommitted_max_bytes_per_thread() {
            tracing::debug!(
                thread = self.index + 1,
                "the stores' uncommitted writes passed their bound; committing early"
            );
            self.shared.metrics.committed_early();
            return self.commit_tasks();
        }
        if self.last_commit.elapsed() < config.commit_interval() {
            return Ok(());
        }
        if self.tasks.progress() != self.committed_progress || self.commit.has_uncommitted_output()
        {
            self.commit_tasks()?;
        }
        self.last_commit = Instant::now();
        Ok(())
    }

    fn commit_tasks(&mut self) -> Result<(), RuntimeError> {
        let started = Instant::now();
        let committed = self
            .tasks
            .commit(self.commit.as_mut(), self.consumer.as_mut());
        self.check(committed)?;
        self.sensors.record_commit(started.elapsed());
        self.committed_progress = self.tasks.progress();
        self.last_commit = Instant::now();
        self.shared
            .metrics
            .set_thread_tasks(self.index, self.tasks.metrics());
        Ok(())
    }

    fn handle_rebalance_events(&mut self) -> Result<(), RuntimeError> {
        while let Some(event) = self.consumer.next_rebalance_event() {
            match event {
                RebalanceEvent::Revoke(partitions) => {
                    tracing::info!(
                        thread = self.index + 1,
                        partitions = partitions.len(),
                        "partitions revoked"
                    );
                    self.awaiting_assignment = true;
                    self.update_state();
                    self.revoke()?;
                }
                RebalanceEvent::Assign(partitions) => {
                    tracing::info!(
                        thread = self.index + 1,
                        partitions = partitions.len(),
                        "partitions assigned"
                    );
                    self.awaiting_assignment = false;
                    self.backpressure.clear();
                    self.tasks.assign(&partitions, self.consumer.as_mut())?;
                }
                RebalanceEvent::Error(error) => {
                    tracing::warn!(%error, "rebalance error");
                }
            }
        }
        Ok(())
    }

    /// Commits and suspends every task, then gives the partitions up. A
    /// refused commit closes the tasks without it instead: the rebalance
    /// under way hands them to their next owner.
    fn revoke(&mut self) -> Result<(), RuntimeError> {
        let committed = if self.tasks.has_running() {
            self.commit_tasks()
        } else {
            Ok(())
        };
        match committed {
            Ok(()) => self.tasks.suspend_all()?,
            Err(error) if error.is_task_migrated() || error.is_task_corrupted() => {
                tracing::warn!(%error, "the revocation commit failed; closing the tasks without it");
                self.lose_tasks()?;
            }
            Err(error) => return Err(error),
        }
        self.backpressure.clear();
        self.consumer.unassign()
    }

    /// Closes every task without a commit and makes the producer usable again.
    fn lose_tasks(&mut self) -> Result<(), RuntimeError> {
        let changelogs = self.tasks.running_changelogs();
        self.tasks.lose_all();
        let paused = self.backpressure.clear();
        if !paused.is_empty() {
            self.consumer.resume(&paused)?;
        }
        self.shared.metrics.tasks_lost();
        self.committed_progress = self.tasks.progress();
        self.commit.recover(&changelogs)
    }

    /// The tasks are someone else's now: closes them without a commit (their
    /// records are processed again by their next owner) and rejoins the group,
    /// so the next generation confirms what this thread owns.
    fn handle_task_migrated(&mut self, error: &RuntimeError) -> Result<(), RuntimeError> {
        tracing::warn!(thread = self.index + 1, %error, "tasks migrated; closing them without a commit and rejoining the group");
        self.lose_tasks()?;
        self.awaiting_assignment = true;
        self.update_state();
        self.consumer.rejoin(&self.source_topics)
    }

    /// The transaction was aborted: the running tasks go back to their last
    /// commit (closed without one, their state restored, their input fetched
    /// again from the committed offsets).
    fn handle_task_corrupted(&mut self, error: &RuntimeError) -> Result<(), RuntimeError> {
        tracing::warn!(thread = self.index + 1, %error, "aborting the transaction; the tasks go back to their last commit");
        let changelogs = self.tasks.running_changelogs();
        self.commit.abort(&changelogs)?;
        self.tasks.revive_running(self.consumer.as_mut())?;
        self.backpressure.clear();
        self.shared.metrics.aborted();
        self.committed_progress = self.tasks.progress();
        self.update_state();
        Ok(())
    }

    /// Commits and closes the tasks on the way out (when the loop ended
    /// cleanly, otherwise closes them without a commit), then leaves the group.
    pub(crate) fn close(&mut self, clean: bool) -> Result<(), RuntimeError> {
        let committed = if clean && self.tasks.has_running() {
            self.commit_tasks()
        } else {
            Ok(())
        };
        if !clean && self.commit.has_uncommitted_output() {
            let changelogs = self.tasks.running_changelogs();
            if let Err(error) = self.commit.abort(&changelogs) {
                tracing::warn!(%error, "aborting the open transaction on the way out failed");
            }
        }
        let result = match committed {
            Ok(()) => self.tasks.close_all(clean),
            Err(error) if error.is_task_migrated() || error.is_task_corrupted() => {
                tracing::warn!(%error, "the closing commit failed; the next owner processes the rest again");
                self.lose_tasks()
            }
            Err(error) => {
                self.tasks.close_all(false)?;
                Err(error)
            }
        };
        self.shared
            .metrics
            .set_thread_tasks(self.index, self.tasks.metrics());
        self.consumer.close(LEAVE_TIMEOUT);
        self.shared.directory.unlock_all(self.owner);
        tracing::info!(thread = self.index + 1, "stream thread stopped");
        result
    }

    /// This run's owner token (for tests).
    #[cfg(test)]
    pub(crate) fn owner(&self) -> TaskOwner {
        self.owner
    }

    /// The thread's task manager (for tests).
    #[cfg(test)]
    pub(crate) fn tasks(&self) -> &TaskManager {
        &self.tasks
    }
}

fn wall_clock_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
#[path = "stream_thread_tests.rs"]
mod tests;
