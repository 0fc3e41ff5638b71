//! Sliding-window aggregations in the TopologyTestDriver, with the window sets
//! Kafka Streams' `KStreamSlidingWindowAggregate` produces: in-order and
//! out-of-order records, boundary inclusivity, records earlier than the time
//! difference, late records, caching, and in-memory and persistent stores.

use std::collections::BTreeMap;
use std::time::Duration;
use streams_dsl::prelude::*;

fn difference_and_grace(difference_ms: u64, grace_ms: u64) -> SlidingWindows {
    SlidingWindows::of_time_difference_and_grace(
        Duration::from_millis(difference_ms),
        Duration::from_millis(grace_ms),
    )
}

fn sliding_counts(
    windows: SlidingWindows,
    materialized: Materialized<String, i64>,
    config: TestDriverConfig,
) -> TopologyTestDriver {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("events", Consumed::default())
        .group_by_key()
        .windowed_by(windows)
        .count(materialized)
        .to_stream()
        .to("sliding-counts", Produced::default());
    TopologyTestDriver::with_config(builder.build().unwrap(), config).unwrap()
}

fn uncached_counts(windows: SlidingWindows, store: &str) -> TopologyTestDriver {
    sliding_counts(
        windows,
        Materialized::named(store).with_caching_disabled(),
        TestDriverConfig::default(),
    )
}

/// Output records as (window start, window end, value, timestamp).
fn read<V: 'static>(driver: &TopologyTestDriver, topic: &str) -> Vec<(i64, i64, Option<V>, i64)> {
    driver
        .output_topic::<Windowed<String>, Option<V>>(topic)
        .unwrap()
        .read_all()
        .unwrap()
        .into_iter()
        .map(|r| (r.key.window.start, r.key.window.end, r.value, r.timestamp))
        .collect()
}

/// The stored windows of `key`: start -> (aggregate, timestamp).
fn stored<V: Clone + 'static>(
    driver: &TopologyTestDriver,
    store: &str,
    key: &str,
) -> BTreeMap<i64, (V, i64)> {
    driver
        .with_state_store(store, |windows: &mut TimestampedWindowStore<String, V>| {
            windows.fetch_range(&key.to_string(), 0, i64::MAX)
        })
        .unwrap()
        .unwrap()
        .into_iter()
        .map(|(window, value)| (window.start, (value.value, value.timestamp)))
        .collect()
}

fn windows<V: Clone>(entries: &[(i64, V, i64)]) -> BTreeMap<i64, (V, i64)> {
    entries
        .iter()
        .map(|(start, value, timestamp)| (*start, (value.clone(), *timestamp)))
        .collect()
}

fn concatenating(materialized: Materialized<String, String>) -> TopologyTestDriver {
    concatenating_in(difference_and_grace(10, 50), materialized)
}

fn concatenating_in(
    sliding: SlidingWindows,
    materialized: Materialized<String, String>,
) -> TopologyTestDriver {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("letters", Consumed::default())
        .group_by_key()
        .windowed_by(sliding)
        .aggregate(
            || "0".to_string(),
            |_, value, aggregate| format!("{aggregate}+{value}"),
            materialized.with_caching_disabled(),
        )
        .to_stream()
        .to("concatenated", Produced::default());
    TopologyTestDriver::new(builder.build().unwrap()).unwrap()
}

