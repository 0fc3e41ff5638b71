//! The one partitioner on a broker: the runtime's default partitioning agrees
//! with librdkafka's murmur2 (the Java client's) for the same keys, and with a
//! custom partitioner on a repartition step, records land where it says and
//! interactive queries of the store behind it find every key; a repartition
//! step with its own partition count gets a topic, tasks and changelog of
//! that count.

use integration_tests::{TestCluster, unique};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use streams_core::partitioner::default_partition;
use streams_dsl::prelude::*;

const WAIT: Duration = Duration::from_secs(90);
const PARTITIONS: i32 = 4;

/// Reads `topic` (of [`PARTITIONS`] partitions) from the beginning until
/// `count` records arrived; returns (partition, key, value) of each.
fn read_partitioned(
    cluster: &TestCluster,
    topic: &str,
    count: usize,
) -> Vec<(i32, String, Option<Vec<u8>>)> {
    read_partitions(cluster, topic, PARTITIONS, count)
}

/// Reads the `partitions` partitions of `topic` from the beginning until
/// `count` records arrived; returns (partition, key, value) of each.
fn read_partitions(
    cluster: &TestCluster,
    topic: &str,
    partitions: i32,
    count: usize,
) -> Vec<(i32, String, Option<Vec<u8>>)> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", cluster.bootstrap_servers())
        .set("group.id", unique("partition-reader"))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut list = TopicPartitionList::new();
    for partition in 0..partitions {
        list.add_partition_offset(topic, partition, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&list).unwrap();
    let deadline = Instant::now() + WAIT;
    let mut records = Vec::new();
    while records.len() < count {
        assert!(
            Instant::now() < deadline,
            "{topic}: only {} of {count} records within {WAIT:?}",
            records.len()
        );
        if let Some(message) = consumer.poll(Duration::from_millis(100)) {
            let message = message.unwrap();
            records.push((
                message.partition(),
                String::from_utf8(message.key().unwrap().to_vec()).unwrap(),
                message.payload().map(<[u8]>::to_vec),
            ));
        }
    }
    records
}

fn config(
    cluster: &TestCluster,
    application_id: &str,
    state_dir: &std::path::Path,
) -> StreamsConfig {
    StreamsConfig::builder()
        .set("application.id", application_id)
        .set("bootstrap.servers", cluster.bootstrap_servers())
        .set("state.dir", state_dir.display().to_string())
        .set("commit.interval.ms", "100")
        .set("replication.factor", "1")
        .build()
        .unwrap()
}

#[test]
fn the_default_partitioner_puts_keys_where_librdkafka_murmur2_does() {
    let cluster = TestCluster::start();
    let (input, output) = (unique("partitioning-in"), unique("partitioning-out"));
    cluster.create_topic(&input, PARTITIONS);
    cluster.create_topic(&output, PARTITIONS);
    let keys: Vec<(String, String)> = (0..200).map(|n| (format!("key-{n}"), "v".into())).collect();
    // librdkafka's murmur2 partitioner (the Java client's) places the input.
    cluster.produce(&input, &keys);
    for (partition, key, _) in read_partitioned(&cluster, &input, keys.len()) {
        assert_eq!(
            partition,
            default_partition(key.as_bytes(), PARTITIONS),
            "{key}"
        );
    }

    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>(&input, Consumed::default())
        .map_values(|v: String| v.to_uppercase())
        .to(&output, Produced::default());
    let state_dir = tempfile::tempdir().unwrap();
    let mut streams = KafkaStreams::new(
        builder.build().unwrap(),
        config(&cluster, &unique("partitioning-default"), state_dir.path()),
    )
    .unwrap();
    streams.start().unwrap();
    streams.wait_until_running(WAIT).unwrap();
    for (partition, key, _) in read_partitioned(&cluster, &output, keys.len()) {
        assert_eq!(
            partition,
            default_partition(key.as_bytes(), PARTITIONS),
            "{key}"
        );
    }
    streams.close(WAIT).unwrap();
}

/// `key-<n>` goes to partition `n % partitions`: nothing like murmur2.
fn by_number(key: &str, partitions: i32) -> Option<i32> {
    let n: i32 = key.strip_prefix("key-")?.parse().ok()?;
    Some(n % partitions)
}

