//! The join-semantics tables of the Kafka Streams documentation for
//! stream-table and table-table joins, run as written (values and timestamps),
//! with and without caching; null keys (KIP-962), null values, out-of-order
//! records, and the timestamp of deletes that pass through a cached table.

use streams_dsl::prelude::*;

/// `[left, right]` with `null` for a missing side, as the docs' tables write it.
fn pair(left: Option<&str>, right: Option<&str>) -> String {
    format!("[{}, {}]", left.unwrap_or("null"), right.unwrap_or("null"))
}

fn table_store(name: &str, caching: bool) -> Materialized<String, String> {
    let materialized = Materialized::named(name);
    if caching {
        materialized
    } else {
        materialized.with_caching_disabled()
    }
}

/// Values and timestamps written to `topic` since the last read.
fn drain<V: 'static>(driver: &TopologyTestDriver, topic: &str) -> Vec<(V, i64)> {
    driver
        .output_topic::<String, V>(topic)
        .expect("output topic")
        .read_all()
        .expect("outputs deserialize")
        .into_iter()
        .map(|record| (record.value, record.timestamp))
        .collect()
}

fn owned(rows: &[(&str, i64)]) -> Vec<(String, i64)> {
    rows.iter().map(|(v, t)| (v.to_string(), *t)).collect()
}

fn changes(rows: &[(Option<&str>, i64)]) -> Vec<(Option<String>, i64)> {
    rows.iter()
        .map(|(v, t)| (v.map(str::to_string), *t))
        .collect()
}

/// The input of the docs' stream-table and table-table tables: one key; the
/// left and the right side each get a value or a null at timestamps 1 to 15.
const DOCUMENTED_ROWS: [(i64, Side, Option<&str>); 15] = [
    (1, Side::Left, None),
    (2, Side::Right, None),
    (3, Side::Left, Some("A")),
    (4, Side::Right, Some("a")),
    (5, Side::Left, Some("B")),
    (6, Side::Right, Some("b")),
    (7, Side::Left, None),
    (8, Side::Right, None),
    (9, Side::Left, Some("C")),
    (10, Side::Right, Some("c")),
    (11, Side::Right, None),
    (12, Side::Left, None),
    (13, Side::Right, None),
    (14, Side::Right, Some("d")),
    (15, Side::Left, Some("D")),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Left,
    Right,
}

#[test]
fn stream_table_joins_follow_the_documented_table_with_and_without_caching() {
    for caching in [false, true] {
        let builder = StreamsBuilder::new();
        let table = builder.table::<String, String>(
            "right",
            Consumed::default(),
            table_store("right-store", caching),
        );
        let stream = builder.stream::<String, Option<String>>("left", Consumed::default());
        stream
            .join(&table, |l: Option<String>, r: String| {
                pair(l.as_deref(), Some(&r))
            })
            .to("inner", Produced::default());
        stream
            .left_join(&table, |l: Option<String>, r: Option<String>| {
                pair(l.as_deref(), r.as_deref())
            })
            .to("left-join", Produced::default());
        let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
        let left = driver
            .input_topic::<String, Option<String>>("left")
            .unwrap();
        let right = driver
            .input_topic::<String, Option<String>>("right")
            .unwrap();
        for (timestamp, side, value) in DOCUMENTED_ROWS {
            let value = value.map(str::to_string);
            match side {
                Side::Left => left.pipe("k", value, timestamp).unwrap(),
                Side::Right => right.pipe("k", value, timestamp).unwrap(),
            }
        }
        assert_eq!(
            drain::<String>(&driver, "inner"),
            owned(&[("[B, a]", 5), ("[D, d]", 15)]),
            "caching {caching}"
        );
        assert_eq!(
            drain::<String>(&driver, "left-join"),
            owned(&[
                ("[A, null]", 3),
                ("[B, a]", 5),
                ("[C, null]", 9),
                ("[D, d]", 15)
            ]),
            "caching {caching}"
        );
        assert_eq!(
            driver.metrics().dropped_records,
            6,
            "each join drops the three null stream values (caching {caching})"
        );
    }
}

