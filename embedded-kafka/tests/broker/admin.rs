//! Admin APIs through librdkafka's AdminClient: create (with configs, validate-only,
//! duplicates, bad partition counts), delete, add partitions, describe configs and
//! delete records.

use crate::common;

use common::*;
use rdkafka::TopicPartitionList;
use rdkafka::admin::{
    AdminClient, AdminOptions, ConfigSource, NewPartitions, NewTopic, ResourceSpecifier,
    TopicReplication,
};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::Consumer;
use rdkafka::producer::FutureRecord;
use rdkafka::types::RDKafkaErrorCode;
use std::time::Duration;

fn admin(bootstrap: &str) -> AdminClient<DefaultClientContext> {
    client_config(bootstrap, &[])
        .create()
        .expect("admin client")
}

fn options() -> AdminOptions {
    AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)))
}

#[test]
fn topics_are_created_validated_and_deleted() {
    let kafka = start_broker();
    let admin = admin(&kafka.bootstrap_servers());
    let topic = unique("admin-create");
    let dry_run = unique("admin-dry-run");

    let results = block_on(admin.create_topics(
        &[
            NewTopic::new(&topic, 3, TopicReplication::Fixed(1)).set("cleanup.policy", "compact"),
            NewTopic::new("bad topic name", 1, TopicReplication::Fixed(1)),
            NewTopic::new(&unique("admin-zero"), 0, TopicReplication::Fixed(1)),
            NewTopic::new(&unique("admin-rf"), 1, TopicReplication::Fixed(4)),
        ],
        &options(),
    ))
    .expect("create topics");
    assert_eq!(results[0], Ok(topic.clone()));
    assert!(matches!(
        results[1],
        Err((_, RDKafkaErrorCode::InvalidTopic))
    ));
    assert!(matches!(
        results[2],
        Err((_, RDKafkaErrorCode::InvalidPartitions))
    ));
    assert!(matches!(
        results[3],
        Err((_, RDKafkaErrorCode::InvalidReplicationFactor))
    ));

    let again = block_on(admin.create_topics(
        &[NewTopic::new(&topic, 3, TopicReplication::Fixed(3))],
        &options(),
    ))
    .expect("create again");
    assert!(matches!(
        again[0],
        Err((_, RDKafkaErrorCode::TopicAlreadyExists))
    ));

    let validated = block_on(admin.create_topics(
        &[NewTopic::new(&dry_run, 1, TopicReplication::Fixed(1))],
        &options().validate_only(true),
    ))
    .expect("validate only");
    assert_eq!(validated[0], Ok(dry_run.clone()));
    assert!(
        kafka.broker().topic(&dry_run).is_none(),
        "validate_only creates nothing"
    );
    assert_eq!(
        kafka
            .broker()
            .topic(&topic)
            .expect("created")
            .partition_count(),
        3
    );

    let deleted =
        block_on(admin.delete_topics(&[&topic, &dry_run], &options())).expect("delete topics");
    assert_eq!(deleted[0], Ok(topic.clone()));
    assert!(matches!(
        deleted[1],
        Err((_, RDKafkaErrorCode::UnknownTopicOrPartition))
    ));
    assert!(kafka.broker().topic(&topic).is_none());
}

#[test]
fn partitions_are_added_and_configs_described_with_kafka_defaults() {
    let kafka = start_broker();
    let admin = admin(&kafka.bootstrap_servers());
    let topic = unique("admin-configs");
    kafka
        .create_topic(&topic, 1, &[("retention.ms", "1000")])
        .expect("topic");

    let grown = block_on(admin.create_partitions(&[NewPartitions::new(&topic, 4)], &options()))
        .expect("create partitions");
    assert_eq!(grown[0], Ok(topic.clone()));
    let shrink = block_on(admin.create_partitions(&[NewPartitions::new(&topic, 2)], &options()))
        .expect("create partitions");
    assert!(matches!(
        shrink[0],
        Err((_, RDKafkaErrorCode::InvalidPartitions))
    ));
    assert_eq!(
        kafka
            .broker()
            .topic(&topic)
            .expect("topic")
            .partition_count(),
        4
    );

    let described = block_on(admin.describe_configs(
        &[
            ResourceSpecifier::Topic(&topic),
            ResourceSpecifier::Broker(1),
        ],
        &options(),
    ))
    .expect("describe configs");
    let topic_configs = described[0].as_ref().expect("topic configs");
    let retention = topic_configs.get("retention.ms").expect("retention.ms");
    assert_eq!(retention.value.as_deref(), Some("1000"));
    assert_eq!(retention.source, ConfigSource::DynamicTopic);
    let cleanup = topic_configs.get("cleanup.policy").expect("cleanup.policy");
    assert_eq!(cleanup.value.as_deref(), Some("delete"));
    assert_eq!(cleanup.source, ConfigSource::Default);
    let broker_configs = described[1].as_ref().expect("broker configs");
    assert_eq!(
        broker_configs
            .get("broker.id")
            .and_then(|e| e.value.as_deref()),
        Some("1")
    );
}

#[test]
fn delete_records_moves_the_log_start_offset() {
    let kafka = start_broker();
    let bootstrap = kafka.bootstrap_servers();
    let topic = unique("admin-delete-records");
    kafka.create_topic(&topic, 1, &[]).expect("topic");
    let producer = producer(&bootstrap, &[]);
    for i in 0..10 {
        let value = format!("v{i}");
        send(
            &producer,
            FutureRecord::<str, str>::to(&topic)
                .payload(&value)
                .partition(0),
        )
        .expect("delivered");
    }
    let admin = admin(&bootstrap);
    let mut offsets = TopicPartitionList::new();
    offsets
        .add_partition_offset(&topic, 0, rdkafka::Offset::Offset(10))
        .expect("offsets");
    let result = block_on(admin.delete_records(&offsets, &options())).expect("delete records");
    assert_eq!(
        result
            .find_partition(&topic, 0)
            .expect("partition")
            .offset(),
        rdkafka::Offset::Offset(10)
    );
    let consumer = assigned_consumer(&bootstrap, &topic, 1, "read_uncommitted");
    let (low, high) = consumer
        .fetch_watermarks(&topic, 0, Duration::from_secs(10))
        .expect("watermarks");
    assert_eq!((low, high), (10, 10));
}
