//! The global thread of an instance (Kafka Streams' `GlobalStreamThread`):
//! it reads every partition of the global stores' topics into the stores —
//! up to their end offsets before the stream threads start (the bootstrap),
//! then continuously while they run — and checkpoints how far it read.
//!
//! A persistent store resumes from its checkpoint (the next offset to read of
//! each partition, in `<state.dir>/<application.id>/global/.checkpoint`,
//! written after the stores commit what was read); an in-memory store reads
//! its topic from the start at every start. Records read again after a crash
//! are applied again, which leaves each row as the topic's latest record
//! says.

use super::RuntimeError;
use super::changelog_reader::ChangelogReader;
use crate::error::StreamsError;
use crate::state::{GlobalStore, GlobalStores};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use streams_state::{OffsetCheckpoint, TopicPartition};

/// How many records one poll applies at most.
const POLL_RECORDS: usize = 1000;

/// Reads the global topics into the global stores.
pub(crate) struct GlobalStateUpdater<R> {
    reader: R,
    /// Each assigned partition (in the reader's order) with its store and the
    /// next offset to read, once known.
    partitions: Vec<(TopicPartition, Arc<GlobalStore>, Option<i64>)>,
    stores: GlobalStores,
    checkpoint: OffsetCheckpoint,
    commit_interval: Duration,
    last_commit: Instant,
}

impl<R: ChangelogReader> GlobalStateUpdater<R> {
    /// An updater reading `partition_counts` (the partition count of each
    /// global topic) into `stores`, checkpointing in `dir` every
    /// `commit_interval`. Persistent stores start from the checkpoint.
    pub(crate) fn new(
        stores: GlobalStores,
        mut reader: R,
        partition_counts: &BTreeMap<String, i32>,
        dir: &Path,
        commit_interval: Duration,
    ) -> Result<Self, RuntimeError> {
        std::fs::create_dir_all(dir).map_err(|source| StreamsError::StateDirectory {
            path: dir.to_path_buf(),
            source,
        })?;
        let checkpoint = OffsetCheckpoint::new(dir.join(".checkpoint"));
        let checkpointed = checkpoint.read().map_err(StreamsError::from)?;
        let mut partitions = Vec::new();
        for store in stores.writers() {
            let count = partition_counts
                .get(store.topic())
                .copied()
                .ok_or_else(|| RuntimeError::MissingSourceTopics {
                    topics: vec![store.topic().to_string()],
                })?;
            for partition in 0..count {
                let topic_partition = TopicPartition::new(store.topic(), partition);
                let start = store
                    .persistent()
                    .then(|| checkpointed.get(&topic_partition).copied())
                    .flatten();
                partitions.push((topic_partition, store.clone(), start));
            }
        }
        let assignment: Vec<(TopicPartition, Option<i64>)> = partitions
            .iter()
            .map(|(partition, _, start)| (partition.clone(), *start))
            .collect();
        reader.assign(&assignment)?;
        Ok(Self {
            reader,
            partitions,
            stores,
            checkpoint,
            commit_interval,
            last_commit: Instant::now(),
        })
    }

    /// Reads every partition up to the end offset it has now, giving up when
    /// `stall_timeout` passes without a record while some are missing;
    /// returns how many records it applied.
    pub(crate) fn bootstrap(&mut self, stall_timeout: Duration) -> Result<u64, RuntimeError> {
        let mut ends = Vec::with_capacity(self.partitions.len());
        for (partition, _, _) in &self.partitions {
            ends.push(self.reader.end_offset(partition)?);
        }
        let started = Instant::now();
        let mut last_progress = Instant::now();
        let mut applied = 0_u64;
        loop {
            let behind = self.behind(&ends)?;
            if behind.is_empty() {
                break;
            }
            if last_progress.elapsed() > stall_timeout {
                return Err(RuntimeError::Timeout {
                    what: format!(
                        "the global stores to read {} up to their end offsets",
                        behind.join(", ")
                    ),
                    waited_ms: stall_timeout.as_millis(),
                });
            }
            let read = self.poll(Duration::from_millis(100))?;
            if read > 0 {
                applied += read as u64;
                last_progress = Instant::now();
            }
        }
        self.commit()?;
        tracing::info!(
            records = applied,
            partitions = self.partitions.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "global stores bootstrapped"
        );
        Ok(applied)
    }

    /// The partitions (as `topic-partition`) whose position is before `ends`.
    fn behind(&mut self, ends: &[i64]) -> Result<Vec<String>, RuntimeError> {
        let mut behind = Vec::new();
        for (index, &end) in ends.iter().enumerate() {
            let position = self.position(index)?;
            if end > 0 && position.is_none_or(|next| next < end) {
                let (partition, _, _) = &self.partitions[index];
                behind.push(format!("{}-{}", partition.topic, partition.partition));
            }
        }
        Ok(behind)
    }

    /// The next offset to read of the partition at `index`: the reader's
    /// position (past transaction markers and aborted records), else one past
    /// the last record applied, else where reading started.
    fn position(&mut self, index: usize) -> Result<Option<i64>, RuntimeError> {
        Ok(self.reader.position(index)?.or(self.partitions[index].2))
    }

    /// Applies the next records (waiting up to `timeout` for the first);
    /// returns how many it read.
    pub(crate) fn poll(&mut self, timeout: Duration) -> Result<usize, RuntimeError> {
        let entries = self.reader.poll(timeout, POLL_RECORDS)?;
        for entry in &entries {
            let Some((_, store, next)) = self.partitions.get_mut(entry.partition) else {
                continue;
            };
            store.apply(
                entry.key.as_deref(),
                entry.value.as_deref(),
                entry.timestamp,
            )?;
            *next = Some(entry.offset + 1);
        }
        Ok(entries.len())
    }

