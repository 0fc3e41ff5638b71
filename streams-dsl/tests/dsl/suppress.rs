//! `KTable::suppress` in the TopologyTestDriver: final results of windows after
//! grace, time limits per key, full buffers (emit early or shut down),
//! tombstones, the buffer's changelog and restoring from it, caching upstream.

use std::time::Duration;
use streams_dsl::prelude::*;

const APP: &str = "test-driver-app";

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// Windowed counts of `events`, suppressed until each window closes, to
/// `final-counts`.
fn final_counts(
    windows: TimeWindows,
    materialized: Materialized<String, i64>,
    buffer: StrictBufferConfig,
    config: TestDriverConfig,
) -> TopologyTestDriver {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("events", Consumed::default())
        .group_by_key()
        .windowed_by(windows)
        .count(materialized)
        .suppress(Suppressed::until_window_closes(buffer).with_name("final"))
        .to("final-counts", Produced::default());
    TopologyTestDriver::with_config(builder.build().unwrap(), config).unwrap()
}

/// (key, window start, window end, count) of each final result written so far.
fn read_windows(driver: &TopologyTestDriver) -> Vec<(String, i64, i64, Option<i64>)> {
    driver
        .output_topic::<Windowed<String>, Option<i64>>("final-counts")
        .unwrap()
        .read_all()
        .unwrap()
        .into_iter()
        .map(|r| (r.key.key, r.key.window.start, r.key.window.end, r.value))
        .collect()
}

fn window(key: &str, start: i64, end: i64, count: i64) -> (String, i64, i64, Option<i64>) {
    (key.to_string(), start, end, Some(count))
}

#[test]
fn until_window_closes_forwards_one_final_result_per_window_after_grace() {
    let driver = final_counts(
        TimeWindows::of_size_and_grace(ms(100), ms(50)),
        Materialized::default().with_caching_disabled(),
        BufferConfig::unbounded(),
        TestDriverConfig::default(),
    );
    let events = driver.input_topic::<String, String>("events").unwrap();
    for (key, t) in [("k", 10), ("k", 20), ("j", 30), ("k", 120), ("k", 149)] {
        events.pipe(key, "e", t).unwrap();
        assert_eq!(
            read_windows(&driver),
            [],
            "nothing before stream time reaches window end + grace (at {t})"
        );
    }
    events.pipe("k", "e", 150).unwrap();
    assert_eq!(
        read_windows(&driver),
        [window("j", 0, 100, 1), window("k", 0, 100, 2)]
    );
    events.pipe("x", "e", 249).unwrap();
    assert_eq!(read_windows(&driver), []);
    events.pipe("x", "e", 250).unwrap();
    assert_eq!(read_windows(&driver), [window("k", 100, 200, 3)]);
    let still_buffered = driver
        .with_state_store(
            "final-store",
            |buffer: &mut SuppressionBuffer<Windowed<String>, i64>| buffer.entries(),
        )
        .unwrap()
        .unwrap();
    let buffered: Vec<_> = still_buffered
        .into_iter()
        .map(|(time, r)| (time, r.key.key, r.value.new))
        .collect();
    assert_eq!(buffered, [(300, "x".to_string(), Some(2))]);
}

#[test]
fn the_final_result_is_the_latest_value_with_the_latest_timestamp() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("events", Consumed::default())
        .group_by_key()
        .windowed_by(TimeWindows::of_size_with_no_grace(ms(100)))
        .reduce(
            |_, latest| latest,
            Materialized::default().with_caching_disabled(),
        )
        .suppress(Suppressed::until_window_closes(BufferConfig::unbounded()))
        .to("final-values", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let events = driver.input_topic::<String, String>("events").unwrap();
    events.pipe("k", "first", 40).unwrap();
    events.pipe("k", "second", 10).unwrap();
    events.pipe("other", "x", 100).unwrap();
    let output = driver
        .output_topic::<Windowed<String>, Option<String>>("final-values")
        .unwrap();
    let record = output.read().unwrap();
    assert_eq!(record.key.key, "k");
    assert_eq!(record.value.as_deref(), Some("second"));
    assert_eq!(
        record.timestamp, 40,
        "the aggregate's timestamp: its latest record's"
    );
    assert!(output.is_empty());
}

