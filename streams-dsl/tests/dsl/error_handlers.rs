//! The processing and production handlers and retries, on the TopologyTestDriver:
//! fail names the record and the error, continue counts, dead letters keep the
//! source record byte for byte and say what failed; retries wait on the mocked
//! wall clock.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use streams_core::handler::DeadLetterHeaders;
use streams_dsl::prelude::*;

fn driver_with(topology: Topology, config: TestDriverConfig) -> TopologyTestDriver {
    TopologyTestDriver::with_config(topology, config).unwrap()
}

fn handlers(processing: ErrorHandler, production: ErrorHandler) -> TestDriverConfig {
    TestDriverConfig {
        processing_handler: processing,
        production_handler: production,
        ..TestDriverConfig::default()
    }
}

fn dlq() -> ErrorHandler {
    ErrorHandler::DeadLetterQueue {
        topic: "dead-letters".into(),
    }
}

/// Parses numbers; "boom" panics, anything else that is not a number fails.
fn parsing_topology() -> Topology {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("in", Consumed::default())
        .try_map_values(|text| {
            if text == "boom" {
                panic!("the parser exploded on {text}");
            }
            text.parse::<i64>()
        })
        .named("parse")
        .to("out", Produced::default());
    builder.build().unwrap()
}

fn read_dead_letters(driver: &TopologyTestDriver) -> Vec<Record<Vec<u8>, Vec<u8>>> {
    driver
        .output_topic_with::<Vec<u8>, Vec<u8>>(
            "dead-letters",
            Arc::new(VecSerde),
            Arc::new(VecSerde),
        )
        .read_all()
        .unwrap()
}

fn values(topic: &TestOutputTopic<String, String>) -> Vec<String> {
    topic
        .read_all()
        .unwrap()
        .into_iter()
        .map(|r| r.value)
        .collect()
}

fn headers_of(record: &Record<Vec<u8>, Vec<u8>>) -> Vec<(String, String)> {
    record
        .headers
        .iter()
        .map(|h| {
            (
                h.key.clone(),
                String::from_utf8_lossy(h.value.as_deref().unwrap_or_default()).into_owned(),
            )
        })
        .collect()
}

#[test]
fn a_processing_error_under_log_and_fail_names_the_record_node_and_error() {
    let driver = driver_with(parsing_topology(), TestDriverConfig::default());
    let input = driver.input_topic::<String, String>("in").unwrap();
    input.pipe("a", "1", 0).unwrap();
    let error = input.pipe("b", "x1", 5).unwrap_err().to_string();
    assert_eq!(
        error,
        "processor 'parse' failed on the record at topic 'in' partition 0 offset 1: invalid digit found in string"
    );
    let error = input.pipe("c", "boom", 6).unwrap_err().to_string();
    assert_eq!(
        error,
        "processor 'parse' failed on the record at topic 'in' partition 0 offset 2: panicked: the parser exploded on boom"
    );
}

#[test]
fn log_and_continue_skips_the_failing_record_at_its_node_and_counts_it() {
    let builder = StreamsBuilder::new();
    let input = builder.stream::<String, String>("in", Consumed::default());
    input
        .try_map_values(|text| text.parse::<i64>())
        .to("numbers", Produced::default());
    // A sibling branch of the failing node still sees every record.
    input.to("copies", Produced::default());
    let driver = driver_with(
        builder.build().unwrap(),
        handlers(ErrorHandler::LogAndContinue, ErrorHandler::LogAndFail),
    );
    let pipe = driver.input_topic::<String, String>("in").unwrap();
    for (key, value) in [("a", "1"), ("b", "two"), ("c", "3")] {
        pipe.pipe(key, value, 0).unwrap();
    }
    let numbers = driver.output_topic::<String, i64>("numbers").unwrap();
    assert_eq!(
        numbers.read_key_values().unwrap(),
        vec![("a".to_string(), 1), ("c".to_string(), 3)]
    );
    let copies = driver.output_topic::<String, String>("copies").unwrap();
    assert_eq!(copies.read_all().unwrap().len(), 3);
    let metrics = driver.metrics();
    assert_eq!((metrics.processed_records, metrics.skipped_records), (3, 1));
    assert_eq!(
        driver.metrics_registry().value(
            "rstreams_task_skipped_records_total",
            &[("task", "0_0"), ("stage", "processing")]
        ),
        Some(1.0)
    );
}

