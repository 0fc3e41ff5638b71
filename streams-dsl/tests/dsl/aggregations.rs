//! Tables and aggregations in the TopologyTestDriver: table sources, counts,
//! reduces and aggregates over grouped streams and tables, caching on and off,
//! changelog records, null keys.

use streams_core::serde::{I64Serde, StringSerde};
use streams_dsl::prelude::*;

fn driver_with(builder: StreamsBuilder, config: TestDriverConfig) -> TopologyTestDriver {
    let config = TestDriverConfig {
        application_id: "agg-app".into(),
        ..config
    };
    TopologyTestDriver::with_config(builder.build().expect("topology builds"), config)
        .expect("driver starts")
}

fn driver(builder: StreamsBuilder) -> TopologyTestDriver {
    driver_with(builder, TestDriverConfig::default())
}

#[test]
fn count_without_caching_forwards_every_update_and_logs_it() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("clicks", Consumed::default())
        .group_by_key()
        .count(Materialized::named("clicks-per-user").with_caching_disabled())
        .to("click-counts", Produced::default());
    let driver = driver(builder);
    let clicks = driver.input_topic::<String, String>("clicks").unwrap();
    for (user, t) in [("ann", 1), ("bob", 2), ("ann", 3)] {
        clicks.pipe(user, "page", t).unwrap();
    }
    let counts = driver
        .output_topic::<String, Option<i64>>("click-counts")
        .unwrap();
    let records = counts.read_all().unwrap();
    assert_eq!(
        records
            .iter()
            .map(|r| (r.key.as_str(), r.value, r.timestamp))
            .collect::<Vec<_>>(),
        [
            ("ann", Some(1), 1),
            ("bob", Some(1), 2),
            ("ann", Some(2), 3)
        ]
    );
    let mut stored = driver
        .key_value_store_entries::<String, i64>("clicks-per-user")
        .unwrap();
    stored.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        stored
            .into_iter()
            .map(|(k, v)| (k, v.value, v.timestamp))
            .collect::<Vec<_>>(),
        [("ann".to_string(), 2, 3), ("bob".to_string(), 1, 2)]
    );
    let changelog = driver
        .output_topic::<String, Vec<u8>>("agg-app-clicks-per-user-changelog")
        .unwrap();
    let logged = changelog.read_all().unwrap();
    assert_eq!(logged.len(), 3, "one changelog record per store write");
    // Values are stored with their timestamp: 8 bytes, then the i64 count.
    assert_eq!(logged[2].key, "ann");
    assert_eq!(logged[2].value[..8], 3_i64.to_be_bytes());
    assert_eq!(logged[2].value[8..], 2_i64.to_be_bytes());
}

#[test]
fn caching_collapses_updates_between_commits() {
    let build = |caching: bool| {
        let builder = StreamsBuilder::new();
        let materialized = Materialized::named("counts");
        let materialized = if caching {
            materialized
        } else {
            materialized.with_caching_disabled()
        };
        builder
            .stream::<String, String>("events", Consumed::default())
            .group_by_key()
            .count(materialized)
            .to("counts-out", Produced::default());
        builder
    };
    let manual_commits = TestDriverConfig {
        commit_after_each_record: false,
        ..TestDriverConfig::default()
    };
    for caching in [true, false] {
        let driver = driver_with(build(caching), manual_commits.clone());
        let events = driver.input_topic::<String, String>("events").unwrap();
        for t in 0..5 {
            events.pipe("k", "e", t).unwrap();
        }
        events.pipe("other", "e", 5).unwrap();
        let out = driver
            .output_topic::<String, Option<i64>>("counts-out")
            .unwrap();
        if caching {
            assert!(out.is_empty(), "a cache forwards nothing before the commit");
            driver.commit().unwrap();
            assert_eq!(
                out.read_key_values().unwrap(),
                [("k".into(), Some(5)), ("other".into(), Some(1))],
                "one update per key, the latest"
            );
        } else {
            assert_eq!(
                out.read_all().unwrap().len(),
                6,
                "every update without a cache"
            );
        }
        let changelog = driver
            .output_topic::<String, Vec<u8>>("agg-app-counts-changelog")
            .unwrap();
        assert_eq!(changelog.len(), if caching { 2 } else { 6 });
    }
}

#[test]
fn a_tiny_cache_evicts_and_forwards_before_the_commit() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("events", Consumed::default())
        .group_by_key()
        .count(Materialized::named("counts"))
        .to("counts-out", Produced::default());
    let config = TestDriverConfig {
        commit_after_each_record: false,
        cache_max_bytes: 150,
        ..TestDriverConfig::default()
    };
    let driver = driver_with(builder, config);
    let events = driver.input_topic::<String, String>("events").unwrap();
    for key in ["a", "b", "c", "d"] {
        events.pipe(key, "e", 0).unwrap();
    }
    let out = driver
        .output_topic::<String, Option<i64>>("counts-out")
        .unwrap();
    let evicted = out.read_all().unwrap();
    assert!(
        !evicted.is_empty(),
        "the budget forces evictions before any commit"
    );
    assert_eq!(
        evicted[0].key, "a",
        "the least recently used entry goes first"
    );
}