    /// Commits the stores and checkpoints the positions when the commit
    /// interval has passed since the last commit.
    pub(crate) fn maybe_commit(&mut self) -> Result<(), RuntimeError> {
        if self.last_commit.elapsed() >= self.commit_interval {
            self.commit()?;
        }
        Ok(())
    }

    /// Commits the stores, then checkpoints the positions of their
    /// partitions (persistent stores only: in-memory ones start over).
    pub(crate) fn commit(&mut self) -> Result<(), RuntimeError> {
        for store in self.stores.writers() {
            store.commit()?;
        }
        let mut offsets = BTreeMap::new();
        for index in 0..self.partitions.len() {
            let next = self.position(index)?;
            let (partition, store, _) = &self.partitions[index];
            if let (true, Some(next)) = (store.persistent(), next) {
                offsets.insert(partition.clone(), next);
            }
        }
        self.checkpoint
            .write(&offsets)
            .map_err(StreamsError::from)?;
        self.last_commit = Instant::now();
        Ok(())
    }

    /// Commits, checkpoints and closes the stores.
    pub(crate) fn close(mut self) -> Result<(), RuntimeError> {
        self.commit()?;
        self.reader.unassign()?;
        Ok(self.stores.close()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::fake_cluster::FakeCluster;
    use crate::serde::{SerdeRegistry, StringSerde};
    use crate::state::{GlobalStoreBuilder, GlobalTableBuilder, KeyValueStoreBuilder};
    use streams_state::RocksDbShared;

    fn declared(persistent: bool) -> Vec<Arc<dyn GlobalStoreBuilder>> {
        let store = if persistent {
            KeyValueStoreBuilder::<String, String>::persistent("countries")
        } else {
            KeyValueStoreBuilder::<String, String>::in_memory("countries")
        };
        let mut builder = GlobalTableBuilder::new(
            store.with_serdes(Some(Arc::new(StringSerde)), Some(Arc::new(StringSerde))),
            "countries-topic",
        );
        builder
            .resolve_serdes(&SerdeRegistry::with_builtins())
            .unwrap();
        vec![Arc::new(builder)]
    }

    fn row(stores: &GlobalStores, key: &str) -> Option<(String, i64)> {
        stores
            .reader::<String, String>("countries")
            .unwrap()
            .get(&key.to_string())
            .unwrap()
            .map(|row| (row.value, row.timestamp))
    }

    fn updater(
        cluster: &FakeCluster,
        stores: &GlobalStores,
        dir: &Path,
    ) -> GlobalStateUpdater<crate::runtime::fake_cluster::FakeChangelogReader> {
        let counts = BTreeMap::from([("countries-topic".to_string(), 2)]);
        GlobalStateUpdater::new(
            stores.clone(),
            cluster.changelog_reader(true),
            &counts,
            dir,
            Duration::ZERO,
        )
        .unwrap()
    }

    #[test]
    fn bootstrap_reads_every_partition_to_its_end_and_later_records_follow() {
        let cluster = FakeCluster::default();
        cluster.create_topic("countries-topic", 2);
        for n in 0..10 {
            let key = format!("c{n}");
            cluster.append("countries-topic", n % 2, key.as_bytes(), b"old", n.into());
            cluster.append(
                "countries-topic",
                n % 2,
                key.as_bytes(),
                b"new",
                100 + i64::from(n),
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let stores =
            GlobalStores::open(&declared(false), dir.path(), &RocksDbShared::default()).unwrap();
        let mut updater = updater(&cluster, &stores, dir.path());
        updater.bootstrap(Duration::from_secs(5)).unwrap();
        for n in 0..10 {
            assert_eq!(
                row(&stores, &format!("c{n}")),
                Some(("new".to_string(), 100 + i64::from(n))),
                "c{n}"
            );
        }
        cluster.append("countries-topic", 1, b"c3", b"newer", 500);
        while updater.poll(Duration::ZERO).unwrap() > 0 {}
        assert_eq!(row(&stores, "c3"), Some(("newer".to_string(), 500)));
    }

    #[test]
    fn a_persistent_store_resumes_from_its_checkpoint_and_an_in_memory_one_starts_over() {
        let cluster = FakeCluster::default();
        cluster.create_topic("countries-topic", 2);
        cluster.append("countries-topic", 0, b"fr", b"France", 1);
        cluster.append("countries-topic", 1, b"de", b"Germany", 2);
        for persistent in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let stores =
                GlobalStores::open(&declared(persistent), dir.path(), &RocksDbShared::default())
                    .unwrap();
            let mut first = updater(&cluster, &stores, dir.path());
            first.bootstrap(Duration::from_secs(5)).unwrap();
            first.close().unwrap();
            let checkpoint = OffsetCheckpoint::new(dir.path().join(".checkpoint"))
                .read()
                .unwrap();
            let expected = if persistent {
                BTreeMap::from([
                    (TopicPartition::new("countries-topic", 0), 1),
                    (TopicPartition::new("countries-topic", 1), 1),
                ])
            } else {
                BTreeMap::new()
            };
            assert_eq!(checkpoint, expected, "persistent: {persistent}");

            let reopened =
                GlobalStores::open(&declared(persistent), dir.path(), &RocksDbShared::default())
                    .unwrap();
            let mut second = updater(&cluster, &reopened, dir.path());
            let read_again = second.bootstrap(Duration::from_secs(5)).unwrap();
            assert_eq!(
                read_again,
                if persistent { 0 } else { 2 },
                "records read again at the second start (persistent: {persistent})"
            );
            assert_eq!(row(&reopened, "fr"), Some(("France".to_string(), 1)));
            assert_eq!(row(&reopened, "de"), Some(("Germany".to_string(), 2)));
            second.close().unwrap();
        }
    }
}