#[test]
fn out_of_order_records_inside_grace_update_the_final_result_and_late_ones_are_dropped() {
    let driver = final_counts(
        TimeWindows::of_size_and_grace(ms(100), ms(50)),
        Materialized::default().with_caching_disabled(),
        BufferConfig::unbounded(),
        TestDriverConfig::default(),
    );
    let events = driver.input_topic::<String, String>("events").unwrap();
    events.pipe("k", "e", 10).unwrap();
    events.pipe("k", "e", 120).unwrap();
    events.pipe("k", "e", 50).unwrap(); // out of order, window [0, 100) open until 150
    assert_eq!(read_windows(&driver), []);
    events.pipe("k", "e", 160).unwrap();
    assert_eq!(read_windows(&driver), [window("k", 0, 100, 2)]);
    events.pipe("k", "e", 60).unwrap(); // late: [0, 100) closed at 150
    assert_eq!(driver.metrics().dropped_records, 1);
    events.pipe("k", "e", 300).unwrap();
    assert_eq!(read_windows(&driver), [window("k", 100, 200, 2)]);
}

#[test]
fn hopping_windows_each_get_their_final_result() {
    let driver = final_counts(
        TimeWindows::of_size_with_no_grace(ms(100)).advance_by(ms(50)),
        Materialized::default().with_caching_disabled(),
        BufferConfig::unbounded(),
        TestDriverConfig::default(),
    );
    let events = driver.input_topic::<String, String>("events").unwrap();
    events.pipe("k", "e", 60).unwrap(); // windows [0, 100) and [50, 150)
    events.pipe("k", "e", 100).unwrap(); // [50, 150) and [100, 200); closes [0, 100)
    assert_eq!(read_windows(&driver), [window("k", 0, 100, 1)]);
    events.pipe("k", "e", 200).unwrap();
    assert_eq!(
        read_windows(&driver),
        [window("k", 50, 150, 2), window("k", 100, 200, 1)]
    );
}

#[test]
fn caching_upstream_changes_when_updates_arrive_but_not_the_final_results() {
    let input = [
        ("k", 10),
        ("k", 20),
        ("j", 30),
        ("k", 120),
        ("k", 60),
        ("j", 140),
        ("k", 260),
        ("j", 290),
        ("z", 500),
    ];
    let run = |materialized: Materialized<String, i64>, commit_after_each_record: bool| {
        let driver = final_counts(
            TimeWindows::of_size_and_grace(ms(100), ms(50)),
            materialized,
            BufferConfig::unbounded(),
            TestDriverConfig {
                commit_after_each_record,
                ..TestDriverConfig::default()
            },
        );
        let events = driver.input_topic::<String, String>("events").unwrap();
        for (key, t) in input {
            events.pipe(key, "e", t).unwrap();
        }
        driver.commit().unwrap();
        read_windows(&driver)
    };
    let uncached = run(Materialized::default().with_caching_disabled(), true);
    assert_eq!(
        uncached,
        [
            window("j", 0, 100, 1),
            window("k", 0, 100, 3),
            window("j", 100, 200, 1),
            window("k", 100, 200, 1),
            window("j", 200, 300, 1),
            window("k", 200, 300, 1),
        ]
    );
    assert_eq!(run(Materialized::default(), true), uncached);
    // With commits only at the end, the cache hands the suppression each
    // window's latest count once, at commit, in the cache's order: the same
    // final results, possibly in another order.
    let mut cached = run(Materialized::default(), false);
    let mut expected = uncached;
    cached.sort();
    expected.sort();
    assert_eq!(cached, expected);
}

