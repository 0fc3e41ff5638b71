//! Every stateless KStream operator, driven through the TopologyTestDriver.

use std::sync::{Arc, Mutex};
use streams_dsl::prelude::*;

fn driver(builder: StreamsBuilder) -> TopologyTestDriver {
    TopologyTestDriver::new(builder.build().expect("topology builds")).expect("driver starts")
}

#[test]
fn filter_and_filter_not_keep_complementary_records() {
    let builder = StreamsBuilder::new();
    let numbers = builder.stream::<String, i64>("numbers", Consumed::default());
    numbers
        .filter(|_, v| v % 2 == 0)
        .to("even", Produced::default());
    numbers
        .filter_not(|_, v| v % 2 == 0)
        .to("odd", Produced::default());
    let driver = driver(builder);
    let input = driver.input_topic::<String, i64>("numbers").unwrap();
    for (i, n) in [1_i64, 2, 3, 4].into_iter().enumerate() {
        input.pipe(format!("k{n}"), n, i as i64).unwrap();
    }
    let even = driver.output_topic::<String, i64>("even").unwrap();
    let odd = driver.output_topic::<String, i64>("odd").unwrap();
    assert_eq!(
        even.read_key_values().unwrap(),
        [("k2".into(), 2), ("k4".into(), 4)]
    );
    assert_eq!(
        odd.read_key_values().unwrap(),
        [("k1".into(), 1), ("k3".into(), 3)]
    );
}

#[test]
fn map_changes_key_and_value_types_and_keeps_timestamp_and_headers() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("words", Consumed::default())
        .map(|k, v| (v.len() as i64, format!("{k}:{v}")))
        .to("lengths", Produced::default());
    let driver = driver(builder);
    let input = driver.input_topic::<String, String>("words").unwrap();
    input
        .pipe_with_headers("a", "hello", 42, Headers::new().with("trace", b"t-1"))
        .unwrap();
    let record = driver
        .output_topic::<i64, String>("lengths")
        .unwrap()
        .read()
        .unwrap();
    assert_eq!(
        (record.key, record.value.as_str(), record.timestamp),
        (5, "a:hello", 42)
    );
    assert_eq!(record.headers.last_value("trace"), Some(&b"t-1"[..]));
}

#[test]
fn map_values_and_map_values_with_key() {
    let builder = StreamsBuilder::new();
    let input = builder.stream::<String, i64>("in", Consumed::default());
    input
        .map_values(|v| v * 10)
        .to("times-ten", Produced::default());
    input
        .map_values_with_key(|k, v| format!("{k}={v}"))
        .to("described", Produced::default());
    let driver = driver(builder);
    driver
        .input_topic::<String, i64>("in")
        .unwrap()
        .pipe("x", 7, 1)
        .unwrap();
    assert_eq!(
        driver
            .output_topic::<String, i64>("times-ten")
            .unwrap()
            .read_key_value()
            .unwrap(),
        ("x".into(), 70)
    );
    assert_eq!(
        driver
            .output_topic::<String, String>("described")
            .unwrap()
            .read_value()
            .unwrap(),
        "x=7"
    );
}

#[test]
fn flat_map_and_flat_map_values_emit_any_number_of_records() {
    let builder = StreamsBuilder::new();
    let lines = builder.stream::<String, String>("lines", Consumed::default());
    lines
        .flat_map(|_, line| {
            line.split_whitespace()
                .map(|w| (w.to_string(), 1_i64))
                .collect::<Vec<_>>()
        })
        .to("words", Produced::default());
    lines
        .flat_map_values(|line| {
            line.chars()
                .filter(|c| c.is_ascii_digit())
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .to("digits", Produced::default());
    let driver = driver(builder);
    let input = driver.input_topic::<String, String>("lines").unwrap();
    input.pipe("l1", "to be or", 5).unwrap();
    input.pipe("l2", "", 6).unwrap();
    input.pipe("l3", "a1b2", 7).unwrap();
    let words = driver
        .output_topic::<String, i64>("words")
        .unwrap()
        .read_all()
        .unwrap();
    assert_eq!(
        words
            .iter()
            .map(|r| (r.key.as_str(), r.timestamp))
            .collect::<Vec<_>>(),
        [("to", 5), ("be", 5), ("or", 5), ("a1b2", 7)]
    );
    assert_eq!(
        driver
            .output_topic::<String, String>("digits")
            .unwrap()
            .read_key_values()
            .unwrap(),
        [("l3".into(), "1".into()), ("l3".into(), "2".into())]
    );
}

#[test]
fn select_key_rekeys_and_marks_for_repartition() {
    let builder = StreamsBuilder::new();
    let stream = builder.stream::<String, String>("users", Consumed::default());
    assert!(!stream.is_key_changed());
    let by_country = stream.select_key(|_, v| v.split(',').nth(1).unwrap_or_default().to_string());
    assert!(by_country.is_key_changed());
    assert!(!stream.map_values(|v| v).is_key_changed());
    by_country.to("by-country", Produced::default());
    let driver = driver(builder);
    driver
        .input_topic::<String, String>("users")
        .unwrap()
        .pipe("u1", "ann,NL", 1)
        .unwrap();
    assert_eq!(
        driver
            .output_topic::<String, String>("by-country")
            .unwrap()
            .read_key_value()
            .unwrap(),
        ("NL".into(), "ann,NL".into())
    );
}

#[test]
fn peek_sees_every_record_and_passes_it_on_and_foreach_ends_the_line() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let terminal = Arc::new(Mutex::new(Vec::new()));
    let builder = StreamsBuilder::new();
    let (peeked, ended) = (seen.clone(), terminal.clone());
    let stream = builder
        .stream::<String, i64>("in", Consumed::default())
        .peek(move |k, v| peeked.lock().unwrap().push((k.clone(), *v)));
    stream.to("out", Produced::default());
    stream.foreach(move |_, v| ended.lock().unwrap().push(*v));
    let driver = driver(builder);
    let input = driver.input_topic::<String, i64>("in").unwrap();
    input.pipe("a", 1, 0).unwrap();
    input.pipe("b", 2, 0).unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        [("a".to_string(), 1), ("b".to_string(), 2)]
    );
    assert_eq!(*terminal.lock().unwrap(), [1, 2]);
    assert_eq!(driver.output_topic::<String, i64>("out").unwrap().len(), 2);
}

