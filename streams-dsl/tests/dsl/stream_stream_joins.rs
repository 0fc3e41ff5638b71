//! Stream-stream windowed joins: the join-semantics table of the Kafka Streams
//! documentation, window boundaries, asymmetric windows, grace and late
//! records, when left and outer joins emit unmatched records, duplicates, null
//! keys and values, persistent and in-memory buffers, self-joins and
//! repartitioned inputs.

use std::time::Duration;
use streams_core::state::{TimestampedKeyValueStore, TimestampedWindowStore};
use streams_dsl::prelude::*;

fn driver(builder: StreamsBuilder) -> TopologyTestDriver {
    TopologyTestDriver::new(builder.build().expect("topology builds")).expect("driver starts")
}

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// `[left, right]` with `null` for a missing side, as the docs' table writes it.
fn pair(left: Option<&str>, right: Option<&str>) -> String {
    format!("[{}, {}]", left.unwrap_or("null"), right.unwrap_or("null"))
}

/// Values and timestamps of everything written to `topic` since the last read.
fn drain(driver: &TopologyTestDriver, topic: &str) -> Vec<(String, i64)> {
    driver
        .output_topic::<String, String>(topic)
        .expect("output topic")
        .read_all()
        .expect("outputs deserialize")
        .into_iter()
        .map(|record| (record.value, record.timestamp))
        .collect()
}

/// Keys and values of everything written to `topic` since the last read.
fn drain_key_values(driver: &TopologyTestDriver, topic: &str) -> Vec<(String, String)> {
    driver
        .output_topic::<String, String>(topic)
        .expect("output topic")
        .read_key_values()
        .expect("outputs deserialize")
}

/// Inner, left and outer joins of the topics `left` and `right`, written to
/// `inner`, `left-join` and `outer-join`.
fn three_joins(windows: JoinWindows) -> TopologyTestDriver {
    let builder = StreamsBuilder::new();
    let left = builder.stream::<String, Option<String>>("left", Consumed::default());
    let right = builder.stream::<String, Option<String>>("right", Consumed::default());
    left.join_stream(
        &right,
        |l: Option<String>, r: Option<String>| pair(l.as_deref(), r.as_deref()),
        windows,
        StreamJoined::default(),
    )
    .to("inner", Produced::default());
    left.left_join_stream(
        &right,
        |l: Option<String>, r: Option<Option<String>>| pair(l.as_deref(), r.flatten().as_deref()),
        windows,
        StreamJoined::default(),
    )
    .to("left-join", Produced::default());
    left.outer_join_stream(
        &right,
        |l: Option<Option<String>>, r: Option<Option<String>>| {
            pair(l.flatten().as_deref(), r.flatten().as_deref())
        },
        windows,
        StreamJoined::default(),
    )
    .to("outer-join", Produced::default());
    driver(builder)
}

#[derive(Clone, Copy)]
enum Side {
    Left,
    Right,
}

/// One row of the semantics table: a record, then what each join emits, as
/// `(value, timestamp in seconds)`.
struct Row {
    seconds: i64,
    side: Side,
    value: Option<&'static str>,
    inner: &'static [(&'static str, i64)],
    left: &'static [(&'static str, i64)],
    outer: &'static [(&'static str, i64)],
}

const fn row(
    seconds: i64,
    side: Side,
    value: Option<&'static str>,
    inner: &'static [(&'static str, i64)],
    left: &'static [(&'static str, i64)],
    outer: &'static [(&'static str, i64)],
) -> Row {
    Row {
        seconds,
        side,
        value,
        inner,
        left,
        outer,
    }
}

