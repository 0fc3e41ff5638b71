//! How far each changelog of a task is reflected in its local stores: read
//! when the task is created from the offsets its stores committed together
//! with their data (transactional stores, see
//! [`StreamTask::commit_state`]), or from the task's `.checkpoint` file for a
//! store that has none (written by a release that kept offsets only there);
//! advanced by restoration and by the changelog records the producer
//! acknowledged. The file is written when a restoration ends, when the task
//! is suspended and when it closes cleanly, not at every commit: each commit
//! makes the stores' offsets durable inside the stores, which is what the
//! next start reads, so a file written then would cost two `fsync`s per task
//! and commit and say nothing new (Kafka Streams, whose stores keep no
//! offsets, writes it at most every 10,000 changelog records under
//! at-least-once and only at close under exactly-once).
//!
//! Offsets follow Kafka Streams: a checkpoint holds the offset of the last
//! changelog record applied to (or written from) the store, so restoration
//! resumes one past it. Only persistent stores are checkpointed; in-memory
//! stores lose their contents on restart and always restore from the start.

use crate::error::StreamsError;
use crate::task::StreamTask;
use std::collections::BTreeMap;
use std::path::Path;
use streams_state::{OffsetCheckpoint, TopicPartition};

/// File name of a task's checkpoint, in the task's state directory.
pub const CHECKPOINT_FILE: &str = ".checkpoint";

/// One logged store of a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoreChangelog {
    /// The store.
    pub(crate) store: String,
    /// Its changelog partition (the task's partition number).
    pub(crate) partition: TopicPartition,
    /// Whether the store keeps its contents across restarts.
    pub(crate) persistent: bool,
}

/// The changelogs of one task and how far each is applied locally.
#[derive(Debug)]
pub(crate) struct TaskCheckpoint {
    file: OffsetCheckpoint,
    changelogs: Vec<StoreChangelog>,
    /// Last applied offset of each changelog partition, when known.
    applied: BTreeMap<TopicPartition, i64>,
}

impl TaskCheckpoint {
    /// Reads the checkpoint in `task_dir` (a missing file means nothing is
    /// applied). Offsets of non-persistent stores, or of partitions the task no
    /// longer logs to, are ignored.
    pub(crate) fn load(
        task_dir: &Path,
        changelogs: Vec<StoreChangelog>,
    ) -> Result<Self, StreamsError> {
        let file = OffsetCheckpoint::new(task_dir.join(CHECKPOINT_FILE));
        let stored = file.read()?;
        let applied = changelogs
            .iter()
            .filter(|c| c.persistent)
            .filter_map(|c| {
                stored
                    .get(&c.partition)
                    .map(|&offset| (c.partition.clone(), offset))
            })
            .collect();
        Ok(Self {
            file,
            changelogs,
            applied,
        })
    }

    /// The checkpoint of `task`, whose directory is `task_dir`: the file's
    /// offsets, replaced by each persistent store's own committed offset
    /// where it has one (the store's data and that offset became durable
    /// together, so restoration resumes right after it).
    pub(crate) fn of_task(task: &StreamTask, task_dir: &Path) -> Result<Self, StreamsError> {
        let partition = task.id().partition;
        let changelogs = task
            .changelogs()
            .map(|(store, topic)| StoreChangelog {
                store: store.to_string(),
                partition: TopicPartition::new(topic, partition),
                persistent: task.store_is_persistent(store),
            })
            .collect();
        let mut checkpoint = Self::load(task_dir, changelogs)?;
        for committed in task.committed_changelog_offsets()? {
            let persistent = checkpoint
                .changelogs
                .iter()
                .any(|c| c.persistent && c.partition == committed.partition);
            if let (true, Some(offset)) = (persistent, committed.offset) {
                checkpoint.applied.insert(committed.partition, offset);
            }
        }
        Ok(checkpoint)
    }

    /// The task's logged stores.
    pub(crate) fn changelogs(&self) -> &[StoreChangelog] {
        &self.changelogs
    }

    /// Where restoration of a changelog partition starts: one past the last
    /// applied offset, or `None` for the beginning of the log.
    pub(crate) fn restore_from(&self, partition: &TopicPartition) -> Option<i64> {
        self.applied.get(partition).map(|offset| offset + 1)
    }

    /// Records that the store now reflects `partition` up to `offset`
    /// (restored, or written and acknowledged). Offsets never move back.
    pub(crate) fn advance(&mut self, partition: &TopicPartition, offset: i64) {
        let entry = self.applied.entry(partition.clone()).or_insert(offset);
        *entry = (*entry).max(offset);
    }

    /// The last applied offset of `partition`, if known.
    #[cfg(test)]
    pub(crate) fn applied(&self, partition: &TopicPartition) -> Option<i64> {
        self.applied.get(partition).copied()
    }

    /// Writes the offsets of the persistent stores (nothing when the task has
    /// none). Call only after the stores were flushed, so the file never claims
    /// more than they hold.
    pub(crate) fn write(&self) -> Result<(), StreamsError> {
        if !self.changelogs.iter().any(|c| c.persistent) {
            return Ok(());
        }
        let offsets: BTreeMap<TopicPartition, i64> = self
            .changelogs
            .iter()
            .filter(|c| c.persistent)
            .filter_map(|c| {
                self.applied
                    .get(&c.partition)
                    .map(|&offset| (c.partition.clone(), offset))
            })
            .collect();
        Ok(self.file.write(&offsets)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changelogs() -> Vec<StoreChangelog> {
        vec![
            StoreChangelog {
                store: "counts".into(),
                partition: TopicPartition::new("app-counts-changelog", 2),
                persistent: true,
            },
            StoreChangelog {
                store: "cache".into(),
                partition: TopicPartition::new("app-cache-changelog", 2),
                persistent: false,
            },
        ]
    }

    #[test]
    fn checkpoints_persistent_stores_and_resumes_one_past_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut checkpoint = TaskCheckpoint::load(dir.path(), changelogs()).unwrap();
        let counts = changelogs()[0].partition.clone();
        let cache = changelogs()[1].partition.clone();
        assert_eq!(checkpoint.restore_from(&counts), None);
        checkpoint.advance(&counts, 41);
        checkpoint.advance(&counts, 7);
        checkpoint.advance(&cache, 12);
        assert_eq!(checkpoint.applied(&counts), Some(41));
        checkpoint.write().unwrap();

        let reloaded = TaskCheckpoint::load(dir.path(), changelogs()).unwrap();
        assert_eq!(reloaded.restore_from(&counts), Some(42));
        assert_eq!(reloaded.restore_from(&cache), None);
        let on_disk = OffsetCheckpoint::new(dir.path().join(CHECKPOINT_FILE))
            .read()
            .unwrap();
        assert_eq!(on_disk, BTreeMap::from([(counts, 41)]));
    }

    #[test]
    fn a_store_that_became_in_memory_ignores_its_old_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let counts = changelogs()[0].partition.clone();
        OffsetCheckpoint::new(dir.path().join(CHECKPOINT_FILE))
            .write(&BTreeMap::from([(counts.clone(), 10)]))
            .unwrap();
        let mut in_memory = changelogs();
        in_memory[0].persistent = false;
        let checkpoint = TaskCheckpoint::load(dir.path(), in_memory).unwrap();
        assert_eq!(checkpoint.restore_from(&counts), None);
    }
}
