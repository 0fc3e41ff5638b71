//! The broker-backed runtime end to end: word count on one and on two
//! instances, restoration from checkpoints and from scratch, startup
//! failures, the state directory lock, leaving the group, what the
//! uncaught-exception handler does with a panic in user code, and
//! exactly-once (each word counted once through fencing and hand-overs; a
//! SIGKILLed instance restoring only the changelog after its stores' last
//! commit) and a source's own offset reset policy, against the harness's
//! cluster.

use integration_tests::{RawRecord, TestCluster, streams_config, unique};
use rdkafka::ClientConfig;
use rdkafka::producer::{BaseProducer, Producer};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use streams_core::runtime::{LOCK_FILE, PROCESS_METADATA_FILE, StreamThreadExceptionResponse};
use streams_core::serde::{I64Serde, Serde};
use streams_dsl::prelude::*;

const WAIT: Duration = Duration::from_secs(90);

/// Lines -> words -> counts per word (repartitioned by word, uncached so every
/// update reaches the changelog and the output). The line `panic` panics in
/// user code.
fn word_count(input: &str, output: &str) -> Topology {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>(input, Consumed::default())
        .flat_map_values(|line: String| {
            assert_ne!(line, "panic", "poison record");
            line.split_whitespace()
                .map(str::to_lowercase)
                .collect::<Vec<String>>()
        })
        .group_by(|_, word| word.clone())
        .count(Materialized::named("word-counts").with_caching_disabled())
        .to(output, Produced::default());
    builder.build().unwrap()
}

fn config(
    cluster: &TestCluster,
    application_id: &str,
    state_dir: &Path,
    threads: usize,
) -> StreamsConfig {
    config_with(cluster, application_id, state_dir, threads, &[])
}

fn config_with(
    cluster: &TestCluster,
    application_id: &str,
    state_dir: &Path,
    threads: usize,
    extra: &[(&str, &str)],
) -> StreamsConfig {
    let threads = threads.to_string();
    let settings: Vec<(&str, &str)> = [("num.stream.threads", threads.as_str())]
        .into_iter()
        .chain(extra.iter().copied())
        .collect();
    streams_config(cluster, application_id, state_dir, &settings)
}

/// The latest count of each word in the output records.
fn latest_counts(records: &[RawRecord]) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for (key, value) in records {
        let word = String::from_utf8(key.clone().unwrap()).unwrap();
        match value {
            Some(bytes) => counts.insert(word, I64Serde.deserialize(bytes).unwrap()),
            None => counts.remove(&word),
        };
    }
    counts
}

fn expected_counts(lines: &[(&str, &str)]) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for (_, line) in lines {
        for word in line.split_whitespace() {
            *counts.entry(word.to_lowercase()).or_insert(0) += 1;
        }
    }
    counts
}

fn lines(batch: usize, count: usize) -> Vec<(String, String)> {
    const WORDS: [&str; 7] = [
        "kafka", "streams", "rust", "state", "store", "topic", "task",
    ];
    (0..count)
        .map(|i| {
            let n = batch * 1000 + i;
            (
                format!("line-{n}"),
                format!(
                    "{} {} {}",
                    WORDS[n % 7],
                    WORDS[(n / 7) % 7],
                    WORDS[(n * 3) % 7]
                ),
            )
        })
        .collect()
}

