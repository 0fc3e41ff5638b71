//! Interactive queries against a running application: keys, all entries and
//! ranges of a count store read through `KafkaStreams` while it runs, on one
//! instance and split across two.

use integration_tests::{RawRecord, TestCluster, unique};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use streams_core::runtime::QueryError;
use streams_core::serde::{I64Serde, Serde};
use streams_dsl::prelude::*;

const WAIT: Duration = Duration::from_secs(90);
const STORE: &str = "word-counts";
const WORDS: [&str; 6] = ["kafka", "streams", "rust", "state", "store", "topic"];

/// Lines -> words -> counts per word: the store is keyed by word after a
/// repartition, so a query must find the word's partition as the producer did.
fn word_count(input: &str, output: &str) -> Topology {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>(input, Consumed::default())
        .flat_map_values(|line: String| {
            line.split_whitespace()
                .map(str::to_string)
                .collect::<Vec<String>>()
        })
        .group_by(|_, word| word.clone())
        .count(Materialized::named(STORE).with_caching_disabled())
        .to(output, Produced::default());
    builder.build().unwrap()
}

struct App {
    input: String,
    output: String,
    application_id: String,
    state_dir: tempfile::TempDir,
}

impl App {
    fn new(cluster: &TestCluster) -> Self {
        let app = Self {
            input: unique("iq-text"),
            output: unique("iq-counts"),
            application_id: unique("iq-wordcount"),
            state_dir: tempfile::tempdir().unwrap(),
        };
        cluster.create_topic(&app.input, 4);
        cluster.create_topic(&app.output, 4);
        app
    }

    fn instance(&self, cluster: &TestCluster, name: &str, threads: usize) -> KafkaStreams {
        let config = StreamsConfig::builder()
            .set("application.id", &self.application_id)
            .set("bootstrap.servers", cluster.bootstrap_servers())
            .set(
                "state.dir",
                self.state_dir.path().join(name).display().to_string(),
            )
            .set("num.stream.threads", threads.to_string())
            .set("commit.interval.ms", "100")
            .set("replication.factor", "1")
            .build()
            .unwrap();
        KafkaStreams::new(word_count(&self.input, &self.output), config).unwrap()
    }

    /// Writes lines whose words occur 1, 2, ... 6 times and waits until the
    /// output shows every final count; returns them.
    fn produce_and_wait(&self, cluster: &TestCluster) -> BTreeMap<String, i64> {
        let mut lines = Vec::new();
        let mut expected = BTreeMap::new();
        for (n, word) in WORDS.iter().enumerate() {
            for copy in 0..=n {
                lines.push((format!("line-{n}-{copy}"), (*word).to_string()));
            }
            expected.insert((*word).to_string(), n as i64 + 1);
        }
        cluster.produce(&self.input, &lines);
        let mut reader = cluster.reader(&self.output, 4);
        reader.read_until(WAIT, "the final word counts", |records| {
            latest_counts(records) == expected
        });
        expected
    }
}

fn latest_counts(records: &[RawRecord]) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for (key, value) in records {
        let word = String::from_utf8(key.clone().unwrap()).unwrap();
        if let Some(bytes) = value {
            counts.insert(word, I64Serde.deserialize(bytes).unwrap());
        }
    }
    counts
}