#[test]
fn a_dead_lettered_processing_error_keeps_the_source_record_byte_for_byte() {
    let driver = driver_with(
        parsing_topology(),
        handlers(dlq(), ErrorHandler::LogAndFail),
    );
    let input = driver.input_topic::<String, String>("in").unwrap();
    input.pipe("a", "1", 10).unwrap();
    input
        .pipe_with_headers("b", "x1", 20, Headers::new().with("trace-id", b"t-9"))
        .unwrap();
    input.pipe("c", "boom", 30).unwrap();
    let letters = read_dead_letters(&driver);
    assert_eq!(letters.len(), 2);
    let expected_bytes = |record: &Record<Vec<u8>, Vec<u8>>, key: &[u8], value: &[u8], ts| {
        assert_eq!(
            (
                record.key.as_slice(),
                record.value.as_slice(),
                record.timestamp
            ),
            (key, value, ts)
        );
    };
    // StringSerde writes UTF-8: the dead letter carries the consumed bytes.
    expected_bytes(&letters[0], b"b", b"x1", 20);
    let header = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(
        headers_of(&letters[0]),
        vec![
            header("trace-id", "t-9"),
            header(DeadLetterHeaders::EXCEPTION, "ProcessingError"),
            header(DeadLetterHeaders::MESSAGE, "invalid digit found in string"),
            header(DeadLetterHeaders::TOPIC, "in"),
            header(DeadLetterHeaders::PARTITION, "0"),
            header(DeadLetterHeaders::OFFSET, "1"),
            header(DeadLetterHeaders::NODE, "parse"),
            header(DeadLetterHeaders::APPLICATION_ID, "test-driver-app"),
        ]
    );
    expected_bytes(&letters[1], b"c", b"boom", 30);
    assert_eq!(
        headers_of(&letters[1])[..2],
        [
            header(DeadLetterHeaders::EXCEPTION, "Panic"),
            header(
                DeadLetterHeaders::MESSAGE,
                "panicked: the parser exploded on boom"
            ),
        ]
    );
    let metrics = driver.metrics();
    assert_eq!(
        (metrics.skipped_records, metrics.dead_lettered_records),
        (2, 2)
    );
    assert_eq!(
        driver
            .output_topic::<String, i64>("out")
            .unwrap()
            .read_key_values()
            .unwrap(),
        vec![("a".to_string(), 1)]
    );
}

/// A string serde that refuses to serialize "unwritable" and panics on "panic".
struct PickySerde;

impl Serde<String> for PickySerde {
    fn name(&self) -> &str {
        "PickySerde"
    }
    fn serialize(&self, value: &String) -> Result<Vec<u8>, SerdeError> {
        match value.as_str() {
            "unwritable" => Err(SerdeError::new("refused")),
            "panic" => panic!("serde bug"),
            other => Ok(other.as_bytes().to_vec()),
        }
    }
    fn deserialize(&self, bytes: &[u8]) -> Result<String, SerdeError> {
        Ok(String::from_utf8_lossy(bytes).into_owned())
    }
}

fn picky_sink_topology() -> Topology {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("in", Consumed::default())
        .map_values(|v| v.to_lowercase())
        .to(
            "out",
            Produced::default()
                .value_serde(PickySerde)
                .named("picky-sink"),
        );
    builder.build().unwrap()
}