fn as_refs(lines: &[(String, String)]) -> Vec<(&str, &str)> {
    lines
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

struct App {
    input: String,
    output: String,
    application_id: String,
    partitions: i32,
}

impl App {
    fn new(cluster: &TestCluster, partitions: i32) -> Self {
        let app = Self {
            input: unique("text"),
            output: unique("counts"),
            application_id: unique("wordcount"),
            partitions,
        };
        cluster.create_topic(&app.input, partitions);
        cluster.create_topic(&app.output, partitions);
        app
    }

    fn instance(&self, cluster: &TestCluster, state_dir: &Path, threads: usize) -> KafkaStreams {
        self.instance_with(cluster, state_dir, threads, &[])
    }

    fn instance_with(
        &self,
        cluster: &TestCluster,
        state_dir: &Path,
        threads: usize,
        extra: &[(&str, &str)],
    ) -> KafkaStreams {
        KafkaStreams::new(
            word_count(&self.input, &self.output),
            config_with(cluster, &self.application_id, state_dir, threads, extra),
        )
        .unwrap()
    }

    /// Two one-thread instances in `dirs`, started one after the other and
    /// both running once the group settled.
    fn running_pair(
        &self,
        cluster: &TestCluster,
        dirs: &[tempfile::TempDir; 2],
    ) -> (KafkaStreams, KafkaStreams) {
        self.running_pair_with(cluster, dirs, &[])
    }

    /// [`running_pair`](Self::running_pair) with `extra` settings.
    fn running_pair_with(
        &self,
        cluster: &TestCluster,
        dirs: &[tempfile::TempDir; 2],
        extra: &[(&str, &str)],
    ) -> (KafkaStreams, KafkaStreams) {
        let mut first = self.instance_with(cluster, dirs[0].path(), 1, extra);
        let mut second = self.instance_with(cluster, dirs[1].path(), 1, extra);
        first.start().unwrap();
        first.wait_until_running(WAIT).unwrap();
        second.start().unwrap();
        second.wait_until_running(WAIT).unwrap();
        first.wait_until_running(WAIT).unwrap();
        (first, second)
    }

    fn wait_for_counts(&self, cluster: &TestCluster, expected: &BTreeMap<String, i64>) {
        let mut reader = cluster.reader(&self.output, self.partitions);
        reader.read_until(WAIT, "the final word counts", |records| {
            latest_counts(records) == *expected
        });
    }
}

#[test]
fn word_count_end_to_end_with_state_listener() {
    let cluster = TestCluster::start();
    let app = App::new(&cluster, 2);
    let state_dir = tempfile::tempdir().unwrap();
    let mut streams = app.instance(&cluster, state_dir.path(), 2);
    let transitions = Arc::new(Mutex::new(Vec::new()));
    let seen = transitions.clone();
    streams.set_state_listener(move |new, old| seen.lock().unwrap().push((old, new)));
    assert_eq!(streams.state(), StreamsState::Created);
    streams.start().unwrap();
    streams.wait_until_running(WAIT).unwrap();

    let input = lines(0, 200);
    cluster.produce(&app.input, &as_refs(&input));
    let expected = expected_counts(&as_refs(&input));
    app.wait_for_counts(&cluster, &expected);

    streams.close(WAIT).unwrap();
    assert_eq!(streams.state(), StreamsState::NotRunning);
    let metrics = streams.metrics();
    // 200 lines, then 600 words after the repartition topic.
    assert_eq!(metrics.tasks.processed_records, 800, "{metrics:?}");
    let transitions = transitions.lock().unwrap().clone();
    assert_eq!(
        transitions.first(),
        Some(&(StreamsState::Created, StreamsState::Rebalancing))
    );
    assert!(transitions.contains(&(StreamsState::Rebalancing, StreamsState::Running)));
    assert_eq!(
        &transitions[transitions.len() - 2..],
        [
            (StreamsState::Running, StreamsState::PendingShutdown),
            (StreamsState::PendingShutdown, StreamsState::NotRunning)
        ]
    );
    assert!(
        state_dir
            .path()
            .join(&app.application_id)
            .join("1_0")
            .join(".checkpoint")
            .exists(),
        "the stateful task checkpointed its store"
    );
}

#[test]
fn two_instances_share_the_work_with_exact_counts() {
    let cluster = TestCluster::start();
    let app = App::new(&cluster, 4);
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let (mut first, mut second) = app.running_pair(&cluster, &dirs);

    let input = lines(0, 400);
    cluster.produce(&app.input, &as_refs(&input));
    app.wait_for_counts(&cluster, &expected_counts(&as_refs(&input)));

    first.close(WAIT).unwrap();
    second.close(WAIT).unwrap();
    let (a, b) = (first.metrics().tasks, second.metrics().tasks);
    assert!(
        a.processed_records > 0 && b.processed_records > 0,
        "both instances worked: {a:?} {b:?}"
    );
    assert_eq!(a.processed_records + b.processed_records, 400 + 1200);
}

#[test]
fn three_instances_share_the_work_with_exact_counts() {
    let cluster = TestCluster::start();
    let app = App::new(&cluster, 6);
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut instances: Vec<_> = dirs
        .iter()
        .map(|dir| app.instance(&cluster, dir.path(), 1))
        .collect();
    for instance in &mut instances {
        instance.start().unwrap();
    }
    // Each join rebalances the group: wait until all three settled together.
    for instance in &instances {
        instance.wait_until_running(WAIT).unwrap();
    }

    let input = lines(0, 600);
    cluster.produce(&app.input, &as_refs(&input));
    app.wait_for_counts(&cluster, &expected_counts(&as_refs(&input)));

    for instance in &mut instances {
        instance.close(WAIT).unwrap();
    }
    let processed: Vec<u64> = instances
        .iter()
        .map(|i| i.metrics().tasks.processed_records)
        .collect();
    assert!(
        processed.iter().all(|&p| p > 0),
        "every instance worked: {processed:?}"
    );
    assert_eq!(processed.iter().sum::<u64>(), 600 + 1800);
}

#[test]
fn an_instance_stopped_mid_stream_and_another_started_keep_counts_exact() {
    let cluster = TestCluster::start();
    let app = App::new(&cluster, 4);
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut first = app.instance(&cluster, dirs[0].path(), 1);
    let mut second = app.instance(&cluster, dirs[1].path(), 2);
    first.start().unwrap();
    second.start().unwrap();
    first.wait_until_running(WAIT).unwrap();
    second.wait_until_running(WAIT).unwrap();

    let batch0 = lines(0, 150);
    cluster.produce(&app.input, &as_refs(&batch0));
    let mut all = as_refs(&batch0);
    app.wait_for_counts(&cluster, &expected_counts(&all));

    // The second instance leaves; its tasks move to the first.
    second.close(WAIT).unwrap();
    let batch1 = lines(1, 150);
    cluster.produce(&app.input, &as_refs(&batch1));
    all.extend(as_refs(&batch1));
    app.wait_for_counts(&cluster, &expected_counts(&all));

    // A third instance joins and takes some tasks over, restoring their state.
    let mut third = app.instance(&cluster, dirs[2].path(), 1);
    third.start().unwrap();
    third.wait_until_running(WAIT).unwrap();
    first.wait_until_running(WAIT).unwrap();
    let batch2 = lines(2, 150);
    cluster.produce(&app.input, &as_refs(&batch2));
    all.extend(as_refs(&batch2));
    app.wait_for_counts(&cluster, &expected_counts(&all));
    first.close(WAIT).unwrap();
    third.close(WAIT).unwrap();
    assert!(
        third.metrics().restored_records > 0,
        "{:?}",
        third.metrics()
    );
    assert!(
        third.metrics().tasks.processed_records > 0,
        "{:?}",
        third.metrics()
    );
}

#[test]
fn full_buffers_that_drain_are_not_paused_and_no_record_is_lost() {
    let cluster = TestCluster::start();
    let app = App::new(&cluster, 1);
    let input = lines(0, 2000);
    // Everything is in the topic before the application starts, so every poll
    // could fill the buffer far beyond the bound.
    cluster.produce(&app.input, &as_refs(&input));
    let dir = tempfile::tempdir().unwrap();
    let mut streams = app.instance_with(
        &cluster,
        dir.path(),
        1,
        &[("buffered.records.per.partition", "10")],
    );
    streams.start().unwrap();
    app.wait_for_counts(&cluster, &expected_counts(&as_refs(&input)));
    streams.close(WAIT).unwrap();
    let metrics = streams.metrics();
    // Polling stops at a full buffer and the task drains it in the same round:
    // pausing would only make librdkafka drop and refetch the partition.
    assert_eq!(metrics.partition_pauses, 0, "{metrics:?}");
    assert_eq!(metrics.tasks.processed_records, 2000 + 6000);
}

#[test]
fn a_full_partition_whose_task_waits_for_another_input_is_paused() {
    let cluster = TestCluster::start();
    let busy = unique("busy");
    let empty = unique("empty");
    let output = unique("merged");
    for topic in [&busy, &empty, &output] {
        cluster.create_topic(topic, 1);
    }
    let input = lines(0, 200);
    cluster.produce(&busy, &as_refs(&input));
    let builder = StreamsBuilder::new();
    let first = builder.stream::<String, String>(&busy, Consumed::default());
    let second = builder.stream::<String, String>(&empty, Consumed::default());
    first.merge(&second).to(&output, Produced::default());
    let dir = tempfile::tempdir().unwrap();
    // The task waits up to max.task.idle.ms for the empty input while the busy
    // partition's buffer stays full: that partition is paused meanwhile.
    let mut streams = KafkaStreams::new(
        builder.build().unwrap(),
        config_with(
            &cluster,
            &unique("merge"),
            dir.path(),
            1,
            &[
                ("buffered.records.per.partition", "10"),
                ("max.task.idle.ms", "2000"),
            ],
        ),
    )
    .unwrap();
    streams.start().unwrap();
    cluster
        .reader(&output, 1)
        .read_until(WAIT, "every merged record", |records| {
            records.len() >= input.len()
        });
    streams.close(WAIT).unwrap();
    let metrics = streams.metrics();
    assert!(metrics.partition_pauses > 0, "{metrics:?}");
    assert_eq!(metrics.tasks.processed_records, 200);
}

#[test]
fn a_restart_with_a_checkpoint_restores_only_the_tail() {
    let cluster = TestCluster::start();
    let app = App::new(&cluster, 1);
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());

    // Instance A counts batch 0 and stops with a checkpoint.
    let batch0 = lines(0, 50);
    let mut a = app.instance(&cluster, dir_a.path(), 1);
    a.start().unwrap();
    a.wait_until_running(WAIT).unwrap();
    cluster.produce(&app.input, &as_refs(&batch0));
    let mut all = as_refs(&batch0);
    app.wait_for_counts(&cluster, &expected_counts(&all));
    a.close(WAIT).unwrap();
    assert_eq!(a.metrics().restored_records, 0);

    // Instance B, with its own empty state, restores everything A logged and
    // counts batch 1.
    let batch1 = lines(1, 20);
    let mut b = app.instance(&cluster, dir_b.path(), 1);
    b.start().unwrap();
    b.wait_until_running(WAIT).unwrap();
    assert_eq!(
        b.metrics().restored_records,
        150,
        "one changelog record per word of batch 0"
    );
    cluster.produce(&app.input, &as_refs(&batch1));
    all.extend(as_refs(&batch1));
    app.wait_for_counts(&cluster, &expected_counts(&all));
    b.close(WAIT).unwrap();

    // A again: its checkpoint covers batch 0, so only B's 60 updates are read.
    let mut a = app.instance(&cluster, dir_a.path(), 1);
    a.start().unwrap();
    a.wait_until_running(WAIT).unwrap();
    assert_eq!(
        a.metrics().restored_records,
        60,
        "only the tail after the checkpoint"
    );
    let batch2 = lines(2, 10);
    cluster.produce(&app.input, &as_refs(&batch2));
    all.extend(as_refs(&batch2));
    app.wait_for_counts(&cluster, &expected_counts(&all));
    a.close(WAIT).unwrap();
}

