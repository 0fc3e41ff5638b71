//! Headers (correlation ids, trace context) of an input record reach the
//! records stateful operators emit because of it, as in Kafka Streams: an
//! aggregation's update carries the headers of the record that caused it (with
//! caching, of the last record that wrote the key before the cache wrote it
//! down), a join's result those of the record that triggered it, an outer
//! join's unmatched result those of the record whose time closed its window,
//! and suppress emits a buffered update with the headers buffered with it.

use std::time::Duration;
use streams_dsl::prelude::*;

fn trace(id: &str) -> Headers {
    Headers::new().with("trace-id", id)
}

fn trace_id(record: &Record<impl Sized, impl Sized>) -> Option<String> {
    record
        .headers
        .last_value("trace-id")
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

/// A driver that commits only when told (so caches hold their updates).
fn manual_driver(builder: StreamsBuilder) -> TopologyTestDriver {
    let config = TestDriverConfig {
        commit_after_each_record: false,
        ..TestDriverConfig::default()
    };
    TopologyTestDriver::with_config(builder.build().unwrap(), config).unwrap()
}

/// Window start, end, value and trace id of every windowed update on `topic`.
fn windowed_traces(
    driver: &TopologyTestDriver,
    topic: &str,
) -> Vec<(i64, i64, Option<i64>, Option<String>)> {
    driver
        .output_topic::<Windowed<String>, Option<i64>>(topic)
        .unwrap()
        .read_all()
        .unwrap()
        .iter()
        .map(|r| (r.key.window.start, r.key.window.end, r.value, trace_id(r)))
        .collect()
}

fn materialized<K, V>(name: &str, caching: bool) -> Materialized<K, V> {
    let materialized = Materialized::named(name);
    if caching {
        materialized
    } else {
        materialized.with_caching_disabled()
    }
}

#[test]
fn counts_forward_the_headers_of_the_record_behind_each_update() {
    for caching in [false, true] {
        let builder = StreamsBuilder::new();
        builder
            .stream::<String, String>("orders", Consumed::default())
            .group_by_key()
            .count(materialized("order-counts", caching))
            .to("order-counts-out", Produced::default());
        let driver = manual_driver(builder);
        let orders = driver.input_topic::<String, String>("orders").unwrap();
        orders
            .pipe_with_headers("alice", "o1", 1, trace("t-1"))
            .unwrap();
        orders
            .pipe_with_headers("alice", "o2", 2, trace("t-2"))
            .unwrap();
        orders.pipe("bob", "o3", 3).unwrap();
        driver.commit().unwrap();
        let out = driver
            .output_topic::<String, Option<i64>>("order-counts-out")
            .unwrap();
        let emitted: Vec<(String, Option<i64>, Option<String>)> = out
            .read_all()
            .unwrap()
            .into_iter()
            .map(|r| (r.key.clone(), r.value, trace_id(&r)))
            .collect();
        let expected = if caching {
            // One update per key at the commit, with the last writer's headers.
            vec![
                ("alice".into(), Some(2), Some("t-2".into())),
                ("bob".into(), Some(1), None),
            ]
        } else {
            vec![
                ("alice".into(), Some(1), Some("t-1".into())),
                ("alice".into(), Some(2), Some("t-2".into())),
                ("bob".into(), Some(1), None),
            ]
        };
        assert_eq!(emitted, expected, "caching {caching}");
    }
}

#[test]
fn a_key_rewritten_without_headers_loses_the_earlier_headers_in_the_cache() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("orders", Consumed::default())
        .group_by_key()
        .count(materialized("order-counts", true))
        .to("order-counts-out", Produced::default());
    let driver = manual_driver(builder);
    let orders = driver.input_topic::<String, String>("orders").unwrap();
    orders
        .pipe_with_headers("alice", "o1", 1, trace("t-1"))
        .unwrap();
    orders.pipe("alice", "o2", 2).unwrap();
    driver.commit().unwrap();
    let out = driver
        .output_topic::<String, Option<i64>>("order-counts-out")
        .unwrap();
    let update = out.read().unwrap();
    assert_eq!((update.value, trace_id(&update)), (Some(2), None));
}

