//! Timestamp extractors on `Consumed`: the extracted timestamp is the record's
//! timestamp for its whole sub-topology (output timestamps, windows, stream
//! time), and the built-ins treat negative timestamps as Kafka Streams' do.

use std::time::Duration;
use streams_dsl::prelude::*;

/// Event time carried in the value (an `i64`), whatever the record's own
/// timestamp says.
fn value_time(record: &ExtractorInput<'_, String, i64>, _partition_time: i64) -> i64 {
    record.value.copied().unwrap_or(record.timestamp)
}

fn copy_topology(consumed: Consumed<String, i64>) -> TopologyTestDriver {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, i64>("in", consumed)
        .map_values(|v| v * 10)
        .to("out", Produced::default());
    TopologyTestDriver::new(builder.build().unwrap()).unwrap()
}

fn read_timestamps(driver: &TopologyTestDriver) -> Vec<(i64, i64)> {
    driver
        .output_topic::<String, i64>("out")
        .unwrap()
        .read_all()
        .unwrap()
        .into_iter()
        .map(|r| (r.value, r.timestamp))
        .collect()
}

#[test]
fn output_records_carry_the_extracted_timestamp() {
    let driver = copy_topology(Consumed::default().with_timestamp_extractor(value_time));
    let input = driver.input_topic::<String, i64>("in").unwrap();
    input.pipe("a", 500, 1).unwrap();
    input.pipe("a", 7, 1_000_000).unwrap();
    assert_eq!(read_timestamps(&driver), [(5000, 500), (70, 7)]);
}

#[test]
fn windows_and_stream_time_follow_the_extracted_timestamp() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, i64>(
            "in",
            Consumed::default().with_timestamp_extractor(value_time),
        )
        .group_by_key()
        .windowed_by(TimeWindows::of_size_with_no_grace(Duration::from_millis(
            100,
        )))
        .count(Materialized::named("counts").with_caching_disabled())
        .to_stream()
        .to("out", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let input = driver.input_topic::<String, i64>("in").unwrap();
    // Event times 10 and 20 land in [0, 100) although their record timestamps
    // are far apart; event time 250 moves stream time past that window, so
    // event time 30 is late (its record timestamp, 5000, would not be).
    input.pipe("k", 10, 900).unwrap();
    input.pipe("k", 20, 0).unwrap();
    input.pipe("k", 250, 0).unwrap();
    input.pipe("k", 30, 5000).unwrap();
    let out: Vec<(i64, Option<i64>, i64)> = driver
        .output_topic::<Windowed<String>, Option<i64>>("out")
        .unwrap()
        .read_all()
        .unwrap()
        .into_iter()
        .map(|r| (r.key.window.start, r.value, r.timestamp))
        .collect();
    assert_eq!(
        out,
        [(0, Some(1), 10), (0, Some(2), 20), (200, Some(1), 250)]
    );
    assert_eq!(
        driver.metrics().dropped_records,
        1,
        "the late record is dropped"
    );
}

#[test]
fn a_negative_extracted_timestamp_drops_the_record_and_counts_it() {
    let driver =
        copy_topology(Consumed::default().with_timestamp_extractor(LogAndSkipOnInvalidTimestamp));
    let input = driver.input_topic::<String, i64>("in").unwrap();
    input.pipe("a", 1, 100).unwrap();
    input.pipe("a", 2, -5).unwrap();
    input.pipe("a", 3, 200).unwrap();
    assert_eq!(read_timestamps(&driver), [(10, 100), (30, 200)]);
    assert_eq!(driver.metrics().dropped_records, 1);
}

#[test]
fn a_user_extractor_returning_a_negative_timestamp_drops_the_record() {
    let driver = copy_topology(Consumed::default().with_timestamp_extractor(value_time));
    let input = driver.input_topic::<String, i64>("in").unwrap();
    input.pipe("a", -1, 100).unwrap();
    input.pipe("a", 4, 100).unwrap();
    assert_eq!(read_timestamps(&driver), [(40, 4)]);
    assert_eq!(driver.metrics().dropped_records, 1);
}

#[test]
fn fail_on_invalid_timestamp_fails_on_a_negative_timestamp() {
    let driver =
        copy_topology(Consumed::default().with_timestamp_extractor(FailOnInvalidTimestamp));
    let input = driver.input_topic::<String, i64>("in").unwrap();
    input.pipe("a", 1, 100).unwrap();
    let error = input.pipe("a", 2, -5).unwrap_err();
    assert!(
        matches!(
            error,
            StreamsError::TimestampExtraction(TimestampExtractionError::Invalid {
                timestamp: -5,
                ..
            })
        ),
        "{error}"
    );
    assert_eq!(read_timestamps(&driver), [(10, 100)]);
}