#[test]
fn the_join_semantics_table_of_the_kafka_streams_docs() {
    use Side::{Left, Right};
    // The documentation's table: one key, records in timestamp order, a join
    // window of 15 s and a grace period of 5 s. Its last rows show [E, null]
    // at 60 and [F, null] at 80, the exact window closes (40 + 15 + 5); but a
    // right record at 55 could still arrive in time at stream time 60, so
    // Kafka Streams (and rstreams) emit an unmatched record only once stream
    // time has *passed* its close: E when `f` arrives at 80, F at 100. Rows
    // 100 and 101 extend the table to show F, the unmatched right record `f`
    // (outer join only) and a late match removing G from the pending records.
    let table = [
        row(1, Left, None, &[], &[], &[]),
        row(2, Right, None, &[], &[], &[]),
        row(3, Left, Some("A"), &[], &[], &[]),
        row(
            4,
            Right,
            Some("a"),
            &[("[A, a]", 4)],
            &[("[A, a]", 4)],
            &[("[A, a]", 4)],
        ),
        row(
            5,
            Left,
            Some("B"),
            &[("[B, a]", 5)],
            &[("[B, a]", 5)],
            &[("[B, a]", 5)],
        ),
        row(
            6,
            Right,
            Some("b"),
            &[("[A, b]", 6), ("[B, b]", 6)],
            &[("[A, b]", 6), ("[B, b]", 6)],
            &[("[A, b]", 6), ("[B, b]", 6)],
        ),
        row(7, Left, None, &[], &[], &[]),
        row(8, Right, None, &[], &[], &[]),
        row(
            9,
            Left,
            Some("C"),
            &[("[C, a]", 9), ("[C, b]", 9)],
            &[("[C, a]", 9), ("[C, b]", 9)],
            &[("[C, a]", 9), ("[C, b]", 9)],
        ),
        row(
            10,
            Right,
            Some("c"),
            &[("[A, c]", 10), ("[B, c]", 10), ("[C, c]", 10)],
            &[("[A, c]", 10), ("[B, c]", 10), ("[C, c]", 10)],
            &[("[A, c]", 10), ("[B, c]", 10), ("[C, c]", 10)],
        ),
        row(11, Right, None, &[], &[], &[]),
        row(12, Left, None, &[], &[], &[]),
        row(13, Right, None, &[], &[], &[]),
        row(
            14,
            Right,
            Some("d"),
            &[("[A, d]", 14), ("[B, d]", 14), ("[C, d]", 14)],
            &[("[A, d]", 14), ("[B, d]", 14), ("[C, d]", 14)],
            &[("[A, d]", 14), ("[B, d]", 14), ("[C, d]", 14)],
        ),
        row(
            15,
            Left,
            Some("D"),
            &[
                ("[D, a]", 15),
                ("[D, b]", 15),
                ("[D, c]", 15),
                ("[D, d]", 15),
            ],
            &[
                ("[D, a]", 15),
                ("[D, b]", 15),
                ("[D, c]", 15),
                ("[D, d]", 15),
            ],
            &[
                ("[D, a]", 15),
                ("[D, b]", 15),
                ("[D, c]", 15),
                ("[D, d]", 15),
            ],
        ),
        row(40, Left, Some("E"), &[], &[], &[]),
        row(60, Left, Some("F"), &[], &[], &[]),
        row(
            80,
            Right,
            Some("f"),
            &[],
            &[("[E, null]", 40)],
            &[("[E, null]", 40)],
        ),
        row(
            100,
            Left,
            Some("G"),
            &[],
            &[("[F, null]", 60)],
            &[("[F, null]", 60)],
        ),
        row(
            101,
            Right,
            Some("g"),
            &[("[G, g]", 101)],
            &[("[G, g]", 101)],
            &[("[null, f]", 80), ("[G, g]", 101)],
        ),
    ];
    let driver = three_joins(JoinWindows::of_time_difference_and_grace(
        Duration::from_secs(15),
        Duration::from_secs(5),
    ));
    let left = driver
        .input_topic::<String, Option<String>>("left")
        .unwrap();
    let right = driver
        .input_topic::<String, Option<String>>("right")
        .unwrap();
    let seconds = |expected: &[(&str, i64)]| {
        expected
            .iter()
            .map(|(value, s)| (value.to_string(), s * 1_000))
            .collect::<Vec<_>>()
    };
    for row in &table {
        let topic = match row.side {
            Left => &left,
            Right => &right,
        };
        topic
            .pipe("k", row.value.map(str::to_string), row.seconds * 1_000)
            .unwrap();
        for (output, expected) in [
            ("inner", row.inner),
            ("left-join", row.left),
            ("outer-join", row.outer),
        ] {
            assert_eq!(
                drain(&driver, output),
                seconds(expected),
                "{output} after the record at {} s",
                row.seconds
            );
        }
    }
    assert_eq!(
        driver.metrics().dropped_records,
        3 * 7,
        "each join drops the seven null values"
    );
}

