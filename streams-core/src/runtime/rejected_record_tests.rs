//! Unit tests of records the broker refuses after they were sent, on the
//! fake cluster: under at-least-once each handler's path (fail names the
//! topic and partition, continue skips and counts, dead letter parks the
//! refused bytes with the error headers); a refused changelog record stops
//! the thread whatever the handler; under exactly-once the transaction is
//! aborted and the thread stops whatever the handler.

use super::*;
use crate::handler::DeadLetterHeaders;
use crate::runtime::RuntimeError;
use crate::runtime::fake_cluster::{Fault, producer_error};
use crate::runtime::producer_error::ErrorClass;
use crate::runtime::test_support::{CHANGELOG, Harness, INPUT, OUTPUT};
use crate::serde::{I64Serde, Serde};

const TOO_LARGE: RDKafkaErrorCode = RDKafkaErrorCode::MessageSizeTooLarge;

fn refuse_next(harness: &Harness, topic: &str) {
    harness.cluster.inject(Fault::Refuse {
        topic: topic.to_string(),
        error: producer_error(ErrorClass::Fatal, TOO_LARGE),
    });
}

fn output_keys(harness: &Harness, read_committed: bool) -> Vec<String> {
    harness
        .cluster
        .records(OUTPUT, 0, read_committed)
        .into_iter()
        .map(|(key, _)| String::from_utf8(key.unwrap()).unwrap())
        .collect()
}

#[test]
fn only_failures_of_the_record_itself_count_as_refused() {
    for code in [
        RDKafkaErrorCode::MessageSizeTooLarge,
        RDKafkaErrorCode::UnknownTopicOrPartition,
        RDKafkaErrorCode::InvalidRecord,
    ] {
        assert!(is_record_failure(Some(code)), "{code:?}");
    }
    for code in [
        RDKafkaErrorCode::MessageTimedOut,
        RDKafkaErrorCode::ProducerFenced,
        RDKafkaErrorCode::AllBrokersDown,
        RDKafkaErrorCode::PurgeQueue,
    ] {
        assert!(!is_record_failure(Some(code)), "{code:?}");
    }
    assert!(!is_record_failure(None));
}

#[test]
fn log_and_fail_fails_the_task_naming_the_topic_partition_and_error_before_any_commit() {
    let harness = Harness::new(1, &[]);
    refuse_next(&harness, OUTPUT);
    harness.produce(0, "a", "x");
    let mut thread = harness.thread();
    let error = harness.run_until_error(&mut thread);
    let message = error.to_string();
    assert!(
        matches!(error, RuntimeError::TaskFailed { .. }),
        "{message}"
    );
    assert!(
        message.contains("task 0_0")
            && message.contains("delivering a record to topic 'out' partition 0")
            && message.contains("MessageSizeTooLarge"),
        "{message}"
    );
    assert_eq!(
        harness.cluster.committed(INPUT, 0),
        None,
        "the offset past the refused record's source is not committed"
    );
}

#[test]
fn log_and_continue_skips_the_refused_record_counts_it_and_goes_on() {
    let harness = Harness::new(1, &[("production.exception.handler", "log_and_continue")]);
    refuse_next(&harness, OUTPUT);
    for key in ["a", "b", "c"] {
        harness.produce(0, key, "x");
    }
    let mut thread = harness.thread();
    let cluster = &harness.cluster;
    harness.run_until(&mut thread, "the input being committed", |_| {
        cluster.committed(INPUT, 0) == Some(3)
    });
    assert_eq!(output_keys(&harness, false), ["b", "c"]);
    let metrics = thread.tasks().metrics();
    assert_eq!(
        (metrics.skipped_records, metrics.dead_lettered_records),
        (1, 0)
    );
    assert_eq!(
        cluster.records(CHANGELOG, 0, false).len(),
        3,
        "only the output record was refused; the store's writes stand"
    );
}

#[test]
fn a_dead_letter_topic_receives_the_refused_bytes_with_the_error_headers() {
    let harness = Harness::new(1, &[("errors.dead.letter.queue.topic.name", "dlq")]);
    harness.cluster.create_topic("dlq", 1);
    refuse_next(&harness, OUTPUT);
    harness.produce(0, "a", "x");
    harness.produce(0, "b", "x");
    let mut thread = harness.thread();
    let cluster = &harness.cluster;
    harness.run_until(&mut thread, "the input being committed", |_| {
        cluster.committed(INPUT, 0) == Some(2)
    });
    assert_eq!(output_keys(&harness, false), ["b"]);
    let parked = cluster.records("dlq", 0, false);
    assert_eq!(
        parked,
        [(Some(b"a".to_vec()), Some(I64Serde.serialize(&1).unwrap()))],
        "the refused record's key and value, byte for byte"
    );
    let headers = &cluster.headers("dlq", 0, false)[0];
    assert_eq!(
        headers.last_value(DeadLetterHeaders::EXCEPTION),
        Some(&b"ProductionError"[..])
    );
    let message = String::from_utf8(
        headers
            .last_value(DeadLetterHeaders::MESSAGE)
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    assert!(
        message.contains("delivering a record to topic 'out' partition 0")
            && message.contains("MessageSizeTooLarge"),
        "{message}"
    );
    assert_eq!(
        headers.last_value(DeadLetterHeaders::APPLICATION_ID),
        Some(&b"app"[..])
    );
    assert_eq!(
        headers.last_value(DeadLetterHeaders::TOPIC),
        None,
        "the source of a refused output record is not known"
    );
    let metrics = thread.tasks().metrics();
    assert_eq!(
        (metrics.skipped_records, metrics.dead_lettered_records),
        (1, 1)
    );
}

#[test]
fn a_refused_changelog_record_stops_the_thread_whatever_the_handler() {
    let harness = Harness::new(1, &[("production.exception.handler", "log_and_continue")]);
    refuse_next(&harness, CHANGELOG);
    harness.produce(0, "a", "x");
    let mut thread = harness.thread();
    let error = harness.run_until_error(&mut thread);
    assert!(
        matches!(&error, RuntimeError::Kafka { source, .. } if source.rdkafka_error_code() == Some(TOO_LARGE)),
        "{error}"
    );
    assert!(error.to_string().contains(CHANGELOG), "{error}");
    assert_eq!(harness.cluster.committed(INPUT, 0), None);
}

#[test]
fn under_exactly_once_a_refused_record_aborts_the_transaction_and_stops_the_thread() {
    let harness = Harness::new(
        1,
        &[
            ("processing.guarantee", "exactly_once_v2"),
            ("production.exception.handler", "log_and_continue"),
        ],
    );
    let mut thread = harness.started(&[(0, "a", "x")]);
    refuse_next(&harness, OUTPUT);
    harness.produce(0, "b", "x");
    harness.produce(0, "c", "x");
    let error = harness.run_until_error(&mut thread);
    let message = error.to_string();
    assert!(
        matches!(&error, RuntimeError::Kafka { source, .. } if source.rdkafka_error_code() == Some(TOO_LARGE)),
        "{message}"
    );
    assert!(
        message.contains("topic 'out' partition 0") && message.contains("exactly_once_v2"),
        "{message}"
    );
    let cluster = &harness.cluster;
    assert_eq!(
        cluster.committed(INPUT, 0),
        Some(1),
        "the offsets stay at the last commit"
    );
    assert_eq!(output_keys(&harness, true), ["a"]);
    thread.close(false).unwrap();
    let (_, _, aborts) = cluster.commit_counts();
    assert!(aborts >= 1, "the transaction was aborted");
    assert_eq!(thread.tasks().metrics().skipped_records, 0);
}