#[test]
fn merge_interleaves_both_streams_in_processing_order() {
    let builder = StreamsBuilder::new();
    let left = builder.stream::<String, String>("left", Consumed::default());
    let right = builder.stream::<String, String>("right", Consumed::default());
    left.merge(&right).to("merged", Produced::default());
    let driver = driver(builder);
    let (l, r) = (
        driver.input_topic::<String, String>("left").unwrap(),
        driver.input_topic::<String, String>("right").unwrap(),
    );
    l.pipe("k", "l1", 1).unwrap();
    r.pipe("k", "r1", 2).unwrap();
    l.pipe("k", "l2", 3).unwrap();
    let merged = driver.output_topic::<String, String>("merged").unwrap();
    assert_eq!(
        merged
            .read_all()
            .unwrap()
            .into_iter()
            .map(|r| r.value)
            .collect::<Vec<_>>(),
        ["l1", "r1", "l2"]
    );
}

#[test]
fn to_dynamic_chooses_the_topic_per_record() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, i64>("events", Consumed::default())
        .to_dynamic(|r| format!("events-{}", r.key), Produced::default());
    let driver = driver(builder);
    let input = driver.input_topic::<String, i64>("events").unwrap();
    input.pipe("eu", 1, 0).unwrap();
    input.pipe("us", 2, 0).unwrap();
    input.pipe("eu", 3, 0).unwrap();
    assert_eq!(driver.produced_topic_names(), ["events-eu", "events-us"]);
    assert_eq!(
        driver
            .output_topic::<String, i64>("events-eu")
            .unwrap()
            .read_key_values()
            .unwrap(),
        [("eu".into(), 1), ("eu".into(), 3)]
    );
}

#[test]
fn repartition_goes_through_an_internal_topic_and_a_second_subtopology() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, i64>("in", Consumed::default())
        .select_key(|_, v| format!("bucket-{}", v % 2))
        .repartition(Repartitioned::default().named("by-bucket"))
        .map_values(|v| v + 100)
        .to("out", Produced::default());
    let topology = builder.build().unwrap();
    assert_eq!(topology.subtopologies().len(), 2);
    assert_eq!(
        topology.internal_topics("app"),
        ["app-by-bucket-repartition"]
    );
    let driver = TopologyTestDriver::with_config(
        topology,
        TestDriverConfig {
            application_id: "app".into(),
            ..TestDriverConfig::default()
        },
    )
    .unwrap();
    driver
        .input_topic::<String, i64>("in")
        .unwrap()
        .pipe("a", 3, 9)
        .unwrap();
    let out = driver
        .output_topic::<String, i64>("out")
        .unwrap()
        .read()
        .unwrap();
    assert_eq!(
        (out.key.as_str(), out.value, out.timestamp),
        ("bucket-1", 103, 9)
    );
    let internal = driver
        .output_topic::<String, i64>("app-by-bucket-repartition")
        .unwrap();
    assert_eq!(internal.read_key_value().unwrap(), ("bucket-1".into(), 3));
}

#[test]
fn tombstones_flow_through_stateless_operators_as_none() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, Option<String>>("changes", Consumed::default())
        .map_values(|v| v.map(|s| s.to_uppercase()))
        .filter(|k, _| k != "ignored")
        .to("upper", Produced::default());
    let driver = driver(builder);
    let input = driver
        .input_topic::<String, Option<String>>("changes")
        .unwrap();
    input.pipe("a", Some("x".to_string()), 1).unwrap();
    input.pipe("a", None, 2).unwrap();
    input
        .pipe_bytes(Some(b"b".to_vec()), None, 3, Headers::new())
        .unwrap();
    let out = driver
        .output_topic::<String, Option<String>>("upper")
        .unwrap();
    assert_eq!(
        out.read_key_values().unwrap(),
        [
            ("a".into(), Some("X".into())),
            ("a".into(), None),
            ("b".into(), None)
        ]
    );
}

#[test]
fn null_keys_are_read_as_unit_keys() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<(), String>("unkeyed", Consumed::default())
        .select_key(|_, v| v.clone())
        .to("keyed", Produced::default());
    let driver = driver(builder);
    let input = driver.input_topic::<(), String>("unkeyed").unwrap();
    input.pipe((), "v", 1).unwrap();
    input
        .pipe_bytes(
            Some(b"ignored".to_vec()),
            Some(b"w".to_vec()),
            2,
            Headers::new(),
        )
        .unwrap();
    assert_eq!(
        driver
            .output_topic::<String, String>("keyed")
            .unwrap()
            .read_key_values()
            .unwrap(),
        [("v".into(), "v".into()), ("w".into(), "w".into())]
    );
}
