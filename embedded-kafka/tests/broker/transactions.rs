//! Transactions with real librdkafka clients: commit and abort seen correctly by
//! read_committed and read_uncommitted consumers, zombie fencing, and the abort of
//! an abandoned transaction by timeout.

use crate::common;

use common::*;
use embedded_kafka::BrokerConfig;
use rdkafka::consumer::Consumer;
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use std::time::{Duration, Instant};

fn transactional_producer(bootstrap: &str, id: &str, extra: &[(&str, &str)]) -> FutureProducer {
    let mut settings = vec![("transactional.id", id)];
    settings.extend_from_slice(extra);
    let producer = producer(bootstrap, &settings);
    producer
        .init_transactions(Duration::from_secs(30))
        .expect("init transactions");
    producer
}

fn send_values(producer: &FutureProducer, topic: &str, values: &[&str]) {
    for (i, value) in values.iter().enumerate() {
        let record = FutureRecord::<str, str>::to(topic)
            .payload(value)
            .partition((i % 2) as i32);
        send(producer, record).expect("delivered");
    }
}

fn payloads(messages: &[rdkafka::message::OwnedMessage]) -> Vec<String> {
    let mut values: Vec<String> = messages
        .iter()
        .map(|m| String::from_utf8(m.payload().unwrap_or_default().to_vec()).expect("utf8"))
        .collect();
    values.sort();
    values
}

#[test]
fn read_committed_sees_exactly_the_committed_records_and_read_uncommitted_sees_all() {
    let kafka = start_broker();
    let topic = unique("txn");
    kafka.create_topic(&topic, 2, &[]).expect("topic");
    let bootstrap = kafka.bootstrap_servers();
    let producer = transactional_producer(&bootstrap, &unique("txn-id"), &[]);

    producer.begin_transaction().expect("begin");
    send_values(&producer, &topic, &["c1", "c2", "c3"]);
    producer
        .commit_transaction(Duration::from_secs(30))
        .expect("commit");
    producer.begin_transaction().expect("begin");
    send_values(&producer, &topic, &["a1", "a2", "a3", "a4"]);
    producer
        .abort_transaction(Duration::from_secs(30))
        .expect("abort");
    producer.begin_transaction().expect("begin");
    send_values(&producer, &topic, &["c4"]);
    producer
        .commit_transaction(Duration::from_secs(30))
        .expect("commit");

    let committed = assigned_consumer(&bootstrap, &topic, 2, "read_committed");
    assert_eq!(
        payloads(&read_to_end(&committed, 2, 4)),
        vec!["c1", "c2", "c3", "c4"]
    );
    let uncommitted = assigned_consumer(&bootstrap, &topic, 2, "read_uncommitted");
    assert_eq!(
        payloads(&read_to_end(&uncommitted, 2, 8)),
        vec!["a1", "a2", "a3", "a4", "c1", "c2", "c3", "c4"]
    );
    // Partition 0 holds c1, c3, a1, a3, c4 and three markers.
    let (_, high) = uncommitted
        .fetch_watermarks(&topic, 0, Duration::from_secs(10))
        .expect("watermarks");
    assert_eq!(high, 8);
}

#[test]
fn an_open_transaction_holds_back_the_last_stable_offset() {
    let kafka = start_broker();
    let topic = unique("lso");
    kafka.create_topic(&topic, 1, &[]).expect("topic");
    let bootstrap = kafka.bootstrap_servers();
    let plain = producer(&bootstrap, &[]);
    send(
        &plain,
        FutureRecord::<str, str>::to(&topic)
            .payload("before")
            .partition(0),
    )
    .expect("delivered");
    let transactional = transactional_producer(&bootstrap, &unique("lso-id"), &[]);
    transactional.begin_transaction().expect("begin");
    send(
        &transactional,
        FutureRecord::<str, str>::to(&topic)
            .payload("open")
            .partition(0),
    )
    .expect("delivered");
    send(
        &plain,
        FutureRecord::<str, str>::to(&topic)
            .payload("after")
            .partition(0),
    )
    .expect("delivered");

    let committed = assigned_consumer(&bootstrap, &topic, 1, "read_committed");
    assert_eq!(payloads(&read_to_end(&committed, 1, 1)), vec!["before"]);
    let (_, last_stable) = committed
        .fetch_watermarks(&topic, 0, Duration::from_secs(10))
        .expect("watermarks");
    assert_eq!(last_stable, 1, "read_committed latest offset is the LSO");

    transactional
        .commit_transaction(Duration::from_secs(30))
        .expect("commit");
    let committed = assigned_consumer(&bootstrap, &topic, 1, "read_committed");
    assert_eq!(
        payloads(&read_to_end(&committed, 1, 3)),
        vec!["after", "before", "open"]
    );
}

#[test]
fn a_zombie_is_fenced_when_its_transactional_id_is_initialised_again() {
    let kafka = start_broker();
    let topic = unique("zombie");
    kafka.create_topic(&topic, 2, &[]).expect("topic");
    let bootstrap = kafka.bootstrap_servers();
    let id = unique("zombie-id");
    let zombie = transactional_producer(&bootstrap, &id, &[]);
    zombie.begin_transaction().expect("begin");
    send_values(&zombie, &topic, &["zombie-1"]);

    let successor = transactional_producer(&bootstrap, &id, &[]);
    let zombie_result = send(
        &zombie,
        FutureRecord::<str, str>::to(&topic)
            .payload("zombie-2")
            .partition(1),
    )
    .map(|_| ())
    .and_then(|()| zombie.commit_transaction(Duration::from_secs(30)));
    assert!(zombie_result.is_err(), "the zombie must not commit");

    successor.begin_transaction().expect("begin");
    send_values(&successor, &topic, &["successor"]);
    successor
        .commit_transaction(Duration::from_secs(30))
        .expect("commit");
    let committed = assigned_consumer(&bootstrap, &topic, 2, "read_committed");
    assert_eq!(payloads(&read_to_end(&committed, 2, 1)), vec!["successor"]);
}

#[test]
fn an_abandoned_transaction_is_aborted_when_it_times_out() {
    let kafka = start_with(BrokerConfig::default());
    let topic = unique("abandoned");
    kafka.create_topic(&topic, 1, &[]).expect("topic");
    let bootstrap = kafka.bootstrap_servers();
    let abandoned = transactional_producer(
        &bootstrap,
        &unique("abandoned-id"),
        &[
            ("transaction.timeout.ms", "1000"),
            ("message.timeout.ms", "1000"),
        ],
    );
    abandoned.begin_transaction().expect("begin");
    send(
        &abandoned,
        FutureRecord::<str, str>::to(&topic)
            .payload("lost")
            .partition(0),
    )
    .expect("delivered");

    let committed = assigned_consumer(&bootstrap, &topic, 1, "read_committed");
    let deadline = Instant::now() + WAIT;
    loop {
        let (_, last_stable) = committed
            .fetch_watermarks(&topic, 0, Duration::from_secs(10))
            .expect("watermarks");
        if last_stable == 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the abandoned transaction was not aborted within {WAIT:?} (LSO {last_stable})"
        );
        std::thread::yield_now();
    }
    assert!(read_to_end(&committed, 1, 0).is_empty());
    assert!(
        abandoned
            .commit_transaction(Duration::from_secs(30))
            .is_err(),
        "the timed-out producer is fenced"
    );
}