#[test]
fn group_by_repartitions_and_counts_by_the_new_key() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("orders", Consumed::default())
        .group_by(|_order, country| country.clone())
        .count(Materialized::named("orders-per-country").with_caching_disabled())
        .to("country-counts", Produced::default());
    let topology = builder.build().unwrap();
    assert_eq!(topology.subtopologies().len(), 2);
    assert_eq!(
        topology.internal_topics("agg-app"),
        ["agg-app-orders-per-country-repartition"]
    );
    let driver = TopologyTestDriver::with_config(
        topology,
        TestDriverConfig {
            application_id: "agg-app".into(),
            ..TestDriverConfig::default()
        },
    )
    .unwrap();
    let orders = driver.input_topic::<String, String>("orders").unwrap();
    for (order, country) in [("o1", "NL"), ("o2", "DE"), ("o3", "NL")] {
        orders.pipe(order, country, 0).unwrap();
    }
    assert_eq!(
        driver
            .output_topic::<String, Option<i64>>("country-counts")
            .unwrap()
            .read_key_values()
            .unwrap(),
        [
            ("NL".into(), Some(1)),
            ("DE".into(), Some(1)),
            ("NL".into(), Some(2))
        ]
    );
}

#[test]
fn reduce_and_aggregate_fold_values_per_key() {
    let builder = StreamsBuilder::new();
    let amounts = builder
        .stream::<String, i64>("amounts", Consumed::default())
        .group_by_key();
    amounts
        .reduce(
            |a, b| a.max(b),
            Materialized::named("max").with_caching_disabled(),
        )
        .to("max-out", Produced::default());
    amounts
        .aggregate(
            String::new,
            |_, amount, history: String| format!("{history}{amount};"),
            Materialized::<String, String>::named("history")
                .with_caching_disabled()
                .in_memory(),
        )
        .to("history-out", Produced::default());
    let driver = driver(builder);
    let input = driver.input_topic::<String, i64>("amounts").unwrap();
    for (amount, t) in [(5, 1), (9, 2), (3, 3)] {
        input.pipe("card", amount, t).unwrap();
    }
    let max: Vec<Option<i64>> = driver
        .output_topic::<String, Option<i64>>("max-out")
        .unwrap()
        .read_all()
        .unwrap()
        .into_iter()
        .map(|r| r.value)
        .collect();
    assert_eq!(max, [Some(5), Some(9), Some(9)]);
    assert_eq!(
        driver
            .output_topic::<String, Option<String>>("history-out")
            .unwrap()
            .read_all()
            .unwrap()
            .last()
            .unwrap()
            .value,
        Some("5;9;3;".to_string())
    );
}

#[test]
fn table_upserts_and_deletes_and_filters_turn_rows_into_deletes() {
    let builder = StreamsBuilder::new();
    let balances = builder.table::<String, i64>(
        "balances",
        Consumed::default(),
        Materialized::named("balances-store").with_caching_disabled(),
    );
    balances
        .to_stream()
        .to("balance-updates", Produced::default());
    balances
        .filter(|_, balance| *balance >= 100)
        .to_stream()
        .to("rich", Produced::default());
    let driver = driver(builder);
    let input = driver
        .input_topic::<String, Option<i64>>("balances")
        .unwrap();
    input.pipe("a", Some(150), 1).unwrap();
    input.pipe("a", Some(50), 2).unwrap();
    input.pipe("b", Some(10), 3).unwrap();
    input.pipe("b", None, 4).unwrap();
    assert_eq!(
        driver
            .output_topic::<String, Option<i64>>("balance-updates")
            .unwrap()
            .read_key_values()
            .unwrap(),
        [
            ("a".into(), Some(150)),
            ("a".into(), Some(50)),
            ("b".into(), Some(10)),
            ("b".into(), None)
        ]
    );
    // "a" leaves the filter: downstream sees a delete; "b" never matched: nothing.
    assert_eq!(
        driver
            .output_topic::<String, Option<i64>>("rich")
            .unwrap()
            .read_key_values()
            .unwrap(),
        [("a".into(), Some(150)), ("a".into(), None)]
    );
    let stored = driver
        .key_value_store_entries::<String, i64>("balances-store")
        .unwrap();
    assert_eq!(
        stored
            .into_iter()
            .map(|(k, v)| (k, v.value))
            .collect::<Vec<_>>(),
        [("a".to_string(), 50)]
    );
    let changelog = driver
        .output_topic::<String, Option<Vec<u8>>>("agg-app-balances-store-changelog")
        .unwrap();
    let last = changelog.read_all().unwrap().pop().unwrap();
    assert_eq!(
        (last.key.as_str(), last.value),
        ("b", None),
        "a delete is logged as a tombstone"
    );
}