/// An inner join of `left` and `right` into `joined`, values `"{l}+{r}"`.
fn inner_join(windows: JoinWindows) -> TopologyTestDriver {
    let builder = StreamsBuilder::new();
    let right = builder.stream::<String, String>("right", Consumed::default());
    builder
        .stream::<String, String>("left", Consumed::default())
        .join_stream(
            &right,
            |l, r| format!("{l}+{r}"),
            windows,
            StreamJoined::default(),
        )
        .to("joined", Produced::default());
    driver(builder)
}

#[test]
fn window_boundaries_are_inclusive_at_both_ends() {
    let driver = inner_join(JoinWindows::of_time_difference_with_no_grace(ms(100)));
    let left = driver.input_topic::<String, String>("left").unwrap();
    let right = driver.input_topic::<String, String>("right").unwrap();
    right.pipe("k", "r899", 899).unwrap();
    right.pipe("k", "r900", 900).unwrap();
    left.pipe("k", "l1000", 1_000).unwrap(); // joins right records in [900, 1100]
    right.pipe("k", "r1100", 1_100).unwrap(); // joins left records in [1000, 1200]
    right.pipe("k", "r1101", 1_101).unwrap();
    assert_eq!(
        drain(&driver, "joined"),
        [
            ("l1000+r900".to_string(), 1_000),
            ("l1000+r1100".to_string(), 1_100)
        ]
    );
    assert_eq!(driver.metrics().dropped_records, 0);

    // A record arriving exactly at its window close (1000 + 100 + 50) still
    // finds a partner at the far end of its window (1000 - 100).
    let driver = inner_join(JoinWindows::of_time_difference_and_grace(ms(100), ms(50)));
    let left = driver.input_topic::<String, String>("left").unwrap();
    let right = driver.input_topic::<String, String>("right").unwrap();
    right.pipe("k", "r900", 900).unwrap();
    right.pipe("other", "x", 1_150).unwrap();
    left.pipe("k", "l1000", 1_000).unwrap();
    assert_eq!(
        drain(&driver, "joined"),
        [("l1000+r900".to_string(), 1_000)]
    );
}

#[test]
fn asymmetric_windows_join_forward_only_and_mirror_for_the_right_side() {
    // A right record may be up to 50 ms later than a left one, never earlier.
    let driver = inner_join(JoinWindows::of_time_difference_with_no_grace(ms(0)).after(ms(50)));
    let left = driver.input_topic::<String, String>("left").unwrap();
    let right = driver.input_topic::<String, String>("right").unwrap();
    right.pipe("k", "r990", 990).unwrap();
    left.pipe("k", "l1000", 1_000).unwrap(); // right records in [1000, 1050]: none yet
    right.pipe("k", "r1000", 1_000).unwrap(); // left records in [950, 1000]
    right.pipe("k", "r1050", 1_050).unwrap(); // left records in [1000, 1050]
    right.pipe("k", "r1051", 1_051).unwrap(); // left records in [1001, 1051]
    assert_eq!(
        drain(&driver, "joined"),
        [
            ("l1000+r1000".to_string(), 1_000),
            ("l1000+r1050".to_string(), 1_050)
        ]
    );

    // Mirrored: a right record may be up to 50 ms earlier, never later.
    let driver = inner_join(JoinWindows::of_time_difference_with_no_grace(ms(50)).after(ms(0)));
    let left = driver.input_topic::<String, String>("left").unwrap();
    let right = driver.input_topic::<String, String>("right").unwrap();
    right.pipe("k", "r950", 950).unwrap();
    left.pipe("k", "l1000", 1_000).unwrap(); // right records in [950, 1000]
    right.pipe("k", "r1000", 1_000).unwrap(); // left records in [1000, 1050]
    right.pipe("k", "r1001", 1_001).unwrap(); // left records in [1001, 1051]: none
    assert_eq!(
        drain(&driver, "joined"),
        [
            ("l1000+r950".to_string(), 1_000),
            ("l1000+r1000".to_string(), 1_000)
        ]
    );
}