#[test]
fn queries_find_every_key_a_custom_repartition_partitioner_placed() {
    let cluster = TestCluster::start();
    let (input, output) = (unique("custom-in"), unique("custom-out"));
    cluster.create_topic(&input, PARTITIONS);
    cluster.create_topic(&output, PARTITIONS);
    let application_id = unique("partitioning-custom");
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>(&input, Consumed::default())
        .repartition(
            Repartitioned::default()
                .named("by-number")
                .with_partitioner(|_: &str, key: &String, _: Option<&String>, n| by_number(key, n)),
        )
        .group_by_key()
        .count(Materialized::named("counts").with_caching_disabled())
        .to(&output, Produced::default());
    let state_dir = tempfile::tempdir().unwrap();
    let mut streams = KafkaStreams::new(
        builder.build().unwrap(),
        config(&cluster, &application_id, state_dir.path()),
    )
    .unwrap();
    streams.start().unwrap();
    streams.wait_until_running(WAIT).unwrap();

    let mut records = Vec::new();
    let mut expected = BTreeMap::new();
    for n in 0..40 {
        let key = format!("key-{n}");
        for copy in 0..=(n % 3) {
            records.push((key.clone(), format!("v{copy}")));
        }
        expected.insert(key, i64::from(n % 3) + 1);
    }
    assert!(
        expected
            .keys()
            .any(|key| by_number(key, PARTITIONS)
                != Some(default_partition(key.as_bytes(), PARTITIONS))),
        "the custom partitioner agrees with murmur2 on every key: the test shows nothing"
    );
    cluster.produce(&input, &records);

    let repartition = format!("{application_id}-by-number-repartition");
    for (partition, key, _) in read_partitioned(&cluster, &repartition, records.len()) {
        assert_eq!(Some(partition), by_number(&key, PARTITIONS), "{key}");
    }
    // Every update reached the output, so the store holds the final counts.
    read_partitioned(&cluster, &output, records.len());
    for (key, count) in &expected {
        assert_eq!(
            streams
                .query_key_value::<String, i64>("counts", key)
                .unwrap(),
            Some(*count),
            "the count of {key}"
        );
    }
    streams.close(WAIT).unwrap();
}

#[test]
fn a_repartition_step_with_a_partition_count_gets_a_topic_tasks_and_changelog_of_that_count() {
    const REPARTITIONED: i32 = 6;
    let cluster = TestCluster::start();
    let (input, output) = (unique("count-in"), unique("count-out"));
    cluster.create_topic(&input, PARTITIONS);
    cluster.create_topic(&output, PARTITIONS);
    let application_id = unique("partitioning-count");
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>(&input, Consumed::default())
        .select_key(|_, value| value.clone())
        .repartition(
            Repartitioned::default()
                .named("by-value")
                .with_number_of_partitions(REPARTITIONED as u32),
        )
        .group_by_key()
        .count(Materialized::named("value-counts").with_caching_disabled())
        .to(&output, Produced::default());
    let state_dir = tempfile::tempdir().unwrap();
    let mut streams = KafkaStreams::new(
        builder.build().unwrap(),
        config(&cluster, &application_id, state_dir.path()),
    )
    .unwrap();
    streams.start().unwrap();
    streams.wait_until_running(WAIT).unwrap();
    let repartition = format!("{application_id}-by-value-repartition");
    let changelog = format!("{application_id}-value-counts-changelog");
    assert_eq!(cluster.partition_count(&repartition), Some(REPARTITIONED));
    assert_eq!(cluster.partition_count(&changelog), Some(REPARTITIONED));

    let records: Vec<(String, String)> = (0..120)
        .map(|n| (format!("key-{n}"), format!("value-{}", n % 30)))
        .collect();
    cluster.produce(&input, &records);
    let placed = read_partitions(&cluster, &repartition, REPARTITIONED, records.len());
    for (partition, key, _) in &placed {
        assert_eq!(
            *partition,
            default_partition(key.as_bytes(), REPARTITIONED),
            "{key}"
        );
    }
    let used: std::collections::BTreeSet<i32> = placed.iter().map(|(p, _, _)| *p).collect();
    assert!(
        used.iter().any(|&p| p >= PARTITIONS),
        "no record went to a partition beyond the input's {PARTITIONS}: {used:?}"
    );
    // Every update reached the output, so the stores of all six tasks hold
    // the final counts.
    read_partitioned(&cluster, &output, records.len());
    for n in 0..30 {
        let key = format!("value-{n}");
        assert_eq!(
            streams
                .query_key_value::<String, i64>("value-counts", &key)
                .unwrap(),
            Some(4),
            "the count of {key}"
        );
    }
    streams.close(WAIT).unwrap();
}
