//! The eos-smoke topology on the TopologyTestDriver: every input record is
//! echoed and updates each of the four aggregates of its key once, as
//! `expected_outputs` computes them.

use examples::eos_smoke::{
    CNT_TOPIC, DATA_TOPIC, ECHO_TOPIC, MAX_TOPIC, MIN_TOPIC, OUTPUT_TOPICS, SUM_TOPIC,
    decode_output, eos_smoke_topology, expected_outputs,
};
use streams_dsl::prelude::*;

/// Every (key, value) on `topic`, as raw bytes decoded by the topic's width.
fn read(driver: &TopologyTestDriver, topic: &str) -> Vec<(String, i64)> {
    driver
        .output_topic_with::<String, Vec<u8>>(
            topic,
            std::sync::Arc::new(StringSerde),
            std::sync::Arc::new(VecSerde),
        )
        .read_key_values()
        .unwrap()
        .into_iter()
        .map(|(key, bytes)| (key, decode_output(topic, &bytes).unwrap()))
        .collect()
}

#[test]
fn every_input_record_is_echoed_and_updates_each_aggregate_once() {
    let driver = TopologyTestDriver::new(eos_smoke_topology().unwrap()).unwrap();
    let data = driver.input_topic::<String, i32>(DATA_TOPIC).unwrap();
    for (n, (key, value)) in [("a", 5), ("b", -2), ("a", -7), ("a", 9), ("b", 4)]
        .into_iter()
        .enumerate()
    {
        data.pipe(key, value, n as i64).unwrap();
    }
    let key = |k: &str| k.to_string();
    assert_eq!(
        read(&driver, ECHO_TOPIC),
        [
            (key("a"), 5),
            (key("b"), -2),
            (key("a"), -7),
            (key("a"), 9),
            (key("b"), 4)
        ]
    );
    assert_eq!(
        read(&driver, CNT_TOPIC),
        [
            (key("a"), 1),
            (key("b"), 1),
            (key("a"), 2),
            (key("a"), 3),
            (key("b"), 2)
        ]
    );
    assert_eq!(
        read(&driver, SUM_TOPIC),
        [
            (key("a"), 5),
            (key("b"), -2),
            (key("a"), -2),
            (key("a"), 7),
            (key("b"), 2)
        ]
    );
    assert_eq!(
        read(&driver, MAX_TOPIC),
        [
            (key("a"), 5),
            (key("b"), -2),
            (key("a"), 5),
            (key("a"), 9),
            (key("b"), 4)
        ]
    );
    assert_eq!(
        read(&driver, MIN_TOPIC),
        [
            (key("a"), 5),
            (key("b"), -2),
            (key("a"), -7),
            (key("a"), -7),
            (key("b"), -2)
        ]
    );
}

#[test]
fn the_topology_writes_what_the_direct_computation_expects() {
    let driver = TopologyTestDriver::new(eos_smoke_topology().unwrap()).unwrap();
    let data = driver.input_topic::<String, i32>(DATA_TOPIC).unwrap();
    let values: Vec<i32> = (0..200).map(|n| (n * 7919 % 2001) - 1000).collect();
    for (n, value) in values.iter().enumerate() {
        data.pipe("k", *value, n as i64).unwrap();
    }
    let expected = expected_outputs(&values);
    for (topic, expected) in OUTPUT_TOPICS.iter().zip(expected) {
        let found: Vec<i64> = read(&driver, topic).into_iter().map(|(_, v)| v).collect();
        assert_eq!(found, expected, "{topic}");
    }
}

#[test]
fn values_of_the_wrong_width_are_refused() {
    assert_eq!(decode_output(SUM_TOPIC, &(-3i64).to_be_bytes()), Ok(-3));
    assert_eq!(decode_output(MIN_TOPIC, &(-3i32).to_be_bytes()), Ok(-3));
    assert!(decode_output(CNT_TOPIC, &1i32.to_be_bytes()).is_err());
    assert!(decode_output(ECHO_TOPIC, &1i64.to_be_bytes()).is_err());
}
