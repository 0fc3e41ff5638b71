//! Task-level tests of transactional state: what `StreamTask::commit_state`,
//! `close_dirty`, `restore_batch` and `committed_changelog_offsets` leave in a
//! task's stores, across reopening the task in the same state directory.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use streams_core::error::{ProcessError, StreamsError};
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::{ConsumedRecord, Headers, ProducedRecord, Record, RecordMetadata};
use streams_core::state::{KeyValueStoreBuilder, TimestampedKeyValueStore};
use streams_core::task::{RecordCollector, StreamTask, TaskConfig, TaskId};
use streams_core::topology::{TopicRef, Topology, TopologyBuilder};
use streams_state::{RocksDbShared, StateStoreError, ThreadCache, TopicPartition};

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

fn topology(persistent: bool, caching: bool) -> Topology {
    let mut builder = TopologyBuilder::new();
    let source = builder.add_source::<String, String>(
        "in",
        vec![TopicRef::External("in".into())],
        None,
        None,
    );
    let count = builder.add_processor("count", || Count, &[source]);
    let store = if persistent {
        KeyValueStoreBuilder::<String, i64>::persistent("counts")
    } else {
        KeyValueStoreBuilder::<String, i64>::in_memory("counts")
    };
    builder.add_state_store(store.with_caching(caching));
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

    /// The task's changelogs have two partitions.
    fn partitions(&mut self, _topic: &str) -> Result<i32, StreamsError> {
        Ok(2)
    }
}

const TASK: TaskId = TaskId {
    subtopology: 0,
    partition: 1,
};

fn changelog() -> TopicPartition {
    TopicPartition::new("app-counts-changelog", 1)
}