#[test]
fn asymmetric_windows_close_each_side_at_its_own_reach() {
    // Left records reach 100 ms forward, right records 10 ms: an unmatched
    // right record closes at t + 10, an unmatched left one at t + 100.
    let builder = StreamsBuilder::new();
    let right = builder.stream::<String, String>("right", Consumed::default());
    builder
        .stream::<String, String>("left", Consumed::default())
        .outer_join_stream(
            &right,
            |l: Option<String>, r: Option<String>| pair(l.as_deref(), r.as_deref()),
            JoinWindows::of_time_difference_with_no_grace(ms(10)).after(ms(100)),
            StreamJoined::default(),
        )
        .to("joined", Produced::default());
    let driver = driver(builder);
    let left = driver.input_topic::<String, String>("left").unwrap();
    let right = driver.input_topic::<String, String>("right").unwrap();
    left.pipe("a", "A", 1_000).unwrap();
    right.pipe("b", "B", 1_000).unwrap();
    left.pipe("z", "Z1", 1_010).unwrap();
    assert!(
        drain(&driver, "joined").is_empty(),
        "both windows still open"
    );
    left.pipe("z", "Z2", 1_011).unwrap();
    assert_eq!(drain(&driver, "joined"), [("[null, B]".to_string(), 1_000)]);
    left.pipe("z", "Z3", 1_100).unwrap();
    assert!(drain(&driver, "joined").is_empty());
    left.pipe("z", "Z4", 1_101).unwrap();
    assert_eq!(drain(&driver, "joined"), [("[A, null]".to_string(), 1_000)]);
}

#[test]
fn records_later_than_the_grace_period_are_dropped() {
    let driver = inner_join(JoinWindows::of_time_difference_and_grace(ms(100), ms(50)));
    let left = driver.input_topic::<String, String>("left").unwrap();
    let right = driver.input_topic::<String, String>("right").unwrap();
    left.pipe("k", "l1000", 1_000).unwrap();
    right.pipe("other", "x", 1_200).unwrap(); // stream time 1200
    right.pipe("k", "r1100", 1_100).unwrap(); // closes at 1100 + 100 + 50: in time
    left.pipe("k", "l1049", 1_049).unwrap(); // closed at 1199: late
    left.pipe("k", "l1050", 1_050).unwrap(); // closes at 1200: still in time
    right.pipe("k", "r1000", 1_000).unwrap(); // closed at 1150: late
    assert_eq!(
        drain(&driver, "joined"),
        [
            ("l1000+r1100".to_string(), 1_100),
            ("l1050+r1100".to_string(), 1_100)
        ]
    );
    assert_eq!(driver.metrics().dropped_records, 2);
    // The late records were not buffered either: nothing joins them later.
    right.pipe("k", "r1140", 1_140).unwrap();
    assert_eq!(
        drain(&driver, "joined"),
        [("l1050+r1140".to_string(), 1_140)]
    );
}

/// A left join of `left` and `right` into `joined`, with these store settings.
fn left_join(
    windows: JoinWindows,
    joined: StreamJoined<String, String, String>,
) -> TopologyTestDriver {
    let builder = StreamsBuilder::new();
    let right = builder.stream::<String, String>("right", Consumed::default());
    builder
        .stream::<String, String>("left", Consumed::default())
        .left_join_stream(
            &right,
            |l: String, r: Option<String>| pair(Some(&l), r.as_deref()),
            windows,
            joined,
        )
        .to("joined", Produced::default());
    driver(builder)
}

#[test]
fn left_join_emits_an_unmatched_record_once_its_window_closes_and_never_if_matched_in_time() {
    let driver = left_join(
        JoinWindows::of_time_difference_and_grace(ms(100), ms(20)),
        StreamJoined::default(),
    );
    let left = driver.input_topic::<String, String>("left").unwrap();
    let right = driver.input_topic::<String, String>("right").unwrap();
    left.pipe("a", "A", 1_000).unwrap();
    left.pipe("b", "B", 1_000).unwrap();
    right.pipe("x", "x", 1_120).unwrap(); // exactly the close of A and B (1000 + 100 + 20)
    assert!(
        drain(&driver, "joined").is_empty(),
        "windows close only after 1120"
    );
    right.pipe("a", "a", 1_100).unwrap(); // out of order but in time: matches A
    assert_eq!(drain(&driver, "joined"), [("[A, a]".to_string(), 1_100)]);
    right.pipe("x", "x", 1_121).unwrap();
    assert_eq!(
        drain(&driver, "joined"),
        [("[B, null]".to_string(), 1_000)],
        "B closed unmatched; A matched in time and is not emitted alone"
    );
    right.pipe("x", "x", 5_000).unwrap();
    left.pipe("y", "Y", 6_000).unwrap();
    assert!(
        drain(&driver, "joined").is_empty(),
        "each unmatched record is emitted at most once"
    );
}