#[test]
fn windowed_counts_forward_the_causing_headers_with_and_without_caching() {
    for caching in [false, true] {
        let builder = StreamsBuilder::new();
        builder
            .stream::<String, String>("clicks", Consumed::default())
            .group_by_key()
            .windowed_by(TimeWindows::of_size_with_no_grace(Duration::from_millis(
                100,
            )))
            .count(materialized("click-windows", caching))
            .to_stream()
            .to("click-windows-out", Produced::default());
        let driver = manual_driver(builder);
        let clicks = driver.input_topic::<String, String>("clicks").unwrap();
        clicks
            .pipe_with_headers("u", "c", 10, trace("w-1"))
            .unwrap();
        clicks
            .pipe_with_headers("u", "c", 150, trace("w-2"))
            .unwrap();
        driver.commit().unwrap();
        let mut emitted: Vec<(i64, Option<String>)> = windowed_traces(&driver, "click-windows-out")
            .into_iter()
            .map(|(start, _, _, trace)| (start, trace))
            .collect();
        emitted.sort();
        assert_eq!(
            emitted,
            [(0, Some("w-1".into())), (100, Some("w-2".into()))],
            "caching {caching}"
        );
    }
}

#[test]
fn session_merges_forward_the_merging_records_headers() {
    for caching in [false, true] {
        let builder = StreamsBuilder::new();
        builder
            .stream::<String, String>("visits", Consumed::default())
            .group_by_key()
            .windowed_by(SessionWindows::of_inactivity_gap_and_grace(
                Duration::from_millis(10),
                Duration::from_millis(100),
            ))
            .count(materialized("visit-sessions", caching))
            .to_stream()
            .to("visit-sessions-out", Produced::default());
        let driver = manual_driver(builder);
        let visits = driver.input_topic::<String, String>("visits").unwrap();
        visits.pipe_with_headers("u", "v", 0, trace("s-1")).unwrap();
        if caching {
            driver.commit().unwrap();
        }
        visits
            .pipe_with_headers("u", "v", 20, trace("s-2"))
            .unwrap();
        visits
            .pipe_with_headers("u", "v", 10, trace("s-3"))
            .unwrap(); // merges [0,0] and [20,20]
        driver.commit().unwrap();
        let emitted = windowed_traces(&driver, "visit-sessions-out");
        let last = emitted.last().cloned();
        assert_eq!(
            last,
            Some((0, 20, Some(3), Some("s-3".into()))),
            "caching {caching}: {emitted:?}"
        );
        let removal_of_first = emitted.iter().find(|e| (e.0, e.1, e.2) == (0, 0, None));
        assert_eq!(
            removal_of_first.map(|e| e.3.clone()),
            Some(Some("s-3".into())),
            "caching {caching}: the merged-away session's removal carries the merging record's headers: {emitted:?}"
        );
    }
}

#[test]
fn sliding_windows_forward_the_causing_headers() {
    for caching in [false, true] {
        let builder = StreamsBuilder::new();
        builder
            .stream::<String, String>("readings", Consumed::default())
            .group_by_key()
            .windowed_by(SlidingWindows::of_time_difference_with_no_grace(
                Duration::from_millis(50),
            ))
            .count(materialized("reading-windows", caching))
            .to_stream()
            .to("reading-windows-out", Produced::default());
        let driver = manual_driver(builder);
        let readings = driver.input_topic::<String, String>("readings").unwrap();
        readings
            .pipe_with_headers("s", "r", 100, trace("r-1"))
            .unwrap();
        driver.commit().unwrap();
        readings
            .pipe_with_headers("s", "r", 120, trace("r-2"))
            .unwrap();
        driver.commit().unwrap();
        let emitted: Vec<(i64, Option<String>)> = windowed_traces(&driver, "reading-windows-out")
            .into_iter()
            .map(|(start, _, _, trace)| (start, trace))
            .collect();
        assert_eq!(
            emitted.first(),
            Some(&(50, Some("r-1".into()))),
            "caching {caching}: {emitted:?}"
        );
        assert!(
            emitted[1..]
                .iter()
                .all(|(_, id)| id.as_deref() == Some("r-2")),
            "caching {caching}: every window the second record touched carries its headers: {emitted:?}"
        );
        assert!(emitted.len() >= 3, "caching {caching}: {emitted:?}");
    }
}

