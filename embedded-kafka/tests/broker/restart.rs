//! Durability: a broker restarted on the same data directory keeps every
//! acknowledged record, topic config, transaction outcome and producer state, and
//! cuts off whatever a crash left half-written at the end of any of its files.

use crate::common;

use common::*;
use embedded_kafka::BrokerConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureRecord, Producer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
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
            .key("txn")
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
            .key("txn")
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
            .key("txn")
            .payload("after")
            .partition(1),
    )
    .expect("delivered");
    assert_eq!(offset, 12, "new records follow the replayed log");
    resumed
        .commit_transaction(Duration::from_secs(30))
        .expect("commit after restart");
}

#[test]
fn producer_ids_are_not_reused_after_a_restart() {
    let data_dir = tempfile::tempdir().expect("data dir");
    let config = BrokerConfig::default().with_data_dir(data_dir.path());
    let kafka = start_with(config.clone());
    let before = kafka.broker().allocate_producer_id();
    kafka.shutdown_blocking();
    let restarted = start_with(config);
    assert!(restarted.broker().allocate_producer_id() > before);
}

/// Appends `bytes` to `path`, as a write cut short by a crash would leave them.
fn tear(path: &Path, bytes: &[u8]) {
    OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .write_all(bytes)
        .expect("torn write");
}

/// The offset `group` committed for partition 0 of `topic`.
fn group_offset(bootstrap: &str, group: &str, topic: &str) -> Offset {
    let consumer: BaseConsumer = client_config(bootstrap, &[("group.id", group)])
        .create()
        .expect("consumer");
    committed_offset(&consumer, topic)
}

/// Commits one transaction of `value` with the group's offset `offset`.
fn commit_transaction(
    bootstrap: &str,
    transactional_id: &str,
    topic: &str,
    group: &str,
    value: &str,
    offset: i64,
) {
    let consumer: BaseConsumer = client_config(bootstrap, &[("group.id", group)])
        .create()
        .expect("consumer");
    let producer = producer(bootstrap, &[("transactional.id", transactional_id)]);
    producer
        .init_transactions(Duration::from_secs(30))
        .expect("init");
    producer.begin_transaction().expect("begin");
    send(
        &producer,
        FutureRecord::<str, str>::to(topic).payload(value),
    )
    .expect("delivered");
    let mut offsets = TopicPartitionList::new();
    offsets
        .add_partition_offset(topic, 0, Offset::Offset(offset))
        .expect("offset");
    producer
        .send_offsets_to_transaction(
            &offsets,
            &consumer.group_metadata().expect("metadata"),
            Duration::from_secs(30),
        )
        .expect("send offsets");
    producer
        .commit_transaction(Duration::from_secs(30))
        .expect("commit");
}

#[test]
fn torn_tails_of_every_file_are_cut_off_and_later_writes_survive_the_next_restart() {
    let data_dir = tempfile::tempdir().expect("data dir");
    let config = BrokerConfig::default().with_data_dir(data_dir.path());
    let topic = unique("torn");
    let group = unique("torn-group");
    let transactional_id = unique("torn-txn");
    let kafka = start_with(config.clone());
    kafka.create_topic(&topic, 1, &[]).expect("topic");
    let bootstrap = kafka.bootstrap_servers();
    let plain = producer(&bootstrap, &[]);
    send(
        &plain,
        FutureRecord::<str, str>::to(&topic).payload("first"),
    )
    .expect("delivered");
    commit_transaction(&bootstrap, &transactional_id, &topic, &group, "second", 1);
    let consumer: BaseConsumer = client_config(&bootstrap, &[("group.id", &group)])
        .create()
        .expect("consumer");
    let mut offsets = TopicPartitionList::new();
    offsets
        .add_partition_offset(&topic, 0, Offset::Offset(2))
        .expect("offset");
    consumer.commit(&offsets, CommitMode::Sync).expect("commit");
    drop((plain, consumer));
    kafka.shutdown_blocking();

    tear(
        &data_dir.path().join("topics").join(&topic).join("0.log"),
        &[0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 1],
    );
    tear(
        &data_dir.path().join("consumer-offsets.log"),
        &[0, 0, 0, 60, 0, 1, 2],
    );
    tear(&data_dir.path().join("transactions.log"), b"7472616e73\t4");

    let restarted = start_with(config.clone());
    let bootstrap = restarted.bootstrap_servers();
    assert_eq!(group_offset(&bootstrap, &group, &topic), Offset::Offset(2));
    commit_transaction(&bootstrap, &transactional_id, &topic, &group, "third", 3);
    let plain = producer(&bootstrap, &[]);
    send(
        &plain,
        FutureRecord::<str, str>::to(&topic).payload("fourth"),
    )
    .expect("delivered");
    drop(plain);
    restarted.shutdown_blocking();

    let again = start_with(config);
    let bootstrap = again.bootstrap_servers();
    let consumer = assigned_consumer(&bootstrap, &topic, 1, "read_committed");
    let values: Vec<String> = read_to_end(&consumer, 1, 4)
        .iter()
        .map(|m| String::from_utf8(m.payload().unwrap_or_default().to_vec()).expect("utf8"))
        .collect();
    assert_eq!(values, ["first", "second", "third", "fourth"]);
    assert_eq!(group_offset(&bootstrap, &group, &topic), Offset::Offset(3));
    commit_transaction(&bootstrap, &transactional_id, &topic, &group, "fifth", 5);
}