#[test]
fn a_right_record_within_its_own_window_still_joins_a_left_record_already_emitted_unmatched() {
    // Left records close at t + 10, right records at t + 100 (as in Kafka Streams).
    let driver = left_join(
        JoinWindows::of_time_difference_with_no_grace(ms(100)).after(ms(10)),
        StreamJoined::default(),
    );
    let left = driver.input_topic::<String, String>("left").unwrap();
    let right = driver.input_topic::<String, String>("right").unwrap();
    left.pipe("k", "A", 1_000).unwrap();
    right.pipe("x", "x", 1_011).unwrap();
    assert_eq!(drain(&driver, "joined"), [("[A, null]".to_string(), 1_000)]);
    right.pipe("k", "a", 1_010).unwrap(); // closes at 1110: in time, and A is in its window
    assert_eq!(drain(&driver, "joined"), [("[A, a]".to_string(), 1_010)]);
}

#[test]
fn outer_join_emits_unmatched_records_of_both_sides_when_their_windows_close() {
    let builder = StreamsBuilder::new();
    let right = builder.stream::<String, String>("right", Consumed::default());
    builder
        .stream::<String, String>("left", Consumed::default())
        .outer_join_stream_with_key(
            &right,
            |key: &String, l: Option<String>, r: Option<String>| {
                format!("{key}:{}", pair(l.as_deref(), r.as_deref()))
            },
            JoinWindows::of_time_difference_and_grace(ms(100), ms(20)),
            StreamJoined::default(),
        )
        .to("joined", Produced::default());
    let driver = driver(builder);
    let left = driver.input_topic::<String, String>("left").unwrap();
    let right = driver.input_topic::<String, String>("right").unwrap();
    left.pipe("a", "A", 1_000).unwrap();
    right.pipe("b", "B", 1_050).unwrap();
    left.pipe("c", "C", 1_060).unwrap();
    right.pipe("c", "c", 1_070).unwrap(); // matches C at once
    assert_eq!(
        drain_key_values(&driver, "joined"),
        [("c".to_string(), "c:[C, c]".to_string())]
    );
    left.pipe("z", "Z", 1_121).unwrap(); // A closed (1120); B closes at 1170
    assert_eq!(
        drain_key_values(&driver, "joined"),
        [("a".to_string(), "a:[A, null]".to_string())]
    );
    right.pipe("z", "z", 1_171).unwrap(); // matches Z; B closed
    assert_eq!(
        drain_key_values(&driver, "joined"),
        [
            ("b".to_string(), "b:[null, B]".to_string()),
            ("z".to_string(), "z:[Z, z]".to_string())
        ]
    );
    right.pipe("q", "q", 10_000).unwrap();
    assert!(
        drain(&driver, "joined").is_empty(),
        "C, c, Z and z matched: nothing is emitted for them alone"
    );
}

#[test]
fn duplicates_on_one_side_each_join_and_each_wait_for_a_match() {
    let driver = left_join(
        JoinWindows::of_time_difference_with_no_grace(ms(100)),
        StreamJoined::default(),
    );
    let left = driver.input_topic::<String, String>("left").unwrap();
    let right = driver.input_topic::<String, String>("right").unwrap();
    left.pipe("k", "A", 1_000).unwrap();
    left.pipe("k", "A", 1_000).unwrap();
    left.pipe("k", "B", 1_000).unwrap();
    left.pipe("d", "D", 1_000).unwrap();
    left.pipe("d", "D", 1_000).unwrap();
    right.pipe("k", "x", 1_010).unwrap();
    assert_eq!(
        drain(&driver, "joined"),
        [
            ("[A, x]".to_string(), 1_010),
            ("[A, x]".to_string(), 1_010),
            ("[B, x]".to_string(), 1_010)
        ],
        "every buffered duplicate joins, in arrival order"
    );
    right.pipe("k", "y", 1_020).unwrap();
    assert_eq!(drain(&driver, "joined").len(), 3, "and joins again");
    right.pipe("other", "o", 1_101).unwrap();
    assert_eq!(
        drain(&driver, "joined"),
        [
            ("[D, null]".to_string(), 1_000),
            ("[D, null]".to_string(), 1_000)
        ],
        "unmatched duplicates are each emitted once; the matched ones not at all"
    );
}

