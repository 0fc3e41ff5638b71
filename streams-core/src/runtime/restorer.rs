//! Restoration: before a stateful task processes, each of its logged stores
//! replays its changelog partition from the checkpointed offset (or the start)
//! up to the changelog's end offset, with progress logged and counted.

use super::RuntimeError;
use super::metrics::RestoreMetrics;
use super::task_checkpoint::TaskCheckpoint;
use crate::task::StreamTask;
use std::time::{Duration, Instant};
use streams_state::{KeyValueUpdate, TopicPartition};

/// A changelog record read during restoration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChangelogEntry {
    /// Index of its partition in the list given to [`ChangelogReader::assign`].
    pub(crate) partition: usize,
    /// Its offset.
    pub(crate) offset: i64,
    /// Binary key (`None` cannot be restored and is skipped).
    pub(crate) key: Option<Vec<u8>>,
    /// Value; `None` deletes the key.
    pub(crate) value: Option<Vec<u8>>,
}

/// Reads changelog partitions (the runtime's restore consumer; an in-memory log
/// in tests).
pub(crate) trait ChangelogReader {
    /// The partition's end offset: the offset the next written record will get.
    fn end_offset(&mut self, partition: &TopicPartition) -> Result<i64, RuntimeError>;

    /// Reads these partitions from now on, each from its offset (`None`: from
    /// the start of the log); replaces any earlier assignment.
    fn assign(&mut self, partitions: &[(TopicPartition, Option<i64>)]) -> Result<(), RuntimeError>;

    /// The next records, at most `max`, waiting up to `timeout` for the first.
    fn poll(&mut self, timeout: Duration, max: usize) -> Result<Vec<ChangelogEntry>, RuntimeError>;

    /// The offset of the next record to be read from the partition at `index`.
    fn position(&mut self, index: usize) -> Result<Option<i64>, RuntimeError>;

    /// Stops reading every partition.
    fn unassign(&mut self) -> Result<(), RuntimeError>;
}

/// Longest a restoration may go without reading anything before it fails.
const STALL_TIMEOUT: Duration = Duration::from_secs(120);
/// Records per poll and per store write batch.
const BATCH: usize = 10_000;
/// How often progress is logged.
const LOG_EVERY: Duration = Duration::from_secs(10);

struct Pending {
    store: String,
    partition: TopicPartition,
    end: i64,
    /// Next offset expected, for progress; the last applied offset + 1.
    next: Option<i64>,
    done: bool,
}

/// Restores every logged store of `task` from its changelog, starting after the
/// checkpointed offsets, until each changelog's end offset; advances
/// `checkpoint` as records are applied. `between_polls` runs between reads
/// (the stream thread keeps its group membership alive there). Returns the
/// number of records restored.
pub(crate) fn restore_task(
    task: &mut StreamTask,
    checkpoint: &mut TaskCheckpoint,
    reader: &mut dyn ChangelogReader,
    metrics: &RestoreMetrics,
    between_polls: &mut dyn FnMut(),
) -> Result<u64, RuntimeError> {
    let mut pending = Vec::new();
    for changelog in checkpoint.changelogs() {
        let start = checkpoint.restore_from(&changelog.partition);
        let end = reader.end_offset(&changelog.partition)?;
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
        if start.unwrap_or(0) < end && end > 0 {
            pending.push(Pending {
                store: changelog.store.clone(),
                partition: changelog.partition.clone(),
                end,
                next: start,
                done: false,
            });
        }
    }
    if pending.is_empty() {
        return Ok(0);
    }
    let assignment: Vec<(TopicPartition, Option<i64>)> = pending
        .iter()
        .map(|p| (p.partition.clone(), p.next))
        .collect();
    let estimated: u64 = pending
        .iter()
        .map(|p| (p.end - p.next.unwrap_or(0)).max(0) as u64)
        .sum();
    metrics.add_to_restore(estimated);
    tracing::info!(task = %task.id(), records = estimated, changelogs = pending.len(), "restoring state from changelogs");
    reader.assign(&assignment)?;

    let started = Instant::now();
    let mut last_log = started;
    let mut last_progress = started;
    let mut restored = 0u64;
    let mut batches: Vec<Vec<KeyValueUpdate>> = vec![Vec::new(); pending.len()];
    while pending.iter().any(|p| !p.done) {
        between_polls();
        let entries = reader.poll(Duration::from_millis(100), BATCH)?;
        let mut last_offsets: Vec<Option<i64>> = vec![None; pending.len()];
        for entry in entries {
            let Some(target) = pending.get(entry.partition) else {
                continue;
            };
            if entry.offset >= target.end {
                continue;
            }
            last_offsets[entry.partition] = Some(entry.offset);
            match entry.key {
                Some(key) => batches[entry.partition].push((key, entry.value)),
                None => {
                    tracing::warn!(changelog = %target.partition.topic, partition = target.partition.partition, offset = entry.offset, "skipping a changelog record without a key");
                }
            }
        }
        for (index, last) in last_offsets.iter().enumerate() {
            let Some(last) = *last else { continue };
            let batch = std::mem::take(&mut batches[index]);
            let target = &mut pending[index];
            task.restore_batch(&target.store, &batch, last)?;
            let count = batch.len() as u64;
            restored += count;
            metrics.restored(count);
            checkpoint.advance(&target.partition, last);
            target.next = Some(last + 1);
            if last + 1 >= target.end {
                target.done = true;
            }
            last_progress = Instant::now();
        }
        for (index, target) in pending.iter_mut().enumerate() {
            if target.done {
                continue;
            }
            // Compaction or transaction markers can leave the last offsets
            // without records: the position says the end was reached.
            if let Some(position) = reader.position(index)?
                && position >= target.end
            {
                target.done = true;
                last_progress = Instant::now();
            }
        }
        if last_log.elapsed() >= LOG_EVERY {
            last_log = Instant::now();
            log_progress(task, restored, estimated, started, "restoring");
        }
        if last_progress.elapsed() >= STALL_TIMEOUT {
            let stalled = pending
                .iter()
                .find(|p| !p.done)
                .map(|p| (p.partition.clone(), p.next.unwrap_or(0), p.end));
            if let Some((partition, at, end)) = stalled {
                return Err(RuntimeError::RestoreStalled {
                    task: task.id().to_string(),
                    topic: partition.topic,
                    partition: partition.partition,
                    at,
                    end,
                    waited_ms: STALL_TIMEOUT.as_millis(),
                });
            }
        }
    }
    reader.unassign()?;
    log_progress(task, restored, estimated, started, "restored");
    Ok(restored)
}