#[test]
fn deleting_the_state_directory_restores_everything_from_the_changelog() {
    let cluster = TestCluster::start();
    let app = App::new(&cluster, 2);
    let dir = tempfile::tempdir().unwrap();
    let batch0 = lines(0, 40);
    let mut streams = app.instance(&cluster, dir.path(), 1);
    streams.start().unwrap();
    streams.wait_until_running(WAIT).unwrap();
    cluster.produce(&app.input, &as_refs(&batch0));
    let mut all = as_refs(&batch0);
    app.wait_for_counts(&cluster, &expected_counts(&all));
    assert!(streams.cleanup().is_err(), "no cleanup while running");
    streams.close(WAIT).unwrap();
    streams.cleanup().unwrap();
    assert!(!dir.path().join(&app.application_id).exists());

    let mut restarted = app.instance(&cluster, dir.path(), 1);
    restarted.start().unwrap();
    restarted.wait_until_running(WAIT).unwrap();
    assert_eq!(
        restarted.metrics().restored_records,
        120,
        "every changelog record"
    );
    let batch1 = lines(1, 10);
    cluster.produce(&app.input, &as_refs(&batch1));
    all.extend(as_refs(&batch1));
    // Counts continue from the restored state, so they end exactly right.
    app.wait_for_counts(&cluster, &expected_counts(&all));
    restarted.close(WAIT).unwrap();
}

