//! The state updater: restoration as a non-blocking step of the stream
//! thread's loop. It owns the tasks whose stores are catching up with their
//! changelogs; every [`step`](StateUpdater::step) reads one batch for all of
//! them with the thread's restore consumer, applies it, and hands back the
//! tasks that caught up. Tasks already running keep processing in between,
//! and the group consumer keeps polling.
//!
//! Restoration of a changelog partition starts one past its checkpointed
//! offset (at the beginning without one) and ends at the changelog's end
//! offset read when it started; under `read_committed` that end is the last
//! stable offset, so aborted and open transactions are never restored.

use super::RuntimeError;
use super::active_task::{ActiveTask, TaskState};
use super::changelog_reader::ChangelogReader;
use super::metrics::RestoreMetrics;
use super::restore_listener::StateRestoreListener;
use crate::state::with_timestamp;
use crate::task::TaskId;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use streams_state::{KeyValueUpdate, TopicPartition};

/// Records per read and per store write batch.
const BATCH: usize = 10_000;
/// Longest restoration may go without reading anything before it fails.
const STALL_TIMEOUT: Duration = Duration::from_secs(120);
/// How often progress is logged.
const LOG_EVERY: Duration = Duration::from_secs(10);
/// Pause before asking again for end offsets the cluster did not give.
const RETRY_BACKOFF: Duration = Duration::from_millis(500);

/// How far one store has restored from its changelog partition.
struct ChangelogProgress {
    store: String,
    /// The changelog is the store's source topic: its values are raw record
    /// values, stored with their records' timestamps.
    from_source: bool,
    partition: TopicPartition,
    /// Where restoration started (`None`: the beginning of the log).
    start: Option<i64>,
    /// The changelog's end offset when restoration started.
    end: i64,
    /// The next offset to apply (last applied + 1), when known.
    next: Option<i64>,
    restored: u64,
    done: bool,
}

/// A task being restored.
struct Restoration {
    task: ActiveTask,
    /// `None` until the end offsets were read.
    changelogs: Option<Vec<ChangelogProgress>>,
    added: Instant,
    retry_at: Instant,
    restored: u64,
    estimated: u64,
}

/// Restores tasks, a batch per step.
pub(crate) struct StateUpdater {
    reader: Box<dyn ChangelogReader>,
    restoring: BTreeMap<TaskId, Restoration>,
    /// The reader's partitions, in assignment order: (task, changelog index).
    assigned: Vec<(TaskId, usize)>,
    /// The restoring changelogs changed since the reader was assigned.
    stale_assignment: bool,
    listener: Option<Arc<dyn StateRestoreListener>>,
    metrics: Arc<RestoreMetrics>,
    /// How long end offsets may stay unreadable before restoration fails.
    task_timeout: Duration,
    retry_backoff: Duration,
    last_progress: Instant,
    last_log: Instant,
    /// Records applied since the last [`take_progress`](Self::take_progress).
    applied: u64,
}

impl StateUpdater {
    /// An updater reading with `reader`.
    pub(crate) fn new(
        reader: Box<dyn ChangelogReader>,
        listener: Option<Arc<dyn StateRestoreListener>>,
        metrics: Arc<RestoreMetrics>,
        task_timeout: Duration,
    ) -> Self {
        Self {
            reader,
            restoring: BTreeMap::new(),
            assigned: Vec::new(),
            stale_assignment: false,
            listener,
            metrics,
            task_timeout,
            retry_backoff: RETRY_BACKOFF,
            last_progress: Instant::now(),
            last_log: Instant::now(),
            applied: 0,
        }
    }

    /// Asks again for end offsets after `backoff` (the tests do not wait).
    #[cfg(test)]
    pub(crate) fn with_retry_backoff(mut self, backoff: Duration) -> Self {
        self.retry_backoff = backoff;
        self
    }

    /// Tasks restoring.
    pub(crate) fn len(&self) -> usize {
        self.restoring.len()
    }

    /// Records applied since the last call, and records left to restore (of
    /// the changelogs whose end is known).
    pub(crate) fn take_progress(&mut self) -> (u64, u64) {
        let remaining = self
            .restoring
            .values()
            .flat_map(|r| r.changelogs.iter().flatten())
            .filter(|c| !c.done)
            .map(|c| (c.end - c.next.or(c.start).unwrap_or(0)).max(0) as u64)
            .sum();
        (std::mem::take(&mut self.applied), remaining)
    }