#[test]
fn production_errors_meet_the_production_handler() {
    // Fail: the error names the sink, topic and serde.
    let driver = driver_with(picky_sink_topology(), TestDriverConfig::default());
    let error = driver
        .input_topic::<String, String>("in")
        .unwrap()
        .pipe("k", "UNWRITABLE", 0)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "failed to serialize the value of a record for topic 'out' at sink 'picky-sink' with serde PickySerde: refused"
    );

    // Continue: counted, the next records go on.
    let driver = driver_with(
        picky_sink_topology(),
        handlers(ErrorHandler::LogAndFail, ErrorHandler::LogAndContinue),
    );
    let input = driver.input_topic::<String, String>("in").unwrap();
    for value in ["Unwritable", "PANIC", "fine"] {
        input.pipe("k", value, 0).unwrap();
    }
    let out = driver.output_topic::<String, String>("out").unwrap();
    assert_eq!(out.read_value().unwrap(), "fine");
    assert_eq!(driver.metrics().skipped_records, 2);
    assert_eq!(
        driver.metrics_registry().value(
            "rstreams_task_skipped_records_total",
            &[("stage", "production")]
        ),
        Some(2.0)
    );

    // Dead letter: the source record's bytes, with what failed where.
    let driver = driver_with(
        picky_sink_topology(),
        handlers(ErrorHandler::LogAndFail, dlq()),
    );
    let input = driver.input_topic::<String, String>("in").unwrap();
    input.pipe("k", "Unwritable", 3).unwrap();
    input.pipe("k", "Panic", 4).unwrap();
    let letters = read_dead_letters(&driver);
    assert_eq!(letters.len(), 2);
    assert_eq!(letters[0].value, b"Unwritable");
    let headers = headers_of(&letters[0]);
    assert_eq!(
        headers[0],
        (
            DeadLetterHeaders::EXCEPTION.into(),
            "SerializationError".into()
        )
    );
    assert!(
        headers[1]
            .1
            .contains("at sink 'picky-sink' with serde PickySerde: refused"),
        "{headers:?}"
    );
    assert_eq!(
        headers[5],
        (DeadLetterHeaders::NODE.into(), "picky-sink".into())
    );
    assert!(
        headers_of(&letters[1])[1]
            .1
            .ends_with("panicked: serde bug"),
        "{:?}",
        headers_of(&letters[1])
    );
}

#[test]
fn a_custom_handler_decides_per_error() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let handler = ErrorHandler::custom(move |failure| {
        log.lock().unwrap().push((
            failure.stage,
            failure.node.map(str::to_string),
            failure.source.map(|m| m.offset),
            failure.exception.to_string(),
        ));
        if failure.exception == "Panic" {
            HandlerResponse::Fail
        } else {
            HandlerResponse::DeadLetter {
                topic: "dead-letters".into(),
            }
        }
    });
    let driver = driver_with(
        parsing_topology(),
        handlers(handler, ErrorHandler::LogAndFail),
    );
    let input = driver.input_topic::<String, String>("in").unwrap();
    input.pipe("a", "nope", 0).unwrap();
    assert!(input.pipe("b", "boom", 0).is_err());
    assert_eq!(read_dead_letters(&driver).len(), 1);
    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            (
                ErrorStage::Processing,
                Some("parse".to_string()),
                Some(0),
                "ProcessingError".to_string()
            ),
            (
                ErrorStage::Processing,
                Some("parse".to_string()),
                Some(1),
                "Panic".to_string()
            ),
        ]
    );
}

/// Panics in its wall-clock punctuator every second call.
struct FlakyTicker {
    ticks: Arc<AtomicU32>,
}

