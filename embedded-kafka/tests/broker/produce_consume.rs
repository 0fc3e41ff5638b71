//! Produce and consume with real librdkafka clients: keys, values, headers and
//! timestamps survive the round trip across partitions; offsets and watermarks;
//! max.message.bytes; keyless records refused by compacted topics; auto-creation
//! only when configured.

use crate::common;

use common::*;
use rdkafka::consumer::Consumer;
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureRecord, Producer};
use std::collections::BTreeMap;
use std::time::Duration;

#[test]
fn records_round_trip_across_partitions_with_keys_headers_and_timestamps() {
    let kafka = start_broker();
    let topic = unique("round-trip");
    kafka.create_topic(&topic, 3, &[]).expect("topic");
    let producer = producer(&kafka.bootstrap_servers(), &[]);
    let mut sent = BTreeMap::new();
    for i in 0..90i64 {
        let key = format!("key-{i}");
        let value = format!("value-{i}");
        let headers = OwnedHeaders::new().insert(Header {
            key: "trace",
            value: Some(format!("t{i}").as_bytes()),
        });
        let record = FutureRecord::to(&topic)
            .key(key.as_str())
            .payload(value.as_str())
            .partition((i % 3) as i32)
            .timestamp(1_700_000_000_000 + i)
            .headers(headers);
        let (partition, offset) = send(&producer, record).expect("delivered");
        assert_eq!(partition, (i % 3) as i32);
        assert_eq!(offset, i / 3, "offsets are dense per partition");
        sent.insert(key, (value, 1_700_000_000_000 + i, format!("t{i}")));
    }

    let consumer = assigned_consumer(&kafka.bootstrap_servers(), &topic, 3, "read_uncommitted");
    let received = read_to_end(&consumer, 3, 90);
    assert_eq!(received.len(), 90);
    for message in &received {
        let key = std::str::from_utf8(message.key().expect("key")).expect("utf8");
        let (value, timestamp, trace) = &sent[key];
        assert_eq!(message.payload(), Some(value.as_bytes()));
        assert_eq!(message.timestamp().to_millis(), Some(*timestamp));
        let header = message.headers().expect("headers").get(0);
        assert_eq!(header.key, "trace");
        assert_eq!(header.value, Some(trace.as_bytes()));
    }
    let (low, high) = consumer
        .fetch_watermarks(&topic, 1, Duration::from_secs(10))
        .expect("watermarks");
    assert_eq!((low, high), (0, 30));
}

#[test]
fn offsets_for_times_find_the_first_record_at_or_after_a_timestamp() {
    let kafka = start_broker();
    let topic = unique("by-time");
    kafka.create_topic(&topic, 1, &[]).expect("topic");
    let producer = producer(&kafka.bootstrap_servers(), &[]);
    for i in 0..10i64 {
        let record = FutureRecord::<str, str>::to(&topic)
            .payload("v")
            .partition(0)
            .timestamp(1_000 * (i + 1));
        send(&producer, record).expect("delivered");
    }
    let consumer = assigned_consumer(&kafka.bootstrap_servers(), &topic, 1, "read_uncommitted");
    let mut query = rdkafka::TopicPartitionList::new();
    query
        .add_partition_offset(&topic, 0, rdkafka::Offset::Offset(4_500))
        .expect("query");
    let found = consumer
        .offsets_for_times(query, Duration::from_secs(10))
        .expect("offsets for times");
    assert_eq!(
        found.find_partition(&topic, 0).expect("partition").offset(),
        rdkafka::Offset::Offset(4)
    );
}

#[test]
fn batches_larger_than_the_topic_max_message_bytes_are_refused() {
    let kafka = start_broker();
    let topic = unique("too-large");
    kafka
        .create_topic(&topic, 1, &[("max.message.bytes", "1000")])
        .expect("topic");
    let producer = producer(&kafka.bootstrap_servers(), &[]);
    let large = "x".repeat(5_000);
    let refused = send(
        &producer,
        FutureRecord::<str, str>::to(&topic)
            .payload(&large)
            .partition(0),
    )
    .expect_err("refused");
    assert_eq!(
        refused.rdkafka_error_code(),
        Some(rdkafka::types::RDKafkaErrorCode::MessageSizeTooLarge)
    );
    assert_eq!(
        send(
            &producer,
            FutureRecord::<str, str>::to(&topic)
                .payload("small")
                .partition(0)
        )
        .expect("small record delivered"),
        (0, 0)
    );
}

#[test]
fn topics_are_auto_created_only_when_configured() {
    let manual = start_broker();
    let producer_without = producer(&manual.bootstrap_servers(), &[]);
    let missing = unique("not-auto-created");
    let metadata = producer_without
        .client()
        .fetch_metadata(Some(&missing), Duration::from_secs(10))
        .expect("metadata");
    assert_eq!(
        metadata.topics()[0].error(),
        Some(rdkafka::types::RDKafkaRespErr::RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
    );
    assert!(manual.broker().topic(&missing).is_none());

    let automatic =
        start_with(embedded_kafka::BrokerConfig::default().with_auto_create_topics(true));
    let producer_with = producer(&automatic.bootstrap_servers(), &[]);
    let created = unique("auto-created");
    assert_eq!(
        send(
            &producer_with,
            FutureRecord::<str, str>::to(&created).payload("v")
        )
        .expect("delivered to an auto-created topic"),
        (0, 0)
    );
    assert_eq!(
        automatic
            .broker()
            .topic(&created)
            .expect("created")
            .partition_count(),
        1
    );
}

#[test]
fn compacted_topics_refuse_records_without_a_key() {
    let kafka = start_broker();
    let topic = unique("compacted");
    kafka
        .create_topic(&topic, 1, &[("cleanup.policy", "compact")])
        .expect("topic");
    let producer = producer(&kafka.bootstrap_servers(), &[]);
    let refused = send(
        &producer,
        FutureRecord::<str, str>::to(&topic)
            .payload("no key")
            .partition(0),
    )
    .expect_err("refused");
    assert_eq!(
        refused.rdkafka_error_code(),
        Some(rdkafka::types::RDKafkaErrorCode::InvalidRecord)
    );
    assert_eq!(
        send(
            &producer,
            FutureRecord::to(&topic)
                .key("k")
                .payload("keyed")
                .partition(0)
        )
        .expect("keyed record delivered"),
        (0, 0)
    );
}
