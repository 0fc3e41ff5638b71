//! The one partitioner in the TopologyTestDriver: sinks put records where
//! Kafka's default partitioner would (murmur2 of the serialized key), windowed
//! keys where their inner key goes, and a custom partitioner of `Produced` or
//! `Repartitioned` decides instead when it gives a partition.

use std::time::Duration;
use streams_core::partitioner::default_partition;
use streams_dsl::prelude::*;

const PARTITIONS: i32 = 5;
const KEYS: [&str; 8] = [
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
];

fn config(topics: &[&str]) -> TestDriverConfig {
    topics
        .iter()
        .fold(TestDriverConfig::default(), |config, topic| {
            config.with_partitions(*topic, PARTITIONS)
        })
}

/// Pipes one record of each of [`KEYS`] into `in`.
fn pipe_keys(driver: &TopologyTestDriver) {
    let input = driver.input_topic::<String, String>("in").unwrap();
    for key in KEYS {
        input.pipe(key, "v", 0).unwrap();
    }
}

/// The partition and key of every record on `topic`.
fn partitions_of<K: 'static, V: 'static>(
    driver: &TopologyTestDriver,
    topic: &str,
) -> Vec<(Option<i32>, K)> {
    let output = driver.output_topic::<K, V>(topic).unwrap();
    let mut found = Vec::new();
    while !output.is_empty() {
        let (partition, record) = output.read_with_partition().unwrap();
        found.push((partition, record.key));
    }
    found
}

#[test]
fn sinks_partition_by_murmur2_of_the_serialized_key() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("in", Consumed::default())
        .to("out", Produced::default());
    let driver =
        TopologyTestDriver::with_config(builder.build().unwrap(), config(&["out"])).unwrap();
    pipe_keys(&driver);
    let found = partitions_of::<String, String>(&driver, "out");
    assert_eq!(found.len(), KEYS.len());
    for (partition, key) in &found {
        assert_eq!(
            *partition,
            Some(default_partition(key.as_bytes(), PARTITIONS)),
            "{key}"
        );
    }
    // The keys spread: the partition is not a constant.
    let mut used: Vec<Option<i32>> = found.iter().map(|(p, _)| *p).collect();
    used.sort();
    used.dedup();
    assert!(used.len() > 1, "{found:?}");
}

#[test]
fn a_null_key_is_left_to_the_producer() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("in", Consumed::default())
        .select_key(|_, _| Option::<String>::None)
        .to("out", Produced::default());
    let driver =
        TopologyTestDriver::with_config(builder.build().unwrap(), config(&["out"])).unwrap();
    driver
        .input_topic::<String, String>("in")
        .unwrap()
        .pipe("k", "v", 0)
        .unwrap();
    assert_eq!(
        partitions_of::<Option<String>, String>(&driver, "out"),
        [(None, None)]
    );
}

#[test]
fn windowed_keys_land_in_the_partition_of_their_inner_key() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("in", Consumed::default())
        .group_by_key()
        .windowed_by(TimeWindows::of_size_with_no_grace(Duration::from_millis(
            10,
        )))
        .count(Materialized::named("counts").with_caching_disabled())
        .to_stream()
        .to("windowed", Produced::default());
    let driver =
        TopologyTestDriver::with_config(builder.build().unwrap(), config(&["windowed"])).unwrap();
    let input = driver.input_topic::<String, String>("in").unwrap();
    // In time order, four windows of every key.
    for window in 0..4 {
        for (n, key) in KEYS.iter().enumerate() {
            input.pipe(*key, "v", window * 10 + n as i64).unwrap();
        }
    }
    let found = partitions_of::<Windowed<String>, Option<i64>>(&driver, "windowed");
    assert_eq!(found.len(), KEYS.len() * 4);
    let full_key = WindowedSerde::new(std::sync::Arc::new(StringSerde));
    let mut differs_from_the_full_key = false;
    for (partition, key) in &found {
        assert_eq!(
            *partition,
            Some(default_partition(key.key.as_bytes(), PARTITIONS)),
            "{key:?}"
        );
        let whole = default_partition(&full_key.serialize(key).unwrap(), PARTITIONS);
        differs_from_the_full_key |= Some(whole) != *partition;
    }
    assert!(
        differs_from_the_full_key,
        "hashing the whole windowed key would give the same partitions: the test shows nothing"
    );
}

/// Partition by the key's length: nothing like murmur2.
fn by_length() -> impl StreamPartitioner<String, String> {
    |_: &str, key: &String, _: Option<&String>, partitions: i32| Some(key.len() as i32 % partitions)
}

