//! A running instance's metrics as an operator reads them: `/metrics` of the
//! `streams-http` endpoint, scraped over HTTP while the instance catches up on
//! 100k pre-produced records, shows consumer lag per input partition falling
//! to 0 and the processed and commit series advancing; `/ready` answers 200
//! once it runs with every task restored.

use integration_tests::{TestCluster, unique};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use streams_dsl::prelude::*;
use streams_http::HttpEndpoint;

const RECORDS: usize = 100_000;
const PARTITIONS: i32 = 2;
const WAIT: Duration = Duration::from_secs(120);

/// The value of every series of `family` whose labels contain all of `labels`
/// in a Prometheus text exposition, keyed by its label set.
fn series(exposition: &str, family: &str, labels: &[&str]) -> BTreeMap<String, f64> {
    exposition
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix(family)?.strip_prefix('{')?;
            let (label_set, value) = rest.split_once("} ")?;
            if !labels.iter().all(|label| label_set.contains(label)) {
                return None;
            }
            Some((label_set.to_string(), value.trim().parse().ok()?))
        })
        .collect()
}

fn scrape(endpoint: &HttpEndpoint) -> String {
    let response = streams_http::get(endpoint.address(), "/metrics").expect("GET /metrics");
    assert_eq!(response.status, 200, "GET /metrics: {}", response.body);
    response.body
}

#[test]
fn metrics_over_http_show_lag_falling_to_zero_while_processing_and_commits_advance() {
    let cluster = TestCluster::start();
    let input = unique("metrics-in");
    let output = unique("metrics-counts");
    cluster.create_topic(&input, PARTITIONS);
    cluster.create_topic(&output, PARTITIONS);
    let records: Vec<(String, String)> = (0..RECORDS)
        .map(|n| (format!("key-{}", n % 1000), format!("value-{n}")))
        .collect();
    cluster.produce(&input, &records);

    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>(&input, Consumed::default())
        .group_by_key()
        .count(Materialized::named("metrics-counts"))
        .to_stream()
        .to(&output, Produced::default());
    let state_dir = tempfile::tempdir().unwrap();
    let config = StreamsConfig::builder()
        .set("application.id", unique("metrics-app"))
        .set("bootstrap.servers", cluster.bootstrap_servers())
        .set("state.dir", state_dir.path().display().to_string())
        .set("commit.interval.ms", "100")
        .set("statistics.interval.ms", "100")
        .build()
        .unwrap();
    let mut streams = KafkaStreams::new(builder.build().unwrap(), config).unwrap();
    streams.start().unwrap();
    let streams = Arc::new(streams);
    let endpoint = HttpEndpoint::builder()
        .start(streams.clone(), "127.0.0.1:0")
        .unwrap();

    let topic_label = format!("topic=\"{input}\"");
    let started = Instant::now();
    let mut highest_lag = 0.0_f64;
    let mut first_processed = None;
    let caught_up = loop {
        assert!(
            started.elapsed() < WAIT,
            "lag did not reach 0 on every partition within {WAIT:?}; highest lag seen {highest_lag}; last scrape:\n{}",
            scrape(&endpoint)
        );
        assert!(streams.failure().is_none(), "{:?}", streams.failure());
        let exposition = scrape(&endpoint);
        let lag = series(
            &exposition,
            "rstreams_consumer_lag_records",
            &[&topic_label],
        );
        let processed: f64 = series(&exposition, "rstreams_thread_processed_records_total", &[])
            .values()
            .sum();
        let commits: f64 = series(
            &exposition,
            "rstreams_thread_commit_latency_seconds_count",
            &[],
        )
        .values()
        .sum();
        highest_lag = lag.values().copied().fold(highest_lag, f64::max);
        if processed > 0.0 {
            first_processed.get_or_insert((processed, commits));
        }
        if lag.len() == PARTITIONS as usize
            && lag.values().all(|&records| records == 0.0)
            && processed >= RECORDS as f64
        {
            break (processed, commits);
        }
        streams.wait_for_state(Duration::from_millis(50), |state| {
            !state.is_running_or_rebalancing()
        });
    };

    let (processed, commits) = caught_up;
    assert!(
        highest_lag > 0.0,
        "the scrapes never saw the instance behind: lag was 0 from the first sample"
    );
    let (processed_early, commits_early) = first_processed.expect("a scrape saw records processed");
    assert!(
        processed > processed_early,
        "processed records did not advance: {processed_early} then {processed}"
    );
    assert!(
        commits > commits_early,
        "commits did not advance: {commits_early} then {commits}"
    );
    let ready = streams_http::get(endpoint.address(), "/ready").expect("GET /ready");
    assert_eq!(ready.status, 200, "caught up but not ready: {}", ready.body);
    endpoint.stop();
    let mut streams = Arc::try_unwrap(streams)
        .ok()
        .expect("the endpoint released the instance");
    streams.close(Duration::from_secs(30)).unwrap();
}