#[test]
fn a_running_instance_answers_keys_all_entries_and_ranges() {
    let cluster = TestCluster::start();
    let app = App::new(&cluster);
    let mut streams = app.instance(&cluster, "one", 2);
    let before_start = streams.query_key_value::<String, i64>(STORE, &"rust".to_string());
    assert!(
        matches!(before_start, Err(RuntimeError::IllegalState { .. })),
        "a store is not queryable before start: {before_start:?}"
    );
    streams.start().unwrap();
    streams.wait_until_running(WAIT).unwrap();
    let expected = app.produce_and_wait(&cluster);

    for (word, count) in &expected {
        assert_eq!(
            streams.query_key_value::<String, i64>(STORE, word).unwrap(),
            Some(*count),
            "the count of '{word}'"
        );
    }
    assert_eq!(
        streams
            .query_key_value::<String, i64>(STORE, &"absent".to_string())
            .unwrap(),
        None
    );

    let all: BTreeMap<String, i64> = streams
        .query_key_value_all::<String, i64>(STORE)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(all, expected);

    let range: BTreeMap<String, i64> = streams
        .query_key_value_range::<String, i64>(STORE, &"r".to_string(), &"store".to_string())
        .unwrap()
        .into_iter()
        .collect();
    let expected_range: BTreeMap<String, i64> = expected
        .iter()
        .filter(|(word, _)| word.as_str() >= "r" && word.as_str() <= "store")
        .map(|(word, count)| (word.clone(), *count))
        .collect();
    assert_eq!(range, expected_range);
    assert_eq!(range.len(), 3, "rust, state and store: {range:?}");

    let wrong_types = streams.query_key_value::<String, String>(STORE, &"rust".to_string());
    assert!(
        matches!(
            wrong_types,
            Err(RuntimeError::Query(QueryError::UnknownStore { .. }))
        ),
        "{wrong_types:?}"
    );
    let unknown = streams.query_key_value::<String, i64>("no-such-store", &"rust".to_string());
    assert!(
        matches!(
            unknown,
            Err(RuntimeError::Query(QueryError::UnknownStore { .. }))
        ),
        "{unknown:?}"
    );

    streams.close(WAIT).unwrap();
    let after_close = streams.query_key_value_all::<String, i64>(STORE);
    assert!(
        matches!(after_close, Err(RuntimeError::IllegalState { .. })),
        "a store is not queryable after close: {after_close:?}"
    );
}

/// What each of two instances answers for `word`.
fn answers(
    first: &KafkaStreams,
    second: &KafkaStreams,
    word: &str,
) -> [Result<Option<i64>, RuntimeError>; 2] {
    [first, second].map(|streams| streams.query_key_value::<String, i64>(STORE, &word.to_string()))
}

/// Whether exactly one instance hosts the word (answering its count) and the
/// other says it does not host it.
fn hosted_by_exactly_one(answers: &[Result<Option<i64>, RuntimeError>; 2], count: i64) -> bool {
    let hosted = answers
        .iter()
        .filter(|a| matches!(a, Ok(Some(c)) if *c == count));
    let not_hosted = answers
        .iter()
        .filter(|a| matches!(a, Err(RuntimeError::Query(QueryError::NotHosted { .. }))));
    hosted.count() == 1 && not_hosted.count() == 1
}

#[test]
fn each_key_is_answered_by_the_instance_hosting_its_partition() {
    let cluster = TestCluster::start();
    let app = App::new(&cluster);
    let mut first = app.instance(&cluster, "first", 1);
    let mut second = app.instance(&cluster, "second", 1);
    first.start().unwrap();
    second.start().unwrap();
    first.wait_until_running(WAIT).unwrap();
    second.wait_until_running(WAIT).unwrap();
    let expected = app.produce_and_wait(&cluster);

    // The group may still move partitions between the two members: wait (bounded)
    // until it settles, i.e. every word is hosted by exactly one of them.
    let deadline = Instant::now() + WAIT;
    loop {
        let all_answers: Vec<_> = expected
            .iter()
            .map(|(word, count)| (word, *count, answers(&first, &second, word)))
            .collect();
        if all_answers
            .iter()
            .all(|(_, count, answers)| hosted_by_exactly_one(answers, *count))
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "within {WAIT:?}, every word should be answered by exactly one instance and refused by the other: {all_answers:?}"
        );
        // Pacing between checks of the condition above, not synchronisation.
        std::thread::sleep(Duration::from_millis(100));
    }
    let local: usize = [&first, &second]
        .iter()
        .map(|streams| {
            streams
                .query_key_value_all::<String, i64>(STORE)
                .unwrap()
                .len()
        })
        .sum();
    assert_eq!(
        local,
        expected.len(),
        "the instances' stores split the words"
    );
    first.close(WAIT).unwrap();
    second.close(WAIT).unwrap();
}