/// Inner, left and outer joins of the topics `left` and `right`, whose keys
/// and values may be null, written to `inner`, `left-join` and `outer-join`.
fn nullable_joins() -> TopologyTestDriver {
    let builder = StreamsBuilder::new();
    let right = builder.stream::<Option<String>, Option<String>>("right", Consumed::default());
    let left = builder.stream::<Option<String>, Option<String>>("left", Consumed::default());
    let windows = JoinWindows::of_time_difference_with_no_grace(ms(100));
    left.join_stream(
        &right,
        |l: Option<String>, r: Option<String>| pair(l.as_deref(), r.as_deref()),
        windows,
        StreamJoined::default(),
    )
    .to("inner", Produced::default());
    left.left_join_stream(
        &right,
        |l: Option<String>, r: Option<Option<String>>| pair(l.as_deref(), r.flatten().as_deref()),
        windows,
        StreamJoined::default(),
    )
    .to("left-join", Produced::default());
    left.outer_join_stream(
        &right,
        |l: Option<Option<String>>, r: Option<Option<String>>| {
            pair(l.flatten().as_deref(), r.flatten().as_deref())
        },
        windows,
        StreamJoined::default(),
    )
    .to("outer-join", Produced::default());
    driver(builder)
}

fn drain_nullable(driver: &TopologyTestDriver, topic: &str) -> Vec<(Option<String>, String, i64)> {
    driver
        .output_topic::<Option<String>, String>(topic)
        .expect("output topic")
        .read_all()
        .expect("outputs deserialize")
        .into_iter()
        .map(|record| (record.key, record.value, record.timestamp))
        .collect()
}

// The expectation of this test changed with KIP-962 (Kafka Streams 3.7): it
// used to have the outer join drop null keys on both sides as well.
#[test]
fn null_values_are_dropped_and_null_keys_are_forwarded_at_once_by_an_outer_join() {
    let builder = StreamsBuilder::new();
    let right = builder.stream::<Option<String>, Option<String>>("right", Consumed::default());
    builder
        .stream::<Option<String>, Option<String>>("left", Consumed::default())
        .outer_join_stream(
            &right,
            |l: Option<Option<String>>, r: Option<Option<String>>| {
                pair(l.flatten().as_deref(), r.flatten().as_deref())
            },
            JoinWindows::of_time_difference_with_no_grace(ms(100)),
            StreamJoined::default(),
        )
        .to("joined", Produced::default());
    let driver = driver(builder);
    let left = driver
        .input_topic::<Option<String>, Option<String>>("left")
        .unwrap();
    let right = driver
        .input_topic::<Option<String>, Option<String>>("right")
        .unwrap();
    let key = || Some("k".to_string());
    left.pipe(key(), None, 1_000).unwrap(); // tombstone
    right.pipe(key(), None, 1_000).unwrap(); // tombstone
    left.pipe(None, Some("no key".to_string()), 1_000).unwrap();
    right.pipe(None, Some("no key".to_string()), 1_000).unwrap();
    assert_eq!(
        driver
            .output_topic::<Option<String>, String>("joined")
            .unwrap()
            .read_key_values()
            .unwrap(),
        [
            (None, "[no key, null]".to_string()),
            (None, "[null, no key]".to_string())
        ],
        "records with a null key are joined with a missing other side at once, keeping their null key"
    );
    assert_eq!(
        driver.metrics().dropped_records,
        2,
        "the null values are dropped"
    );
    right.pipe(key(), Some("r".to_string()), 1_010).unwrap();
    left.pipe(key(), Some("l".to_string()), 1_020).unwrap();
    right
        .pipe(key(), Some("late trigger".to_string()), 1_500)
        .unwrap();
    let output = driver
        .output_topic::<Option<String>, String>("joined")
        .unwrap()
        .read_key_values()
        .unwrap();
    assert_eq!(
        output,
        [(key(), "[l, r]".to_string())],
        "null-key records neither wait nor join later records"
    );
}

