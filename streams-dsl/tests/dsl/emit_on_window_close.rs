//! Windowed aggregations with `EmitStrategy::on_window_close()` (KIP-825): one
//! final result per window once stream time passes its end plus grace,
//! nothing before, late records dropped; without a suppression buffer.

use std::time::Duration;
use streams_dsl::prelude::*;

/// Output records as (key, window start, window end, value, timestamp).
type Final = (String, i64, i64, Option<i64>, i64);

fn read(driver: &TopologyTestDriver) -> Vec<Final> {
    driver
        .output_topic::<Windowed<String>, Option<i64>>("finals")
        .unwrap()
        .read_all()
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.key.key,
                r.key.window.start,
                r.key.window.end,
                r.value,
                r.timestamp,
            )
        })
        .collect()
}

fn final_counts<W: streams_dsl::windows::WindowSpec<String, String>>(
    windows: W,
    emit: impl FnOnce(W::Stream) -> KTable<Windowed<String>, i64>,
) -> TopologyTestDriver {
    let builder = StreamsBuilder::new();
    let windowed = builder
        .stream::<String, String>("events", Consumed::default())
        .group_by_key()
        .windowed_by(windows);
    emit(windowed).to_stream().to("finals", Produced::default());
    TopologyTestDriver::new(builder.build().unwrap()).unwrap()
}

fn tumbling_final(materialized: Materialized<String, i64>) -> TopologyTestDriver {
    final_counts(
        TimeWindows::of_size_and_grace(Duration::from_millis(100), Duration::from_millis(10)),
        |windowed| {
            windowed
                .emit_strategy(EmitStrategy::on_window_close())
                .count(materialized)
        },
    )
}

fn tumbling_emits_one_final_result_per_window(driver: TopologyTestDriver) {
    let events = driver.input_topic::<String, String>("events").unwrap();
    for t in [10, 50, 99] {
        events.pipe("k", "e", t).unwrap();
    }
    events.pipe("k", "e", 105).unwrap();
    assert_eq!(
        read(&driver),
        [],
        "stream time 105 is within the grace of [0, 100): nothing is final yet"
    );
    events.pipe("j", "e", 110).unwrap();
    assert_eq!(
        read(&driver),
        [("k".to_string(), 0, 100, Some(3), 99)],
        "stream time 110 closes [0, 100): its final count, stamped with its last record"
    );
    events.pipe("k", "e", 60).unwrap();
    assert_eq!(
        driver.metrics().dropped_records,
        1,
        "a record for a closed window is dropped"
    );
    events.pipe("k", "e", 150).unwrap();
    assert_eq!(read(&driver), [], "no update of an open window leaves");
    events.pipe("x", "e", 320).unwrap();
    assert_eq!(
        read(&driver),
        [
            ("j".to_string(), 100, 200, Some(1), 110),
            ("k".to_string(), 100, 200, Some(2), 150),
        ],
        "each window once, the late record not counted"
    );
    events.pipe("x", "e", 321).unwrap();
    assert_eq!(read(&driver), [], "closed windows are not emitted twice");
}

#[test]
fn tumbling_windows_emit_only_their_final_result_when_they_close() {
    tumbling_emits_one_final_result_per_window(tumbling_final(
        Materialized::named("final-uncached").with_caching_disabled(),
    ));
}

#[test]
fn a_caching_store_changes_nothing_of_what_is_emitted() {
    // The test driver commits (flushing the cache) after every record.
    let driver = final_counts(
        TimeWindows::of_size_and_grace(Duration::from_millis(100), Duration::from_millis(10)),
        |windowed| {
            windowed
                .emit_strategy(EmitStrategy::on_window_close())
                .count(Materialized::named("final-cached"))
        },
    );
    tumbling_emits_one_final_result_per_window(driver);
}

#[test]
fn the_default_strategy_emits_every_update() {
    let driver = final_counts(
        TimeWindows::of_size_with_no_grace(Duration::from_millis(100)),
        |windowed| {
            windowed
                .emit_strategy(EmitStrategy::on_window_update())
                .count(Materialized::named("updates").with_caching_disabled())
        },
    );
    let events = driver.input_topic::<String, String>("events").unwrap();
    events.pipe("k", "e", 10).unwrap();
    events.pipe("k", "e", 20).unwrap();
    assert_eq!(
        read(&driver),
        [
            ("k".to_string(), 0, 100, Some(1), 10),
            ("k".to_string(), 0, 100, Some(2), 20),
        ]
    );
}

