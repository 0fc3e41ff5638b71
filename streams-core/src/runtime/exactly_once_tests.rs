//! Unit tests of exactly-once v2 on the fake cluster: output and offsets in
//! one transaction, and every error class (abortable, retriable, fenced by a
//! newer producer, refused by a newer group generation), each shown against
//! what a `read_committed` reader and the group's committed offsets see.

use crate::runtime::RuntimeError;
use crate::runtime::fake_cluster::{Fault, producer_error};
use crate::runtime::producer::ProducerClient;
use crate::runtime::producer_error::ErrorClass;
use crate::runtime::test_support::{CHANGELOG, Harness, INPUT};
use crate::task::TaskId;
use rdkafka::error::RDKafkaErrorCode;
use std::time::Duration;

const EOS: [(&str, &str); 1] = [("processing.guarantee", "exactly_once_v2")];
const TASK_0_0: TaskId = TaskId {
    subtopology: 0,
    partition: 0,
};

fn updates(entries: &[(&str, i64)]) -> Vec<(String, i64)> {
    entries.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn output_changelog_and_offsets_commit_in_one_transaction() {
    let harness = Harness::new(1, &EOS);
    let mut thread = harness.started(&[(0, "a", "x"), (0, "a", "x"), (0, "b", "x")]);
    let cluster = &harness.cluster;
    let (consumer_commits, transactions, aborts) = cluster.commit_counts();
    assert_eq!(
        consumer_commits, 0,
        "offsets go through the transaction only"
    );
    assert!(transactions >= 1);
    assert_eq!(aborts, 0);
    assert_eq!(
        harness.output_updates(1, true),
        updates(&[("a", 1), ("a", 2), ("b", 1)])
    );
    assert_eq!(
        cluster.records(CHANGELOG, 0, true).len(),
        3,
        "changelog writes are committed too"
    );
    let task = thread.tasks().running_task(TASK_0_0).unwrap();
    assert_eq!(
        task.committed_changelog_offsets().unwrap()[0].offset,
        Some(2),
        "the store committed its state with the changelog offset of the transaction"
    );
    thread.close(true).unwrap();
}

#[test]
fn an_abortable_error_aborts_and_the_tasks_go_back_to_the_last_commit() {
    let harness = Harness::new(1, &EOS);
    let mut thread = harness.started(&[(0, "a", "x"), (0, "a", "x")]);
    let cluster = &harness.cluster;
    cluster.inject(Fault::CommitTransaction(producer_error(
        ErrorClass::Abortable,
        RDKafkaErrorCode::InvalidTransactionalState,
    )));
    harness.produce(0, "a", "x");
    harness.produce(0, "b", "x");
    harness.run_until(&mut thread, "the abort", |_| cluster.commit_counts().2 == 1);
    assert_eq!(
        cluster.committed(INPUT, 0),
        Some(2),
        "no offset for aborted output"
    );
    harness.run_until(&mut thread, "the commit after the abort", |_| {
        cluster.committed(INPUT, 0) == Some(4)
    });
    // Each update exactly once for a read_committed reader ...
    assert_eq!(
        harness.output_updates(1, true),
        updates(&[("a", 1), ("a", 2), ("a", 3), ("b", 1)])
    );
    // ... while the log holds the aborted attempt too.
    assert_eq!(
        harness.output_updates(1, false),
        updates(&[("a", 1), ("a", 2), ("a", 3), ("b", 1), ("a", 3), ("b", 1)])
    );
    // `a` at 3 and `b` at 1 once more (not 4 and 2): the aborted attempt's
    // writes were rolled back, and nothing was restored, since the store's
    // last commit covers the whole committed changelog.
    let metrics = harness.shared.metrics.snapshot();
    assert_eq!(metrics.aborted_transactions, 1);
    assert_eq!(
        metrics.restored_records, 0,
        "the store went back to its last commit without restoring"
    );
    assert_eq!(harness.supplier.member(0).lock().unwrap().rewound.len(), 1);
}

#[test]
fn a_retriable_commit_error_is_retried_without_an_abort() {
    let harness = Harness::new(1, &EOS);
    harness.produce(0, "a", "x");
    harness
        .cluster
        .inject(Fault::CommitTransaction(producer_error(
            ErrorClass::Retriable,
            RDKafkaErrorCode::OperationTimedOut,
        )));
    let mut thread = harness.thread();
    let cluster = &harness.cluster;
    harness.run_until(&mut thread, "the commit", |_| {
        cluster.committed(INPUT, 0) == Some(1)
    });
    assert_eq!(cluster.pending_faults(), 0, "the fault was hit");
    assert_eq!(cluster.commit_counts().2, 0, "and not aborted");
    assert_eq!(harness.output_updates(1, true), updates(&[("a", 1)]));
}

#[test]
fn a_producer_fenced_by_a_newer_epoch_loses_the_tasks_and_rejoins_with_a_new_one() {
    let harness = Harness::new(1, &EOS);
    let mut thread = harness.started(&[(0, "a", "x")]);
    let cluster = &harness.cluster;
    // A zombie's successor registers the same transactional id.
    let id = harness.shared.transactional_id(0).unwrap();
    cluster
        .producer(Some(&id))
        .init_transactions(Duration::ZERO)
        .unwrap();
    harness.produce(0, "a", "x");
    harness.run_until_rejoined(&mut thread, 2);
    assert_eq!(harness.shared.metrics.snapshot().task_migrations, 1);
    assert_eq!(
        harness.output_updates(1, true),
        updates(&[("a", 1), ("a", 2)])
    );
}

#[test]
fn offsets_of_an_older_generation_are_refused_and_the_output_stays_exact() {
    let harness = Harness::new(1, &EOS);
    let mut thread = harness.started(&[(0, "a", "x")]);
    let cluster = &harness.cluster;
    // The member stalled past its session timeout: the group moved on.
    cluster.bump_generation();
    harness.produce(0, "b", "x");
    let member = harness.supplier.member(0);
    harness.run_until(&mut thread, "a rejoin", |_| {
        member.lock().unwrap().rejoins == 1
    });
    assert_eq!(
        cluster.committed(INPUT, 0),
        Some(1),
        "the zombie's offsets were refused"
    );
    harness.run_until(&mut thread, "the commit in the new generation", |_| {
        cluster.committed(INPUT, 0) == Some(2)
    });
    // Unlike at-least-once (where `b` ends at 2), `b` is counted once.
    assert_eq!(
        harness.output_updates(1, true),
        updates(&[("a", 1), ("b", 1)])
    );
}

#[test]
fn after_a_crash_restoration_starts_at_the_stores_committed_offset() {
    let harness = Harness::new(1, &EOS);
    let thread = harness.started(&[(0, "a", "x"), (0, "a", "x"), (0, "b", "x")]);
    let cluster = &harness.cluster;
    // The process dies without closing anything; meanwhile another owner of
    // the task appended to the changelog (`b` counted again).
    let (key, value) = cluster.records(CHANGELOG, 0, true).pop().unwrap();
    harness.produce(0, "a", "x");
    let mut restarted = harness.crash_and_restart(thread);
    cluster.append(CHANGELOG, 0, &key.unwrap(), &value.unwrap(), 1000);
    harness.run_until(&mut restarted, "the commit after the restart", |_| {
        cluster.committed(INPUT, 0) == Some(4)
    });
    assert_eq!(
        harness.shared.metrics.snapshot().restored_records,
        1,
        "only the changelog record after the store's committed offset"
    );
    assert_eq!(
        harness.output_updates(1, true),
        updates(&[("a", 1), ("a", 2), ("b", 1), ("a", 3)])
    );
}

#[test]
fn a_dirty_close_keeps_the_state_of_the_last_commit() {
    // Commits 2 s apart: the second record is processed well before the next.
    let harness = Harness::new(1, &[EOS[0], ("commit.interval.ms", "2000")]);
    let mut thread = harness.started(&[(0, "a", "x")]);
    let cluster = &harness.cluster;
    // `a` is counted again, then the tasks are lost before the commit.
    harness.produce(0, "a", "x");
    harness.run_until(&mut thread, "the second record processed", |t| {
        t.tasks().progress() >= 2
    });
    assert_eq!(cluster.committed(INPUT, 0), Some(1), "not committed yet");
    thread.close(false).unwrap();
    let mut restarted = harness.thread();
    harness.run_until(&mut restarted, "the commit after the restart", |_| {
        cluster.committed(INPUT, 0) == Some(2)
    });
    assert_eq!(
        harness.shared.metrics.snapshot().restored_records,
        0,
        "the store's last commit covers the committed changelog"
    );
    assert_eq!(
        harness.output_updates(1, true),
        updates(&[("a", 1), ("a", 2)]),
        "the uncommitted count was dropped, not counted twice"
    );
}

#[test]
fn a_transactional_call_that_fails_fatally_stops_the_thread() {
    let harness = Harness::new(1, &EOS);
    harness.produce(0, "a", "x");
    harness.cluster.inject(Fault::SendOffsets(producer_error(
        ErrorClass::Fatal,
        RDKafkaErrorCode::TransactionalIdAuthorizationFailed,
    )));
    let mut thread = harness.thread();
    let error = harness.run_until_error(&mut thread);
    assert!(matches!(error, RuntimeError::Kafka { .. }), "{error}");
    assert_eq!(harness.cluster.committed(INPUT, 0), None);
    assert!(harness.output_updates(1, true).is_empty());
}