#[test]
fn a_window_whose_latest_update_is_a_delete_has_no_final_result() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("events", Consumed::default())
        .group_by_key()
        .windowed_by(TimeWindows::of_size_with_no_grace(ms(100)))
        .count(Materialized::default().with_caching_disabled())
        .filter(|_, count| *count < 2)
        .suppress(Suppressed::until_window_closes(BufferConfig::unbounded()))
        .to("final-counts", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let events = driver.input_topic::<String, String>("events").unwrap();
    events.pipe("once", "e", 10).unwrap();
    events.pipe("twice", "e", 20).unwrap();
    events.pipe("twice", "e", 30).unwrap(); // the filter turns the row into a delete
    events.pipe("later", "e", 100).unwrap();
    assert_eq!(read_windows(&driver), [window("once", 0, 100, 1)]);
}

#[test]
fn until_window_closes_needs_a_windowed_aggregation_upstream() {
    let builder = StreamsBuilder::new();
    builder.register_serde(WindowedSerde::new(std::sync::Arc::new(StringSerde)));
    builder
        .table::<Windowed<String>, i64>(
            "windowed-input",
            Consumed::default(),
            Materialized::default(),
        )
        .suppress(Suppressed::until_window_closes(BufferConfig::unbounded()).with_name("no-grace"))
        .to("out", Produced::default());
    let error = builder.build().unwrap_err();
    assert_eq!(
        error,
        TopologyError::SuppressWithoutWindowGrace {
            node: "no-grace".into()
        }
    );
    assert!(error.to_string().contains("until_time_limit"), "{error}");
}

/// A table of `scores`, suppressed for 100 ms per key, written to
/// `suppressed-scores`, and summed over all players into `total` (the sum
/// subtracts the old value of each forwarded update).
fn rate_limited_scores(buffer: impl Into<BufferConfig>) -> TopologyTestDriver {
    let builder = StreamsBuilder::new();
    let suppressed = builder
        .table::<String, i64>(
            "scores",
            Consumed::default(),
            Materialized::default().with_caching_disabled(),
        )
        .suppress(Suppressed::until_time_limit(ms(100), buffer).with_name("limited"));
    suppressed.to("suppressed-scores", Produced::default());
    suppressed
        .group_by(|_, score| ("total".to_string(), score))
        .reduce(
            |sum, score| sum + score,
            |sum, score| sum - score,
            Materialized::default().with_caching_disabled(),
        )
        .to("total", Produced::default());
    TopologyTestDriver::new(builder.build().unwrap()).unwrap()
}

fn read_scores(driver: &TopologyTestDriver) -> Vec<(String, Option<i64>, i64)> {
    driver
        .output_topic::<String, Option<i64>>("suppressed-scores")
        .unwrap()
        .read_all()
        .unwrap()
        .into_iter()
        .map(|r| (r.key, r.value, r.timestamp))
        .collect()
}

fn latest_total(driver: &TopologyTestDriver) -> Option<i64> {
    driver
        .output_topic::<String, Option<i64>>("total")
        .unwrap()
        .read_all()
        .unwrap()
        .last()
        .and_then(|r| r.value)
}

#[test]
fn until_time_limit_forwards_the_latest_value_once_the_limit_since_the_first_update_passed() {
    let driver = rate_limited_scores(BufferConfig::unbounded());
    let scores = driver.input_topic::<String, Option<i64>>("scores").unwrap();
    scores.pipe("a", Some(1), 0).unwrap();
    scores.pipe("a", Some(2), 50).unwrap();
    scores.pipe("b", Some(1), 60).unwrap();
    scores.pipe("a", Some(3), 99).unwrap();
    assert_eq!(read_scores(&driver), []);
    scores.pipe("b", Some(2), 100).unwrap();
    assert_eq!(read_scores(&driver), [("a".to_string(), Some(3), 99)]);
    scores.pipe("c", Some(1), 159).unwrap();
    assert_eq!(read_scores(&driver), []);
    scores.pipe("c", Some(2), 160).unwrap();
    assert_eq!(read_scores(&driver), [("b".to_string(), Some(2), 100)]);
    // A key forwarded before starts a new wait with its next update.
    scores.pipe("a", Some(4), 170).unwrap();
    scores.pipe("d", Some(0), 269).unwrap();
    assert_eq!(read_scores(&driver), [("c".to_string(), Some(2), 160)]);
    scores.pipe("d", Some(0), 270).unwrap();
    assert_eq!(read_scores(&driver), [("a".to_string(), Some(4), 170)]);
}

