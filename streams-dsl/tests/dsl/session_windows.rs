//! Session-window aggregations in the TopologyTestDriver: sessions growing and
//! merging (with deletes for merged-away sessions), out-of-order records inside
//! and beyond grace, count / reduce / aggregate, caching, store contents, and
//! in-memory and persistent stores.

use std::sync::Arc;
use std::time::Duration;
use streams_dsl::prelude::*;

/// One output record: key, session start, session end, aggregate (`None`: the
/// session was merged away) and record timestamp.
type Out<V> = (String, i64, i64, Option<V>, i64);

fn gap_and_grace(gap_ms: u64, grace_ms: u64) -> SessionWindows {
    SessionWindows::of_inactivity_gap_and_grace(
        Duration::from_millis(gap_ms),
        Duration::from_millis(grace_ms),
    )
}

fn session_counts(
    windows: SessionWindows,
    materialized: Materialized<String, i64>,
    config: TestDriverConfig,
) -> TopologyTestDriver {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("clicks", Consumed::default())
        .group_by_key()
        .windowed_by(windows)
        .count(materialized)
        .to_stream()
        .to("session-counts", Produced::default());
    TopologyTestDriver::with_config(builder.build().unwrap(), config).unwrap()
}

fn uncached_counts(
    windows: SessionWindows,
    materialized: Materialized<String, i64>,
) -> TopologyTestDriver {
    session_counts(
        windows,
        materialized.with_caching_disabled(),
        TestDriverConfig::default(),
    )
}

fn read<V: 'static>(driver: &TopologyTestDriver, topic: &str) -> Vec<Out<V>> {
    driver
        .output_topic::<Windowed<String>, Option<V>>(topic)
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

fn out<V>(key: &str, start: i64, end: i64, value: Option<V>, timestamp: i64) -> Out<V> {
    (key.to_string(), start, end, value, timestamp)
}

fn stored_sessions(driver: &TopologyTestDriver, store: &str, key: &str) -> Vec<(i64, i64, i64)> {
    driver
        .with_state_store(store, |sessions: &mut TypedSessionStore<String, i64>| {
            sessions.fetch(&key.to_string())
        })
        .unwrap()
        .unwrap()
        .into_iter()
        .map(|(window, count)| (window.start, window.end, count))
        .collect()
}

fn records_within_the_gap_grow_one_session(materialized: Materialized<String, i64>) {
    let driver = uncached_counts(gap_and_grace(10, 0), materialized);
    let clicks = driver.input_topic::<String, String>("clicks").unwrap();
    clicks.pipe("alice", "c", 0).unwrap();
    clicks.pipe("alice", "c", 10).unwrap(); // exactly the gap later: same session
    clicks.pipe("bob", "c", 12).unwrap();
    clicks.pipe("alice", "c", 21).unwrap(); // 11 after the last click: a new session
    assert_eq!(
        read::<i64>(&driver, "session-counts"),
        [
            out("alice", 0, 0, Some(1), 0),
            out("alice", 0, 0, None, 0),
            out("alice", 0, 10, Some(2), 10),
            out("bob", 12, 12, Some(1), 12),
            out("alice", 21, 21, Some(1), 21),
        ]
    );
    // The store keeps sessions for gap + grace (10 ms) after they end: at
    // stream time 21, the session [0, 10] has expired.
    assert_eq!(stored_sessions(&driver, "sessions", "alice"), [(21, 21, 1)]);
    assert_eq!(stored_sessions(&driver, "sessions", "bob"), [(12, 12, 1)]);
}

#[test]
fn records_within_the_gap_grow_one_session_in_a_persistent_store() {
    records_within_the_gap_grow_one_session(Materialized::named("sessions"));
}

#[test]
fn records_within_the_gap_grow_one_session_in_an_in_memory_store() {
    records_within_the_gap_grow_one_session(Materialized::named("sessions").in_memory());
}

#[test]
fn an_out_of_order_record_bridging_two_sessions_merges_them() {
    let driver = uncached_counts(gap_and_grace(10, 100), Materialized::named("bridged"));
    let clicks = driver.input_topic::<String, String>("clicks").unwrap();
    clicks.pipe("k", "c", 0).unwrap();
    clicks.pipe("k", "c", 5).unwrap();
    clicks.pipe("k", "c", 25).unwrap();
    clicks.pipe("k", "c", 15).unwrap(); // within the gap of both sessions
    assert_eq!(
        read::<i64>(&driver, "session-counts"),
        [
            out("k", 0, 0, Some(1), 0),
            out("k", 0, 0, None, 0),
            out("k", 0, 5, Some(2), 5),
            out("k", 25, 25, Some(1), 25),
            out("k", 0, 5, None, 5),
            out("k", 25, 25, None, 25),
            out("k", 0, 25, Some(4), 25),
        ]
    );
    assert_eq!(stored_sessions(&driver, "bridged", "k"), [(0, 25, 4)]);
}