    /// Whether no task is restoring.
    pub(crate) fn is_empty(&self) -> bool {
        self.restoring.is_empty()
    }

    /// The ids of the restoring tasks.
    #[cfg(test)]
    pub(crate) fn task_ids(&self) -> impl Iterator<Item = TaskId> + '_ {
        self.restoring.keys().copied()
    }

    /// Starts restoring `task`.
    pub(crate) fn add(&mut self, mut task: ActiveTask) -> Result<(), RuntimeError> {
        task.transition(TaskState::Restoring)?;
        let now = Instant::now();
        if self.restoring.is_empty() {
            self.last_progress = now;
        }
        self.metrics.task_started();
        self.restoring.insert(
            task.id(),
            Restoration {
                task,
                changelogs: None,
                added: now,
                retry_at: now,
                restored: 0,
                estimated: 0,
            },
        );
        self.stale_assignment = true;
        Ok(())
    }

    /// Stops restoring `task` (it was revoked or lost) and hands it back.
    pub(crate) fn remove(&mut self, task: TaskId) -> Option<ActiveTask> {
        let restoration = self.restoring.remove(&task)?;
        self.metrics.task_finished();
        self.stale_assignment = true;
        if let (Some(listener), Some(changelogs)) = (&self.listener, &restoration.changelogs) {
            for changelog in changelogs.iter().filter(|c| !c.done) {
                listener.on_restore_suspended(
                    &changelog.partition,
                    &changelog.store,
                    changelog.restored,
                );
            }
        }
        Some(restoration.task)
    }

    /// Stops restoring every task and hands them back.
    pub(crate) fn remove_all(&mut self) -> Vec<ActiveTask> {
        let ids: Vec<TaskId> = self.restoring.keys().copied().collect();
        ids.into_iter().filter_map(|id| self.remove(id)).collect()
    }

    /// The restoring task `task`, to buffer input fetched for it.
    pub(crate) fn task_mut(&mut self, task: TaskId) -> Option<&mut ActiveTask> {
        self.restoring.get_mut(&task).map(|r| &mut r.task)
    }

    /// One restoration step: reads the end offsets of newly added tasks, reads
    /// one batch (waiting at most `timeout` for it), applies it, and returns
    /// the tasks that caught up (in state Restoring; the caller starts them).
    pub(crate) fn step(&mut self, timeout: Duration) -> Result<Vec<ActiveTask>, RuntimeError> {
        if self.restoring.is_empty() {
            return Ok(Vec::new());
        }
        self.read_end_offsets()?;
        if self.stale_assignment {
            self.assign()?;
        }
        if !self.assigned.is_empty() {
            self.read_batch(timeout)?;
            self.check_positions()?;
        }
        let finished = self.take_finished()?;
        self.log_progress();
        self.check_stalled()?;
        Ok(finished)
    }

    /// Reads where each changelog of each new task starts and ends; a cluster
    /// that does not answer is asked again until `task.timeout.ms` passed.
    fn read_end_offsets(&mut self) -> Result<(), RuntimeError> {
        let now = Instant::now();
        for restoration in self.restoring.values_mut() {
            if restoration.changelogs.is_some() || restoration.retry_at > now {
                continue;
            }
            match changelog_progress(&restoration.task, self.reader.as_mut()) {
                Ok(changelogs) => {
                    for changelog in changelogs.iter().filter(|c| !c.done) {
                        let start = changelog.start.unwrap_or(0);
                        restoration.estimated += (changelog.end - start).max(0) as u64;
                        if let Some(listener) = &self.listener {
                            listener.on_restore_start(
                                &changelog.partition,
                                &changelog.store,
                                start,
                                changelog.end,
                            );
                        }
                    }
                    self.metrics.add_to_restore(restoration.estimated);
                    if restoration.estimated > 0 {
                        tracing::info!(task = %restoration.task.id(), records = restoration.estimated, "restoring state from changelogs");
                    }
                    restoration.changelogs = Some(changelogs);
                    self.stale_assignment = true;
                }
                Err(error @ RuntimeError::CheckpointAhead { .. }) => return Err(error),
                Err(error) if restoration.added.elapsed() < self.task_timeout => {
                    tracing::warn!(task = %restoration.task.id(), %error, "reading changelog end offsets failed; retrying");
                    restoration.retry_at = now + self.retry_backoff;
                }
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    /// Assigns the reader every changelog partition still restoring, each at
    /// its next offset.
    fn assign(&mut self) -> Result<(), RuntimeError> {
        self.assigned.clear();
        let mut partitions = Vec::new();
        for (id, restoration) in &self.restoring {
            for (index, changelog) in restoration.changelogs.iter().flatten().enumerate() {
                if !changelog.done {
                    self.assigned.push((*id, index));
                    partitions.push((changelog.partition.clone(), changelog.next));
                }
            }
        }
        if partitions.is_empty() {
            self.reader.unassign()?;
        } else {
            self.reader.assign(&partitions)?;
        }
        self.stale_assignment = false;
        Ok(())
    }

    fn changelog_mut(&mut self, index: usize) -> Option<(&mut ActiveTask, &mut ChangelogProgress)> {
        let (task, changelog) = *self.assigned.get(index)?;
        let restoration = self.restoring.get_mut(&task)?;
        let changelog = restoration.changelogs.as_mut()?.get_mut(changelog)?;
        Some((&mut restoration.task, changelog))
    }

    /// Reads one batch and applies it, store by store.
    fn read_batch(&mut self, timeout: Duration) -> Result<(), RuntimeError> {
        let entries = self.reader.poll(timeout, BATCH)?;
        if entries.is_empty() {
            return Ok(());
        }
        let mut batches: Vec<(Vec<KeyValueUpdate>, Option<i64>)> =
            vec![(Vec::new(), None); self.assigned.len()];
        for entry in entries {
            let Some((_, changelog)) = self.changelog_mut(entry.partition) else {
                continue;
            };
            if entry.offset >= changelog.end {
                continue;
            }
            let (batch, last) = &mut batches[entry.partition];
            *last = Some(entry.offset);
            match entry.key {
                Some(key) if changelog.from_source => batch.push((
                    key,
                    entry
                        .value
                        .map(|value| with_timestamp(entry.timestamp, &value)),
                )),
                Some(key) => batch.push((key, entry.value)),
                None => {
                    tracing::warn!(changelog = %changelog.partition.topic, partition = changelog.partition.partition, offset = entry.offset, "skipping a changelog record without a key");
                }
            }
        }
        let listener = self.listener.clone();
        let metrics = self.metrics.clone();
        for (index, (batch, last)) in batches.into_iter().enumerate() {
            let Some(last) = last else { continue };
            let Some((task, changelog)) = self.changelog_mut(index) else {
                continue;
            };
            task.task.restore_batch(&changelog.store, &batch, last)?;
            task.checkpoint.advance(&changelog.partition, last);
            let count = batch.len() as u64;
            changelog.restored += count;
            changelog.next = Some(last + 1);
            changelog.done = last + 1 >= changelog.end;
            metrics.restored(count);
            if let Some(listener) = &listener {
                listener.on_batch_restored(&changelog.partition, &changelog.store, last, count);
            }
            let id = task.id();
            if let Some(restoration) = self.restoring.get_mut(&id) {
                restoration.restored += count;
            }
            self.applied += count;
            self.last_progress = Instant::now();
        }
        Ok(())
    }

    /// Compaction or transaction markers can leave the last offsets before
    /// the end without records: the reader's position says the end was reached.
    fn check_positions(&mut self) -> Result<(), RuntimeError> {
        for index in 0..self.assigned.len() {
            if self.changelog_mut(index).is_none_or(|(_, c)| c.done) {
                continue;
            }
            let position = self.reader.position(index)?;
            if let (Some(position), Some((_, changelog))) = (position, self.changelog_mut(index))
                && position >= changelog.end
            {
                changelog.done = true;
                self.last_progress = Instant::now();
            }
        }
        Ok(())
    }

    /// Removes the tasks whose every changelog caught up.
    fn take_finished(&mut self) -> Result<Vec<ActiveTask>, RuntimeError> {
        let finished: Vec<TaskId> = self
            .restoring
            .iter()
            .filter(|(_, r)| {
                r.changelogs
                    .as_ref()
                    .is_some_and(|changelogs| changelogs.iter().all(|c| c.done))
            })
            .map(|(id, _)| *id)
            .collect();
        let mut tasks = Vec::with_capacity(finished.len());
        for id in finished {
            let Some(mut restoration) = self.restoring.remove(&id) else {
                continue;
            };
            self.metrics.task_finished();
            self.stale_assignment = true;
            for changelog in restoration.changelogs.iter().flatten() {
                if changelog.start.unwrap_or(0) < changelog.end
                    && let Some(listener) = &self.listener
                {
                    listener.on_restore_end(
                        &changelog.partition,
                        &changelog.store,
                        changelog.restored,
                    );
                }
            }
            if restoration.estimated > 0 {
                let seconds = restoration.added.elapsed().as_secs_f64().max(0.001);
                tracing::info!(
                    task = %id,
                    records = restoration.restored,
                    records_per_second = (restoration.restored as f64 / seconds).round(),
                    "restored state"
                );
            }
            if restoration.restored > 0 {
                restoration.task.checkpoint.write()?;
            }
            restoration.task.restored = true;
            tasks.push(restoration.task);
        }
        if self.restoring.is_empty() && !self.assigned.is_empty() {
            self.assigned.clear();
            self.reader.unassign()?;
            self.stale_assignment = false;
        }
        Ok(tasks)
    }

    fn log_progress(&mut self) {
        if self.restoring.is_empty() || self.last_log.elapsed() < LOG_EVERY {
            return;
        }
        self.last_log = Instant::now();
        for (id, restoration) in &self.restoring {
            tracing::info!(task = %id, records = restoration.restored, total = restoration.estimated, "restoring state");
        }
    }

    fn check_stalled(&self) -> Result<(), RuntimeError> {
        if self.last_progress.elapsed() < STALL_TIMEOUT {
            return Ok(());
        }
        let stalled = self.restoring.values().find_map(|r| {
            r.changelogs
                .iter()
                .flatten()
                .find(|c| !c.done)
                .map(|c| (r.task.id(), c))
        });
        match stalled {
            Some((task, changelog)) => Err(RuntimeError::RestoreStalled {
                task: task.to_string(),
                topic: changelog.partition.topic.clone(),
                partition: changelog.partition.partition,
                at: changelog.next.unwrap_or(0),
                end: changelog.end,
                waited_ms: STALL_TIMEOUT.as_millis(),
            }),
            None => Ok(()),
        }
    }
}

/// Where each logged store of `task` starts and ends restoring.
fn changelog_progress(
    task: &ActiveTask,
    reader: &mut dyn ChangelogReader,
) -> Result<Vec<ChangelogProgress>, RuntimeError> {
    let mut progress = Vec::new();
    for changelog in task.checkpoint.changelogs() {
        let start = task.checkpoint.restore_from(&changelog.partition);
        // A source topic is restored up to the group's committed offset only:
        // the records after it are processed again, reading the store as it
        // was before them.
        let end = if task.task.is_source_changelog(&changelog.partition.topic) {
            reader.committed_offset(&changelog.partition)?.unwrap_or(0)
        } else {
            reader.end_offset(&changelog.partition)?
        };
        if let Some(start) = start
            && start > end
        {
            return Err(RuntimeError::CheckpointAhead {
                task: task.id().to_string(),
                topic: changelog.partition.topic.clone(),
                partition: changelog.partition.partition,
                checkpoint: start - 1,
                end,
            });
        }
        progress.push(ChangelogProgress {
            from_source: task.task.is_source_changelog(&changelog.partition.topic),
            store: changelog.store.clone(),
            partition: changelog.partition.clone(),
            start,
            end,
            next: start,
            restored: 0,
            done: start.unwrap_or(0) >= end || end == 0,
        });
    }
    Ok(progress)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::fake_cluster::{FakeCluster, ReaderState};
    use crate::runtime::task_checkpoint::CHECKPOINT_FILE;
    use crate::runtime::test_support::{
        CHANGELOG, OUTPUT, count_topology, process, store_counts, task_on,
    };
    use std::sync::Mutex;

    /// Every listener call, as text.
    #[derive(Default)]
    struct Recorded(Mutex<Vec<String>>);

    impl StateRestoreListener for Arc<Recorded> {
        fn on_restore_start(&self, partition: &TopicPartition, store: &str, start: i64, end: i64) {
            self.0.lock().unwrap().push(format!(
                "start {store} {} {start}..{end}",
                partition.partition
            ));
        }
        fn on_batch_restored(&self, _: &TopicPartition, store: &str, batch_end: i64, records: u64) {
            self.0
                .lock()
                .unwrap()
                .push(format!("batch {store} {batch_end} {records}"));
        }
        fn on_restore_end(&self, _: &TopicPartition, store: &str, total: u64) {
            self.0.lock().unwrap().push(format!("end {store} {total}"));
        }
        fn on_restore_suspended(&self, _: &TopicPartition, store: &str, total: u64) {
            self.0
                .lock()
                .unwrap()
                .push(format!("suspended {store} {total}"));
        }
    }

    fn new_updater(
        cluster: &FakeCluster,
        listener: Option<Arc<Recorded>>,
        metrics: Arc<RestoreMetrics>,
    ) -> (StateUpdater, Arc<Mutex<ReaderState>>) {
        let reader = cluster.changelog_reader(false);
        let state = reader.state();
        let listener = listener.map(|l| Arc::new(l) as Arc<dyn StateRestoreListener>);
        let updater =
            StateUpdater::new(Box::new(reader), listener, metrics, Duration::from_secs(60));
        (updater, state)
    }

    /// Steps until a task comes back, at most 100 steps; returns it and the steps taken.
    fn restore(updater: &mut StateUpdater) -> (ActiveTask, usize) {
        for steps in 1..=100 {
            if let Some(task) = updater.step(Duration::ZERO).unwrap().pop() {
                return (task, steps);
            }
        }
        panic!("restoration did not finish within 100 steps");
    }

    /// The changelog, and the output the count topology's sink partitions for.
    fn cluster() -> FakeCluster {
        let cluster = FakeCluster::default();
        cluster.create_topic(CHANGELOG, 2);
        cluster.create_topic(OUTPUT, 2);
        cluster
    }

    #[test]
    fn restores_a_fresh_store_from_the_whole_changelog_in_steps() {
        let cluster = cluster();
        let topology = count_topology(true);
        let source_dir = tempfile::tempdir().unwrap();
        let mut source = task_on(&cluster, &topology, source_dir.path(), 1);
        process(&mut source.task, &["a", "b", "a", "c", "a", "b", "d"]);
        let expected = store_counts(&mut source.task);
        assert_eq!(cluster.log_len(CHANGELOG, 1), 7);

        let dir = tempfile::tempdir().unwrap();
        let replica = task_on(&cluster, &topology, dir.path(), 1);
        let recorded = Arc::new(Recorded::default());
        let metrics = Arc::new(RestoreMetrics::default());
        let (mut updater, reader) = new_updater(&cluster, Some(recorded.clone()), metrics.clone());
        updater.add(replica).unwrap();
        assert_eq!(metrics.restoring_tasks(), 1);
        let (mut restored, steps) = restore(&mut updater);
        assert!(steps >= 3, "restoration read in several steps ({steps})");
        assert_eq!(metrics.snapshot(), (7, 7));
        assert_eq!(metrics.restoring_tasks(), 0);
        assert_eq!(
            restored.state(),
            crate::runtime::active_task::TaskState::Restoring
        );
        assert!(restored.restored);
        assert_eq!(store_counts(&mut restored.task), expected);
        let partition = TopicPartition::new(CHANGELOG, 1);
        assert_eq!(restored.checkpoint.applied(&partition), Some(6));
        assert!(dir.path().join("0_1").join(CHECKPOINT_FILE).exists());
        assert!(
            reader.lock().unwrap().assigned().is_empty(),
            "the reader is released"
        );
        let events = recorded.0.lock().unwrap().clone();
        assert_eq!(
            events.first().map(String::as_str),
            Some("start counts 1 0..7")
        );
        assert_eq!(events.last().map(String::as_str), Some("end counts 7"));
        let batched: u64 = events
            .iter()
            .filter_map(|e| e.strip_prefix("batch counts "))
            .map(|e| e.split(' ').nth(1).unwrap().parse::<u64>().unwrap())
            .sum();
        assert_eq!(batched, 7);
    }

    #[test]
    fn restores_only_the_tail_after_a_checkpoint() {
        let cluster = cluster();
        let topology = count_topology(true);
        let source_dir = tempfile::tempdir().unwrap();
        let mut source = task_on(&cluster, &topology, source_dir.path(), 1);
        process(&mut source.task, &["a", "b", "a", "c", "a"]);

        // A replica restores the first five records and checkpoints them.
        let dir = tempfile::tempdir().unwrap();
        let metrics = Arc::new(RestoreMetrics::default());
        let (mut updater, _) = new_updater(&cluster, None, metrics.clone());
        updater
            .add(task_on(&cluster, &topology, dir.path(), 1))
            .unwrap();
        let (mut replica, _) = restore(&mut updater);
        replica.task.close().unwrap();
        drop(replica);

        process(&mut source.task, &["b", "d", "a"]);
        let expected = store_counts(&mut source.task);
        let metrics = Arc::new(RestoreMetrics::default());
        let (mut updater, _) = new_updater(&cluster, None, metrics.clone());
        updater
            .add(task_on(&cluster, &topology, dir.path(), 1))
            .unwrap();
        let (mut reopened, _) = restore(&mut updater);
        assert_eq!(
            metrics.snapshot(),
            (3, 3),
            "only the records after the checkpoint"
        );
        assert_eq!(store_counts(&mut reopened.task), expected);

        // Up to date: nothing to read, the task comes back at once.
        reopened.task.close().unwrap();
        drop(reopened);
        let metrics = Arc::new(RestoreMetrics::default());
        let (mut updater, reader) = new_updater(&cluster, None, metrics.clone());
        updater
            .add(task_on(&cluster, &topology, dir.path(), 1))
            .unwrap();
        let (_, steps) = restore(&mut updater);
        assert_eq!(steps, 1);
        assert_eq!(metrics.snapshot(), (0, 0));
        assert_eq!(reader.lock().unwrap().reads, 0);
    }

    #[test]
    fn in_memory_stores_always_restore_everything() {
        let cluster = cluster();
        let topology = count_topology(false);
        let source_dir = tempfile::tempdir().unwrap();
        let mut source = task_on(&cluster, &topology, source_dir.path(), 1);
        process(&mut source.task, &["a", "b", "a"]);
        let expected = store_counts(&mut source.task);
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("0_1")).unwrap();
        streams_state::OffsetCheckpoint::new(dir.path().join("0_1").join(CHECKPOINT_FILE))
            .write(&BTreeMap::from([(TopicPartition::new(CHANGELOG, 1), 1)]))
            .unwrap();
        let replica = task_on(&cluster, &topology, dir.path(), 1);
        assert!(!replica.checkpoint.changelogs()[0].persistent);
        let metrics = Arc::new(RestoreMetrics::default());
        let (mut updater, _) = new_updater(&cluster, None, metrics.clone());
        updater.add(replica).unwrap();
        let (mut restored, _) = restore(&mut updater);
        assert_eq!(metrics.snapshot(), (3, 3));
        assert_eq!(store_counts(&mut restored.task), expected);
    }

    #[test]
    fn a_checkpoint_beyond_the_changelog_end_is_an_error() {
        let cluster = cluster();
        let topology = count_topology(true);
        let dir = tempfile::tempdir().unwrap();
        let mut replica = task_on(&cluster, &topology, dir.path(), 1);
        replica
            .checkpoint
            .advance(&TopicPartition::new(CHANGELOG, 1), 10);
        let (mut updater, _) = new_updater(&cluster, None, Arc::default());
        updater.add(replica).unwrap();
        let message = updater.step(Duration::ZERO).err().unwrap().to_string();
        assert!(
            message.contains(CHANGELOG) && message.contains("delete"),
            "{message}"
        );
    }

    #[test]
    fn tasks_restore_side_by_side_and_each_comes_back_when_done() {
        let cluster = cluster();
        let topology = count_topology(true);
        let source_dir = tempfile::tempdir().unwrap();
        let mut long = task_on(&cluster, &topology, source_dir.path(), 0);
        process(
            &mut long.task,
            &["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
        );
        let mut short = task_on(&cluster, &topology, source_dir.path(), 1);
        process(&mut short.task, &["x"]);
        let dir = tempfile::tempdir().unwrap();
        let metrics = Arc::new(RestoreMetrics::default());
        let (mut updater, _) = new_updater(&cluster, None, metrics.clone());
        updater
            .add(task_on(&cluster, &topology, dir.path(), 0))
            .unwrap();
        updater
            .add(task_on(&cluster, &topology, dir.path(), 1))
            .unwrap();
        assert_eq!(metrics.restoring_tasks(), 2);
        let mut finished = Vec::new();
        for _ in 0..100 {
            for task in updater.step(Duration::ZERO).unwrap() {
                finished.push((task.id().partition, metrics.snapshot().0));
            }
            if finished.len() == 2 {
                break;
            }
        }
        assert_eq!(finished.len(), 2, "{finished:?}");
        assert_eq!(
            finished[0].0, 1,
            "the short changelog finished first: {finished:?}"
        );
        assert!(
            finished[0].1 < 11,
            "while the long one was still restoring: {finished:?}"
        );
        assert_eq!(metrics.snapshot(), (11, 11));
        assert_eq!(metrics.restoring_tasks(), 0);
        assert!(updater.is_empty());
    }

    #[test]
    fn a_task_removed_mid_restoration_is_suspended_and_no_longer_read() {
        let cluster = cluster();
        let topology = count_topology(true);
        let source_dir = tempfile::tempdir().unwrap();
        let mut source = task_on(&cluster, &topology, source_dir.path(), 1);
        process(&mut source.task, &["a", "b", "c", "d", "e", "f", "g"]);
        let dir = tempfile::tempdir().unwrap();
        let recorded = Arc::new(Recorded::default());
        let metrics = Arc::new(RestoreMetrics::default());
        let (mut updater, reader) = new_updater(&cluster, Some(recorded.clone()), metrics.clone());
        let id = TaskId {
            subtopology: 0,
            partition: 1,
        };
        updater
            .add(task_on(&cluster, &topology, dir.path(), 1))
            .unwrap();
        assert!(updater.step(Duration::ZERO).unwrap().is_empty());
        let removed = updater.remove(id).expect("the task is handed back");
        assert!(!removed.restored);
        assert_eq!(metrics.restoring_tasks(), 0);
        assert_eq!(
            recorded.0.lock().unwrap().last().map(String::as_str),
            Some("suspended counts 3")
        );
        let reads = reader.lock().unwrap().reads;
        assert!(updater.step(Duration::ZERO).unwrap().is_empty());
        assert_eq!(
            reader.lock().unwrap().reads,
            reads,
            "nothing is read for it any more"
        );
        assert!(updater.remove(id).is_none());
    }

    #[test]
    fn unreadable_end_offsets_are_retried_until_the_task_timeout() {
        let cluster = cluster();
        let topology = count_topology(true);
        let source_dir = tempfile::tempdir().unwrap();
        let mut source = task_on(&cluster, &topology, source_dir.path(), 1);
        process(&mut source.task, &["a"]);
        let dir = tempfile::tempdir().unwrap();
        let (patient, reader) = new_updater(&cluster, None, Arc::default());
        let mut patient = patient.with_retry_backoff(Duration::ZERO);
        reader.lock().unwrap().failing_end_offsets = 2;
        patient
            .add(task_on(&cluster, &topology, dir.path(), 1))
            .unwrap();
        let (_, steps) = restore(&mut patient);
        assert!(steps >= 3, "two failed attempts, then restoration: {steps}");

        // With no time to retry, the first failure is the thread's.
        let reader = cluster.changelog_reader(false);
        reader.state().lock().unwrap().failing_end_offsets = 1;
        let mut impatient =
            StateUpdater::new(Box::new(reader), None, Arc::default(), Duration::ZERO);
        let other_dir = tempfile::tempdir().unwrap();
        impatient
            .add(task_on(&cluster, &topology, other_dir.path(), 1))
            .unwrap();
        let error = impatient.step(Duration::ZERO).err().unwrap();
        assert!(error.to_string().contains("end offset"), "{error}");
    }
}