#[test]
fn a_join_over_topics_with_different_partition_counts_fails_at_startup() {
    let cluster = TestCluster::start();
    let (clicks, users, out) = (unique("clicks"), unique("users"), unique("enriched"));
    cluster.create_topic(&clicks, 4);
    cluster.create_topic(&users, 2);
    let builder = StreamsBuilder::new();
    let table =
        builder.table::<String, String>(&users, Consumed::default(), Materialized::named("users"));
    builder
        .stream::<String, String>(&clicks, Consumed::default())
        .join(&table, |click, user| format!("{user}: {click}"))
        .to(&out, Produced::default());
    let dir = tempfile::tempdir().unwrap();
    let mut streams = KafkaStreams::new(
        builder.build().unwrap(),
        config(&cluster, &unique("join"), dir.path(), 1),
    )
    .unwrap();
    let error = streams.start().unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, RuntimeError::CoPartitioning { .. }),
        "{message}"
    );
    assert!(
        message.contains(&format!("'{clicks}' (4 partitions)"))
            && message.contains(&format!("'{users}' (2 partitions)"))
            && message.contains("same number of partitions"),
        "{message}"
    );
    assert_eq!(streams.state(), StreamsState::Error);
}

#[test]
fn a_record_that_does_not_deserialize_stops_the_instance_naming_where_it_was() {
    let cluster = TestCluster::start();
    let app = App::new(&cluster, 1);
    let dir = tempfile::tempdir().unwrap();
    let mut streams = app.instance(&cluster, dir.path(), 1);
    streams.start().unwrap();
    streams.wait_until_running(WAIT).unwrap();
    cluster.produce(&app.input, &[(b"line-0".to_vec(), b"fine words".to_vec())]);
    cluster.produce(&app.input, &[(b"line-1".to_vec(), vec![0xff, 0xfe])]);
    let (state, reached) = streams.wait_for_state(WAIT, |s| s == StreamsState::Error);
    assert!(reached, "the instance failed (state {state:?})");
    let failure = streams.failure().expect("the failure is kept").to_string();
    assert!(
        failure.contains("failed to deserialize the value")
            && failure.contains(&format!("topic '{}' partition 0 offset 1", app.input)),
        "{failure}"
    );
    let closed = streams.close(WAIT).unwrap_err().to_string();
    assert!(
        closed.contains("Error") && closed.contains("failed to deserialize the value"),
        "close reports how the instance ended: {closed}"
    );
    assert_eq!(streams.state(), StreamsState::Error);
}

