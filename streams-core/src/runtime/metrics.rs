//! Instance-level metrics of the runtime: restoration progress, the summed
//! counters of the tasks, commits and the recoveries of the stream threads
//! (tasks lost, transactions aborted, threads replaced), shared by the stream
//! threads with the application.

use crate::metrics::MetricsRegistry;
use crate::task::TaskMetrics;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Restoration counters of an instance (Kafka Streams' `restore-*` metrics).
#[derive(Debug, Default)]
pub(crate) struct RestoreMetrics {
    to_restore: AtomicU64,
    restored: AtomicU64,
    restoring_tasks: AtomicU64,
}

impl RestoreMetrics {
    /// A task started restoring.
    pub(crate) fn task_started(&self) {
        self.restoring_tasks.fetch_add(1, Ordering::Relaxed);
    }

    /// A task finished (or stopped) restoring.
    pub(crate) fn task_finished(&self) {
        self.restoring_tasks.fetch_sub(1, Ordering::Relaxed);
    }

    /// Tasks restoring now.
    pub(crate) fn restoring_tasks(&self) -> u64 {
        self.restoring_tasks.load(Ordering::Relaxed)
    }

    /// Adds records a restoration is about to read.
    pub(crate) fn add_to_restore(&self, records: u64) {
        self.to_restore.fetch_add(records, Ordering::Relaxed);
    }

    /// Counts records applied to stores.
    pub(crate) fn restored(&self, records: u64) {
        self.restored.fetch_add(records, Ordering::Relaxed);
    }

    /// (restored, to restore) so far.
    pub(crate) fn snapshot(&self) -> (u64, u64) {
        (
            self.restored.load(Ordering::Relaxed),
            self.to_restore.load(Ordering::Relaxed),
        )
    }
}

/// A snapshot of an instance's metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamsMetrics {
    /// Changelog records applied to stores by restoration since the start.
    pub restored_records: u64,
    /// Changelog records restoration set out to read (end minus start offsets;
    /// compaction can make it larger than what was read).
    pub records_to_restore: u64,
    /// The tasks' counters, summed over the tasks this instance runs or ran.
    pub tasks: TaskMetrics,
    /// Commits done by all threads.
    pub commits: u64,
    /// Of them, commits done before `commit.interval.ms` because the stores'
    /// uncommitted writes passed `statestore.uncommitted.max.bytes`.
    pub early_commits: u64,
    /// Times an input partition was paused because its buffer was full.
    pub partition_pauses: u64,
    /// Tasks restoring their state right now.
    pub restoring_tasks: u64,
    /// Times a thread's tasks were closed without a commit because they
    /// migrated (fenced, evicted from the group, or a delivery that timed out).
    pub task_migrations: u64,
    /// Exactly-once transactions aborted (the tasks went back to their last commit).
    pub aborted_transactions: u64,
    /// Stream threads replaced after an error (uncaught handler REPLACE_THREAD).
    pub thread_replacements: u64,
}

/// Metrics shared by an instance's threads.
#[derive(Debug)]
pub(crate) struct SharedMetrics {
    /// The exported metrics of the instance.
    pub(crate) registry: MetricsRegistry,
    pub(crate) restore: Arc<RestoreMetrics>,
    /// Task counters of each thread, by thread index.
    tasks: Mutex<Vec<TaskMetrics>>,
    commits: AtomicU64,
    early_commits: AtomicU64,
    pauses: AtomicU64,
    migrations: AtomicU64,
    aborts: AtomicU64,
    replacements: AtomicU64,
}

impl SharedMetrics {
    pub(crate) fn new(registry: MetricsRegistry) -> Self {
        Self {
            registry,
            restore: Arc::default(),
            tasks: Mutex::default(),
            commits: AtomicU64::default(),
            early_commits: AtomicU64::default(),
            pauses: AtomicU64::default(),
            migrations: AtomicU64::default(),
            aborts: AtomicU64::default(),
            replacements: AtomicU64::default(),
        }
    }

    /// Replaces a thread's task counters (its closed and live tasks, summed).
    pub(crate) fn set_thread_tasks(&self, thread: usize, total: TaskMetrics) {
        let mut tasks = self
            .tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if tasks.len() <= thread {
            tasks.resize(thread + 1, TaskMetrics::default());
        }
        tasks[thread] = total;
    }

    /// Counts paused partitions.
    pub(crate) fn paused(&self, partitions: u64) {
        self.pauses.fetch_add(partitions, Ordering::Relaxed);
    }

    /// Counts one commit.
    pub(crate) fn committed(&self) {
        self.commits.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a commit started early (uncommitted bytes over the bound).
    pub(crate) fn committed_early(&self) {
        self.early_commits.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a thread losing its tasks.
    pub(crate) fn tasks_lost(&self) {
        self.migrations.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an aborted transaction.
    pub(crate) fn aborted(&self) {
        self.aborts.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a replaced thread.
    pub(crate) fn thread_replaced(&self) {
        self.replacements.fetch_add(1, Ordering::Relaxed);
    }

    /// A snapshot of everything.
    pub(crate) fn snapshot(&self) -> StreamsMetrics {
        let (restored_records, records_to_restore) = self.restore.snapshot();
        StreamsMetrics {
            restored_records,
            records_to_restore,
            tasks: self
                .tasks
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .iter()
                .fold(TaskMetrics::default(), |mut sum, t| {
                    sum += *t;
                    sum
                }),
            commits: self.commits.load(Ordering::Relaxed),
            early_commits: self.early_commits.load(Ordering::Relaxed),
            partition_pauses: self.pauses.load(Ordering::Relaxed),
            restoring_tasks: self.restore.restoring_tasks(),
            task_migrations: self.migrations.load(Ordering::Relaxed),
            aborted_transactions: self.aborts.load(Ordering::Relaxed),
            thread_replacements: self.replacements.load(Ordering::Relaxed),
        }
    }
}