fn in_order_records_create_left_and_right_windows(materialized: Materialized<String, String>) {
    let driver = concatenating(materialized);
    let letters = driver.input_topic::<String, String>("letters").unwrap();
    for (value, t) in [("1", 10), ("2", 15), ("3", 20), ("4", 22), ("5", 30)] {
        letters.pipe("A", value, t).unwrap();
    }
    // Each window holds a distinct set of records no more than 10 ms apart.
    assert_eq!(
        stored::<String>(&driver, "letters-store", "A"),
        windows(&[
            (0, "0+1".to_string(), 10),
            (5, "0+1+2".to_string(), 15),
            (10, "0+1+2+3".to_string(), 20),
            (11, "0+2+3".to_string(), 20),
            (12, "0+2+3+4".to_string(), 22),
            (16, "0+3+4".to_string(), 22),
            (20, "0+3+4+5".to_string(), 30),
            (21, "0+4+5".to_string(), 30),
            (23, "0+5".to_string(), 30),
        ])
    );
    let output = read::<String>(&driver, "concatenated");
    assert_eq!(
        output[..3],
        [
            (0, 10, Some("0+1".to_string()), 10),
            (11, 21, Some("0+2".to_string()), 15),
            (5, 15, Some("0+1+2".to_string()), 15),
        ]
    );
    // One update per window a record falls in or creates: 1 + 2 + 3 + 3 + 3.
    assert_eq!(output.len(), 12);
}

#[test]
fn in_order_records_create_left_and_right_windows_in_a_persistent_store() {
    in_order_records_create_left_and_right_windows(Materialized::named("letters-store"));
}

#[test]
fn in_order_records_create_left_and_right_windows_in_an_in_memory_store() {
    in_order_records_create_left_and_right_windows(
        Materialized::named("letters-store").in_memory(),
    );
}

#[test]
fn an_out_of_order_record_within_grace_creates_the_windows_it_belongs_to() {
    let driver = concatenating(Materialized::named("letters-store"));
    let letters = driver.input_topic::<String, String>("letters").unwrap();
    letters.pipe("A", "a", 50).unwrap();
    letters.pipe("A", "b", 70).unwrap();
    letters.pipe("A", "c", 60).unwrap(); // between the two, within grace
    assert_eq!(
        read::<String>(&driver, "concatenated"),
        [
            (40, 50, Some("0+a".to_string()), 50),
            (60, 70, Some("0+b".to_string()), 70),
            (60, 70, Some("0+b+c".to_string()), 70),
            (51, 61, Some("0+c".to_string()), 60),
            (50, 60, Some("0+a+c".to_string()), 60),
            (61, 71, Some("0+b".to_string()), 70),
        ]
    );
    assert_eq!(
        stored::<String>(&driver, "letters-store", "A"),
        windows(&[
            (40, "0+a".to_string(), 50),
            (50, "0+a+c".to_string(), 60),
            (51, "0+c".to_string(), 60),
            (60, "0+b+c".to_string(), 70),
            (61, "0+b".to_string(), 70),
        ])
    );
}

/// The last value and timestamp forwarded per window start.
fn latest_per_window(output: Vec<(i64, i64, Option<String>, i64)>) -> BTreeMap<i64, (String, i64)> {
    output
        .into_iter()
        .filter_map(|(start, _, value, timestamp)| value.map(|value| (start, (value, timestamp))))
        .collect()
}

fn pipe_letters(driver: &TopologyTestDriver, records: &[(&str, i64)]) {
    let letters = driver.input_topic::<String, String>("letters").unwrap();
    for (value, t) in records {
        letters.pipe("A", *value, *t).unwrap();
    }
}

#[test]
fn early_and_out_of_order_records_give_kafkas_window_set() {
    let driver = concatenating_in(
        difference_and_grace(50, 200),
        Materialized::named("early-letters"),
    );
    pipe_letters(
        &driver,
        &[("1", 0), ("2", 5), ("3", 6), ("4", 3), ("5", 13), ("6", 10)],
    );
    let latest = latest_per_window(read::<String>(&driver, "concatenated"));
    assert_eq!(
        latest,
        windows(&[
            (0, "0+1+2+3+4+5+6".to_string(), 13),
            (1, "0+2+3+4+5+6".to_string(), 13),
            (4, "0+2+3+5+6".to_string(), 13),
            (6, "0+3+5+6".to_string(), 13),
            (7, "0+5+6".to_string(), 13),
            (11, "0+5".to_string(), 13),
        ])
    );
}