#[test]
fn log_and_continue_skips_a_record_that_does_not_deserialize() {
    let cluster = TestCluster::start();
    let app = App::new(&cluster, 1);
    let dir = tempfile::tempdir().unwrap();
    let mut streams = app.instance_with(
        &cluster,
        dir.path(),
        1,
        &[("deserialization.exception.handler", "log_and_continue")],
    );
    streams.start().unwrap();
    streams.wait_until_running(WAIT).unwrap();
    cluster.produce(&app.input, &[(b"line-0".to_vec(), vec![0xff, 0xfe])]);
    cluster.produce(&app.input, &[("line-1", "still counted")]);
    app.wait_for_counts(&cluster, &expected_counts(&[("line-1", "still counted")]));
    streams.close(WAIT).unwrap();
    assert_eq!(streams.metrics().tasks.skipped_records, 1);
}

#[test]
fn startup_creates_internal_topics_with_their_partitions_and_configs() {
    let cluster = TestCluster::start();
    let app = App::new(&cluster, 3);
    let dir = tempfile::tempdir().unwrap();
    let mut streams = app.instance(&cluster, dir.path(), 1);
    streams.start().unwrap();
    let repartition = format!("{}-word-counts-repartition", app.application_id);
    let changelog = format!("{}-word-counts-changelog", app.application_id);
    assert_eq!(cluster.partition_count(&repartition), Some(3));
    assert_eq!(cluster.partition_count(&changelog), Some(3));
    assert_eq!(
        cluster
            .topic_config(&changelog, "cleanup.policy")
            .as_deref(),
        Some("compact")
    );
    assert_eq!(
        cluster
            .topic_config(&repartition, "cleanup.policy")
            .as_deref(),
        Some("delete")
    );
    streams.wait_until_running(WAIT).unwrap();
    streams.close(WAIT).unwrap();
}

#[test]
fn an_internal_topic_with_the_wrong_partition_count_fails_at_startup() {
    let cluster = TestCluster::start();
    let app = App::new(&cluster, 3);
    let changelog = format!("{}-word-counts-changelog", app.application_id);
    cluster.create_topic(&changelog, 1);
    let dir = tempfile::tempdir().unwrap();
    let mut streams = app.instance(&cluster, dir.path(), 1);
    let error = streams.start().unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(
            error,
            RuntimeError::InternalTopicPartitions {
                expected: 3,
                actual: 1,
                ..
            }
        ),
        "{message}"
    );
    assert!(
        message.contains(&changelog) && message.contains("delete it"),
        "{message}"
    );
    assert_eq!(streams.state(), StreamsState::Error);
}

#[test]
fn a_second_instance_on_the_same_state_directory_fails_at_startup_naming_it() {
    let cluster = TestCluster::start();
    let app = App::new(&cluster, 1);
    let dir = tempfile::tempdir().unwrap();
    let mut first = app.instance(&cluster, dir.path(), 1);
    first.start().unwrap();
    first.wait_until_running(WAIT).unwrap();
    assert!(
        dir.path()
            .join(&app.application_id)
            .join(LOCK_FILE)
            .exists()
    );

    let mut second = app.instance(&cluster, dir.path(), 1);
    let error = second.start().unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, RuntimeError::StateDirectoryLocked { .. }),
        "{message}"
    );
    assert!(
        message.contains(&app.application_id) && message.contains("state.dir"),
        "{message}"
    );
    assert_eq!(second.state(), StreamsState::Error);
    assert_eq!(
        first.state(),
        StreamsState::Running,
        "the first one is untouched"
    );

    first.close(WAIT).unwrap();
    let mut third = app.instance(&cluster, dir.path(), 1);
    third.start().unwrap();
    third.wait_until_running(WAIT).unwrap();
    third.close(WAIT).unwrap();
}

#[test]
fn an_instance_without_partitions_leaves_the_group_without_waiting_for_the_leave_timeout() {
    let cluster = TestCluster::start();
    // One partition for two instances: one of them has nothing assigned.
    let app = App::new(&cluster, 1);
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let (mut first, mut second) = app.running_pair(&cluster, &dirs);
    cluster.produce(&app.input, &[("line-0", "fine words")]);
    cluster
        .reader(&app.output, 1)
        .read_until(WAIT, "the count", |records| !records.is_empty());
    let deadline = std::time::Instant::now() + WAIT;
    while first.metrics().tasks.processed_records + second.metrics().tasks.processed_records == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "no instance reported its commit"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (idle, busy) = if first.metrics().tasks.processed_records == 0 {
        (&mut first, &mut second)
    } else {
        (&mut second, &mut first)
    };
    // A stream thread waits up to 10 s for the group to take its partitions
    // back; with none assigned it must not wait at all, so closes bounded well
    // below that succeed.
    let bound = Duration::from_secs(8);
    idle.close(bound).unwrap();
    busy.close(bound).unwrap();
}

