//! Durability: a broker restarted on the same data directory keeps every
//! acknowledged record, topic config, transaction outcome and producer state.

mod common;

use common::*;
use embedded_kafka::BrokerConfig;
use rdkafka::consumer::Consumer;
use rdkafka::message::Message;
use rdkafka::producer::{FutureRecord, Producer};
use std::time::Duration;

fn payloads(messages: &[rdkafka::message::OwnedMessage]) -> Vec<String> {
    let mut values: Vec<String> = messages
        .iter()
        .map(|m| String::from_utf8(m.payload().unwrap_or_default().to_vec()).expect("utf8"))
        .collect();
    values.sort();
    values
}

#[test]
fn a_restart_on_the_same_data_dir_keeps_everything_acknowledged() {
    let data_dir = tempfile::tempdir().expect("data dir");
    let config = BrokerConfig::default().with_data_dir(data_dir.path());
    let topic = unique("durable");
    let transactional_id = unique("durable-txn");

    let kafka = start_with(config.clone());
    kafka
        .create_topic(&topic, 2, &[("cleanup.policy", "compact")])
        .expect("topic");
    let bootstrap = kafka.bootstrap_servers();
    let plain = producer(&bootstrap, &[("enable.idempotence", "true")]);
    for i in 0..20 {
        let value = format!("plain-{i:02}");
        let key = format!("k{i}");
        send(
            &plain,
            FutureRecord::to(&topic)
                .key(key.as_str())
                .payload(value.as_str())
                .partition(i % 2),
        )
        .expect("delivered");
    }
    let transactional = producer(&bootstrap, &[("transactional.id", &transactional_id)]);
    transactional
        .init_transactions(Duration::from_secs(30))
        .expect("init");
    transactional.begin_transaction().expect("begin");
    send(
        &transactional,
        FutureRecord::<str, str>::to(&topic)
            .payload("committed")
            .partition(0),
    )
    .expect("delivered");
    transactional
        .commit_transaction(Duration::from_secs(30))
        .expect("commit");
    transactional.begin_transaction().expect("begin");
    send(
        &transactional,
        FutureRecord::<str, str>::to(&topic)
            .payload("aborted")
            .partition(1),
    )
    .expect("delivered");
    transactional
        .abort_transaction(Duration::from_secs(30))
        .expect("abort");
    drop(transactional);
    drop(plain);
    kafka.shutdown_blocking();

    let restarted = start_with(config);
    let bootstrap = restarted.bootstrap_servers();
    let topic_state = restarted.broker().topic(&topic).expect("topic replayed");
    assert_eq!(topic_state.partition_count(), 2);
    assert_eq!(
        topic_state
            .configs
            .get("cleanup.policy")
            .map(String::as_str),
        Some("compact")
    );
    let committed = assigned_consumer(&bootstrap, &topic, 2, "read_committed");
    let mut expected: Vec<String> = (0..20).map(|i| format!("plain-{i:02}")).collect();
    expected.push("committed".to_owned());
    expected.sort();
    assert_eq!(payloads(&read_to_end(&committed, 2, 21)), expected);
    let (_, high) = committed
        .fetch_watermarks(&topic, 1, Duration::from_secs(10))
        .expect("watermarks");
    assert_eq!(high, 12, "10 records, one aborted record and its marker");

    // The transactional id resumes with a bumped epoch and keeps working.
    let resumed = producer(&bootstrap, &[("transactional.id", &transactional_id)]);
    resumed
        .init_transactions(Duration::from_secs(30))
        .expect("init after restart");
    resumed.begin_transaction().expect("begin");
    let (_, offset) = send(
        &resumed,
        FutureRecord::<str, str>::to(&topic)
            .payload("after")
            .partition(1),
    )
    .expect("delivered");
    assert_eq!(offset, 12, "new records follow the replayed log");
    resumed
        .commit_transaction(Duration::from_secs(30))
        .expect("commit after restart");
}