fn log_progress(task: &StreamTask, done: u64, total: u64, started: Instant, what: &str) {
    let seconds = started.elapsed().as_secs_f64().max(0.001);
    tracing::info!(
        task = %task.id(),
        records = done,
        total,
        records_per_second = (done as f64 / seconds).round(),
        "{what} state"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ProcessError, StreamsError};
    use crate::processor::{Processor, ProcessorContext};
    use crate::record::{ConsumedRecord, Headers, ProducedRecord, Record, RecordMetadata};
    use crate::runtime::task_checkpoint::StoreChangelog;
    use crate::state::{KeyValueStoreBuilder, TimestampedKeyValueStore};
    use crate::task::{RecordCollector, TaskConfig, TaskId};
    use crate::topology::{TopicRef, Topology, TopologyBuilder};
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    use std::rc::Rc;
    use std::sync::Arc;
    use streams_state::ThreadCache;

    /// Counts records per key in store `counts`.
    struct Count;

    impl Processor<String, String, String, i64> for Count {
        fn process(
            &mut self,
            record: Record<String, String>,
            ctx: &mut ProcessorContext<'_, String, i64>,
        ) -> Result<(), ProcessError> {
            let store = ctx.state_store::<TimestampedKeyValueStore<String, i64>>("counts")?;
            let count = store.get(&record.key)?.map_or(0, |v| v.value) + 1;
            store.put(&record.key, &count, record.timestamp)?;
            Ok(())
        }
    }

    fn topology(persistent: bool) -> Topology {
        let mut builder = TopologyBuilder::new();
        let source = builder.add_source::<String, String>(
            "in",
            vec![TopicRef::External("in".into())],
            None,
            None,
        );
        let count = builder.add_processor("count", || Count, &[source]);
        builder.add_state_store(if persistent {
            KeyValueStoreBuilder::<String, i64>::persistent("counts")
        } else {
            KeyValueStoreBuilder::<String, i64>::in_memory("counts")
        });
        builder.connect_store("counts", count);
        builder.build().unwrap()
    }

    #[derive(Clone, Default)]
    struct Captured(Rc<RefCell<Vec<ProducedRecord>>>);

    impl RecordCollector for Captured {
        fn send(&mut self, record: ProducedRecord) -> Result<(), StreamsError> {
            self.0.borrow_mut().push(record);
            Ok(())
        }

        fn partitions(&mut self, _topic: &str) -> Result<i32, StreamsError> {
            Ok(1)
        }
    }

    const TASK: TaskId = TaskId {
        subtopology: 0,
        partition: 1,
    };

    fn task(topology: &Topology, state_dir: &Path, collector: Captured) -> StreamTask {
        StreamTask::new(
            topology,
            TASK,
            TaskConfig {
                application_id: Arc::from("app"),
                wall_clock_ms: 0,
                handlers: Default::default(),
                metrics: crate::metrics::MetricsRegistry::new(Default::default(), "app"),
                state_dir: state_dir.to_path_buf(),
                cache: ThreadCache::new(0),
                rocksdb: Default::default(),
            },
            Box::new(collector),
        )
        .unwrap()
    }

    use std::path::Path;

    /// A changelog partition in memory, read like a consumer reads it.
    struct MemoryLog {
        records: Vec<ProducedRecord>,
        assigned: Vec<(TopicPartition, i64)>,
        polls: usize,
    }

    impl ChangelogReader for MemoryLog {
        fn end_offset(&mut self, _: &TopicPartition) -> Result<i64, RuntimeError> {
            Ok(self.records.len() as i64)
        }

        fn assign(
            &mut self,
            partitions: &[(TopicPartition, Option<i64>)],
        ) -> Result<(), RuntimeError> {
            self.assigned = partitions
                .iter()
                .map(|(p, start)| (p.clone(), start.unwrap_or(0)))
                .collect();
            Ok(())
        }

        fn poll(&mut self, _: Duration, max: usize) -> Result<Vec<ChangelogEntry>, RuntimeError> {
            self.polls += 1;
            let Some((_, next)) = self.assigned.first_mut() else {
                return Ok(Vec::new());
            };
            // Small reads, so restoration takes several batches.
            let max = max.min(3);
            let start = *next as usize;
            let entries: Vec<ChangelogEntry> = self.records[start.min(self.records.len())..]
                .iter()
                .take(max)
                .enumerate()
                .map(|(i, r)| ChangelogEntry {
                    partition: 0,
                    offset: (start + i) as i64,
                    key: r.key.clone(),
                    value: r.value.clone(),
                })
                .collect();
            *next += entries.len() as i64;
            Ok(entries)
        }

        fn position(&mut self, index: usize) -> Result<Option<i64>, RuntimeError> {
            Ok(self.assigned.get(index).map(|(_, next)| *next))
        }

        fn unassign(&mut self) -> Result<(), RuntimeError> {
            self.assigned.clear();
            Ok(())
        }
    }

    fn process(task: &mut StreamTask, keys: &[&str]) {
        for (offset, key) in keys.iter().enumerate() {
            task.add_record(ConsumedRecord {
                metadata: RecordMetadata {
                    topic: "in".into(),
                    partition: 1,
                    offset: offset as i64,
                },
                timestamp: 1000 + offset as i64,
                key: Some(key.as_bytes().to_vec()),
                value: Some(b"x".to_vec()),
                headers: Headers::new(),
            });
        }
        while task.process_next().unwrap() {}
        task.flush().unwrap();
    }

    fn counts(task: &mut StreamTask) -> BTreeMap<String, i64> {
        task.state_store::<TimestampedKeyValueStore<String, i64>>("counts")
            .unwrap()
            .all()
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k, v.value))
            .collect()
    }

    fn changelogs(task: &StreamTask) -> Vec<StoreChangelog> {
        task.changelogs()
            .map(|(store, topic)| StoreChangelog {
                store: store.to_string(),
                partition: TopicPartition::new(topic, TASK.partition),
                persistent: task.store_is_persistent(store),
            })
            .collect()
    }

    fn source_run(
        topology: &Topology,
        keys: &[&str],
    ) -> (BTreeMap<String, i64>, Vec<ProducedRecord>) {
        let dir = tempfile::tempdir().unwrap();
        let captured = Captured::default();
        let mut source = task(topology, dir.path(), captured.clone());
        process(&mut source, keys);
        let expected = counts(&mut source);
        source.close().unwrap();
        let log = captured.0.borrow().clone();
        assert!(
            log.iter()
                .all(|r| &*r.topic == "app-counts-changelog" && r.partition == Some(1))
        );
        (expected, log)
    }

    #[test]
    fn restores_a_fresh_store_from_the_whole_changelog() {
        let topology = topology(true);
        let (expected, log) = source_run(&topology, &["a", "b", "a", "c", "a", "b", "d"]);
        assert_eq!(log.len(), 7);

        let dir = tempfile::tempdir().unwrap();
        let mut replica = task(&topology, dir.path(), Captured::default());
        let mut checkpoint =
            TaskCheckpoint::load(&dir.path().join(TASK.to_string()), changelogs(&replica)).unwrap();
        let mut reader = MemoryLog {
            records: log,
            assigned: Vec::new(),
            polls: 0,
        };
        let metrics = RestoreMetrics::default();
        let mut keep_alive_calls = 0;
        let restored = restore_task(
            &mut replica,
            &mut checkpoint,
            &mut reader,
            &metrics,
            &mut || keep_alive_calls += 1,
        )
        .unwrap();
        assert_eq!(restored, 7);
        assert_eq!(metrics.snapshot(), (7, 7));
        assert!(keep_alive_calls >= 3, "restoration read in several batches");
        assert_eq!(counts(&mut replica), expected);
        let partition = TopicPartition::new("app-counts-changelog", 1);
        assert_eq!(checkpoint.applied(&partition), Some(6));
        assert!(reader.assigned.is_empty(), "the reader is released");
    }

    #[test]
    fn restores_only_the_tail_after_a_checkpoint() {
        let topology = topology(true);
        let (expected, log) = source_run(&topology, &["a", "b", "a", "c", "a", "b", "d", "a"]);
        let dir = tempfile::tempdir().unwrap();
        let mut replica = task(&topology, dir.path(), Captured::default());
        let task_dir = dir.path().join(TASK.to_string());
        let mut checkpoint = TaskCheckpoint::load(&task_dir, changelogs(&replica)).unwrap();
        // First restore the first five records and checkpoint them.
        let mut head = MemoryLog {
            records: log[..5].to_vec(),
            assigned: Vec::new(),
            polls: 0,
        };
        let metrics = RestoreMetrics::default();
        restore_task(
            &mut replica,
            &mut checkpoint,
            &mut head,
            &metrics,
            &mut || {},
        )
        .unwrap();
        replica.flush().unwrap();
        checkpoint.write().unwrap();
        replica.close().unwrap();
        drop(replica);

        let mut reopened = task(&topology, dir.path(), Captured::default());
        let mut checkpoint = TaskCheckpoint::load(&task_dir, changelogs(&reopened)).unwrap();
        let mut full = MemoryLog {
            records: log.clone(),
            assigned: Vec::new(),
            polls: 0,
        };
        let metrics = RestoreMetrics::default();
        let restored = restore_task(
            &mut reopened,
            &mut checkpoint,
            &mut full,
            &metrics,
            &mut || {},
        )
        .unwrap();
        assert_eq!(restored, 3, "only the records after the checkpoint");
        assert_eq!(metrics.snapshot(), (3, 3));
        assert_eq!(counts(&mut reopened), expected);

        // Up to date: nothing to read.
        let restored = restore_task(
            &mut reopened,
            &mut checkpoint,
            &mut full,
            &metrics,
            &mut || {},
        )
        .unwrap();
        assert_eq!(restored, 0);
    }

    #[test]
    fn in_memory_stores_always_restore_everything() {
        let topology = topology(false);
        let (expected, log) = source_run(&topology, &["a", "b", "a"]);
        let dir = tempfile::tempdir().unwrap();
        let mut replica = task(&topology, dir.path(), Captured::default());
        let changelogs = changelogs(&replica);
        assert!(!changelogs[0].persistent);
        std::fs::create_dir_all(dir.path().join(TASK.to_string())).unwrap();
        streams_state::OffsetCheckpoint::new(
            dir.path()
                .join(TASK.to_string())
                .join(super::super::task_checkpoint::CHECKPOINT_FILE),
        )
        .write(&BTreeMap::from([(changelogs[0].partition.clone(), 1)]))
        .unwrap();
        let mut checkpoint =
            TaskCheckpoint::load(&dir.path().join(TASK.to_string()), changelogs).unwrap();
        let mut reader = MemoryLog {
            records: log,
            assigned: Vec::new(),
            polls: 0,
        };
        let restored = restore_task(
            &mut replica,
            &mut checkpoint,
            &mut reader,
            &RestoreMetrics::default(),
            &mut || {},
        )
        .unwrap();
        assert_eq!(restored, 3);
        assert_eq!(counts(&mut replica), expected);
    }

    #[test]
    fn a_checkpoint_beyond_the_changelog_end_is_an_error() {
        let topology = topology(true);
        let dir = tempfile::tempdir().unwrap();
        let mut replica = task(&topology, dir.path(), Captured::default());
        let changelogs = changelogs(&replica);
        let mut checkpoint =
            TaskCheckpoint::load(&dir.path().join(TASK.to_string()), changelogs.clone()).unwrap();
        checkpoint.advance(&changelogs[0].partition, 10);
        let mut reader = MemoryLog {
            records: Vec::new(),
            assigned: Vec::new(),
            polls: 0,
        };
        let error = restore_task(
            &mut replica,
            &mut checkpoint,
            &mut reader,
            &RestoreMetrics::default(),
            &mut || {},
        )
        .unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("app-counts-changelog") && message.contains("delete"),
            "{message}"
        );
    }
}