#[test]
fn the_old_value_forwarded_is_the_one_downstream_saw_before_the_first_buffered_update() {
    let driver = rate_limited_scores(BufferConfig::unbounded());
    let scores = driver.input_topic::<String, Option<i64>>("scores").unwrap();
    scores.pipe("p1", Some(10), 0).unwrap();
    scores.pipe("p1", Some(20), 10).unwrap();
    scores.pipe("p1", Some(30), 20).unwrap();
    scores.pipe("p2", Some(1), 100).unwrap();
    assert_eq!(latest_total(&driver), Some(30));
    // Buffered: 30 -> 5, then 5 -> 7. Downstream saw 30, so 30 is what the
    // forwarded update replaces: 31 - 30 + 7 (subtracting 5 would give 33).
    scores.pipe("p1", Some(5), 200).unwrap();
    scores.pipe("p1", Some(7), 210).unwrap();
    scores.pipe("p2", Some(1), 300).unwrap();
    assert_eq!(latest_total(&driver), Some(8));
}

#[test]
fn a_full_buffer_emits_the_oldest_keys_early_when_configured_to() {
    let driver = rate_limited_scores(BufferConfig::max_records(2).emit_early_when_full());
    let scores = driver.input_topic::<String, Option<i64>>("scores").unwrap();
    scores.pipe("a", Some(1), 0).unwrap();
    scores.pipe("b", Some(1), 1).unwrap();
    scores.pipe("b", Some(2), 2).unwrap(); // an update of a buffered key takes no room
    assert_eq!(read_scores(&driver), []);
    scores.pipe("c", Some(1), 3).unwrap();
    assert_eq!(read_scores(&driver), [("a".to_string(), Some(1), 0)]);
    scores.pipe("d", Some(1), 4).unwrap();
    assert_eq!(read_scores(&driver), [("b".to_string(), Some(2), 2)]);
    let buffered = driver
        .with_state_store(
            "limited-store",
            |buffer: &mut SuppressionBuffer<String, i64>| buffer.num_records(),
        )
        .unwrap();
    assert_eq!(buffered, 2);
}

#[test]
fn a_byte_bound_emits_early_too() {
    let driver = rate_limited_scores(BufferConfig::max_bytes(1));
    let scores = driver.input_topic::<String, Option<i64>>("scores").unwrap();
    scores.pipe("a", Some(1), 0).unwrap();
    assert_eq!(read_scores(&driver), [("a".to_string(), Some(1), 0)]);
}

fn processing_error(error: StreamsError) -> (String, SuppressionBufferFull) {
    match error {
        StreamsError::Processing { node, source, .. } => {
            let full = source
                .downcast_ref::<SuppressionBufferFull>()
                .unwrap_or_else(|| panic!("not a full buffer: {source}"))
                .clone();
            (node, full)
        }
        other => panic!("not a processing error: {other}"),
    }
}

#[test]
fn a_full_buffer_shuts_the_task_down_naming_the_suppression_and_the_bound() {
    let driver = rate_limited_scores(BufferConfig::max_records(2).shut_down_when_full());
    let scores = driver.input_topic::<String, Option<i64>>("scores").unwrap();
    scores.pipe("a", Some(1), 0).unwrap();
    scores.pipe("b", Some(1), 1).unwrap();
    let error = scores.pipe("c", Some(1), 2).unwrap_err();
    let message = error.to_string();
    let (node, full) = processing_error(error);
    assert_eq!(node, "limited");
    assert_eq!(
        (
            full.suppression.as_str(),
            full.records,
            full.max_records,
            full.max_bytes
        ),
        ("limited", 3, Some(2), None)
    );
    assert!(
        message.contains("'limited'") && message.contains("max 2"),
        "{message}"
    );
    assert_eq!(read_scores(&driver), [], "nothing was emitted early");
}