#[test]
fn a_record_at_the_time_of_a_single_point_session_updates_it_in_place() {
    let driver = uncached_counts(gap_and_grace(10, 0), Materialized::named("in-place"));
    let clicks = driver.input_topic::<String, String>("clicks").unwrap();
    clicks.pipe("k", "c", 7).unwrap();
    clicks.pipe("k", "c", 7).unwrap();
    assert_eq!(
        read::<i64>(&driver, "session-counts"),
        [out("k", 7, 7, Some(1), 7), out("k", 7, 7, Some(2), 7)]
    );
}

#[test]
fn records_are_accepted_until_their_session_ends_gap_plus_grace_before_stream_time() {
    let driver = uncached_counts(
        gap_and_grace(10, 5),
        Materialized::named("graceful").with_retention(Duration::from_secs(1)),
    );
    let clicks = driver.input_topic::<String, String>("clicks").unwrap();
    clicks.pipe("k", "c", 200).unwrap(); // stream time 200: sessions ending before 185 are closed
    clicks.pipe("k", "c", 185).unwrap(); // ends exactly at the close time: accepted
    clicks.pipe("k", "c", 150).unwrap(); // a session ending at 150: dropped
    clicks.pipe("other", "c", 184).unwrap(); // a session ending at 184: dropped
    clicks.pipe("k", "c", 176).unwrap(); // old, but it extends the live session [185, 185]
    assert_eq!(
        read::<i64>(&driver, "session-counts"),
        [
            out("k", 200, 200, Some(1), 200),
            out("k", 185, 185, Some(1), 185),
            out("k", 185, 185, None, 185),
            out("k", 176, 185, Some(2), 185),
        ]
    );
    assert_eq!(driver.metrics().dropped_records, 2);
    assert_eq!(
        stored_sessions(&driver, "graceful", "k"),
        [(176, 185, 2), (200, 200, 1)]
    );
}

#[test]
fn records_with_null_keys_are_dropped_and_counted() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<Option<String>, String>("maybe-keyed", Consumed::default())
        .group_by_key()
        .windowed_by(gap_and_grace(10, 0))
        .count(
            Materialized::with(OptionSerde::new(Arc::new(StringSerde)), I64Serde)
                .with_caching_disabled(),
        )
        .to_stream()
        .to("keyed-sessions", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let input = driver
        .input_topic::<Option<String>, String>("maybe-keyed")
        .unwrap();
    input.pipe(Some("k".to_string()), "v", 0).unwrap();
    input.pipe(None::<String>, "v", 1).unwrap();
    let output = driver
        .output_topic::<Windowed<Option<String>>, Option<i64>>("keyed-sessions")
        .unwrap()
        .read_all()
        .unwrap();
    assert_eq!(output.len(), 1);
    assert_eq!(driver.metrics().dropped_records, 1);
}

#[test]
fn reduce_combines_values_and_merged_sessions_with_the_reducer() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, i64>("amounts", Consumed::default())
        .group_by_key()
        .windowed_by(gap_and_grace(10, 100))
        .reduce(
            |a, b| a + b,
            Materialized::named("summed").with_caching_disabled(),
        )
        .to_stream()
        .to("session-sums", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let amounts = driver.input_topic::<String, i64>("amounts").unwrap();
    amounts.pipe("k", 1_i64, 0).unwrap();
    amounts.pipe("k", 20_i64, 30).unwrap();
    amounts.pipe("k", 300_i64, 15).unwrap(); // 15 from both: no merge
    amounts.pipe("k", 4_000_i64, 10).unwrap(); // merges [0,0] and [15,15]
    assert_eq!(
        read::<i64>(&driver, "session-sums"),
        [
            out("k", 0, 0, Some(1), 0),
            out("k", 30, 30, Some(20), 30),
            out("k", 15, 15, Some(300), 15),
            out("k", 0, 0, None, 0),
            out("k", 15, 15, None, 15),
            out("k", 0, 15, Some(4_301), 15),
        ]
    );
}

