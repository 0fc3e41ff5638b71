//! The retry-topic pattern (`map_values_with_retry_topics`) on the
//! TopologyTestDriver with its mocked wall clock: failed calls pass the source
//! record through the retry topics with their headers, a record is not retried
//! before its delay, the input is not held meanwhile, and the last failure
//! ends in the dead-letter topic byte for byte.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use streams_core::handler::DeadLetterHeaders;
use streams_dsl::prelude::*;

/// The mocked wall clock's start, so not-before times are easy to tell apart.
const START_MS: i64 = 1_000_000;

/// The calls made, in order, and a call that fails the first `failures`
/// calls for each value and then appends "!".
type Calls = Arc<Mutex<Vec<String>>>;

fn service(
    failures: u32,
) -> (
    Calls,
    impl Fn(&String, &String) -> Result<String, ProcessError> + Send + Sync + 'static,
) {
    let calls: Calls = Arc::default();
    let made: Mutex<HashMap<String, u32>> = Mutex::default();
    let log = calls.clone();
    let call = move |_key: &String, value: &String| {
        log.lock().unwrap().push(value.clone());
        let mut made = made.lock().unwrap();
        let count = made.entry(value.clone()).or_default();
        *count += 1;
        if *count <= failures && !value.starts_with("ok") {
            Err(ProcessError::msg(format!(
                "{value}: unavailable (call {count})"
            )))
        } else {
            Ok(format!("{value}!"))
        }
    };
    (calls, call)
}

/// `<prefix>-in` through the call to `<prefix>-out`, retry topics
/// `<prefix>-retry-<n>` with `delays`, dead letters to `<prefix>-dlq`.
fn driver(
    prefix: &str,
    delays: &[u64],
    call: impl Fn(&String, &String) -> Result<String, ProcessError> + Send + Sync + 'static,
) -> TopologyTestDriver {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>(&format!("{prefix}-in"), Consumed::default())
        .map_values_with_retry_topics(
            RetryTopics::new(
                prefix,
                delays.iter().map(|&ms| Duration::from_millis(ms)),
                format!("{prefix}-dlq"),
            ),
            call,
        )
        .to(&format!("{prefix}-out"), Produced::default());
    let config = TestDriverConfig {
        wall_clock_start_ms: START_MS,
        ..TestDriverConfig::default()
    };
    TopologyTestDriver::with_config(builder.build().unwrap(), config).unwrap()
}

fn raw(driver: &TopologyTestDriver, topic: &str) -> Vec<Record<Vec<u8>, Vec<u8>>> {
    driver
        .output_topic_with::<Vec<u8>, Vec<u8>>(topic, Arc::new(VecSerde), Arc::new(VecSerde))
        .read_all()
        .unwrap()
}

fn values(driver: &TopologyTestDriver, topic: &str) -> Vec<String> {
    driver
        .output_topic::<String, String>(topic)
        .unwrap()
        .read_all()
        .unwrap()
        .into_iter()
        .map(|r| r.value)
        .collect()
}

fn header_pairs(record: &Record<Vec<u8>, Vec<u8>>) -> Vec<(String, Option<Vec<u8>>)> {
    record
        .headers
        .iter()
        .map(|h| (h.key.clone(), h.value.clone()))
        .collect()
}

fn pair(key: &str, value: impl ToString) -> (String, Option<Vec<u8>>) {
    (key.to_string(), Some(value.to_string().into_bytes()))
}

/// The headers a record gets in a retry topic after `attempts` failed calls.
fn retry_headers(
    prefix: &str,
    attempts: u32,
    not_before: i64,
    message: &str,
) -> Vec<(String, Option<Vec<u8>>)> {
    vec![
        pair(RetryTopicHeaders::ATTEMPTS, attempts),
        pair(RetryTopicHeaders::NOT_BEFORE, not_before),
        pair(DeadLetterHeaders::EXCEPTION, "ProcessingError"),
        pair(DeadLetterHeaders::MESSAGE, message),
        pair(DeadLetterHeaders::TOPIC, format!("{prefix}-in")),
        pair(DeadLetterHeaders::PARTITION, 0),
        pair(DeadLetterHeaders::OFFSET, 0),
    ]
}