#[test]
fn hopping_windows_emit_each_overlapping_window_once_by_end() {
    let driver = final_counts(
        TimeWindows::of_size_with_no_grace(Duration::from_millis(100))
            .advance_by(Duration::from_millis(50)),
        |windowed| {
            windowed
                .emit_strategy(EmitStrategy::on_window_close())
                .count(Materialized::named("hopping-final").with_caching_disabled())
        },
    );
    let events = driver.input_topic::<String, String>("events").unwrap();
    events.pipe("k", "e", 60).unwrap();
    events.pipe("k", "e", 120).unwrap();
    assert_eq!(
        read(&driver),
        [("k".to_string(), 0, 100, Some(1), 60)],
        "[0, 100) closed at 100; [50, 150) and [100, 200) are open"
    );
    events.pipe("k", "e", 400).unwrap();
    assert_eq!(
        read(&driver),
        [
            ("k".to_string(), 50, 150, Some(2), 120),
            ("k".to_string(), 100, 200, Some(1), 120),
        ]
    );
}

#[test]
fn sliding_windows_emit_each_window_once_when_it_closes() {
    let driver = final_counts(
        SlidingWindows::of_time_difference_with_no_grace(Duration::from_millis(10)),
        |windowed| {
            windowed
                .emit_strategy(EmitStrategy::on_window_close())
                .count(Materialized::named("sliding-final").with_caching_disabled())
        },
    );
    let events = driver.input_topic::<String, String>("events").unwrap();
    events.pipe("k", "e", 100).unwrap();
    assert_eq!(read(&driver), [], "[90, 100] is open at stream time 100");
    events.pipe("k", "e", 105).unwrap();
    assert_eq!(
        read(&driver),
        [("k".to_string(), 90, 100, Some(1), 100)],
        "stream time 105 closes [90, 100]"
    );
    events.pipe("k", "e", 130).unwrap();
    assert_eq!(
        read(&driver),
        [
            ("k".to_string(), 95, 105, Some(2), 105),
            ("k".to_string(), 101, 111, Some(1), 105),
        ]
    );
    events.pipe("k", "e", 92).unwrap();
    assert_eq!(read(&driver), []);
    assert_eq!(
        driver.metrics().dropped_records,
        1,
        "the late record is dropped"
    );
}

fn session_finals(caching: bool) -> TopologyTestDriver {
    let materialized = Materialized::named("sessions");
    let materialized = if caching {
        materialized
    } else {
        materialized.with_caching_disabled()
    };
    final_counts(
        SessionWindows::of_inactivity_gap_and_grace(
            Duration::from_millis(100),
            Duration::from_millis(100),
        ),
        |windowed| {
            windowed
                .emit_strategy(EmitStrategy::on_window_close())
                .count(materialized)
        },
    )
}

#[test]
fn session_windows_emit_each_merged_session_once_when_it_closes() {
    for caching in [false, true] {
        let driver = session_finals(caching);
        let events = driver.input_topic::<String, String>("events").unwrap();
        events.pipe("ann", "e", 10).unwrap();
        events.pipe("ann", "e", 150).unwrap(); // a second session: 140 ms after the first
        events.pipe("ann", "e", 80).unwrap(); // bridges both into [10, 150]
        events.pipe("bob", "e", 320).unwrap();
        assert!(
            read(&driver).is_empty(),
            "[10, 150] is open until stream time passes 150 + gap + grace (caching: {caching})"
        );
        events.pipe("bob", "e", 351).unwrap(); // closes [10, 150]
        events.pipe("ann", "e", 20).unwrap(); // late: its session closed
        events.pipe("bob", "e", 700).unwrap(); // closes bob's [320, 351]
        assert_eq!(
            read(&driver),
            [
                ("ann".to_string(), 10, 150, Some(3), 150),
                ("bob".to_string(), 320, 351, Some(2), 351),
            ],
            "one final per session, no deletes of the merged-away ones (caching: {caching})"
        );
        assert_eq!(driver.metrics().dropped_records, 1, "caching: {caching}");
    }
}

#[test]
fn session_windows_emit_updates_and_deletes_by_default() {
    let driver = final_counts(
        SessionWindows::of_inactivity_gap_and_grace(
            Duration::from_millis(100),
            Duration::from_millis(100),
        ),
        |windowed| windowed.count(Materialized::named("sessions").with_caching_disabled()),
    );
    let events = driver.input_topic::<String, String>("events").unwrap();
    events.pipe("ann", "e", 10).unwrap();
    events.pipe("ann", "e", 150).unwrap();
    events.pipe("ann", "e", 80).unwrap();
    assert_eq!(
        read(&driver),
        [
            ("ann".to_string(), 10, 10, Some(1), 10),
            ("ann".to_string(), 150, 150, Some(1), 150),
            ("ann".to_string(), 10, 10, None, 10),
            ("ann".to_string(), 150, 150, None, 150),
            ("ann".to_string(), 10, 150, Some(3), 150),
        ]
    );
}
