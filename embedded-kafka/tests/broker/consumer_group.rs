//! Consumer groups with real librdkafka consumers: partitions shared out among
//! members and rebalanced as members leave (LeaveGroup) or vanish (session
//! timeout), committed offsets handed over to the next owner and kept across a
//! broker restart, transactional offsets that become visible only when their
//! transaction commits, a zombie's transactional offsets refused (KIP-447), and
//! commits refused for partitions the broker does not host.

use crate::common;

use common::*;
use embedded_kafka::BrokerConfig;
use embedded_kafka::group::TopicPartition;
use kafka_protocol::ResponseError;
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestTopic;
use kafka_protocol::messages::{
    DescribeGroupsRequest, GroupId, OffsetCommitRequest, OffsetFetchRequest, RequestHeader,
    TopicName,
};
use kafka_protocol::protocol::StrBytes;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerGroupMetadata};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{FutureRecord, Producer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// A subscribed group member; `extra` overrides the defaults.
fn member(bootstrap: &str, group: &str, topic: &str, extra: &[(&str, &str)]) -> BaseConsumer {
    let mut config = client_config(
        bootstrap,
        &[
            ("group.id", group),
            ("enable.auto.commit", "false"),
            ("auto.offset.reset", "earliest"),
            ("session.timeout.ms", "6000"),
            ("heartbeat.interval.ms", "300"),
        ],
    );
    for (key, value) in extra {
        config.set(*key, *value);
    }
    let consumer: BaseConsumer = config.create().expect("consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    consumer
}

/// The partitions each consumer is assigned.
fn assignments(consumers: &[&BaseConsumer]) -> Vec<Vec<TopicPartition>> {
    consumers
        .iter()
        .map(|consumer| {
            let mut owned: Vec<TopicPartition> = consumer
                .assignment()
                .expect("assignment")
                .elements()
                .iter()
                .map(|e| TopicPartition::new(e.topic(), e.partition()))
                .collect();
            owned.sort();
            owned
        })
        .collect()
}

/// Polls every consumer (serving their rebalances) until each owns `per_member`
/// partitions and together they own each of the topic's partitions exactly once.
fn await_balanced(consumers: &[&BaseConsumer], topic: &str, partitions: i32, per_member: usize) {
    let deadline = Instant::now() + WAIT;
    let expected: Vec<TopicPartition> = (0..partitions)
        .map(|p| TopicPartition::new(topic, p))
        .collect();
    loop {
        for consumer in consumers {
            if let Some(Err(error)) = consumer.poll(Duration::from_millis(20)) {
                panic!("consumer error: {error}");
            }
        }
        let owned = assignments(consumers);
        let mut all: Vec<TopicPartition> = owned.iter().flatten().cloned().collect();
        all.sort();
        if all == expected && owned.iter().all(|o| o.len() == per_member) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no balanced assignment of {partitions} partitions over {} members within {WAIT:?}: {owned:?}",
            consumers.len()
        );
    }
}

#[test]
fn three_members_share_six_partitions_and_rebalance_when_members_leave_or_vanish() {
    let kafka = start_broker();
    let bootstrap = kafka.bootstrap_servers();
    let topic = unique("shared");
    let group = unique("sharing-group");
    kafka.create_topic(&topic, 6, &[]).expect("topic");

    let leaving = member(&bootstrap, &group, &topic, &[]);
    let staying = member(&bootstrap, &group, &topic, &[]);
    // A static member does not send LeaveGroup when it is dropped: only its
    // session timeout tells the coordinator it is gone.
    let instance = unique("instance");
    let vanishing = member(
        &bootstrap,
        &group,
        &topic,
        &[("group.instance.id", &instance)],
    );
    await_balanced(&[&leaving, &staying, &vanishing], &topic, 6, 2);

    drop(leaving);
    await_balanced(&[&staying, &vanishing], &topic, 6, 3);

    drop(vanishing);
    let described = kafka.broker().groups.describe_groups(
        &DescribeGroupsRequest::default()
            .with_groups(vec![GroupId(StrBytes::from_string(group.clone()))]),
        5,
    );
    assert_eq!(
        described.groups[0].members.len(),
        2,
        "the static member left without a LeaveGroup"
    );
    await_balanced(&[&staying], &topic, 6, 6);
}

#[test]
fn the_next_owner_of_a_partition_resumes_from_the_committed_offset() {
    let kafka = start_broker();
    let bootstrap = kafka.bootstrap_servers();
    let topic = unique("handover");
    let group = unique("handover-group");
    kafka.create_topic(&topic, 2, &[]).expect("topic");
    let producer = producer(&bootstrap, &[]);
    for i in 0..20 {
        let value = format!("v{i}");
        let record = FutureRecord::<str, str>::to(&topic)
            .payload(&value)
            .partition(i % 2);
        send(&producer, record).expect("delivered");
    }

    let first = member(&bootstrap, &group, &topic, &[]);
    await_balanced(&[&first], &topic, 2, 2);
    let mut commits = TopicPartitionList::new();
    commits
        .add_partition_offset(&topic, 0, Offset::Offset(4))
        .expect("offset");
    commits
        .add_partition_offset(&topic, 1, Offset::Offset(7))
        .expect("offset");
    first.commit(&commits, CommitMode::Sync).expect("commit");
    drop(first);

    let next = member(&bootstrap, &group, &topic, &[]);
    let mut first_offsets = BTreeMap::new();
    let deadline = Instant::now() + WAIT;
    while first_offsets.len() < 2 {
        assert!(
            Instant::now() < deadline,
            "read from both partitions within {WAIT:?}: {first_offsets:?}"
        );
        match next.poll(Duration::from_millis(100)) {
            Some(Ok(message)) => {
                first_offsets
                    .entry(message.partition())
                    .or_insert(message.offset());
            }
            Some(Err(error)) => panic!("consumer error: {error}"),
            None => {}
        }
    }
    assert_eq!(first_offsets, BTreeMap::from([(0, 4), (1, 7)]));
    let committed = next
        .committed(Duration::from_secs(10))
        .expect("committed offsets");
    assert_eq!(
        committed.find_partition(&topic, 0).map(|p| p.offset()),
        Some(Offset::Offset(4))
    );
    assert_eq!(
        committed.find_partition(&topic, 1).map(|p| p.offset()),
        Some(Offset::Offset(7))
    );
}

/// The committed offset of partition 0 as a read_uncommitted consumer of the group sees it.
#[test]
fn transactional_offsets_become_visible_only_when_the_transaction_commits() {
    let kafka = start_broker();
    let bootstrap = kafka.bootstrap_servers();
    let topic = unique("txn-offsets");
    let group = unique("txn-offsets-group");
    kafka.create_topic(&topic, 1, &[]).expect("topic");
    let observer: BaseConsumer = client_config(
        &bootstrap,
        &[
            ("group.id", &group),
            ("enable.auto.commit", "false"),
            ("isolation.level", "read_uncommitted"),
        ],
    )
    .create()
    .expect("consumer");
    let transactional_id = unique("txn");
    let producer = producer(&bootstrap, &[("transactional.id", &transactional_id)]);
    producer
        .init_transactions(Duration::from_secs(10))
        .expect("init");
    let group_metadata = observer.group_metadata().expect("group metadata");

    let mut offsets = TopicPartitionList::new();
    offsets
        .add_partition_offset(&topic, 0, Offset::Offset(5))
        .expect("offset");
    producer.begin_transaction().expect("begin");
    producer
        .send_offsets_to_transaction(&offsets, &group_metadata, Duration::from_secs(10))
        .expect("send offsets");
    assert_eq!(
        committed_offset(&observer, &topic),
        Offset::Invalid,
        "invisible while open"
    );
    let stable_fetch = OffsetFetchRequest::default()
        .with_group_id(GroupId(StrBytes::from_string(group.clone())))
        .with_topics(Some(vec![
            OffsetFetchRequestTopic::default()
                .with_name(TopicName(StrBytes::from_string(topic.clone())))
                .with_partition_indexes(vec![0]),
        ]))
        .with_require_stable(true);
    let pending = kafka.broker().groups.offset_fetch(&stable_fetch, 7);
    assert_eq!(
        ResponseError::try_from_code(pending.topics[0].partitions[0].error_code),
        Some(ResponseError::UnstableOffsetCommit)
    );
    producer
        .commit_transaction(Duration::from_secs(10))
        .expect("commit");
    assert_eq!(committed_offset(&observer, &topic), Offset::Offset(5));

    let mut offsets = TopicPartitionList::new();
    offsets
        .add_partition_offset(&topic, 0, Offset::Offset(9))
        .expect("offset");
    producer.begin_transaction().expect("begin");
    producer
        .send_offsets_to_transaction(&offsets, &group_metadata, Duration::from_secs(10))
        .expect("send offsets");
    producer
        .abort_transaction(Duration::from_secs(10))
        .expect("abort");
    assert_eq!(
        committed_offset(&observer, &topic),
        Offset::Offset(5),
        "aborted offsets are dropped"
    );
}

/// Sends offset 1 of partition 0 in a transaction with `metadata`: the error code
/// it fails with (the transaction is aborted), or None once committed.
fn send_offsets_as(
    producer: &rdkafka::producer::FutureProducer,
    topic: &str,
    metadata: &ConsumerGroupMetadata,
) -> Option<RDKafkaErrorCode> {
    let mut offsets = TopicPartitionList::new();
    offsets
        .add_partition_offset(topic, 0, Offset::Offset(1))
        .expect("offset");
    producer.begin_transaction().expect("begin");
    match producer.send_offsets_to_transaction(&offsets, metadata, Duration::from_secs(10)) {
        Ok(()) => {
            producer
                .commit_transaction(Duration::from_secs(10))
                .expect("commit");
            None
        }
        Err(KafkaError::Transaction(error)) => {
            assert!(
                error.txn_requires_abort() && !error.is_fatal(),
                "a zombie's offsets abort the transaction, they do not kill the producer: {error}"
            );
            producer
                .abort_transaction(Duration::from_secs(10))
                .expect("abort");
            Some(error.code())
        }
        Err(other) => panic!("unexpected error: {other}"),
    }
}

#[test]
fn transactional_offsets_of_a_zombie_member_are_refused_as_kip_447_says() {
    let kafka = start_broker();
    let bootstrap = kafka.bootstrap_servers();
    let topic = unique("zombie-offsets");
    kafka.create_topic(&topic, 2, &[]).expect("topic");
    let group = unique("zombie-offsets-group");
    let producer = producer(
        &bootstrap,
        &[("transactional.id", &unique("zombie-offsets-txn"))],
    );
    producer
        .init_transactions(Duration::from_secs(10))
        .expect("init");

    let first = member(&bootstrap, &group, &topic, &[]);
    await_balanced(&[&first], &topic, 2, 2);
    let old_generation = first.group_metadata().expect("group metadata");
    let second = member(&bootstrap, &group, &topic, &[]);
    await_balanced(&[&first, &second], &topic, 2, 1);
    assert_eq!(
        send_offsets_as(&producer, &topic, &old_generation),
        Some(RDKafkaErrorCode::IllegalGeneration),
        "offsets of the previous generation"
    );
    let current = first.group_metadata().expect("group metadata");
    assert_eq!(send_offsets_as(&producer, &topic, &current), None);
    let departed = second.group_metadata().expect("group metadata");
    drop(second);
    await_balanced(&[&first], &topic, 2, 2);
    assert_eq!(
        send_offsets_as(&producer, &topic, &departed),
        Some(RDKafkaErrorCode::UnknownMemberId),
        "offsets of a member that left"
    );

    let static_group = unique("zombie-offsets-static");
    let instance = [("group.instance.id", "instance-1")];
    let original = member(&bootstrap, &static_group, &topic, &instance);
    await_balanced(&[&original], &topic, 2, 2);
    let replaced = original.group_metadata().expect("group metadata");
    let replacement = member(&bootstrap, &static_group, &topic, &instance);
    await_balanced(&[&replacement], &topic, 2, 2);
    assert_eq!(
        send_offsets_as(&producer, &topic, &replaced),
        Some(RDKafkaErrorCode::FencedInstanceId),
        "offsets of a static member replaced by a new instance"
    );
}

#[test]
fn committed_offsets_survive_a_broker_restart_on_the_same_data_dir() {
    let data_dir = tempfile::tempdir().expect("data dir");
    let config = BrokerConfig::default().with_data_dir(data_dir.path());
    let topic = unique("durable-offsets");
    let group = unique("durable-offsets-group");
    let kafka = start_with(config.clone());
    kafka.create_topic(&topic, 2, &[]).expect("topic");
    let bootstrap = kafka.bootstrap_servers();
    let consumer: BaseConsumer = client_config(
        &bootstrap,
        &[("group.id", &group), ("enable.auto.commit", "false")],
    )
    .create()
    .expect("consumer");
    let mut commits = TopicPartitionList::new();
    commits
        .add_partition_offset(&topic, 0, Offset::Offset(3))
        .expect("offset");
    consumer.commit(&commits, CommitMode::Sync).expect("commit");
    let producer = producer(
        &bootstrap,
        &[("transactional.id", &unique("durable-offsets-txn"))],
    );
    producer
        .init_transactions(Duration::from_secs(10))
        .expect("init");
    producer.begin_transaction().expect("begin");
    let mut offsets = TopicPartitionList::new();
    offsets
        .add_partition_offset(&topic, 1, Offset::Offset(8))
        .expect("offset");
    let group_metadata = consumer.group_metadata().expect("group metadata");
    producer
        .send_offsets_to_transaction(&offsets, &group_metadata, Duration::from_secs(10))
        .expect("send offsets");
    producer
        .commit_transaction(Duration::from_secs(10))
        .expect("commit");
    drop(producer);
    drop(consumer);
    kafka.shutdown_blocking();

    let restarted = start_with(config);
    let consumer: BaseConsumer = client_config(
        &restarted.bootstrap_servers(),
        &[("group.id", &group), ("enable.auto.commit", "false")],
    )
    .create()
    .expect("consumer");
    let mut query = TopicPartitionList::new();
    query.add_partition(&topic, 0);
    query.add_partition(&topic, 1);
    let committed = consumer
        .committed_offsets(query, Duration::from_secs(10))
        .expect("committed offsets");
    assert_eq!(
        committed.find_partition(&topic, 0).map(|p| p.offset()),
        Some(Offset::Offset(3))
    );
    assert_eq!(
        committed.find_partition(&topic, 1).map(|p| p.offset()),
        Some(Offset::Offset(8))
    );
}

#[test]
fn commits_for_partitions_the_broker_does_not_host_are_refused() {
    let kafka = start_broker();
    let topic = unique("hosted");
    kafka.create_topic(&topic, 1, &[]).expect("topic");
    let partition = |index| {
        OffsetCommitRequestPartition::default()
            .with_partition_index(index)
            .with_committed_offset(1)
    };
    let request = OffsetCommitRequest::default()
        .with_group_id(GroupId(StrBytes::from_string(unique("hosted-group"))))
        .with_generation_id_or_member_epoch(-1)
        .with_topics(vec![
            OffsetCommitRequestTopic::default()
                .with_name(TopicName(StrBytes::from_string(topic.clone())))
                .with_partitions(vec![partition(0), partition(1)]),
            OffsetCommitRequestTopic::default()
                .with_name(TopicName(StrBytes::from_string(unique("missing"))))
                .with_partitions(vec![partition(0)]),
        ]);
    let header = RequestHeader::default().with_request_api_version(8);
    let response = block_on(kafka.broker().offset_commit(&header, request));
    let mut errors: Vec<(String, i32, Option<ResponseError>)> = response
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions.iter().map(|p| {
                (
                    t.name.0.to_string(),
                    p.partition_index,
                    ResponseError::try_from_code(p.error_code),
                )
            })
        })
        .collect();
    errors.sort_by_key(|(name, partition, _)| (name != &topic, *partition));
    let unknown = Some(ResponseError::UnknownTopicOrPartition);
    assert_eq!(errors[0], (topic.clone(), 0, None));
    assert_eq!(errors[1], (topic.clone(), 1, unknown));
    assert_eq!((errors[2].1, errors[2].2), (0, unknown));
    assert_eq!(errors.len(), 3);
}