#[test]
fn without_grace_out_of_order_records_skip_windows_that_already_ended() {
    let driver = concatenating_in(
        SlidingWindows::of_time_difference_with_no_grace(Duration::from_millis(50)),
        Materialized::named("strict-letters"),
    );
    pipe_letters(
        &driver,
        &[
            ("1", 100),
            ("2", 105),
            ("3", 106),
            ("4", 103),
            ("5", 113),
            ("6", 110),
        ],
    );
    let latest = latest_per_window(read::<String>(&driver, "concatenated"));
    // "4" at 103 arrives at stream time 106: [53, 103] and [55, 105] have ended.
    assert_eq!(
        latest,
        windows(&[
            (50, "0+1".to_string(), 100),
            (55, "0+1+2".to_string(), 105),
            (56, "0+1+2+3+4".to_string(), 106),
            (63, "0+1+2+3+4+5+6".to_string(), 113),
            (101, "0+2+3+4+5+6".to_string(), 113),
            (104, "0+2+3+5+6".to_string(), 113),
            (106, "0+3+5+6".to_string(), 113),
            (107, "0+5+6".to_string(), 113),
            (111, "0+5".to_string(), 113),
        ])
    );
    // "4" missed its own left window and [55, 105]; "6" at 110 missed its own
    // left window [60, 110] (stream time 113).
    assert_eq!(driver.metrics().dropped_records, 3);
}

#[test]
fn window_bounds_are_inclusive_at_both_ends() {
    let driver = uncached_counts(difference_and_grace(10, 100), "bounds");
    let events = driver.input_topic::<String, String>("events").unwrap();
    events.pipe("k", "e", 10).unwrap();
    events.pipe("k", "e", 20).unwrap(); // exactly the difference later: shares a window
    events.pipe("j", "e", 10).unwrap();
    events.pipe("j", "e", 21).unwrap(); // one more: no shared window
    assert_eq!(
        stored::<i64>(&driver, "bounds", "k"),
        windows(&[(0, 1, 10), (10, 2, 20), (11, 1, 20)])
    );
    assert_eq!(
        stored::<i64>(&driver, "bounds", "j"),
        windows(&[(0, 1, 10), (11, 1, 21)])
    );
}

#[test]
fn records_earlier_than_the_difference_share_the_first_window() {
    let driver = uncached_counts(difference_and_grace(10, 100), "early");
    let events = driver.input_topic::<String, String>("events").unwrap();
    for t in [3, 7, 12] {
        events.pipe("k", "e", t).unwrap();
    }
    assert_eq!(
        stored::<i64>(&driver, "early", "k"),
        windows(&[(0, 2, 7), (2, 3, 12), (4, 2, 12), (8, 1, 12)])
    );
    events.pipe("k", "e", 5).unwrap(); // early and out of order
    assert_eq!(
        stored::<i64>(&driver, "early", "k"),
        windows(&[(0, 3, 7), (2, 4, 12), (4, 3, 12), (6, 2, 12), (8, 1, 12)])
    );
}

#[test]
fn late_records_are_dropped_from_closed_windows_and_counted() {
    let driver = uncached_counts(difference_and_grace(10, 0), "late");
    let events = driver.input_topic::<String, String>("events").unwrap();
    events.pipe("k", "e", 100).unwrap(); // stream time 100: windows ending before 100 are closed
    events.pipe("k", "e", 89).unwrap(); // its right window would end at 100: dropped whole, as Kafka does
    events.pipe("k", "e", 90).unwrap(); // left window [80, 90] closed; joins [90, 100]
    assert_eq!(
        read::<i64>(&driver, "sliding-counts"),
        [
            (90, 100, Some(1), 100),
            (90, 100, Some(2), 100),
            (91, 101, Some(1), 100),
        ]
    );
    assert_eq!(driver.metrics().dropped_records, 2);
    assert_eq!(
        stored::<i64>(&driver, "late", "k"),
        windows(&[(90, 2, 100), (91, 1, 100)])
    );
}