impl Processor<String, String, String, String> for FlakyTicker {
    fn init(&mut self, ctx: &mut ProcessorContext<'_, String, String>) -> Result<(), ProcessError> {
        ctx.schedule(Duration::from_secs(1), PunctuationType::WallClockTime);
        Ok(())
    }
    fn process(
        &mut self,
        record: Record<String, String>,
        ctx: &mut ProcessorContext<'_, String, String>,
    ) -> Result<(), ProcessError> {
        ctx.forward(record)
    }
    fn punctuate(
        &mut self,
        _: PunctuatorId,
        timestamp: i64,
        ctx: &mut ProcessorContext<'_, String, String>,
    ) -> Result<(), ProcessError> {
        if self.ticks.fetch_add(1, Ordering::SeqCst).is_multiple_of(2) {
            panic!("tick {timestamp} failed");
        }
        ctx.forward(Record::new(
            "tick".to_string(),
            timestamp.to_string(),
            timestamp,
        ))
    }
}

#[test]
fn a_panicking_punctuator_meets_the_processing_handler() {
    let build = |ticks: Arc<AtomicU32>| {
        let builder = StreamsBuilder::new();
        builder
            .stream::<String, String>("in", Consumed::default())
            .process(
                move || FlakyTicker {
                    ticks: ticks.clone(),
                },
                &[],
            )
            .named("ticker")
            .to("ticks", Produced::default());
        builder.build().unwrap()
    };
    let driver = driver_with(build(Arc::default()), TestDriverConfig::default());
    let error = driver
        .advance_wall_clock(Duration::from_secs(1))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "processor 'ticker' failed: panicked: tick 1000 failed"
    );

    let ticks = Arc::new(AtomicU32::new(0));
    let driver = driver_with(
        build(ticks.clone()),
        handlers(dlq(), ErrorHandler::LogAndFail),
    );
    for _ in 0..4 {
        driver.advance_wall_clock(Duration::from_secs(1)).unwrap();
    }
    assert_eq!(ticks.load(Ordering::SeqCst), 4);
    let out = driver.output_topic::<String, String>("ticks").unwrap();
    assert_eq!(values(&out), vec!["2000", "4000"]);
    // A punctuation has no source record: nothing to dead-letter, only counted.
    assert!(read_dead_letters(&driver).is_empty());
    assert_eq!(driver.metrics().skipped_records, 2);
}

/// Every value an external call was asked for, in call order.
type CallLog = Arc<Mutex<Vec<String>>>;

/// An external call that fails `failures` times per value, then answers.
fn flaky_service(
    failures: u32,
) -> (
    CallLog,
    impl Fn(&String, &String) -> Result<String, ProcessError>,
) {
    let calls = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = calls.clone();
    let call = move |_: &String, value: &String| {
        let mut calls = log.lock().unwrap();
        calls.push(value.clone());
        let made = calls.iter().filter(|v| *v == value).count() as u32;
        if made <= failures {
            Err(ProcessError::msg(format!(
                "service unavailable (call {made})"
            )))
        } else {
            Ok(format!("{value}!"))
        }
    };
    (calls, call)
}

fn retry_topology(
    policy: RetryPolicy,
    call: impl Fn(&String, &String) -> Result<String, ProcessError> + Send + Sync + 'static,
) -> Topology {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("in", Consumed::default())
        .map_values_with_retry(policy, call)
        .named("call-service")
        .to("out", Produced::default());
    builder.build().unwrap()
}

#[test]
fn retries_back_off_on_the_wall_clock_and_keep_the_partition_in_order() {
    let (calls, call) = flaky_service(2);
    let policy = RetryPolicy::new(5, Duration::from_millis(100), Duration::from_secs(10));
    let driver = driver_with(retry_topology(policy, call), TestDriverConfig::default());
    let input = driver.input_topic::<String, String>("in").unwrap();
    let out = driver.output_topic::<String, String>("out").unwrap();
    input.pipe("k", "a", 0).unwrap();
    // Later records wait behind the one being retried.
    input.pipe("k", "b", 1).unwrap();
    let count = || calls.lock().unwrap().len();
    assert_eq!(count(), 1, "first call at once");
    // The first retry is due 100 ms later, the second 200 ms after that.
    for (advance, expected_calls) in [(99, 1), (1, 2), (199, 2), (1, 4)] {
        driver
            .advance_wall_clock(Duration::from_millis(advance))
            .unwrap();
        assert_eq!(
            count(),
            expected_calls,
            "after {} ms",
            driver.wall_clock_ms()
        );
    }
    // "a" succeeded on its third call at 300 ms; "b" then ran (and failed once).
    assert_eq!(values(&out), vec!["a!"]);
    assert_eq!(*calls.lock().unwrap(), vec!["a", "a", "a", "b"]);
    driver
        .advance_wall_clock(Duration::from_millis(100))
        .unwrap();
    driver
        .advance_wall_clock(Duration::from_millis(200))
        .unwrap();
    assert_eq!(values(&out), vec!["b!"]);
    assert_eq!(driver.metrics().skipped_records, 0);
}