fn open_task(topology: &Topology, state_dir: &Path) -> Result<StreamTask, StreamsError> {
    StreamTask::new(
        topology,
        TASK,
        TaskConfig {
            application_id: Arc::from("app"),
            wall_clock_ms: 0,
            handlers: Default::default(),
            metrics: streams_core::metrics::MetricsRegistry::new(Default::default(), "app"),
            state_dir: state_dir.to_path_buf(),
            cache: ThreadCache::new(1024 * 1024),
            rocksdb: RocksDbShared::bounded(8 * 1024 * 1024, 4 * 1024 * 1024),
            global_stores: Default::default(),
        },
        Box::new(Captured::default()),
    )
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

fn committed_offset(task: &StreamTask) -> Option<i64> {
    let offsets = task.committed_changelog_offsets().unwrap();
    assert_eq!(offsets.len(), 1);
    assert_eq!(offsets[0].store, "counts");
    assert_eq!(offsets[0].partition, changelog());
    offsets[0].offset
}

fn expected(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// A commit makes the state durable with its offset; what was processed after
/// it is dropped by a dirty close (or a crash) and never reaches the disk.
fn commit_then_dirty_close(caching: bool) {
    let dir = tempfile::tempdir().unwrap();
    let topology = topology(true, caching);
    let mut task = open_task(&topology, dir.path()).unwrap();
    assert_eq!(committed_offset(&task), None);
    process(&mut task, &["a", "b", "a"]);
    task.flush_caches().unwrap();
    assert!(task.uncommitted_bytes() > 0, "written down, not committed");
    task.commit_state(&BTreeMap::from([(changelog(), 2)]))
        .unwrap();
    assert_eq!(task.uncommitted_bytes(), 0);
    assert_eq!(committed_offset(&task), Some(2));

    process(&mut task, &["c", "a"]);
    assert_eq!(counts(&mut task), expected(&[("a", 3), ("b", 1), ("c", 1)]));
    task.close_dirty().unwrap();
    drop(task);

    let mut reopened = open_task(&topology, dir.path()).unwrap();
    assert_eq!(committed_offset(&reopened), Some(2));
    assert_eq!(counts(&mut reopened), expected(&[("a", 2), ("b", 1)]));
}

#[test]
fn a_dirty_close_leaves_the_last_commit_and_its_offset() {
    commit_then_dirty_close(false);
}

#[test]
fn a_dirty_close_of_a_cached_store_leaves_the_last_commit_and_its_offset() {
    commit_then_dirty_close(true);
}

#[test]
fn a_crash_without_close_leaves_the_last_commit() {
    let dir = tempfile::tempdir().unwrap();
    let topology = topology(true, false);
    let mut task = open_task(&topology, dir.path()).unwrap();
    process(&mut task, &["a"]);
    task.commit_state(&BTreeMap::from([(changelog(), 0)]))
        .unwrap();
    process(&mut task, &["a", "b"]);
    // Neither closed nor committed: as if the process died here.
    drop(task);
    let mut reopened = open_task(&topology, dir.path()).unwrap();
    assert_eq!(committed_offset(&reopened), Some(0));
    assert_eq!(counts(&mut reopened), expected(&[("a", 1)]));
}

#[test]
fn a_store_whose_partition_is_absent_keeps_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    let topology = topology(true, false);
    let mut task = open_task(&topology, dir.path()).unwrap();
    process(&mut task, &["a"]);
    task.commit_state(&BTreeMap::from([(changelog(), 4)]))
        .unwrap();
    process(&mut task, &["b"]);
    let other = TopicPartition::new("app-counts-changelog", 0);
    task.commit_state(&BTreeMap::from([(other, 9)])).unwrap();
    assert_eq!(committed_offset(&task), Some(4));
    // flush() commits too, keeping offsets.
    process(&mut task, &["c"]);
    task.flush().unwrap();
    assert_eq!(task.uncommitted_bytes(), 0);
    assert_eq!(committed_offset(&task), Some(4));
    drop(task);
    let mut reopened = open_task(&topology, dir.path()).unwrap();
    assert_eq!(
        counts(&mut reopened),
        expected(&[("a", 1), ("b", 1), ("c", 1)])
    );
}

#[test]
fn restore_batches_commit_their_last_offset() {
    let dir = tempfile::tempdir().unwrap();
    let topology = topology(true, false);
    let mut task = open_task(&topology, dir.path()).unwrap();
    let value = |count: i64| {
        let mut bytes = 1000i64.to_be_bytes().to_vec();
        bytes.extend_from_slice(&count.to_be_bytes());
        bytes
    };
    task.restore_batch("counts", &[(b"a".to_vec(), Some(value(1)))], 3)
        .unwrap();
    assert_eq!(committed_offset(&task), Some(3));
    // The last offset may be a record without a key, past the last one applied.
    task.restore_batch("counts", &[(b"b".to_vec(), Some(value(2)))], 7)
        .unwrap();
    assert_eq!(task.uncommitted_bytes(), 0);
    drop(task);
    let mut reopened = open_task(&topology, dir.path()).unwrap();
    assert_eq!(committed_offset(&reopened), Some(7));
    assert!(reopened.store_is_persistent("counts"));
    let restored = counts(&mut reopened);
    assert_eq!(restored.len(), 2, "{restored:?}");
}

#[test]
fn in_memory_stores_report_no_offset() {
    let dir = tempfile::tempdir().unwrap();
    let topology = topology(false, false);
    let mut task = open_task(&topology, dir.path()).unwrap();
    process(&mut task, &["a"]);
    task.commit_state(&BTreeMap::from([(changelog(), 0)]))
        .unwrap();
    assert_eq!(
        committed_offset(&task),
        None,
        "restored from the start anyway"
    );
    process(&mut task, &["a"]);
    assert!(task.uncommitted_bytes() > 0);
    assert_eq!(counts(&mut task), expected(&[("a", 2)]));
    task.close_dirty().unwrap();
}

#[test]
fn opening_a_task_whose_store_is_open_fails_as_locked() {
    let dir = tempfile::tempdir().unwrap();
    let topology = topology(true, false);
    let first = open_task(&topology, dir.path()).unwrap();
    let error = match open_task(&topology, dir.path()) {
        Ok(_) => panic!("a second instance of the task opened its locked store"),
        Err(error) => error,
    };
    match &error {
        StreamsError::Store(store) => assert!(
            matches!(**store, StateStoreError::Locked { ref store, .. } if store == "counts"),
            "{store:?}"
        ),
        other => panic!("unexpected error {other:?}"),
    }
    drop(first);
    open_task(&topology, dir.path()).expect("opens once the first instance is gone");
}