#[test]
fn by_default_a_panicking_record_shuts_the_instance_down_naming_task_record_and_message() {
    let cluster = TestCluster::start();
    let app = App::new(&cluster, 1);
    let dir = tempfile::tempdir().unwrap();
    let mut streams = app.instance(&cluster, dir.path(), 1);
    streams.start().unwrap();
    streams.wait_until_running(WAIT).unwrap();
    cluster.produce(&app.input, &[("line-0", "fine words"), ("line-1", "panic")]);
    let (state, reached) = streams.wait_for_state(WAIT, |s| s == StreamsState::Error);
    assert!(reached, "the instance failed (state {state:?})");
    let failure = streams.failure().expect("the failure is kept").to_string();
    assert!(
        failure.contains("task 0_0 failed")
            && failure.contains(&format!("topic '{}' partition 0 offset 1", app.input))
            && failure.contains("panicked: ")
            && failure.contains("poison record"),
        "{failure}"
    );
    let closed = streams.close(WAIT).unwrap_err().to_string();
    assert!(closed.contains("poison record"), "{closed}");
}

#[test]
fn shutdown_application_stops_every_instance_of_the_application() {
    let cluster = TestCluster::start();
    let app = App::new(&cluster, 2);
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let mut instances: Vec<KafkaStreams> = dirs
        .iter()
        .map(|dir| app.instance(&cluster, dir.path(), 1))
        .collect();
    for instance in &mut instances {
        instance
            .set_uncaught_exception_handler(|error| match error {
                RuntimeError::TaskFailed { .. } => {
                    StreamThreadExceptionResponse::ShutdownApplication
                }
                _ => StreamThreadExceptionResponse::ShutdownClient,
            })
            .unwrap();
        instance.start().unwrap();
    }
    for instance in &instances {
        instance.wait_until_running(WAIT).unwrap();
    }
    // Keys on both partitions, one of them poisoned.
    let records: Vec<(String, String)> = (0..20)
        .map(|n| (format!("key-{n}"), "fine".to_string()))
        .collect();
    cluster.produce(&app.input, &records);
    cluster.produce(&app.input, &[("key-3", "panic")]);
    for instance in &instances {
        let (state, reached) = instance.wait_for_state(WAIT, |s| s == StreamsState::Error);
        assert!(reached, "every instance shut down (one is {state:?})");
    }
    let failures: Vec<String> = instances
        .iter()
        .map(|i| i.failure().expect("a failure").to_string())
        .collect();
    assert!(
        failures.iter().all(|f| f.contains("poison record")),
        "each names the panic: {failures:?}"
    );
    assert!(
        failures
            .iter()
            .any(|f| f.contains("shut the whole application down")),
        "the other instance was shut down by the request: {failures:?}"
    );
    for instance in &mut instances {
        assert!(instance.close(WAIT).is_err(), "close reports the failure");
    }
}

const EXACTLY_ONCE: [(&str, &str); 1] = [("processing.guarantee", "exactly_once_v2")];

/// The count updates of each word in the output, in order (what a
/// `read_committed` reader sees: the harness's reader uses librdkafka's default).
fn count_updates(records: &[RawRecord]) -> BTreeMap<String, Vec<i64>> {
    let mut updates: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (key, value) in records {
        let word = String::from_utf8(key.clone().unwrap()).unwrap();
        let count = I64Serde.deserialize(value.as_ref().unwrap()).unwrap();
        updates.entry(word).or_default().push(count);
    }
    updates
}

/// Reads the output until every word reached its expected count, then checks
/// that each word's updates are exactly 1, 2, ..., n: no update lost, none
/// repeated (each input word counted once).
fn assert_counted_exactly_once(app: &App, cluster: &TestCluster, lines: &[(&str, &str)]) {
    let expected = expected_counts(lines);
    let mut reader = cluster.reader(&app.output, app.partitions);
    let records = reader
        .read_until(WAIT, "the final word counts", |records| {
            latest_counts(records) == expected
        })
        .to_vec();
    for (word, updates) in count_updates(&records) {
        let once: Vec<i64> = (1..=expected[&word]).collect();
        assert_eq!(updates, once, "the updates of '{word}'");
    }
}