#[test]
fn exhausted_retries_end_in_the_processing_handler_with_the_original_record() {
    let (calls, call) = flaky_service(u32::MAX);
    let policy = RetryPolicy::new(3, Duration::from_millis(50), Duration::from_millis(60));
    let driver = driver_with(
        retry_topology(policy, call),
        handlers(dlq(), ErrorHandler::LogAndFail),
    );
    let input = driver.input_topic::<String, String>("in").unwrap();
    input
        .pipe_with_headers("k", "order-7", 42, Headers::new().with("h", b"1"))
        .unwrap();
    input.pipe("k", "order-8", 43).unwrap();
    driver
        .advance_wall_clock(Duration::from_millis(50))
        .unwrap();
    assert!(read_dead_letters(&driver).is_empty(), "one retry left");
    // The second retry is capped at 60 ms.
    driver
        .advance_wall_clock(Duration::from_millis(59))
        .unwrap();
    assert_eq!(calls.lock().unwrap().len(), 2);
    driver.advance_wall_clock(Duration::from_millis(1)).unwrap();
    let letters = read_dead_letters(&driver);
    assert_eq!(letters.len(), 1);
    assert_eq!(
        (
            letters[0].key.as_slice(),
            letters[0].value.as_slice(),
            letters[0].timestamp
        ),
        (&b"k"[..], &b"order-7"[..], 42)
    );
    let headers = headers_of(&letters[0]);
    assert_eq!(headers[0], ("h".to_string(), "1".to_string()));
    assert_eq!(headers[2].1, "service unavailable (call 3)");
    assert_eq!(
        headers[5],
        (DeadLetterHeaders::OFFSET.to_string(), "0".to_string())
    );
    // The next record was released and made its first call.
    assert_eq!(
        *calls.lock().unwrap(),
        vec!["order-7", "order-7", "order-7", "order-8"]
    );
}

#[test]
fn a_fallible_filter_and_flat_map_route_errors_to_the_handler() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("in", Consumed::default())
        .try_filter(|_, v| v.parse::<i64>().map(|n| n > 0))
        .try_flat_map(|k, v| -> Result<Vec<(String, i64)>, ProcessError> {
            let n: i64 = v.parse()?;
            if n > 100 {
                return Err(ProcessError::msg("too large"));
            }
            Ok((0..n).map(|i| (format!("{k}-{i}"), i)).collect())
        })
        .try_map(|k, v| -> Result<(String, i64), ProcessError> { Ok((k, v * 10)) })
        .to("out", Produced::default());
    let driver = driver_with(
        builder.build().unwrap(),
        handlers(ErrorHandler::LogAndContinue, ErrorHandler::LogAndFail),
    );
    let input = driver.input_topic::<String, String>("in").unwrap();
    for value in ["2", "-1", "x", "500"] {
        input.pipe("k", value, 0).unwrap();
    }
    assert_eq!(
        driver
            .output_topic::<String, i64>("out")
            .unwrap()
            .read_key_values()
            .unwrap(),
        vec![("k-0".to_string(), 0), ("k-1".to_string(), 10)]
    );
    assert_eq!(driver.metrics().skipped_records, 2);
}