#[test]
fn final_results_with_a_byte_bound_shut_down_when_full() {
    let driver = final_counts(
        TimeWindows::of_size_with_no_grace(ms(100)),
        Materialized::default().with_caching_disabled(),
        BufferConfig::max_bytes(1).shut_down_when_full(),
        TestDriverConfig::default(),
    );
    let events = driver.input_topic::<String, String>("events").unwrap();
    let (node, full) = processing_error(events.pipe("k", "e", 10).unwrap_err());
    assert_eq!(node, "final");
    assert_eq!((full.max_bytes, full.records), (Some(1), 1));
    assert!(full.bytes > 1);
}

#[test]
fn tombstones_are_buffered_and_forwarded_like_updates() {
    let driver = rate_limited_scores(BufferConfig::unbounded());
    let scores = driver.input_topic::<String, Option<i64>>("scores").unwrap();
    scores.pipe("a", Some(1), 0).unwrap();
    scores.pipe("b", Some(5), 10).unwrap();
    scores.pipe("z", Some(0), 110).unwrap();
    assert_eq!(latest_total(&driver), Some(6));
    scores.pipe("a", None, 120).unwrap(); // deleted
    scores.pipe("b", Some(6), 130).unwrap();
    scores.pipe("b", None, 140).unwrap(); // updated, then deleted: the delete wins
    assert_eq!(
        read_scores(&driver),
        [
            ("a".to_string(), Some(1), 0),
            ("b".to_string(), Some(5), 10)
        ]
    );
    scores.pipe("z", Some(0), 240).unwrap();
    assert_eq!(
        read_scores(&driver),
        [
            ("z".to_string(), Some(0), 240),
            ("a".to_string(), None, 120),
            ("b".to_string(), None, 140)
        ]
    );
    assert_eq!(latest_total(&driver), Some(0));
}

#[test]
fn the_buffer_is_logged_to_its_changelog_and_restores_from_it() {
    let windows = TimeWindows::of_size_and_grace(ms(100), ms(50));
    let driver = final_counts(
        windows,
        Materialized::default().with_caching_disabled(),
        BufferConfig::unbounded(),
        TestDriverConfig::default(),
    );
    let changelog_topic = format!("{APP}-final-store-changelog");
    let changelog = driver
        .output_topic::<Vec<u8>, Option<Vec<u8>>>(&changelog_topic)
        .unwrap();
    let events = driver.input_topic::<String, String>("events").unwrap();
    events.pipe("k", "e", 10).unwrap();
    events.pipe("k", "e", 20).unwrap();
    events.pipe("j", "e", 120).unwrap();
    let logged = changelog.read_all().unwrap();
    assert_eq!(logged.len(), 3, "one record per key and commit");
    assert!(logged.iter().all(|r| r.value.is_some()));
    assert_eq!(logged[0].key, logged[1].key);
    // Window [0, 100) of k closes: its entry leaves the buffer, logged as a tombstone.
    events.pipe("j", "e", 150).unwrap();
    assert_eq!(read_windows(&driver), [window("k", 0, 100, 2)]);
    let logged_after_close = changelog.read_all().unwrap();
    let tombstones: Vec<_> = logged_after_close
        .iter()
        .filter(|r| r.value.is_none())
        .map(|r| r.key.clone())
        .collect();
    assert_eq!(tombstones, [logged[0].key.clone()]);

    // A fresh instance (a restarted or moved task) restores the changelog and
    // holds j's window back until it closes, then forwards it.
    let restore: Vec<(Vec<u8>, Option<Vec<u8>>)> = logged
        .into_iter()
        .chain(logged_after_close)
        .map(|r| (r.key, r.value))
        .collect();
    let restarted = final_counts(
        windows,
        Materialized::default().with_caching_disabled(),
        BufferConfig::unbounded(),
        TestDriverConfig::default(),
    );
    let restored = restarted
        .with_state_store(
            "final-store",
            |buffer: &mut SuppressionBuffer<Windowed<String>, i64>| {
                buffer.restore(&restore)?;
                buffer.entries()
            },
        )
        .unwrap()
        .unwrap();
    let restored: Vec<_> = restored
        .into_iter()
        .map(|(time, r)| (time, r.key.key, r.value.new))
        .collect();
    assert_eq!(restored, [(200, "j".to_string(), Some(2))]);
    let events = restarted.input_topic::<String, String>("events").unwrap();
    events.pipe("x", "e", 249).unwrap();
    assert_eq!(read_windows(&restarted), []);
    events.pipe("x", "e", 250).unwrap();
    assert_eq!(read_windows(&restarted), [window("j", 100, 200, 2)]);
}