#[test]
fn use_partition_time_replaces_a_negative_timestamp_with_the_partition_time() {
    let driver = copy_topology(
        Consumed::default().with_timestamp_extractor(UsePartitionTimeOnInvalidTimestamp),
    );
    let input = driver.input_topic::<String, i64>("in").unwrap();
    let first = input.pipe("a", 1, -1).unwrap_err();
    assert!(
        matches!(
            first,
            StreamsError::TimestampExtraction(
                TimestampExtractionError::UnknownPartitionTime { .. }
            )
        ),
        "no earlier record, no partition time: {first}"
    );
    input.pipe("a", 2, 300).unwrap();
    input.pipe("a", 3, 100).unwrap();
    input.pipe("a", 4, -7).unwrap();
    assert_eq!(
        read_timestamps(&driver),
        [(20, 300), (30, 100), (40, 300)],
        "the largest timestamp of the partition so far, not the last one"
    );
}

#[test]
fn the_extractor_sees_the_partition_time() {
    let seen = |record: &ExtractorInput<'_, String, i64>, partition_time: i64| {
        // Emits the partition time it saw as the timestamp of the next record.
        if *record.value.unwrap_or(&0) == 0 {
            partition_time.max(0)
        } else {
            record.timestamp
        }
    };
    let driver = copy_topology(Consumed::default().with_timestamp_extractor(seen));
    let input = driver.input_topic::<String, i64>("in").unwrap();
    input.pipe("a", 0, 50).unwrap();
    input.pipe("a", 1, 400).unwrap();
    input.pipe("a", 2, 150).unwrap();
    input.pipe("a", 0, 10).unwrap();
    assert_eq!(
        read_timestamps(&driver),
        [(0, 0), (10, 400), (20, 150), (0, 400)]
    );
}

#[test]
fn wall_clock_extractor_uses_processing_time() {
    let driver =
        copy_topology(Consumed::default().with_timestamp_extractor(WallclockTimestampExtractor));
    let input = driver.input_topic::<String, i64>("in").unwrap();
    let before = now_ms();
    input.pipe("a", 1, 5).unwrap();
    let after = now_ms();
    let out = read_timestamps(&driver);
    assert_eq!(out.len(), 1);
    assert!(
        (before..=after).contains(&out[0].1),
        "{} not within the wall-clock interval [{before}, {after}]",
        out[0].1
    );
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn a_table_source_extracts_timestamps_and_shows_tombstones_without_a_value() {
    let extract =
        |record: &ExtractorInput<'_, String, i64>, _partition_time: i64| match record.value {
            Some(v) => *v,
            None => record.timestamp + 1,
        };
    let builder = StreamsBuilder::new();
    builder
        .table::<String, i64>(
            "table-in",
            Consumed::default().with_timestamp_extractor(extract),
            Materialized::named("table-store").with_caching_disabled(),
        )
        .to_stream()
        .to("out", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let input = driver
        .input_topic::<String, Option<i64>>("table-in")
        .unwrap();
    input.pipe("k", Some(700), 1).unwrap();
    input.pipe("k", None, 900).unwrap();
    let out: Vec<(Option<i64>, i64)> = driver
        .output_topic::<String, Option<i64>>("out")
        .unwrap()
        .read_all()
        .unwrap()
        .into_iter()
        .map(|r| (r.value, r.timestamp))
        .collect();
    assert_eq!(out, [(Some(700), 700), (None, 901)]);
}

#[test]
fn a_record_that_does_not_deserialize_meets_the_deserialization_handler() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, i64>(
            "in",
            Consumed::default().with_timestamp_extractor(value_time),
        )
        .to("out", Produced::default());
    let config = TestDriverConfig {
        deserialization_handler: DeserializationHandler::LogAndContinue,
        ..TestDriverConfig::default()
    };
    let driver = TopologyTestDriver::with_config(builder.build().unwrap(), config).unwrap();
    let input = driver.input_topic::<String, i64>("in").unwrap();
    input
        .pipe_bytes(
            Some(b"a".to_vec()),
            Some(b"short".to_vec()),
            3,
            Headers::new(),
        )
        .unwrap();
    input.pipe("a", 9, 0).unwrap();
    assert_eq!(
        driver
            .output_topic::<String, i64>("out")
            .unwrap()
            .read_all()
            .unwrap()
            .into_iter()
            .map(|r| (r.value, r.timestamp))
            .collect::<Vec<_>>(),
        [(9, 9)]
    );
    assert_eq!(driver.metrics().skipped_records, 1);
}
