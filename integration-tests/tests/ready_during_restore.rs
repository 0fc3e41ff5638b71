//! `/ready` of the `streams-http` endpoint follows restoration: an instance
//! starting on an empty state directory restores its store from a changelog
//! a first instance filled; a restore listener holds the restoration at its
//! start until the test releases it (a gate, not a race against the
//! changelog's size), so `/ready` is scraped over HTTP while the restore is
//! certainly under way (503) and again once the instance runs (200).

use integration_tests::{TestCluster, streams_config, unique};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use streams_core::runtime::StateRestoreListener;
use streams_core::serde::{I64Serde, Serde};
use streams_dsl::prelude::*;
use streams_http::HttpEndpoint;
use streams_state::TopicPartition;

const WAIT: Duration = Duration::from_secs(90);
const WORDS: usize = 500;

/// Counts per key, uncached, so every record reaches the changelog.
fn counting(input: &str, output: &str) -> Topology {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>(input, Consumed::default())
        .group_by_key()
        .count(Materialized::named("ready-counts").with_caching_disabled())
        .to_stream()
        .to(output, Produced::default());
    builder.build().unwrap()
}

/// Tells the test that a restore started and holds it until released;
/// counts the records restored once it ends.
struct Gate {
    started: Mutex<Sender<()>>,
    release: Mutex<Receiver<()>>,
    restored: Arc<AtomicU64>,
}

impl StateRestoreListener for Gate {
    fn on_restore_start(&self, _: &TopicPartition, _: &str, _: i64, _: i64) {
        let _ = self
            .started
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .send(());
        let released = self
            .release
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .recv_timeout(WAIT);
        assert!(
            released.is_ok(),
            "the test did not release the restore within {WAIT:?}"
        );
    }

    fn on_batch_restored(&self, _: &TopicPartition, _: &str, _: i64, _: u64) {}

    fn on_restore_end(&self, _: &TopicPartition, _: &str, total: u64) {
        self.restored.fetch_add(total, Ordering::SeqCst);
    }
}

#[test]
fn ready_answers_503_while_a_restore_is_under_way_and_200_after() {
    let cluster = TestCluster::start();
    let input = unique("ready-in");
    let output = unique("ready-out");
    let application_id = unique("ready-app");
    cluster.create_topic(&input, 1);
    cluster.create_topic(&output, 1);
    let records: Vec<(String, String)> = (0..WORDS)
        .map(|n| (format!("key-{n}"), "x".to_string()))
        .collect();
    cluster.produce(&input, &records);

    // A first instance counts every record, filling the changelog.
    let first_dir = tempfile::tempdir().unwrap();
    let mut first = KafkaStreams::new(
        counting(&input, &output),
        streams_config(&cluster, &application_id, first_dir.path(), &[]),
    )
    .unwrap();
    first.start().unwrap();
    let mut reader = cluster.reader(&output, 1);
    reader.read_until(WAIT, "every key counted", |records| {
        records.len() >= WORDS
            && records
                .iter()
                .all(|(_, v)| v.as_deref().map(|b| I64Serde.deserialize(b).unwrap()) == Some(1))
    });
    first.close(WAIT).unwrap();

    // A second one on an empty state directory restores all of it.
    let (started_tx, started_rx) = channel();
    let (release_tx, release_rx) = channel();
    let restored = Arc::new(AtomicU64::new(0));
    let second_dir = tempfile::tempdir().unwrap();
    let mut second = KafkaStreams::new(
        counting(&input, &output),
        streams_config(&cluster, &application_id, second_dir.path(), &[]),
    )
    .unwrap();
    second
        .set_global_state_restore_listener(Gate {
            started: Mutex::new(started_tx),
            release: Mutex::new(release_rx),
            restored: restored.clone(),
        })
        .unwrap();
    second.start().unwrap();
    let second = Arc::new(second);
    let endpoint = HttpEndpoint::builder()
        .start(second.clone(), "127.0.0.1:0")
        .unwrap();

    started_rx
        .recv_timeout(WAIT)
        .expect("the restore of the changelog started");
    let during = streams_http::get(endpoint.address(), "/ready").expect("GET /ready");
    assert_eq!(
        during.status, 503,
        "not ready while restoring: {}",
        during.body
    );
    assert_eq!(restored.load(Ordering::SeqCst), 0, "the restore is held");

    release_tx.send(()).unwrap();
    second.wait_until_running(WAIT).unwrap();
    let after = streams_http::get(endpoint.address(), "/ready").expect("GET /ready");
    assert_eq!(after.status, 200, "ready once restored: {}", after.body);
    assert_eq!(
        restored.load(Ordering::SeqCst),
        WORDS as u64,
        "the whole changelog was restored before the instance ran"
    );
    endpoint.stop();
    let mut second = Arc::try_unwrap(second)
        .ok()
        .expect("the endpoint released the instance");
    second.close(WAIT).unwrap();
}