#[test]
fn a_record_failing_twice_goes_through_two_retry_topics_and_is_emitted_once() {
    let (calls, call) = service(2);
    let driver = driver("twice", &[1_000, 10_000], call);
    let input = driver.input_topic::<String, String>("twice-in").unwrap();
    input
        .pipe_with_headers("k", "a", 7, Headers::new().with("trace", b"t-1"))
        .unwrap();

    let first = raw(&driver, "twice-retry-0");
    assert_eq!(first.len(), 1, "the first failure goes to retry topic 0");
    assert_eq!(
        (
            first[0].key.as_slice(),
            first[0].value.as_slice(),
            first[0].timestamp
        ),
        (&b"k"[..], &b"a"[..], 7)
    );
    let mut expected = vec![pair("trace", "t-1")];
    expected.extend(retry_headers(
        "twice",
        1,
        START_MS + 1_000,
        "a: unavailable (call 1)",
    ));
    assert_eq!(header_pairs(&first[0]), expected);

    driver.advance_wall_clock(Duration::from_secs(1)).unwrap();
    let second = raw(&driver, "twice-retry-1");
    assert_eq!(second.len(), 1, "the second failure goes to retry topic 1");
    assert_eq!(second[0].value.as_slice(), b"a");
    let mut expected = vec![pair("trace", "t-1")];
    expected.extend(retry_headers(
        "twice",
        2,
        START_MS + 11_000,
        "a: unavailable (call 2)",
    ));
    assert_eq!(
        header_pairs(&second[0]),
        expected,
        "the original position and headers carry over; the previous level's are replaced"
    );
    assert!(values(&driver, "twice-out").is_empty());

    driver.advance_wall_clock(Duration::from_secs(10)).unwrap();
    let out = raw(&driver, "twice-out");
    assert_eq!(
        out.iter()
            .map(|r| (r.value.as_slice(), r.timestamp, header_pairs(r)))
            .collect::<Vec<_>>(),
        vec![(&b"a!"[..], 7, vec![pair("trace", "t-1")])],
        "a success from a retry topic looks like a first-try success"
    );
    assert_eq!(*calls.lock().unwrap(), vec!["a", "a", "a"]);
    driver.advance_wall_clock(Duration::from_secs(60)).unwrap();
    assert!(values(&driver, "twice-out").is_empty(), "emitted once");
    assert!(raw(&driver, "twice-retry-0").is_empty() && raw(&driver, "twice-dlq").is_empty());
    assert_eq!(driver.metrics().dead_lettered_records, 0);
}

#[test]
fn a_record_that_always_fails_ends_in_the_dead_letter_topic_byte_for_byte() {
    let (calls, call) = service(u32::MAX);
    let driver = driver("always", &[100, 200], call);
    let mut headers = Headers::new()
        .with("trace", b"t-9")
        .with("trace", [0xff, 0x00]);
    headers.add("empty", None);
    driver
        .input_topic::<String, String>("always-in")
        .unwrap()
        .pipe_bytes(Some(b"key-1".to_vec()), Some(b"v".to_vec()), 42, headers)
        .unwrap();
    driver
        .advance_wall_clock(Duration::from_millis(100))
        .unwrap();
    assert!(
        raw(&driver, "always-dlq").is_empty(),
        "one retry topic left"
    );
    driver
        .advance_wall_clock(Duration::from_millis(200))
        .unwrap();
    assert_eq!(calls.lock().unwrap().len(), 3);

    let letters = raw(&driver, "always-dlq");
    assert_eq!(letters.len(), 1);
    assert_eq!(
        (
            letters[0].key.as_slice(),
            letters[0].value.as_slice(),
            letters[0].timestamp
        ),
        (&b"key-1"[..], &b"v"[..], 42)
    );
    assert_eq!(
        header_pairs(&letters[0]),
        vec![
            pair("trace", "t-9"),
            ("trace".to_string(), Some(vec![0xff, 0x00])),
            ("empty".to_string(), None),
            pair(DeadLetterHeaders::EXCEPTION, "ProcessingError"),
            pair(DeadLetterHeaders::MESSAGE, "v: unavailable (call 3)"),
            pair(DeadLetterHeaders::TOPIC, "always-in"),
            pair(DeadLetterHeaders::PARTITION, 0),
            pair(DeadLetterHeaders::OFFSET, 0),
            pair(DeadLetterHeaders::APPLICATION_ID, "test-driver-app"),
            pair(RetryTopicHeaders::ATTEMPTS, 3),
        ]
    );
    assert!(values(&driver, "always-out").is_empty());
    assert_eq!(driver.metrics().dead_lettered_records, 1);
}

#[test]
fn a_record_is_not_retried_before_its_delay() {
    let (calls, call) = service(1);
    let driver = driver("early", &[5_000], call);
    let input = driver.input_topic::<String, String>("early-in").unwrap();
    input.pipe("k", "a", 0).unwrap();
    let count = || calls.lock().unwrap().len();
    assert_eq!(count(), 1);
    driver
        .advance_wall_clock(Duration::from_millis(4_999))
        .unwrap();
    assert_eq!(count(), 1, "not due before 5 s");
    assert!(values(&driver, "early-out").is_empty());
    driver.advance_wall_clock(Duration::from_millis(1)).unwrap();
    assert_eq!(count(), 2, "retried once due");
    assert_eq!(values(&driver, "early-out"), vec!["a!"]);
}

#[test]
fn the_input_goes_on_while_a_record_waits_in_a_retry_topic() {
    let (calls, call) = service(1);
    let driver = driver("onward", &[60_000], call);
    let input = driver.input_topic::<String, String>("onward-in").unwrap();
    input.pipe("k", "a", 0).unwrap();
    input.pipe("k", "ok-b", 1).unwrap();
    input.pipe("k", "ok-c", 2).unwrap();
    assert_eq!(
        values(&driver, "onward-out"),
        vec!["ok-b!", "ok-c!"],
        "later records of the input, even of the same key, do not wait for the retry"
    );
    assert_eq!(*calls.lock().unwrap(), vec!["a", "ok-b", "ok-c"]);
    driver.advance_wall_clock(Duration::from_secs(60)).unwrap();
    assert_eq!(values(&driver, "onward-out"), vec!["a!"]);
}