#[test]
fn null_keys_are_dropped_by_inner_sides_and_forwarded_by_outer_sides() {
    let driver = nullable_joins();
    let left = driver
        .input_topic::<Option<String>, Option<String>>("left")
        .unwrap();
    let right = driver
        .input_topic::<Option<String>, Option<String>>("right")
        .unwrap();
    let mut headers = Headers::new();
    headers.add("trace", Some(b"t-1".to_vec()));
    left.pipe_with_headers(None, Some("A".to_string()), 1_000, headers.clone())
        .unwrap();
    right.pipe(None, Some("b".to_string()), 1_050).unwrap();
    assert!(
        drain_nullable(&driver, "inner").is_empty(),
        "an inner join drops null keys on both sides"
    );
    let left_joined = driver
        .output_topic::<Option<String>, String>("left-join")
        .unwrap()
        .read_all()
        .unwrap();
    assert_eq!(
        left_joined
            .iter()
            .map(|r| (r.key.clone(), r.value.as_str(), r.timestamp))
            .collect::<Vec<_>>(),
        [(None, "[A, null]", 1_000)],
        "a left join forwards a left record with a null key at once, with its timestamp; its right side is inner"
    );
    assert_eq!(
        left_joined[0].headers, headers,
        "the forwarded record keeps its headers"
    );
    assert_eq!(
        drain_nullable(&driver, "outer-join"),
        [
            (None, "[A, null]".to_string(), 1_000),
            (None, "[null, b]".to_string(), 1_050)
        ]
    );
    assert_eq!(
        driver.metrics().dropped_records,
        3,
        "two null keys in the inner join, the right one in the left join"
    );
    // A keyed record at the same time joins neither null-key record, and none
    // of them is emitted again when the windows close.
    left.pipe(Some("k".into()), Some("C".to_string()), 1_000)
        .unwrap();
    right
        .pipe(Some("k".into()), Some("late".to_string()), 2_000)
        .unwrap();
    assert_eq!(
        drain_nullable(&driver, "left-join"),
        [(Some("k".into()), "[C, null]".to_string(), 1_000)]
    );
    assert_eq!(
        drain_nullable(&driver, "outer-join"),
        [(Some("k".into()), "[C, null]".to_string(), 1_000)]
    );
}

fn buffered_values(driver: &TopologyTestDriver, store: &str, key: &str) -> Vec<(i64, String)> {
    driver
        .with_state_store::<TimestampedWindowStore<String, String>, _>(store, |store| {
            store
                .fetch_range(&key.to_string(), 0, i64::MAX)
                .expect("store reads")
                .into_iter()
                .map(|(window, value)| (window.start, value.value))
                .collect()
        })
        .expect("store exists")
}

fn pending_unmatched(driver: &TopologyTestDriver, store: &str) -> usize {
    driver
        .with_state_store::<TimestampedKeyValueStore<Vec<u8>, Vec<u8>>, _>(store, |store| {
            store.all().expect("store reads").len()
        })
        .expect("store exists")
}

#[test]
fn persistent_and_in_memory_buffers_behave_the_same() {
    for (base, joined) in [
        (
            "on-disk",
            StreamJoined::default().with_store_name("on-disk"),
        ),
        (
            "in-memory",
            StreamJoined::default()
                .with_store_name("in-memory")
                .in_memory(),
        ),
    ] {
        let driver = left_join(
            JoinWindows::of_time_difference_and_grace(ms(100), ms(10)),
            joined,
        );
        let left = driver.input_topic::<String, String>("left").unwrap();
        let right = driver.input_topic::<String, String>("right").unwrap();
        left.pipe("k", "A", 1_000).unwrap();
        left.pipe("k", "A", 1_000).unwrap();
        left.pipe("u", "U", 1_000).unwrap();
        right.pipe("k", "a", 1_050).unwrap();
        assert_eq!(
            buffered_values(&driver, &format!("{base}-this-join-store"), "k"),
            [(1_000, "A".to_string()), (1_000, "A".to_string())],
            "{base}: the left buffer keeps both duplicates"
        );
        assert_eq!(
            buffered_values(&driver, &format!("{base}-outer-other-join-store"), "k"),
            [(1_050, "a".to_string())]
        );
        let shared = format!("{base}-left-shared-join-store");
        assert_eq!(pending_unmatched(&driver, &shared), 1, "{base}: U waits");
        right.pipe("x", "x", 1_111).unwrap();
        assert_eq!(
            drain(&driver, "joined"),
            [
                ("[A, a]".to_string(), 1_050),
                ("[A, a]".to_string(), 1_050),
                ("[U, null]".to_string(), 1_000)
            ],
            "{base}"
        );
        assert_eq!(
            pending_unmatched(&driver, &shared),
            0,
            "{base}: U was emitted"
        );
    }
}