#[test]
fn a_left_stream_table_join_joins_null_keys_with_no_row_and_an_inner_join_drops_them() {
    let builder = StreamsBuilder::new();
    let table = builder.table::<Option<String>, String>(
        "right",
        Consumed::default(),
        Materialized::named("right-store"),
    );
    let stream = builder.stream::<Option<String>, String>("left", Consumed::default());
    stream
        .join(&table, |l: String, r: String| pair(Some(&l), Some(&r)))
        .to("inner", Produced::default());
    stream
        .left_join(&table, |l: String, r: Option<String>| {
            pair(Some(&l), r.as_deref())
        })
        .to("left-join", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let left = driver
        .input_topic::<Option<String>, String>("left")
        .unwrap();
    let right = driver
        .input_topic::<Option<String>, Option<String>>("right")
        .unwrap();
    right
        .pipe(Some("k".to_string()), Some("a".to_string()), 1)
        .unwrap();
    right.pipe(None, Some("no key".to_string()), 2).unwrap();
    left.pipe(None, "A", 3).unwrap();
    left.pipe(Some("k".to_string()), "B", 4).unwrap();
    let read = |topic: &str| {
        driver
            .output_topic::<Option<String>, String>(topic)
            .unwrap()
            .read_all()
            .unwrap()
            .into_iter()
            .map(|r| (r.key, r.value, r.timestamp))
            .collect::<Vec<_>>()
    };
    assert_eq!(read("inner"), [(Some("k".into()), "[B, a]".into(), 4)]);
    assert_eq!(
        read("left-join"),
        [
            (None, "[A, null]".into(), 3),
            (Some("k".into()), "[B, a]".into(), 4)
        ],
        "the null-key record keeps its null key and finds no row (not even the table's null-key record, which the table dropped)"
    );
    assert_eq!(
        driver.metrics().dropped_records,
        2,
        "the table drops its null-key record, the inner join its null-key record"
    );
}

#[test]
fn stream_records_join_the_row_current_when_they_are_processed_whatever_their_timestamps() {
    let builder = StreamsBuilder::new();
    let table = builder.table::<String, String>(
        "right",
        Consumed::default(),
        Materialized::named("right-store"),
    );
    builder
        .stream::<String, String>("left", Consumed::default())
        .join(&table, |l: String, r: String| pair(Some(&l), Some(&r)))
        .to("inner", Produced::default());
    let config = TestDriverConfig {
        commit_after_each_record: false,
        ..TestDriverConfig::default()
    };
    let driver = TopologyTestDriver::with_config(builder.build().unwrap(), config).unwrap();
    let left = driver.input_topic::<String, String>("left").unwrap();
    let right = driver
        .input_topic::<String, Option<String>>("right")
        .unwrap();
    right.pipe("k", Some("new".to_string()), 100).unwrap();
    right.pipe("k", Some("older".to_string()), 50).unwrap();
    left.pipe("k", "late", 10).unwrap();
    right.pipe("k", None, 200).unwrap();
    left.pipe("k", "after delete", 20).unwrap();
    assert_eq!(
        drain::<String>(&driver, "inner"),
        owned(&[("[late, older]", 10)]),
        "a table that is not versioned keeps the last update it processed, even an older one, and the join reads it through the table's cache before any commit"
    );
}

/// Inner, left and outer joins of two tables fed the docs' table-table input
/// (a null is a delete).
fn table_table_driver(caching: bool) -> TopologyTestDriver {
    let builder = StreamsBuilder::new();
    let left = builder.table::<String, String>(
        "left",
        Consumed::default(),
        table_store("left-store", caching),
    );
    let right = builder.table::<String, String>(
        "right",
        Consumed::default(),
        table_store("right-store", caching),
    );
    left.join(&right, |l, r| pair(Some(&l), Some(&r)))
        .to("inner", Produced::default());
    left.left_join(&right, |l, r: Option<String>| pair(Some(&l), r.as_deref()))
        .to("left-join", Produced::default());
    left.outer_join(&right, |l: Option<String>, r: Option<String>| {
        pair(l.as_deref(), r.as_deref())
    })
    .to("outer-join", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let (l, r) = (
        driver
            .input_topic::<String, Option<String>>("left")
            .unwrap(),
        driver
            .input_topic::<String, Option<String>>("right")
            .unwrap(),
    );
    for (timestamp, side, value) in DOCUMENTED_ROWS {
        let value = value.map(str::to_string);
        match side {
            Side::Left => l.pipe("k", value, timestamp).unwrap(),
            Side::Right => r.pipe("k", value, timestamp).unwrap(),
        }
    }
    driver
}

#[test]
fn table_table_joins_follow_the_documented_table_with_and_without_caching() {
    for caching in [false, true] {
        let driver = table_table_driver(caching);
        assert_eq!(
            drain::<Option<String>>(&driver, "inner"),
            changes(&[
                (Some("[A, a]"), 4),
                (Some("[B, a]"), 5),
                (Some("[B, b]"), 6),
                (None, 7),
                (Some("[C, c]"), 10),
                (None, 11),
                (Some("[D, d]"), 15)
            ]),
            "caching {caching}: every result, deletes included, has the timestamp of the update that caused it"
        );
        assert_eq!(
            drain::<Option<String>>(&driver, "left-join"),
            changes(&[
                (Some("[A, null]"), 3),
                (Some("[A, a]"), 4),
                (Some("[B, a]"), 5),
                (Some("[B, b]"), 6),
                (None, 7),
                (Some("[C, null]"), 9),
                (Some("[C, c]"), 10),
                (Some("[C, null]"), 11),
                (None, 12),
                (Some("[D, d]"), 15)
            ]),
            "caching {caching}"
        );
        assert_eq!(
            drain::<Option<String>>(&driver, "outer-join"),
            changes(&[
                (Some("[A, null]"), 3),
                (Some("[A, a]"), 4),
                (Some("[B, a]"), 5),
                (Some("[B, b]"), 6),
                (Some("[null, b]"), 7),
                (None, 8),
                (Some("[C, null]"), 9),
                (Some("[C, c]"), 10),
                (Some("[C, null]"), 11),
                (None, 12),
                (Some("[null, d]"), 14),
                (Some("[D, d]"), 15)
            ]),
            "caching {caching}"
        );
    }
}

#[test]
fn a_table_table_join_result_takes_the_later_timestamp_of_its_sides_even_out_of_order() {
    let builder = StreamsBuilder::new();
    let left = builder.table::<String, String>(
        "left",
        Consumed::default(),
        Materialized::named("left-store"),
    );
    let right = builder.table::<String, String>(
        "right",
        Consumed::default(),
        Materialized::named("right-store"),
    );
    left.join(&right, |l, r| pair(Some(&l), Some(&r)))
        .to("inner", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let l = driver
        .input_topic::<String, Option<String>>("left")
        .unwrap();
    let r = driver
        .input_topic::<String, Option<String>>("right")
        .unwrap();
    r.pipe("k", Some("a".to_string()), 100).unwrap();
    l.pipe("k", Some("A".to_string()), 10).unwrap();
    r.pipe("k", Some("b".to_string()), 50).unwrap();
    l.pipe("k", None, 20).unwrap();
    assert_eq!(
        drain::<Option<String>>(&driver, "inner"),
        changes(&[(Some("[A, a]"), 100), (Some("[A, b]"), 50), (None, 50)])
    );
}

#[test]
fn a_delete_through_a_cached_table_keeps_the_timestamp_of_the_record_that_deleted() {
    for caching in [false, true] {
        let builder = StreamsBuilder::new();
        let table = builder.table::<String, String>(
            "profiles",
            Consumed::default(),
            table_store("profiles-store", caching),
        );
        table.to("profile-changes", Produced::default());
        table
            .group_by(|_, city: String| (city, 1_i64))
            .count(Materialized::named("per-city"))
            .to("per-city-counts", Produced::default());
        let config = TestDriverConfig {
            commit_after_each_record: false,
            ..TestDriverConfig::default()
        };
        let driver = TopologyTestDriver::with_config(builder.build().unwrap(), config).unwrap();
        let profiles = driver
            .input_topic::<String, Option<String>>("profiles")
            .unwrap();
        profiles.pipe("ann", Some("Oslo".to_string()), 2).unwrap();
        driver.commit().unwrap();
        profiles.pipe("ann", None, 6).unwrap();
        driver.commit().unwrap();
        // Created and deleted between two commits: never forwarded.
        profiles.pipe("bob", Some("Rome".to_string()), 7).unwrap();
        profiles.pipe("bob", None, 8).unwrap();
        driver.commit().unwrap();
        let mut expected = changes(&[(Some("Oslo"), 2), (None, 6)]);
        if !caching {
            expected.extend(changes(&[(Some("Rome"), 7), (None, 8)]));
        }
        assert_eq!(
            drain::<Option<String>>(&driver, "profile-changes"),
            expected,
            "caching {caching}"
        );
        let counts = driver
            .output_topic::<String, Option<i64>>("per-city-counts")
            .unwrap()
            .read_all()
            .unwrap()
            .into_iter()
            .filter(|r| r.key == "Oslo")
            .map(|r| (r.value, r.timestamp))
            .collect::<Vec<_>>();
        assert_eq!(
            counts,
            [(Some(1), 2), (Some(0), 6)],
            "the count that the delete lowers is stamped with the delete (caching {caching})"
        );
    }
}