#[test]
fn table_table_joins_forward_the_triggering_updates_headers() {
    let builder = StreamsBuilder::new();
    let users = builder.table::<String, String>(
        "users",
        Consumed::default(),
        Materialized::named("users-store").with_caching_disabled(),
    );
    let regions = builder.table::<String, String>(
        "regions",
        Consumed::default(),
        Materialized::named("regions-store").with_caching_disabled(),
    );
    users
        .join(&regions, |user, region| format!("{user}@{region}"))
        .to_stream()
        .to("user-regions", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let users_in = driver
        .input_topic::<String, Option<String>>("users")
        .unwrap();
    let regions_in = driver
        .input_topic::<String, Option<String>>("regions")
        .unwrap();
    users_in
        .pipe_with_headers("u1", Some("ann".to_string()), 1, trace("j-1"))
        .unwrap();
    regions_in
        .pipe_with_headers("u1", Some("eu".to_string()), 2, trace("j-2"))
        .unwrap();
    users_in
        .pipe_with_headers("u1", Some("anna".to_string()), 3, trace("j-3"))
        .unwrap();
    let out = driver
        .output_topic::<String, Option<String>>("user-regions")
        .unwrap();
    let emitted: Vec<(Option<String>, Option<String>)> = out
        .read_all()
        .unwrap()
        .iter()
        .map(|r| (r.value.clone(), trace_id(r)))
        .collect();
    assert_eq!(
        emitted,
        [
            (Some("ann@eu".into()), Some("j-2".into())),
            (Some("anna@eu".into()), Some("j-3".into())),
        ]
    );
}

#[test]
fn outer_join_results_carry_the_headers_of_the_record_that_closed_their_window() {
    let builder = StreamsBuilder::new();
    let payments = builder.stream::<String, String>("payments", Consumed::default());
    builder
        .stream::<String, String>("orders", Consumed::default())
        .outer_join_stream(
            &payments,
            |order: Option<String>, payment: Option<String>| {
                format!(
                    "{}+{}",
                    order.unwrap_or_default(),
                    payment.unwrap_or_default()
                )
            },
            JoinWindows::of_time_difference_with_no_grace(Duration::from_millis(100)),
            StreamJoined::default(),
        )
        .to("order-payments", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let orders = driver.input_topic::<String, String>("orders").unwrap();
    let payments = driver.input_topic::<String, String>("payments").unwrap();
    orders
        .pipe_with_headers("o1", "order", 0, trace("order-1"))
        .unwrap();
    payments
        .pipe_with_headers("o1", "paid", 50, trace("payment-1"))
        .unwrap();
    orders
        .pipe_with_headers("o2", "order", 60, trace("order-2"))
        .unwrap();
    payments
        .pipe_with_headers("zz", "late", 500, trace("clock"))
        .unwrap();
    let out = driver
        .output_topic::<String, String>("order-payments")
        .unwrap();
    let emitted: Vec<(String, String, Option<String>)> = out
        .read_all()
        .unwrap()
        .iter()
        .map(|r| (r.key.clone(), r.value.clone(), trace_id(r)))
        .collect();
    assert_eq!(
        emitted,
        [
            ("o1".into(), "order+paid".into(), Some("payment-1".into())),
            ("o2".into(), "order+".into(), Some("clock".into())),
        ]
    );
}

#[test]
fn suppressed_updates_keep_the_headers_buffered_with_them() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("clicks", Consumed::default())
        .group_by_key()
        .windowed_by(TimeWindows::of_size_with_no_grace(Duration::from_millis(
            100,
        )))
        .count(Materialized::named("suppressed-clicks").with_caching_disabled())
        .suppress(Suppressed::until_window_closes(BufferConfig::unbounded()))
        .to_stream()
        .to("final-clicks", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let clicks = driver.input_topic::<String, String>("clicks").unwrap();
    clicks
        .pipe_with_headers("u", "c", 10, trace("first"))
        .unwrap();
    clicks
        .pipe_with_headers("u", "c", 20, trace("second"))
        .unwrap();
    clicks
        .pipe_with_headers("other", "c", 250, trace("closer"))
        .unwrap();
    let out = driver
        .output_topic::<Windowed<String>, Option<i64>>("final-clicks")
        .unwrap();
    let final_result = out.read().unwrap();
    assert_eq!(
        (
            final_result.key.key.as_str(),
            final_result.value,
            trace_id(&final_result)
        ),
        ("u", Some(2), Some("second".into())),
        "the final count of u carries the headers of its last update, not of the record that closed the window"
    );
}
