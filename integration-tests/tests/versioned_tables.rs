//! A versioned table on the broker: its out-of-order update is kept out of
//! downstream but joined by a stream record of its time, interactive queries
//! read it as of a time, and an instance whose state directory was deleted
//! restores the whole history (the out-of-order version included) from the
//! changelog, whose records carry each version's timestamp.

use integration_tests::{RawRecord, TestCluster, streams_config, unique};
use std::time::Duration;
use streams_dsl::prelude::*;

const WAIT: Duration = Duration::from_secs(90);
const STORE: &str = "prices";
const HISTORY: Duration = Duration::from_secs(3600);

/// Values are `<text>@<timestamp>`: the record's time is the number after `@`.
fn value_time(record: &ExtractorInput<'_, String, String>, _: i64) -> i64 {
    record
        .value
        .and_then(|value| value.rsplit('@').next())
        .and_then(|time| time.parse().ok())
        .unwrap_or(record.timestamp)
}

struct App {
    prices: String,
    orders: String,
    updates: String,
    priced: String,
    application_id: String,
}

impl App {
    fn new(cluster: &TestCluster) -> Self {
        let app = Self {
            prices: unique("vt-prices"),
            orders: unique("vt-orders"),
            updates: unique("vt-updates"),
            priced: unique("vt-priced"),
            application_id: unique("vt-app"),
        };
        for topic in [&app.prices, &app.orders, &app.updates, &app.priced] {
            cluster.create_topic(topic, 1);
        }
        app
    }

    /// Prices as a versioned table (updates forwarded to `updates`), orders
    /// left-joined with it into `priced` as `<order>=<price or none>`.
    fn topology(&self) -> Topology {
        let builder = StreamsBuilder::new();
        let prices = builder.table::<String, String>(
            &self.prices,
            Consumed::default().with_timestamp_extractor(value_time),
            Materialized::as_versioned(STORE, HISTORY),
        );
        prices
            .to_stream()
            .map_values(|price: Option<String>| price.unwrap_or_default())
            .to(&self.updates, Produced::default());
        builder
            .stream::<String, String>(
                &self.orders,
                Consumed::default().with_timestamp_extractor(value_time),
            )
            .left_join(&prices, |order, price: Option<String>| {
                format!("{order}={}", price.unwrap_or_else(|| "none".into()))
            })
            .to(&self.priced, Produced::default());
        builder.build().unwrap()
    }

    fn instance(&self, cluster: &TestCluster, state_dir: &std::path::Path) -> KafkaStreams {
        let config = streams_config(cluster, &self.application_id, state_dir, &[]);
        let mut streams = KafkaStreams::new(self.topology(), config).unwrap();
        streams.start().unwrap();
        streams.wait_until_running(WAIT).unwrap();
        streams
    }
}

fn values(records: &[RawRecord]) -> Vec<String> {
    records
        .iter()
        .filter_map(|(_, value)| value.as_deref())
        .map(|value| String::from_utf8_lossy(value).into_owned())
        .collect()
}

/// The version of `apple` as of each time, as `(value, valid from, valid to)`.
fn apple_history(streams: &KafkaStreams) -> Vec<Option<(String, i64, Option<i64>)>> {
    [Some(1500), Some(2500), None]
        .into_iter()
        .map(|as_of| {
            streams
                .query_versioned::<String, String>(STORE, &"apple".to_string(), as_of)
                .unwrap()
                .map(|version| (version.value, version.timestamp, version.valid_to))
        })
        .collect()
}

#[test]
fn a_versioned_table_is_joined_queried_and_restored_as_of_a_time() {
    let cluster = TestCluster::start();
    let app = App::new(&cluster);
    let dir = tempfile::tempdir().unwrap();
    let mut streams = app.instance(&cluster, dir.path());

    cluster.produce(
        &app.prices,
        &[
            ("apple", "A@1000"),
            ("apple", "C@3000"),
            ("apple", "B@2000"),
            ("pear", "P@3500"),
        ],
    );
    // The pear update comes after the out-of-order apple one in the same
    // partition: once it is forwarded, every update was processed.
    let mut updates = cluster.reader(&app.updates, 1);
    let seen = updates.read_until(WAIT, "the pear price update", |records| {
        values(records).contains(&"P@3500".to_string())
    });
    assert_eq!(values(seen), ["A@1000", "C@3000", "P@3500"]);

    cluster.produce(&app.orders, &[("apple", "o1@2500")]);
    let mut priced = cluster.reader(&app.priced, 1);
    let joined = priced.read_until(WAIT, "the first priced order", |r| !r.is_empty());
    assert_eq!(values(joined), ["o1@2500=B@2000"]);

    let history = vec![
        Some(("A@1000".to_string(), 1000, Some(2000))),
        Some(("B@2000".to_string(), 2000, Some(3000))),
        Some(("C@3000".to_string(), 3000, None)),
    ];
    assert_eq!(apple_history(&streams), history);
    let changelog = format!("{}-{STORE}-changelog", app.application_id);
    assert_eq!(
        cluster.topic_config(&changelog, "min.compaction.lag.ms"),
        Some((3_600_000 + 86_400_000).to_string())
    );
    streams.close(WAIT).unwrap();
    streams.cleanup().unwrap();

    let mut restarted = app.instance(&cluster, dir.path());
    assert_eq!(restarted.metrics().restored_records, 4, "every version");
    assert_eq!(apple_history(&restarted), history);
    cluster.produce(&app.orders, &[("apple", "o2@1200")]);
    let joined = priced.read_until(WAIT, "the second priced order", |r| r.len() == 2);
    assert_eq!(values(joined), ["o1@2500=B@2000", "o2@1200=A@1000"]);
    restarted.close(WAIT).unwrap();
}