#[test]
fn a_custom_partitioner_of_produced_chooses_the_partition() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("in", Consumed::default())
        .to("out", Produced::default().with_partitioner(by_length()));
    let driver =
        TopologyTestDriver::with_config(builder.build().unwrap(), config(&["out"])).unwrap();
    pipe_keys(&driver);
    let found = partitions_of::<String, String>(&driver, "out");
    assert_eq!(found.len(), KEYS.len());
    assert!(
        found
            .iter()
            .any(|(p, key)| *p != Some(default_partition(key.as_bytes(), PARTITIONS))),
        "by_length agrees with murmur2 on every key: the test shows nothing"
    );
    for (partition, key) in found {
        assert_eq!(partition, Some(key.len() as i32 % PARTITIONS), "{key}");
    }
}

#[test]
fn a_custom_partitioner_of_repartitioned_chooses_the_repartition_topic_partition() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("in", Consumed::default())
        .repartition(
            Repartitioned::default()
                .named("by-length")
                .with_partitioner(by_length()),
        )
        .to("out", Produced::default());
    let topic = "test-driver-app-by-length-repartition";
    let driver =
        TopologyTestDriver::with_config(builder.build().unwrap(), config(&[topic])).unwrap();
    pipe_keys(&driver);
    for (partition, key) in partitions_of::<String, String>(&driver, topic) {
        assert_eq!(partition, Some(key.len() as i32 % PARTITIONS), "{key}");
    }
    // The records went on through the repartition topic.
    assert_eq!(
        partitions_of::<String, String>(&driver, "out").len(),
        KEYS.len()
    );
}

#[test]
fn a_partitioner_that_declines_leaves_the_record_to_the_default() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("in", Consumed::default())
        .to(
            "out",
            Produced::default().with_partitioner(
                |_: &str, key: &String, _: Option<&String>, _: i32| (key == "alpha").then_some(0),
            ),
        );
    let driver =
        TopologyTestDriver::with_config(builder.build().unwrap(), config(&["out"])).unwrap();
    pipe_keys(&driver);
    for (partition, key) in partitions_of::<String, String>(&driver, "out") {
        let expected = if key == "alpha" {
            0
        } else {
            default_partition(key.as_bytes(), PARTITIONS)
        };
        assert_eq!(partition, Some(expected), "{key}");
    }
}

#[test]
fn a_partition_out_of_range_fails_naming_the_sink() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("in", Consumed::default())
        .to(
            "out",
            Produced::default()
                .named("to-out")
                .with_partitioner(|_: &str, _: &String, _: Option<&String>, n: i32| Some(n)),
        );
    let driver =
        TopologyTestDriver::with_config(builder.build().unwrap(), config(&["out"])).unwrap();
    let error = driver
        .input_topic::<String, String>("in")
        .unwrap()
        .pipe("k", "v", 0)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("sink 'to-out' chose partition 5 of topic 'out', which has 5 partitions"),
        "{error}"
    );
}

#[test]
fn a_repartition_step_with_a_partition_count_spreads_keys_over_that_many_partitions() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("in", Consumed::default())
        .repartition(
            Repartitioned::default()
                .named("by-key")
                .with_number_of_partitions(3),
        )
        .to("out", Produced::default());
    let topology = builder.build().unwrap();
    assert_eq!(
        topology.partition_counts("test-driver-app"),
        [("test-driver-app-by-key-repartition".to_string(), 3)]
    );
    // No driver setting for the repartition topic: the count comes from the topology.
    let driver = TopologyTestDriver::new(topology).unwrap();
    pipe_keys(&driver);
    let found = partitions_of::<String, String>(&driver, "test-driver-app-by-key-repartition");
    assert_eq!(found.len(), KEYS.len());
    for (partition, key) in found {
        assert_eq!(
            partition,
            Some(default_partition(key.as_bytes(), 3)),
            "{key}"
        );
    }
}

#[test]
fn a_repartition_step_with_zero_partitions_fails_the_build_saying_so() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("in", Consumed::default())
        .repartition(
            Repartitioned::default()
                .named("nowhere")
                .with_number_of_partitions(0),
        )
        .to("out", Produced::default());
    let message = builder.build().err().map(|e| e.to_string());
    assert_eq!(
        message.as_deref(),
        Some(
            "topic 'nowhere-repartition' cannot be given 0 partitions: a topic needs at least one partition"
        )
    );
}