#[test]
fn a_self_join_pairs_each_record_with_itself_and_with_earlier_ones_both_ways() {
    let builder = StreamsBuilder::new();
    let clicks = builder.stream::<String, String>("clicks", Consumed::default());
    clicks
        .join_stream(
            &clicks,
            |l, r| format!("{l}+{r}"),
            JoinWindows::of_time_difference_with_no_grace(ms(10)),
            StreamJoined::default(),
        )
        .to("pairs", Produced::default());
    let driver = driver(builder);
    let clicks = driver.input_topic::<String, String>("clicks").unwrap();
    clicks.pipe("u", "a", 1).unwrap();
    clicks.pipe("u", "b", 2).unwrap();
    assert_eq!(
        drain(&driver, "pairs"),
        [
            ("a+a".to_string(), 1),
            ("b+a".to_string(), 2),
            ("a+b".to_string(), 2),
            ("b+b".to_string(), 2)
        ]
    );
}

#[test]
fn rekeyed_inputs_are_repartitioned_before_the_join() {
    let builder = StreamsBuilder::new();
    let payments = builder
        .stream::<String, String>("payments", Consumed::default())
        .select_key(|_payment_id, order_id| order_id.clone());
    builder
        .stream::<String, i64>("orders", Consumed::default())
        .join_stream(
            &payments,
            |cents, order| format!("{order} paid {cents}"),
            JoinWindows::of_time_difference_with_no_grace(Duration::from_secs(60)),
            StreamJoined::default().with_name("order-payments"),
        )
        .to("paid", Produced::default());
    let topology = builder.build().unwrap();
    assert_eq!(
        topology.internal_topics("app"),
        ["app-order-payments-right-repartition"],
        "only the re-keyed side is repartitioned"
    );
    assert_eq!(topology.subtopologies().len(), 2);
    let driver = TopologyTestDriver::new(topology).unwrap();
    driver
        .input_topic::<String, i64>("orders")
        .unwrap()
        .pipe("o-1", 700, 1_000)
        .unwrap();
    driver
        .input_topic::<String, String>("payments")
        .unwrap()
        .pipe("p-9", "o-1", 2_000)
        .unwrap();
    assert_eq!(
        drain_key_values(&driver, "paid"),
        [("o-1".to_string(), "o-1 paid 700".to_string())]
    );
}

#[test]
fn stores_are_named_from_stream_joined_and_logged_as_configured() {
    let build = |joined: StreamJoined<String, String, String>| {
        let builder = StreamsBuilder::new();
        let right = builder.stream::<String, String>("right", Consumed::default());
        builder
            .stream::<String, String>("left", Consumed::default())
            .outer_join_stream(
                &right,
                |l: Option<String>, r: Option<String>| pair(l.as_deref(), r.as_deref()),
                JoinWindows::of_time_difference_and_grace(ms(1_000), ms(500)),
                joined,
            )
            .to("joined", Produced::default());
        builder.build().unwrap()
    };
    let logged = build(
        StreamJoined::default()
            .with_store_name("buffers")
            .with_changelog_config("min.insync.replicas", "2"),
    );
    let mut changelogs = logged.changelog_topics(0, "app");
    changelogs.sort_by(|a, b| a.0.cmp(&b.0));
    let names: Vec<&str> = changelogs.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "app-buffers-outer-other-join-store-changelog",
            "app-buffers-outer-shared-join-store-changelog",
            "app-buffers-outer-this-join-store-changelog",
        ]
    );
    let config = |topic: usize, key: &str| {
        changelogs[topic]
            .1
            .topic_configs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    for buffer in [0, 2] {
        assert_eq!(
            config(buffer, "cleanup.policy").as_deref(),
            Some("compact,delete")
        );
        assert_eq!(
            config(buffer, "retention.ms").as_deref(),
            Some("86402501"),
            "window retention (2 x 1000 + 500 + 1 ms) plus a day"
        );
        assert_eq!(config(buffer, "min.insync.replicas").as_deref(), Some("2"));
    }
    assert_eq!(config(1, "cleanup.policy").as_deref(), Some("compact"));
    assert_eq!(config(1, "min.insync.replicas").as_deref(), Some("2"));

    let unlogged = build(StreamJoined::default().with_logging_disabled());
    assert!(unlogged.changelog_topics(0, "app").is_empty());
    let description = unlogged.describe().to_string();
    for generated in [
        "KSTREAM-OUTERTHIS-",
        "KSTREAM-OUTEROTHER-",
        "KSTREAM-OUTERSHARED-",
    ] {
        assert!(
            description.contains(generated),
            "{generated} in\n{description}"
        );
    }
}