#[test]
fn grouped_table_count_moves_rows_between_groups() {
    let builder = StreamsBuilder::new();
    builder
        .table::<String, String>(
            "user-regions",
            Consumed::default(),
            Materialized::named("users").with_caching_disabled(),
        )
        .group_by(|_user, region| (region, 1_i64))
        .count(Materialized::named("users-per-region").with_caching_disabled())
        .to("region-counts", Produced::default());
    let driver = driver(builder);
    let users = driver
        .input_topic::<String, Option<String>>("user-regions")
        .unwrap();
    users.pipe("ann", Some("eu".to_string()), 1).unwrap();
    users.pipe("bob", Some("eu".to_string()), 2).unwrap();
    users.pipe("ann", Some("us".to_string()), 3).unwrap();
    users.pipe("bob", None, 4).unwrap();
    let counts = driver
        .output_topic::<String, Option<i64>>("region-counts")
        .unwrap()
        .read_key_values_to_map()
        .unwrap();
    assert_eq!(counts.get("eu"), Some(&Some(0)));
    assert_eq!(counts.get("us"), Some(&Some(1)));
}

#[test]
fn grouped_table_reduce_and_aggregate_subtract_replaced_rows() {
    let builder = StreamsBuilder::new();
    let by_team = builder
        .table::<String, i64>(
            "player-scores",
            Consumed::default(),
            Materialized::named("scores").with_caching_disabled(),
        )
        .group_by(|player, score| {
            (
                player.split('/').next().unwrap_or_default().to_string(),
                score,
            )
        });
    by_team
        .reduce(
            |a, b| a + b,
            |a, b| a - b,
            Materialized::named("team-total").with_caching_disabled(),
        )
        .to("team-totals", Produced::default());
    by_team
        .aggregate(
            || 0_i64,
            |_, _, players| players + 1,
            |_, _, players| players - 1,
            Materialized::named("team-size").with_caching_disabled(),
        )
        .to("team-sizes", Produced::default());
    let driver = driver(builder);
    let scores = driver
        .input_topic::<String, Option<i64>>("player-scores")
        .unwrap();
    scores.pipe("red/ann", Some(10), 0).unwrap();
    scores.pipe("red/bob", Some(5), 0).unwrap();
    scores.pipe("red/ann", Some(20), 0).unwrap();
    let totals = driver
        .output_topic::<String, Option<i64>>("team-totals")
        .unwrap()
        .read_key_values_to_map()
        .unwrap();
    assert_eq!(totals.get("red"), Some(&Some(25)));
    let sizes = driver
        .output_topic::<String, Option<i64>>("team-sizes")
        .unwrap()
        .read_key_values_to_map()
        .unwrap();
    assert_eq!(sizes.get("red"), Some(&Some(2)));
}

#[test]
fn records_with_null_keys_are_dropped_by_aggregations_and_counted() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<Option<String>, String>("maybe-keyed", Consumed::default())
        .group_by_key()
        .count(
            Materialized::with(
                streams_core::serde::OptionSerde::new(std::sync::Arc::new(StringSerde)),
                I64Serde,
            )
            .with_caching_disabled(),
        )
        .to("counted", Produced::default());
    let driver = driver(builder);
    let input = driver
        .input_topic::<Option<String>, String>("maybe-keyed")
        .unwrap();
    input.pipe(Some("k".to_string()), "v", 0).unwrap();
    input.pipe(None::<String>, "v", 0).unwrap();
    assert_eq!(
        driver
            .output_topic::<Option<String>, Option<i64>>("counted")
            .unwrap()
            .read_all()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(driver.metrics().dropped_records, 1);
}

#[test]
fn a_cached_stream_count_sends_old_values_to_a_grouped_table_downstream() {
    // The stream count's cache skips reading old values unless an operator
    // downstream reads them: here the subtractor of the re-grouping must see
    // the replaced count, or the total would keep every count ever flushed.
    let builder = StreamsBuilder::new();
    let counts = builder
        .stream::<String, String>("events", Consumed::default())
        .group_by_key()
        .count(Materialized::named("event-counts"));
    counts.to_stream().to("counts-out", Produced::default());
    counts
        .group_by(|_key, count| ("all".to_string(), count))
        .reduce(
            |a, b| a + b,
            |a, b| a - b,
            Materialized::named("total-events").with_caching_disabled(),
        )
        .to("totals", Produced::default());
    let driver = driver_with(
        builder,
        TestDriverConfig {
            commit_after_each_record: false,
            ..TestDriverConfig::default()
        },
    );
    let events = driver.input_topic::<String, String>("events").unwrap();
    for t in 0..3 {
        events.pipe("a", "e", t).unwrap();
    }
    events.pipe("b", "e", 3).unwrap();
    driver.commit().unwrap();
    events.pipe("a", "e", 4).unwrap();
    events.pipe("b", "e", 5).unwrap();
    driver.commit().unwrap();
    let totals = driver
        .output_topic::<String, Option<i64>>("totals")
        .unwrap()
        .read_key_values_to_map()
        .unwrap();
    assert_eq!(totals.get("all"), Some(&Some(6)));
    let counts = driver
        .output_topic::<String, Option<i64>>("counts-out")
        .unwrap()
        .read_key_values()
        .unwrap();
    assert_eq!(
        counts,
        [
            ("a".into(), Some(3)),
            ("b".into(), Some(1)),
            ("a".into(), Some(4)),
            ("b".into(), Some(2)),
        ]
    );
}