#[test]
fn aggregate_merges_sessions_with_the_session_merger() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("pages", Consumed::default())
        .group_by_key()
        .windowed_by(gap_and_grace(10, 100))
        .aggregate(
            || "|".to_string(),
            |_, page, visited| format!("{visited}{page}|"),
            |_, left, right| format!("{left}+{right}"),
            Materialized::named("visits")
                .in_memory()
                .with_caching_disabled(),
        )
        .to_stream()
        .to("session-visits", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let pages = driver.input_topic::<String, String>("pages").unwrap();
    pages.pipe("u", "home", 0).unwrap();
    pages.pipe("u", "cart", 20).unwrap();
    pages.pipe("u", "shop", 10).unwrap();
    let visits = read::<String>(&driver, "session-visits");
    // Merging starts from the initializer and folds in each session, then the
    // record is added, as Kafka Streams does.
    assert_eq!(
        visits.last(),
        Some(&out(
            "u",
            0,
            20,
            Some("|+|home|+|cart|shop|".to_string()),
            20
        ))
    );
    assert_eq!(visits.len(), 5);
}

#[test]
fn caching_collapses_session_updates_between_commits() {
    let config = TestDriverConfig {
        commit_after_each_record: false,
        ..TestDriverConfig::default()
    };
    let cached = session_counts(
        gap_and_grace(10, 0),
        Materialized::named("cached"),
        config.clone(),
    );
    let uncached = session_counts(
        gap_and_grace(10, 0),
        Materialized::named("uncached").with_caching_disabled(),
        config,
    );
    for driver in [&cached, &uncached] {
        let clicks = driver.input_topic::<String, String>("clicks").unwrap();
        for t in [0, 5, 30] {
            clicks.pipe("k", "c", t).unwrap();
        }
        driver.commit().unwrap();
    }
    assert_eq!(
        read::<i64>(&uncached, "session-counts"),
        [
            out("k", 0, 0, Some(1), 0),
            out("k", 0, 0, None, 0),
            out("k", 0, 5, Some(2), 5),
            out("k", 30, 30, Some(1), 30),
        ]
    );
    // The session [0, 0] never reached the store: nothing to delete downstream.
    assert_eq!(
        read::<i64>(&cached, "session-counts"),
        [out("k", 0, 5, Some(2), 5), out("k", 30, 30, Some(1), 30)]
    );

    // Once a session was flushed, merging it away is forwarded as a delete.
    let clicks = cached.input_topic::<String, String>("clicks").unwrap();
    clicks.pipe("k", "c", 35).unwrap();
    clicks.pipe("k", "c", 38).unwrap();
    cached.commit().unwrap();
    assert_eq!(
        read::<i64>(&cached, "session-counts"),
        [out("k", 30, 30, None, 30), out("k", 30, 38, Some(3), 38)]
    );
    assert_eq!(stored_sessions(&cached, "cached", "k"), [(30, 38, 3)]);
}

#[test]
fn a_retention_shorter_than_gap_plus_grace_fails_at_build() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("clicks", Consumed::default())
        .group_by_key()
        .windowed_by(SessionWindows::of_inactivity_gap_and_grace(
            Duration::from_secs(60),
            Duration::from_secs(30),
        ))
        .count(Materialized::named("short").with_retention(Duration::from_secs(60)));
    assert_eq!(
        builder.build().unwrap_err().to_string(),
        "store 'short' keeps sessions for 60000 ms, less than the inactivity gap plus grace (90000 ms): raise it with Materialized::with_retention"
    );
}

#[test]
fn the_changelog_logs_session_keys_and_deletes_of_merged_sessions() {
    let driver = uncached_counts(gap_and_grace(10, 0), Materialized::named("logged"));
    let clicks = driver.input_topic::<String, String>("clicks").unwrap();
    clicks.pipe("k", "c", 0).unwrap();
    clicks.pipe("k", "c", 5).unwrap();
    let logged = driver
        .output_topic::<Vec<u8>, Option<Vec<u8>>>("test-driver-app-logged-changelog")
        .unwrap()
        .read_all()
        .unwrap();
    // Keys are the record key, then the session end and start (8 bytes each,
    // big-endian); values are the bare aggregate; a merged-away session is a
    // tombstone.
    let session_key = |start: i64, end: i64| {
        let mut key = b"k".to_vec();
        key.extend_from_slice(&end.to_be_bytes());
        key.extend_from_slice(&start.to_be_bytes());
        key
    };
    assert_eq!(
        logged
            .into_iter()
            .map(|r| (r.key, r.value))
            .collect::<Vec<_>>(),
        [
            (session_key(0, 0), Some(1_i64.to_be_bytes().to_vec())),
            (session_key(0, 0), None),
            (session_key(0, 5), Some(2_i64.to_be_bytes().to_vec())),
        ]
    );
}
