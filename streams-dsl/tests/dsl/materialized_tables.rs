//! `Materialized` on derived tables (`filter`, `filter_not`, `map_values` and
//! table-table joins): the result is kept in a store of its own, queryable by
//! name and logged to its changelog, what downstream sees comes from that
//! store, and joins downstream read it instead of materializing the table
//! again.

use streams_dsl::prelude::*;

fn manual_commits() -> TestDriverConfig {
    TestDriverConfig {
        commit_after_each_record: false,
        ..TestDriverConfig::default()
    }
}

/// (key, value, timestamp) of every record on `topic`.
fn drain<V: 'static>(driver: &TopologyTestDriver, topic: &str) -> Vec<(String, Option<V>, i64)> {
    driver
        .output_topic::<String, Option<V>>(topic)
        .unwrap()
        .read_all()
        .unwrap()
        .into_iter()
        .map(|r| (r.key, r.value, r.timestamp))
        .collect()
}

/// (key, value, timestamp) of every row of the key-value store `store`, by key.
fn rows<V: 'static>(driver: &TopologyTestDriver, store: &str) -> Vec<(String, V, i64)> {
    let mut rows: Vec<(String, V, i64)> = driver
        .key_value_store_entries::<String, V>(store)
        .unwrap()
        .into_iter()
        .map(|(key, row)| (key, row.value, row.timestamp))
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows
}

