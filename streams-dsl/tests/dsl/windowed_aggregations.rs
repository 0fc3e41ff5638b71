//! Tumbling and hopping window aggregations in the TopologyTestDriver: window
//! boundaries, out-of-order records inside grace, late records beyond grace.

use std::time::Duration;
use streams_dsl::prelude::*;

fn windowed_counts(
    windows: TimeWindows,
    materialized: Materialized<String, i64>,
) -> TopologyTestDriver {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("events", Consumed::default())
        .group_by_key()
        .windowed_by(windows)
        .count(materialized.with_caching_disabled())
        .to_stream()
        .to("windowed-counts", Produced::default());
    TopologyTestDriver::new(builder.build().unwrap()).unwrap()
}

fn read(driver: &TopologyTestDriver) -> Vec<(String, i64, i64, Option<i64>)> {
    driver
        .output_topic::<Windowed<String>, Option<i64>>("windowed-counts")
        .unwrap()
        .read_all()
        .unwrap()
        .into_iter()
        .map(|r| (r.key.key, r.key.window.start, r.key.window.end, r.value))
        .collect()
}

#[test]
fn tumbling_windows_are_start_inclusive_and_end_exclusive() {
    let driver = windowed_counts(
        TimeWindows::of_size_with_no_grace(Duration::from_millis(100)),
        Materialized::named("tumbling"),
    );
    let events = driver.input_topic::<String, String>("events").unwrap();
    for t in [0, 99, 100, 150] {
        events.pipe("k", "e", t).unwrap();
    }
    assert_eq!(
        read(&driver),
        [
            ("k".to_string(), 0, 100, Some(1)),
            ("k".to_string(), 0, 100, Some(2)),
            ("k".to_string(), 100, 200, Some(1)),
            ("k".to_string(), 100, 200, Some(2)),
        ]
    );
    let stored = driver
        .with_state_store(
            "tumbling",
            |store: &mut TimestampedWindowStore<String, i64>| store.fetch(&"k".to_string(), 100),
        )
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!((stored.value, stored.timestamp), (2, 150));
    // Retention defaults to size + grace: at stream time 150, window [0, 100) is closed and gone.
    let expired = driver
        .with_state_store(
            "tumbling",
            |store: &mut TimestampedWindowStore<String, i64>| store.fetch(&"k".to_string(), 0),
        )
        .unwrap()
        .unwrap();
    assert_eq!(expired, None);
}

#[test]
fn hopping_windows_update_every_window_a_record_falls_in() {
    let windows = TimeWindows::of_size_with_no_grace(Duration::from_millis(100))
        .advance_by(Duration::from_millis(50));
    let driver = windowed_counts(windows, Materialized::named("hopping"));
    driver
        .input_topic::<String, String>("events")
        .unwrap()
        .pipe("k", "e", 120)
        .unwrap();
    assert_eq!(
        read(&driver),
        [
            ("k".to_string(), 50, 150, Some(1)),
            ("k".to_string(), 100, 200, Some(1))
        ]
    );
}

#[test]
fn out_of_order_records_within_grace_count_and_later_ones_are_dropped() {
    let windows =
        TimeWindows::of_size_and_grace(Duration::from_millis(100), Duration::from_millis(50));
    let driver = windowed_counts(windows, Materialized::named("graceful"));
    let events = driver.input_topic::<String, String>("events").unwrap();
    events.pipe("k", "e", 10).unwrap();
    events.pipe("k", "e", 140).unwrap(); // stream time 140: window [0,100) closes at 150
    events.pipe("k", "e", 20).unwrap(); // out of order, inside grace: counted
    events.pipe("k", "e", 150).unwrap(); // stream time 150: [0,100) is now closed
    events.pipe("k", "e", 30).unwrap(); // late: dropped
    assert_eq!(
        read(&driver),
        [
            ("k".to_string(), 0, 100, Some(1)),
            ("k".to_string(), 100, 200, Some(1)),
            ("k".to_string(), 0, 100, Some(2)),
            ("k".to_string(), 100, 200, Some(2)),
        ]
    );
    assert_eq!(driver.metrics().dropped_records, 1);
}

#[test]
fn windowed_aggregate_with_caching_emits_the_final_value_per_window_at_commit() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, i64>("amounts", Consumed::default())
        .group_by_key()
        .windowed_by(TimeWindows::of_size_with_no_grace(Duration::from_secs(60)))
        .aggregate(
            || 0_i64,
            |_, amount, total| total + amount,
            Materialized::named("minute-totals").in_memory(),
        )
        .to_stream()
        .to("minute-totals-out", Produced::default());
    let config = TestDriverConfig {
        commit_after_each_record: false,
        ..TestDriverConfig::default()
    };
    let driver = TopologyTestDriver::with_config(builder.build().unwrap(), config).unwrap();
    let amounts = driver.input_topic::<String, i64>("amounts").unwrap();
    for (amount, t) in [(5, 1_000), (7, 2_000), (1, 61_000)] {
        amounts.pipe("card", amount, t).unwrap();
    }
    driver.commit().unwrap();
    let totals: Vec<(i64, Option<i64>)> = driver
        .output_topic::<Windowed<String>, Option<i64>>("minute-totals-out")
        .unwrap()
        .read_all()
        .unwrap()
        .into_iter()
        .map(|r| (r.key.window.start, r.value))
        .collect();
    assert_eq!(totals, [(0, Some(12)), (60_000, Some(1))]);
}

#[test]
fn a_retention_shorter_than_size_plus_grace_fails_at_build() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("events", Consumed::default())
        .group_by_key()
        .windowed_by(TimeWindows::of_size_and_grace(
            Duration::from_secs(60),
            Duration::from_secs(30),
        ))
        .count(Materialized::named("short").with_retention(Duration::from_secs(60)));
    assert_eq!(
        builder.build().unwrap_err().to_string(),
        "store 'short' keeps windows for 60000 ms, less than the window size plus grace (90000 ms): raise it with Materialized::with_retention"
    );
}
