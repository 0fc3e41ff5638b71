//! The retry-topic pattern (`map_values_with_retry_topics`) on the broker: a
//! call that fails twice passes its record through `<name>-retry-0` and
//! `<name>-retry-1` and then succeeds, while the records behind it on the
//! input come out at once; a call that always fails ends in the dead-letter
//! topic with the source record's bytes, its headers and the attempt count.

use integration_tests::{TestCluster, streams_config, unique};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use streams_core::handler::DeadLetterHeaders;
use streams_dsl::prelude::*;

const WAIT: Duration = Duration::from_secs(90);
/// The retry levels' delays: long enough that a retried record is visibly
/// later than the good records produced with it.
const DELAYS_MS: [u64; 2] = [300, 600];

fn header<'a>(headers: &'a [(String, Option<Vec<u8>>)], key: &str) -> Option<&'a [u8]> {
    headers
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.as_deref())
}

#[test]
fn failed_calls_retry_through_the_retry_topics_without_holding_the_input() {
    let cluster = TestCluster::start();
    let name = unique("pricing");
    let topics = RetryTopics::new(
        &name,
        DELAYS_MS.iter().map(|&ms| Duration::from_millis(ms)),
        format!("{name}-dlq"),
    );
    let (input, output) = (format!("{name}-in"), format!("{name}-out"));
    for topic in [&input, &output, &topics.topic(0), &topics.topic(1)] {
        cluster.create_topic(topic, 2);
    }
    cluster.create_topic(topics.dead_letter_topic(), 1);

    // `flaky` fails its first two calls, `broken` every call.
    let calls: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let made = calls.clone();
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>(&input, Consumed::default())
        .map_values_with_retry_topics(topics.clone(), move |_key, value: &String| {
            let mut made = made.lock().unwrap();
            let count = made.entry(value.clone()).or_default();
            *count += 1;
            match value.as_str() {
                "flaky" if *count <= 2 => Err(ProcessError::msg(format!("flaky: call {count}"))),
                "broken" => Err(ProcessError::msg("broken: unavailable")),
                _ => Ok(value.to_uppercase()),
            }
        })
        .to(&output, Produced::default());
    let state_dir = tempfile::tempdir().unwrap();
    let config = streams_config(&cluster, &unique("retry-app"), state_dir.path(), &[]);
    let mut streams = KafkaStreams::new(builder.build().unwrap(), config).unwrap();
    streams.start().unwrap();
    streams.wait_until_running(WAIT).unwrap();

    cluster.produce(
        &input,
        &[
            ("k1", "flaky"),
            ("k2", "broken"),
            ("k1", "after-flaky"),
            ("k2", "after-broken"),
        ],
    );
    let mut out = cluster.reader(&output, 2);
    let read = out.read_until(WAIT, "every record priced", |records| records.len() >= 3);
    let values: Vec<String> = read
        .iter()
        .map(|(_, value)| String::from_utf8(value.clone().unwrap()).unwrap())
        .collect();
    assert_eq!(
        values.len(),
        3,
        "nothing but the three successes: {values:?}"
    );
    assert_eq!(
        values.last().map(String::as_str),
        Some("FLAKY"),
        "the retried record comes after the records behind it on the input: {values:?}"
    );
    assert!(
        values.contains(&"AFTER-FLAKY".to_string()) && values.contains(&"AFTER-BROKEN".to_string())
    );

    let mut dead = cluster.reader(topics.dead_letter_topic(), 1);
    let dead_read = dead.read_until(WAIT, "the broken record's dead letter", |r| !r.is_empty());
    assert_eq!(
        dead_read[0],
        (Some(b"k2".to_vec()), Some(b"broken".to_vec())),
        "the dead letter keeps the source record's bytes"
    );
    let headers = dead.headers(0);
    assert_eq!(
        header(headers, RetryTopicHeaders::ATTEMPTS),
        Some(b"3".as_slice()),
        "one first try and one attempt per retry level"
    );
    assert_eq!(
        header(headers, DeadLetterHeaders::TOPIC),
        Some(input.as_bytes()),
        "the dead letter names the record's source topic"
    );
    assert_eq!(
        header(headers, DeadLetterHeaders::MESSAGE).map(String::from_utf8_lossy),
        Some("broken: unavailable".into())
    );
    let calls = calls.lock().unwrap();
    assert_eq!((calls["flaky"], calls["broken"]), (3, 3));

    let mut retried = cluster.reader(&topics.topic(0), 2);
    retried.read_until(WAIT, "both failures in the first retry topic", |r| {
        r.len() >= 2
    });
    drop(calls);
    streams.close(WAIT).unwrap();
}