#[test]
fn a_materialized_filter_keeps_the_matching_rows_and_deletes_rows_that_stop_matching() {
    let builder = StreamsBuilder::new();
    let balances = builder.table::<String, i64>(
        "balances",
        Consumed::default(),
        Materialized::named("balances").with_caching_disabled(),
    );
    balances
        .filter_materialized(
            |_, balance| *balance < 0,
            Materialized::named("overdrawn").with_caching_disabled(),
        )
        .to("overdrawn-out", Produced::default());
    balances
        .filter(|_, balance| *balance < 0)
        .to("filtered-out", Produced::default());
    balances
        .filter_not_materialized(
            |_, balance| *balance < 0,
            Materialized::named("in-credit").with_caching_disabled(),
        )
        .to("in-credit-out", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let input = driver
        .input_topic::<String, Option<i64>>("balances")
        .unwrap();
    input.pipe("alice", Some(-20), 1).unwrap();
    input.pipe("bob", Some(15), 2).unwrap();
    input.pipe("alice", Some(5), 3).unwrap();
    input.pipe("carol", Some(-1), 4).unwrap();
    input.pipe("carol", None, 5).unwrap();
    input.pipe("dave", Some(-7), 6).unwrap();

    let expected = vec![
        ("alice".to_string(), Some(-20), 1),
        ("alice".to_string(), None, 3),
        ("carol".to_string(), Some(-1), 4),
        ("carol".to_string(), None, 5),
        ("dave".to_string(), Some(-7), 6),
    ];
    assert_eq!(drain::<i64>(&driver, "overdrawn-out"), expected);
    assert_eq!(
        drain::<i64>(&driver, "filtered-out"),
        expected,
        "the same records as the filter without a store"
    );
    assert_eq!(
        rows::<i64>(&driver, "overdrawn"),
        [("dave".to_string(), -7, 6)]
    );
    assert_eq!(
        rows::<i64>(&driver, "in-credit"),
        [("alice".to_string(), 5, 3), ("bob".to_string(), 15, 2)]
    );
    assert_eq!(
        drain::<i64>(&driver, "in-credit-out"),
        [
            ("bob".to_string(), Some(15), 2),
            ("alice".to_string(), Some(5), 3),
        ]
    );
    let changelog = driver
        .output_topic::<String, Vec<u8>>("test-driver-app-overdrawn-changelog")
        .unwrap();
    assert_eq!(
        changelog.len(),
        5,
        "one changelog record per write of the store"
    );
}

#[test]
fn a_cached_materialized_filter_forwards_each_key_once_per_commit() {
    let builder = StreamsBuilder::new();
    builder
        .table::<String, i64>(
            "balances",
            Consumed::default(),
            Materialized::named("balances").with_caching_disabled(),
        )
        .filter_materialized(|_, balance| *balance < 0, Materialized::named("overdrawn"))
        .to("overdrawn-out", Produced::default());
    let driver =
        TopologyTestDriver::with_config(builder.build().unwrap(), manual_commits()).unwrap();
    let input = driver
        .input_topic::<String, Option<i64>>("balances")
        .unwrap();
    for (t, balance) in [-1, -2, -3].into_iter().enumerate() {
        input.pipe("alice", Some(balance), t as i64).unwrap();
    }
    input.pipe("bob", Some(-9), 10).unwrap();
    assert!(drain::<i64>(&driver, "overdrawn-out").is_empty());
    driver.commit().unwrap();
    assert_eq!(
        drain::<i64>(&driver, "overdrawn-out"),
        [
            ("alice".to_string(), Some(-3), 2),
            ("bob".to_string(), Some(-9), 10),
        ]
    );
}

#[test]
fn a_join_reads_a_materialized_map_values_result_from_its_store() {
    let build = |materialized: bool| {
        let builder = StreamsBuilder::new();
        let prices = builder.table::<String, i64>(
            "prices",
            Consumed::default(),
            Materialized::named("prices").with_caching_disabled(),
        );
        let names = builder.table::<String, String>(
            "names",
            Consumed::default(),
            Materialized::named("names").with_caching_disabled(),
        );
        let doubled = if materialized {
            prices.map_values_materialized(
                |price| price * 2,
                Materialized::named("doubled").with_caching_disabled(),
            )
        } else {
            prices.map_values(|price| price * 2)
        };
        doubled
            .join(&names, |price, name| format!("{name}: {price}"))
            .to("priced", Produced::default());
        builder.build().unwrap()
    };
    let extra_store = |topology: &streams_core::topology::Topology| {
        topology
            .describe()
            .to_string()
            .contains("KTABLE-MATERIALIZE-STATE-STORE")
    };
    assert!(
        extra_store(&build(false)),
        "without a store of its own the derived table is materialized for the join"
    );
    assert!(
        !extra_store(&build(true)),
        "the join reads the materialized result's store"
    );
    for materialized in [false, true] {
        let driver = TopologyTestDriver::new(build(materialized)).unwrap();
        let prices = driver.input_topic::<String, Option<i64>>("prices").unwrap();
        let names = driver
            .input_topic::<String, Option<String>>("names")
            .unwrap();
        prices.pipe("apple", Some(3), 1).unwrap();
        names.pipe("apple", Some("Apple".to_string()), 2).unwrap();
        prices.pipe("apple", Some(4), 3).unwrap();
        names.pipe("pear", Some("Pear".to_string()), 4).unwrap();
        prices.pipe("apple", None, 5).unwrap();
        assert_eq!(
            drain::<String>(&driver, "priced"),
            [
                ("apple".to_string(), Some("Apple: 6".to_string()), 2),
                ("apple".to_string(), Some("Apple: 8".to_string()), 3),
                ("apple".to_string(), None, 5),
            ],
            "materialized: {materialized}"
        );
        if materialized {
            assert!(rows::<i64>(&driver, "doubled").is_empty());
        }
    }
}

#[test]
fn materialized_table_joins_keep_their_rows_queryable() {
    let builder = StreamsBuilder::new();
    let left = builder.table::<String, String>(
        "left",
        Consumed::default(),
        Materialized::named("left").with_caching_disabled(),
    );
    let right = builder.table::<String, String>(
        "right",
        Consumed::default(),
        Materialized::named("right").with_caching_disabled(),
    );
    left.join_materialized(
        &right,
        |l, r| format!("{l}+{r}"),
        Materialized::named("inner").with_caching_disabled(),
    )
    .to("inner-out", Produced::default());
    left.left_join_materialized(
        &right,
        |l, r| format!("{l}+{}", r.unwrap_or_else(|| "null".into())),
        Materialized::named("left-joined").with_caching_disabled(),
    )
    .to("left-out", Produced::default());
    left.outer_join_materialized(
        &right,
        |l, r| {
            format!(
                "{}+{}",
                l.unwrap_or_else(|| "null".into()),
                r.unwrap_or_else(|| "null".into())
            )
        },
        Materialized::named("outer").with_caching_disabled(),
    )
    .to("outer-out", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let l = driver
        .input_topic::<String, Option<String>>("left")
        .unwrap();
    let r = driver
        .input_topic::<String, Option<String>>("right")
        .unwrap();
    l.pipe("a", Some("A".to_string()), 1).unwrap();
    r.pipe("a", Some("x".to_string()), 2).unwrap();
    r.pipe("b", Some("y".to_string()), 3).unwrap();
    l.pipe("c", Some("C".to_string()), 4).unwrap();
    r.pipe("a", None, 5).unwrap();

    assert!(rows::<String>(&driver, "inner").is_empty());
    assert_eq!(
        rows::<String>(&driver, "left-joined"),
        [
            ("a".to_string(), "A+null".to_string(), 5),
            ("c".to_string(), "C+null".to_string(), 4),
        ]
    );
    assert_eq!(
        rows::<String>(&driver, "outer"),
        [
            ("a".to_string(), "A+null".to_string(), 5),
            ("b".to_string(), "null+y".to_string(), 3),
            ("c".to_string(), "C+null".to_string(), 4),
        ]
    );
    assert_eq!(
        drain::<String>(&driver, "inner-out"),
        [
            ("a".to_string(), Some("A+x".to_string()), 2),
            ("a".to_string(), None, 5),
        ]
    );
}