#[test]
fn exactly_once_counts_every_word_once_for_read_committed_readers() {
    let cluster = TestCluster::start();
    let app = App::new(&cluster, 2);
    let dir = tempfile::tempdir().unwrap();
    let mut streams = app.instance_with(&cluster, dir.path(), 2, &EXACTLY_ONCE);
    streams.start().unwrap();
    streams.wait_until_running(WAIT).unwrap();
    let input = lines(0, 300);
    cluster.produce(&app.input, &as_refs(&input));
    assert_counted_exactly_once(&app, &cluster, &as_refs(&input));
    streams.close(WAIT).unwrap();
    let metrics = streams.metrics();
    assert_eq!(metrics.tasks.processed_records, 300 + 900, "{metrics:?}");
    assert_eq!(metrics.aborted_transactions, 0, "{metrics:?}");
}

#[test]
fn under_exactly_once_a_fenced_producer_rejoins_and_the_output_stays_exact() {
    let cluster = TestCluster::start();
    let app = App::new(&cluster, 1);
    let dir = tempfile::tempdir().unwrap();
    let mut streams = app.instance_with(&cluster, dir.path(), 1, &EXACTLY_ONCE);
    streams.start().unwrap();
    streams.wait_until_running(WAIT).unwrap();
    let batch0 = lines(0, 50);
    cluster.produce(&app.input, &as_refs(&batch0));
    let mut all = as_refs(&batch0);
    app.wait_for_counts(&cluster, &expected_counts(&all));

    // A zombie's successor takes the thread's transactional id: the
    // process id from the state directory, thread 1.
    let metadata = std::fs::read_to_string(
        dir.path()
            .join(&app.application_id)
            .join(PROCESS_METADATA_FILE),
    )
    .unwrap();
    let process_id = metadata
        .split('"')
        .nth(3)
        .expect("the process id in the metadata file")
        .to_string();
    let fencer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", cluster.bootstrap_servers())
        .set(
            "transactional.id",
            format!("{}-{process_id}-1", app.application_id),
        )
        .create()
        .unwrap();
    fencer.init_transactions(WAIT).unwrap();

    let batch1 = lines(1, 50);
    cluster.produce(&app.input, &as_refs(&batch1));
    all.extend(as_refs(&batch1));
    assert_counted_exactly_once(&app, &cluster, &all);
    assert!(
        streams.metrics().task_migrations >= 1,
        "the fenced thread lost its tasks and rejoined: {:?}",
        streams.metrics()
    );
    assert_eq!(streams.state(), StreamsState::Running);
    streams.close(WAIT).unwrap();
}

#[test]
fn under_exactly_once_an_instance_leaving_mid_stream_hands_over_exactly() {
    let cluster = TestCluster::start();
    let app = App::new(&cluster, 4);
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let (mut first, mut second) = app.running_pair_with(&cluster, &dirs, &EXACTLY_ONCE);
    let batch0 = lines(0, 150);
    cluster.produce(&app.input, &as_refs(&batch0));
    let mut all = as_refs(&batch0);
    app.wait_for_counts(&cluster, &expected_counts(&all));
    second.close(WAIT).unwrap();
    let batch1 = lines(1, 150);
    cluster.produce(&app.input, &as_refs(&batch1));
    all.extend(as_refs(&batch1));
    assert_counted_exactly_once(&app, &cluster, &all);
    first.close(WAIT).unwrap();
}

/// Set in the child process of
/// `under_exactly_once_a_killed_instance_restores_only_the_changelog_tail`:
/// input, output, application id and state directory, separated by `|`.
const KILLED_CHILD: &str = "RSTREAMS_RUNTIME_KILLED_CHILD";

/// The instance that is killed with SIGKILL: it runs the word count under
/// exactly-once until it dies. Does nothing unless started as that child
/// (the parent runs this test binary again with only this test).
#[test]
fn child_instance_run_until_killed() {
    let Ok(spec) = std::env::var(KILLED_CHILD) else {
        return;
    };
    let parts: Vec<&str> = spec.split('|').collect();
    let [input, output, application_id, state_dir] = parts[..] else {
        panic!("{KILLED_CHILD} has four parts: {spec}");
    };
    let cluster = TestCluster::start();
    let app = App {
        input: input.to_string(),
        output: output.to_string(),
        application_id: application_id.to_string(),
        partitions: 1,
    };
    let mut streams = app.instance_with(&cluster, Path::new(state_dir), 1, &EXACTLY_ONCE);
    streams.start().unwrap();
    streams.wait_until_running(WAIT).unwrap();
    println!("running");
    // Parked until the parent kills the process; a bounded park so a child
    // whose parent died does not stay forever.
    std::thread::park_timeout(Duration::from_secs(300));
}

/// A child process, killed (SIGKILL) when the test ends early.
struct KilledOnDrop(std::process::Child);

