//! Unit tests of the stream thread, its task manager and the at-least-once
//! commit on the fake cluster: no broker, every fault injected on purpose.

use super::*;
use crate::error::StreamsError;
use crate::runtime::fake_cluster::{Fault, producer_error};
use crate::runtime::producer_error::ErrorClass;
use crate::runtime::task_checkpoint::CHECKPOINT_FILE;
use crate::runtime::test_support::{CHANGELOG, Harness, INPUT, count_topology, process, task_on};
use crate::task::TaskId;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use std::collections::BTreeMap;
use streams_state::OffsetCheckpoint;

fn task(partition: i32) -> TaskId {
    TaskId {
        subtopology: 0,
        partition,
    }
}

fn counts(entries: &[(&str, i64)]) -> BTreeMap<String, i64> {
    entries.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

fn input(partition: i32) -> TopicPartition {
    TopicPartition::new(INPUT, partition)
}

#[test]
fn processes_commits_and_checkpoints_at_least_once() {
    let harness = Harness::new(2, &[]);
    for (partition, key) in [(0, "a"), (1, "c"), (0, "a"), (0, "b"), (1, "d")] {
        harness.produce(partition, key, "x");
    }
    let mut thread = harness.thread();
    let cluster = &harness.cluster;
    harness.run_until(&mut thread, "the input being committed", |_| {
        cluster.committed(INPUT, 0) == Some(3) && cluster.committed(INPUT, 1) == Some(2)
    });
    assert_eq!(
        harness.output_counts(2, false),
        counts(&[("a", 2), ("b", 1), ("c", 1), ("d", 1)])
    );
    let (consumer_commits, transactions, _) = cluster.commit_counts();
    assert!(consumer_commits >= 1);
    assert_eq!(
        transactions, 0,
        "at-least-once commits offsets through the consumer"
    );
    assert_eq!(
        harness.shared.threads.lock().unwrap()[0],
        ThreadState::Running
    );
    thread.close(true).unwrap();
    let checkpoint = OffsetCheckpoint::new(
        harness
            .dir
            .path()
            .join("app")
            .join("0_0")
            .join(CHECKPOINT_FILE),
    )
    .read()
    .unwrap();
    assert_eq!(
        checkpoint.get(&TopicPartition::new(CHANGELOG, 0)),
        Some(&2),
        "the three changelog writes of task 0_0 are acknowledged and checkpointed at close"
    );
    assert!(harness.supplier.member(0).lock().unwrap().is_closed());
    assert!(
        harness.shared.directory.lock_task(task(0), u64::MAX),
        "closing released the task"
    );
}

#[test]
fn tasks_already_restored_process_while_another_still_restores() {
    let harness = Harness::new(2, &[]);
    // An earlier owner of task 0_1 left 30 changelog records (read 3 per step).
    let earlier = tempfile::tempdir().unwrap();
    let topology = count_topology(true);
    let mut previous = task_on(&harness.cluster, &topology, earlier.path(), 1);
    let keys: Vec<String> = (0..30).map(|i| format!("r{i}")).collect();
    process(
        &mut previous.task,
        &keys.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    for _ in 0..3 {
        harness.produce(0, "a", "x");
    }
    harness.produce(1, "c", "x");
    let mut thread = harness.thread();
    let member = harness.supplier.member(0);
    harness.run_until(
        &mut thread,
        "task 0_0 processing while 0_1 restores",
        |thread| {
            thread.tasks().restoring_ids() == [task(1)]
                && harness.output_counts(2, false).get("a") == Some(&3)
        },
    );
    assert_eq!(
        member.lock().unwrap().paused(),
        [input(1)],
        "the restoring task's input waits"
    );
    assert_eq!(
        harness.shared.threads.lock().unwrap()[0],
        ThreadState::Rebalancing
    );
    harness.run_until(&mut thread, "task 0_1 running", |thread| {
        thread.tasks().running_ids() == [task(0), task(1)]
            && harness.output_counts(2, false).get("c") == Some(&1)
    });
    assert!(member.lock().unwrap().paused().is_empty());
    assert_eq!(harness.shared.metrics.snapshot().restored_records, 30);
    thread.run_round().unwrap();
    assert_eq!(
        harness.shared.threads.lock().unwrap()[0],
        ThreadState::Running
    );
}

#[test]
fn a_revoked_task_is_suspended_and_resumed_when_assigned_again() {
    let harness = Harness::new(1, &[]);
    let mut thread = harness.started(&[(0, "a", "x"), (0, "a", "x")]);
    let cluster = &harness.cluster;
    let member = harness.supplier.member(0);
    member
        .lock()
        .unwrap()
        .push_event(RebalanceEvent::Revoke(vec![input(0)]));
    thread.run_round().unwrap();
    assert_eq!(thread.tasks().suspended_ids(), [task(0)]);
    assert!(member.lock().unwrap().assigned().is_empty());
    assert!(
        harness
            .dir
            .path()
            .join("app")
            .join("0_0")
            .join(CHECKPOINT_FILE)
            .exists()
    );
    assert_eq!(
        harness.shared.threads.lock().unwrap()[0],
        ThreadState::Rebalancing
    );

    member
        .lock()
        .unwrap()
        .push_event(RebalanceEvent::Assign(vec![input(0)]));
    thread.run_round().unwrap();
    assert_eq!(
        thread.tasks().running_ids(),
        [task(0)],
        "resumed without restoring"
    );
    assert!(thread.tasks().restoring_ids().is_empty());
    harness.produce(0, "a", "x");
    harness.run_until(&mut thread, "the next commit", |_| {
        cluster.committed(INPUT, 0) == Some(3)
    });
    assert_eq!(
        harness.output_counts(1, false),
        counts(&[("a", 3)]),
        "its state was kept"
    );
}

#[test]
fn a_suspended_task_not_assigned_again_is_closed_with_its_checkpoint() {
    let harness = Harness::new(2, &[]);
    let mut thread = harness.started(&[(0, "a", "x"), (1, "c", "x")]);
    let member = harness.supplier.member(0);
    member
        .lock()
        .unwrap()
        .push_event(RebalanceEvent::Revoke(vec![input(0), input(1)]));
    member
        .lock()
        .unwrap()
        .push_event(RebalanceEvent::Assign(vec![input(0)]));
    thread.run_round().unwrap();
    assert_eq!(thread.tasks().running_ids(), [task(0)]);
    assert!(thread.tasks().suspended_ids().is_empty());
    let checkpoint = OffsetCheckpoint::new(
        harness
            .dir
            .path()
            .join("app")
            .join("0_1")
            .join(CHECKPOINT_FILE),
    )
    .read()
    .unwrap();
    assert_eq!(checkpoint.get(&TopicPartition::new(CHANGELOG, 1)), Some(&0));
    assert!(
        harness.shared.directory.lock_task(task(1), u64::MAX),
        "task 0_1 was released"
    );
}

#[test]
fn a_commit_the_group_refuses_closes_the_tasks_and_the_thread_rejoins() {
    let harness = Harness::new(1, &[]);
    let mut thread = harness.started(&[(0, "a", "x")]);
    let cluster = &harness.cluster;
    // The member stalled past its session timeout: the group moved on.
    cluster.bump_generation();
    harness.produce(0, "b", "x");
    let member = harness.supplier.member(0);
    harness.run_until(&mut thread, "a rejoin", |_| {
        member.lock().unwrap().rejoins == 1
    });
    assert!(
        thread.tasks().running_ids().is_empty(),
        "the tasks were closed"
    );
    harness.run_until(&mut thread, "the commit in the new generation", |_| {
        cluster.committed(INPUT, 0) == Some(2)
    });
    assert_eq!(harness.shared.metrics.snapshot().task_migrations, 1);
    // At least once: `b` was processed before the refused commit and again
    // after it, from the committed offset, on top of the state it had written.
    assert_eq!(
        harness.output_updates(1, false),
        [
            ("a".to_string(), 1),
            ("b".to_string(), 1),
            ("b".to_string(), 2)
        ]
    );
}

#[test]
fn a_consumer_commit_refused_by_a_rebalance_migrates_and_other_commit_errors_stop_the_thread() {
    let harness = Harness::new(1, &[]);
    harness.produce(0, "a", "x");
    harness
        .cluster
        .inject(Fault::ConsumerCommit(KafkaError::ConsumerCommit(
            RDKafkaErrorCode::RebalanceInProgress,
        )));
    let mut thread = harness.thread();
    harness.run_until_rejoined(&mut thread, 1);
    let cluster = &harness.cluster;
    harness.produce(0, "a", "x");
    cluster.inject(Fault::ConsumerCommit(KafkaError::ConsumerCommit(
        RDKafkaErrorCode::InvalidCommitOffsetSize,
    )));
    let error = harness.run_until_error(&mut thread);
    assert!(
        error.to_string().contains("committing consumed offsets"),
        "{error}"
    );
}

#[test]
fn after_a_crash_at_least_once_restores_only_the_changelog_tail_after_its_checkpoint() {
    let harness = Harness::new(1, &[]);
    let mut thread = harness.started(&[(0, "a", "x"), (0, "a", "x")]);
    let cluster = &harness.cluster;
    // `b` is processed, but its commit fails and the process dies.
    cluster.inject(Fault::ConsumerCommit(KafkaError::ConsumerCommit(
        RDKafkaErrorCode::InvalidCommitOffsetSize,
    )));
    harness.produce(0, "b", "x");
    harness.run_until_error(&mut thread);
    let mut restarted = harness.crash_and_restart(thread);
    harness.run_until(&mut restarted, "the commit after the restart", |_| {
        cluster.committed(INPUT, 0) == Some(3)
    });
    assert_eq!(
        harness.shared.metrics.snapshot().restored_records,
        1,
        "only the changelog record written after the checkpoint"
    );
    assert_eq!(
        harness.output_counts(1, false),
        counts(&[("a", 2), ("b", 2)])
    );
}

#[test]
fn a_producer_flush_that_times_out_during_a_commit_migrates_the_tasks_instead_of_failing() {
    let harness = Harness::new(1, &[]);
    harness.produce(0, "a", "x");
    harness.cluster.inject(Fault::Flush(producer_error(
        ErrorClass::Retriable,
        RDKafkaErrorCode::OperationTimedOut,
    )));
    let mut thread = harness.thread();
    harness.run_until_rejoined(&mut thread, 1);
    let cluster = &harness.cluster;
    assert_eq!(cluster.pending_faults(), 0, "the flush did time out");
    assert_eq!(cluster.pending_faults(), 0, "the flush did time out");
    assert_eq!(harness.shared.metrics.snapshot().task_migrations, 1);
}

#[test]
fn a_delivery_failure_that_cannot_be_retried_stops_the_thread_with_the_kafka_error() {
    let harness = Harness::new(1, &[]);
    harness.cluster.inject(Fault::Delivery(producer_error(
        ErrorClass::Fatal,
        RDKafkaErrorCode::MessageSizeTooLarge,
    )));
    harness.produce(0, "a", "x");
    let mut thread = harness.thread();
    let error = harness.run_until_error(&mut thread);
    assert!(
        matches!(&error, RuntimeError::Kafka { source, .. } if source.rdkafka_error_code() == Some(RDKafkaErrorCode::MessageSizeTooLarge)),
        "{error}"
    );
    assert_eq!(
        harness.cluster.committed(INPUT, 0),
        None,
        "nothing was committed"
    );
}

#[test]
fn a_task_locked_elsewhere_is_created_once_its_directory_is_free() {
    let harness = Harness::new(1, &[]);
    harness.produce(0, "a", "x");
    let other_thread = u64::MAX;
    assert!(harness.shared.directory.lock_task(task(0), other_thread));
    let mut thread = harness.thread();
    for _ in 0..5 {
        thread.run_round().unwrap();
    }
    assert_eq!(thread.tasks().pending_ids(), [task(0)]);
    assert_eq!(
        harness.shared.threads.lock().unwrap()[0],
        ThreadState::Rebalancing
    );
    harness.shared.directory.unlock_task(task(0), other_thread);
    let cluster = &harness.cluster;
    harness.run_until(&mut thread, "the task created and committed", |_| {
        cluster.committed(INPUT, 0) == Some(1)
    });
}

#[test]
fn a_task_locked_past_the_task_timeout_fails_the_thread_naming_it() {
    let harness = Harness::new(1, &[("task.timeout.ms", "0")]);
    assert!(harness.shared.directory.lock_task(task(0), u64::MAX));
    let mut thread = harness.thread();
    let error = harness.run_until_error(&mut thread);
    let message = error.to_string();
    assert!(
        matches!(error, RuntimeError::TaskCreationTimeout { .. }),
        "{message}"
    );
    assert!(
        message.contains("task 0_0") && message.contains("task.timeout.ms"),
        "{message}"
    );
}

#[test]
fn a_panic_in_user_code_names_the_task_the_record_and_the_message() {
    let harness = Harness::new(1, &[]);
    harness.produce(0, "a", "x");
    harness.produce(0, "b", "panic");
    let mut thread = harness.thread();
    let error = harness.run_until_error(&mut thread);
    let message = error.to_string();
    // The task layer catches the panic and gives it to the processing handler
    // (log_and_fail by default), which fails the task with it.
    assert!(
        matches!(&error, RuntimeError::TaskFailed { task, source }
            if task == "0_0" && matches!(source.as_ref(), StreamsError::Processing { node, input: Some(input), source }
                if node == "count" && input.to_string() == "topic 'in' partition 0 offset 1"
                    && source.to_string() == "panicked: boom on b")),
        "{message}"
    );
    thread.close(false).unwrap();
    assert_eq!(
        harness.cluster.committed(INPUT, 0),
        None,
        "closed without a commit"
    );
    assert!(harness.shared.directory.lock_task(task(0), u64::MAX));
}

#[test]
fn a_processing_error_names_the_task_and_the_record() {
    let harness = Harness::new(1, &[]);
    harness.produce(0, "a", "fail");
    let mut thread = harness.thread();
    let message = harness.run_until_error(&mut thread).to_string();
    assert!(
        message.contains("task 0_0 failed")
            && message.contains("failing on a")
            && message.contains("topic 'in' partition 0 offset 0"),
        "{message}"
    );
}

#[test]
fn a_full_buffer_stops_the_poll_round_and_only_a_partition_still_full_is_paused() {
    let harness = Harness::new(1, &[("buffered.records.per.partition", "2")]);
    for _ in 0..10 {
        harness.produce(0, "a", "x");
    }
    let mut thread = harness.thread();
    let cluster = &harness.cluster;
    harness.run_until(&mut thread, "all ten committed", |_| {
        cluster.committed(INPUT, 0) == Some(10)
    });
    assert_eq!(
        harness.shared.metrics.snapshot().partition_pauses,
        0,
        "the task drained its buffer every round"
    );
    assert_eq!(harness.output_counts(1, false), counts(&[("a", 10)]));
}

#[test]
fn a_thread_commits_early_once_its_stores_hold_more_uncommitted_bytes_than_the_bound() {
    // An hour between commits: only the bound makes the thread commit.
    let settings = [
        ("commit.interval.ms", "3600000"),
        ("statestore.uncommitted.max.bytes", "1"),
    ];
    let harness = Harness::new(1, &settings);
    harness.produce(0, "a", "x");
    harness.produce(0, "b", "x");
    let mut thread = harness.thread();
    harness.run_until(&mut thread, "an early commit", |_| {
        harness.cluster.committed(INPUT, 0) == Some(2)
    });
    assert!(harness.shared.metrics.snapshot().early_commits >= 1);
    let task = thread.tasks().running_task(task(0)).unwrap();
    assert_eq!(
        task.uncommitted_bytes(),
        0,
        "the commit made the writes durable"
    );

    // Under the default bound (64 MiB) the same records wait for the interval.
    let harness = Harness::new(1, &settings[..1]);
    harness.produce(0, "a", "x");
    harness.produce(0, "b", "x");
    let mut thread = harness.thread();
    harness.run_until(&mut thread, "the records processed", |t| {
        t.tasks().progress() >= 2
    });
    for _ in 0..5 {
        thread.run_round().unwrap();
    }
    assert!(thread.tasks().uncommitted_bytes() > 0);
    assert_eq!(harness.cluster.committed(INPUT, 0), None);
    assert_eq!(harness.shared.metrics.snapshot().early_commits, 0);
}

#[test]
fn records_carry_the_timestamp_of_their_source_extractor_through_the_runtime() {
    use crate::processor::{ExtractorInput, TimestampExtractorRef};
    use crate::runtime::test_support::OUTPUT;
    use crate::topology::{SinkTopic, TopicRef, TopologyBuilder};
    let mut builder = TopologyBuilder::new();
    let extractor: TimestampExtractorRef<String, String> =
        Arc::new(|record: &ExtractorInput<'_, String, String>, _: i64| {
            record
                .value
                .and_then(|v| v.parse().ok())
                .unwrap_or(record.timestamp)
        });
    let source = builder.add_source_with_extractor::<String, String>(
        "source",
        vec![TopicRef::External(INPUT.into())],
        None,
        None,
        Some(extractor),
    );
    builder.add_sink(
        "sink",
        SinkTopic::Topic(TopicRef::External(OUTPUT.into())),
        None,
        None,
        &[source],
    );
    let harness = Harness::with_topology(builder.build().unwrap(), 1, &[]);
    harness.cluster.append(INPUT, 0, b"a", b"250", 1000);
    harness.cluster.append(INPUT, 0, b"b", b"-4", 1000);
    harness.cluster.append(INPUT, 0, b"c", b"x", 1000);
    let mut thread = harness.thread();
    let cluster = &harness.cluster;
    harness.run_until(&mut thread, "the input being committed", |_| {
        cluster.committed(INPUT, 0) == Some(3)
    });
    assert_eq!(
        cluster.key_timestamps(OUTPUT, 0),
        [(Some(b"a".to_vec()), 250), (Some(b"c".to_vec()), 1000)],
        "the extracted timestamp is the output's; a negative one drops its record"
    );
    thread.close(true).unwrap();
}