#[test]
fn a_buffer_without_logging_writes_no_changelog() {
    let builder = StreamsBuilder::new();
    builder
        .table::<String, i64>("scores", Consumed::default(), Materialized::default())
        .suppress(
            Suppressed::until_time_limit(ms(10), BufferConfig::unbounded().with_logging_disabled())
                .with_name("quiet"),
        )
        .to("out", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let scores = driver.input_topic::<String, Option<i64>>("scores").unwrap();
    scores.pipe("a", Some(1), 0).unwrap();
    scores.pipe("a", Some(2), 10).unwrap();
    assert_eq!(
        driver
            .output_topic::<String, Option<i64>>("out")
            .unwrap()
            .read_key_values()
            .unwrap(),
        [("a".to_string(), Some(2))]
    );
    assert!(
        !driver
            .produced_topic_names()
            .contains(&format!("{APP}-quiet-store-changelog")),
        "{:?}",
        driver.produced_topic_names()
    );
}

#[test]
fn unnamed_suppressions_get_generated_node_and_store_names() {
    let builder = StreamsBuilder::new();
    builder
        .table::<String, i64>("scores", Consumed::default(), Materialized::default())
        .suppress(Suppressed::until_time_limit(
            ms(10),
            BufferConfig::unbounded(),
        ))
        .to("out", Produced::default());
    let description = builder.build().unwrap().describe().to_string();
    assert!(description.contains("KTABLE-SUPPRESS-"), "{description}");
    assert!(
        description.contains("KTABLE-SUPPRESS-STATE-STORE-"),
        "{description}"
    );
}

#[test]
fn until_window_closes_waits_for_a_session_gap_and_grace_after_its_end() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("events", Consumed::default())
        .group_by_key()
        .windowed_by(SessionWindows::of_inactivity_gap_and_grace(ms(10), ms(2)))
        .count(Materialized::default())
        .suppress(Suppressed::until_window_closes(BufferConfig::unbounded()))
        .to("final-counts", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let events = driver.input_topic::<String, String>("events").unwrap();
    events.pipe("k", "e", 0).unwrap();
    events.pipe("k", "e", 5).unwrap();
    // The session [0, 5] can still grow until stream time passes 5 + gap 10, and
    // takes late records for 2 ms of grace beyond that.
    events.pipe("j", "e", 16).unwrap();
    assert_eq!(read_windows(&driver), []);
    events.pipe("j", "e", 17).unwrap();
    assert_eq!(read_windows(&driver), [window("k", 0, 5, 2)]);
}

#[test]
fn a_zero_time_limit_forwards_every_update_at_once() {
    let builder = StreamsBuilder::new();
    builder
        .table::<String, i64>(
            "scores",
            Consumed::default(),
            Materialized::default().with_caching_disabled(),
        )
        .suppress(Suppressed::until_time_limit(
            Duration::ZERO,
            BufferConfig::unbounded(),
        ))
        .to("out", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let scores = driver.input_topic::<String, Option<i64>>("scores").unwrap();
    scores.pipe("a", Some(1), 50).unwrap();
    scores.pipe("a", Some(2), 10).unwrap(); // out of order: still due at once
    scores.pipe("a", None, 60).unwrap();
    assert_eq!(
        driver
            .output_topic::<String, Option<i64>>("out")
            .unwrap()
            .read_key_values()
            .unwrap(),
        [
            ("a".to_string(), Some(1)),
            ("a".to_string(), Some(2)),
            ("a".to_string(), None)
        ]
    );
}