impl Drop for KilledOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn under_exactly_once_a_killed_instance_restores_only_the_changelog_tail() {
    let cluster = TestCluster::start();
    let app = App::new(&cluster, 1);
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());

    // Instance A, in a child process, counts batch 0 and one more line (so
    // its last transaction holds at most one changelog record), then is
    // killed with SIGKILL.
    let spec = format!(
        "{}|{}|{}|{}",
        app.input,
        app.output,
        app.application_id,
        dir_a.path().display()
    );
    let mut child = KilledOnDrop(
        std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child_instance_run_until_killed", "--nocapture"])
            .env(KILLED_CHILD, spec)
            .env("KAFKA_BOOTSTRAP_SERVERS", cluster.bootstrap_servers())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let batch0 = lines(0, 50);
    cluster.produce(&app.input, &as_refs(&batch0));
    let mut all = as_refs(&batch0);
    app.wait_for_counts(&cluster, &expected_counts(&all));
    cluster.produce(&app.input, &[("last", "kafka")]);
    all.push(("last", "kafka"));
    app.wait_for_counts(&cluster, &expected_counts(&all));
    child.0.kill().unwrap();
    child.0.wait().unwrap();

    // Instance B, with its own empty state, restores everything A logged
    // (151 committed updates) and counts batch 1 (60 more).
    let mut b = app.instance_with(&cluster, dir_b.path(), 1, &EXACTLY_ONCE);
    b.start().unwrap();
    b.wait_until_running(WAIT).unwrap();
    assert_eq!(b.metrics().restored_records, 151);
    let batch1 = lines(1, 20);
    cluster.produce(&app.input, &as_refs(&batch1));
    all.extend(as_refs(&batch1));
    app.wait_for_counts(&cluster, &expected_counts(&all));
    b.close(WAIT).unwrap();

    // A's state directory again: its store is at its last commit, so only
    // B's 60 updates are restored (61 if A died between committing its last
    // transaction and its store), not the whole changelog (211) as when a
    // crash under exactly-once wiped the state.
    let mut a = app.instance_with(&cluster, dir_a.path(), 1, &EXACTLY_ONCE);
    a.start().unwrap();
    a.wait_until_running(WAIT).unwrap();
    let restored = a.metrics().restored_records;
    assert!(
        (60..=61).contains(&restored),
        "only the tail after the store's commit: {restored}"
    );
    let batch2 = lines(2, 10);
    cluster.produce(&app.input, &as_refs(&batch2));
    all.extend(as_refs(&batch2));
    assert_counted_exactly_once(&app, &cluster, &all);
    a.close(WAIT).unwrap();
}

#[test]
fn a_source_with_the_latest_offset_reset_skips_what_its_topic_held_before() {
    let cluster = TestCluster::start();
    let from_earliest = unique("reset-earliest");
    let from_latest = unique("reset-latest");
    let output = unique("reset-out");
    for topic in [&from_earliest, &from_latest, &output] {
        cluster.create_topic(topic, 1);
    }
    cluster.produce(&from_earliest, &[("e", "before")]);
    cluster.produce(&from_latest, &[("l", "before")]);
    let builder = StreamsBuilder::new();
    let earliest = builder.stream::<String, String>(&from_earliest, Consumed::default());
    let latest = builder.stream::<String, String>(
        &from_latest,
        Consumed::default().with_offset_reset_policy(OffsetResetPolicy::Latest),
    );
    earliest.merge(&latest).to(&output, Produced::default());
    let state_dir = tempfile::tempdir().unwrap();
    let config = config(&cluster, &unique("reset-app"), state_dir.path(), 1);
    let mut streams = KafkaStreams::new(builder.build().unwrap(), config).unwrap();
    streams.start().unwrap();
    streams.wait_until_running(WAIT).unwrap();
    let mut reader = cluster.reader(&output, 1);
    let record = |key: &str, value: &str| {
        (
            Some(key.as_bytes().to_vec()),
            Some(value.as_bytes().to_vec()),
        )
    };
    // The application's default, earliest, reads what was there; once that is
    // through, both partitions are being fetched.
    reader.read_until(WAIT, "the earliest source's old record", |records| {
        records.contains(&record("e", "before"))
    });
    // Where the latest source starts is resolved after its partition is
    // assigned: new records are written until one comes through.
    let deadline = std::time::Instant::now() + WAIT;
    let mut written = 0;
    let read = loop {
        cluster.produce(&from_latest, &[("l", format!("after-{written}"))]);
        written += 1;
        let read = reader.read_for(Duration::from_millis(500));
        if read
            .iter()
            .any(|(key, _)| key.as_deref() == Some(b"l".as_slice()))
        {
            break read.to_vec();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "none of {written} new records of the latest source came through"
        );
    };
    assert!(
        !read.contains(&record("l", "before")),
        "the latest source started after its old record: {read:?}"
    );
    streams.close(WAIT).unwrap();
}