#[test]
fn records_with_null_keys_are_dropped_and_counted() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<Option<String>, String>("maybe-keyed", Consumed::default())
        .group_by_key()
        .windowed_by(difference_and_grace(10, 0))
        .count(
            Materialized::with(OptionSerde::new(std::sync::Arc::new(StringSerde)), I64Serde)
                .with_caching_disabled(),
        )
        .to_stream()
        .to("keyed-windows", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let input = driver
        .input_topic::<Option<String>, String>("maybe-keyed")
        .unwrap();
    input.pipe(Some("k".to_string()), "v", 20).unwrap();
    input.pipe(None::<String>, "v", 21).unwrap();
    let output = driver
        .output_topic::<Windowed<Option<String>>, Option<i64>>("keyed-windows")
        .unwrap()
        .read_all()
        .unwrap();
    assert_eq!(output.len(), 1);
    assert_eq!(driver.metrics().dropped_records, 1);
}

#[test]
fn reduce_combines_the_values_of_each_window() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, i64>("amounts", Consumed::default())
        .group_by_key()
        .windowed_by(SlidingWindows::of_time_difference_with_no_grace(
            Duration::from_millis(10),
        ))
        .reduce(
            |a, b| a + b,
            Materialized::named("sums")
                .in_memory()
                .with_caching_disabled(),
        )
        .to_stream()
        .to("sliding-sums", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let amounts = driver.input_topic::<String, i64>("amounts").unwrap();
    amounts.pipe("k", 1_i64, 100).unwrap();
    amounts.pipe("k", 20_i64, 105).unwrap();
    amounts.pipe("k", 300_i64, 112).unwrap();
    assert_eq!(
        stored::<i64>(&driver, "sums", "k"),
        windows(&[
            (90, 1, 100),
            (95, 21, 105),
            (101, 20, 105),
            (102, 320, 112),
            (106, 300, 112),
        ])
    );
}

#[test]
fn caching_forwards_each_window_once_per_commit() {
    let config = TestDriverConfig {
        commit_after_each_record: false,
        ..TestDriverConfig::default()
    };
    let cached = sliding_counts(
        difference_and_grace(10, 0),
        Materialized::named("cached"),
        config.clone(),
    );
    let uncached = sliding_counts(
        difference_and_grace(10, 0),
        Materialized::named("uncached").with_caching_disabled(),
        config,
    );
    for driver in [&cached, &uncached] {
        let events = driver.input_topic::<String, String>("events").unwrap();
        for t in [10, 15, 20] {
            events.pipe("k", "e", t).unwrap();
        }
        driver.commit().unwrap();
    }
    assert_eq!(
        read::<i64>(&uncached, "sliding-counts"),
        [
            (0, 10, Some(1), 10),
            (11, 21, Some(1), 15),
            (5, 15, Some(2), 15),
            (11, 21, Some(2), 20),
            (16, 26, Some(1), 20),
            (10, 20, Some(3), 20),
        ]
    );
    let mut collapsed = read::<i64>(&cached, "sliding-counts");
    collapsed.sort();
    assert_eq!(
        collapsed,
        [
            (0, 10, Some(1), 10),
            (5, 15, Some(2), 15),
            (10, 20, Some(3), 20),
            (11, 21, Some(2), 20),
            (16, 26, Some(1), 20),
        ]
    );
}

#[test]
fn a_retention_shorter_than_twice_the_difference_plus_grace_fails_at_build() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("events", Consumed::default())
        .group_by_key()
        .windowed_by(SlidingWindows::of_time_difference_and_grace(
            Duration::from_secs(10),
            Duration::from_secs(5),
        ))
        .count(Materialized::named("short").with_retention(Duration::from_secs(20)));
    assert_eq!(
        builder.build().unwrap_err().to_string(),
        "store 'short' keeps windows for 20000 ms, less than twice the time difference plus grace (25000 ms): raise it with Materialized::with_retention"
    );
}
