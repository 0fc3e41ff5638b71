//! Instance-level metrics of the runtime: restoration progress and the summed
//! counters of the tasks, shared by the stream threads with the application.

use crate::metrics::MetricsRegistry;
use crate::task::TaskMetrics;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Restoration counters of an instance (Kafka Streams' `restore-*` metrics).
#[derive(Debug, Default)]
pub(crate) struct RestoreMetrics {
    to_restore: AtomicU64,
    restored: AtomicU64,
}

impl RestoreMetrics {
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
    /// Times an input partition was paused because its buffer was full.
    pub partition_pauses: u64,
}

/// Metrics shared by an instance's threads.
#[derive(Debug)]
pub(crate) struct SharedMetrics {
    /// The exported metrics of the instance.
    pub(crate) registry: MetricsRegistry,
    pub(crate) restore: RestoreMetrics,
    /// Task counters of each thread, by thread index.
    tasks: Mutex<Vec<TaskMetrics>>,
    commits: AtomicU64,
    pauses: AtomicU64,
}

impl SharedMetrics {
    pub(crate) fn new(registry: MetricsRegistry) -> Self {
        Self {
            registry,
            restore: RestoreMetrics::default(),
            tasks: Mutex::default(),
            commits: AtomicU64::default(),
            pauses: AtomicU64::default(),
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
            partition_pauses: self.pauses.load(Ordering::Relaxed),
        }
    }
}
