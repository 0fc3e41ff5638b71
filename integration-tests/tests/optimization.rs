//! `topology.optimization=all` on a broker: the internal topics the runtime
//! creates are those of the optimized topology (one repartition topic for
//! every aggregation and join of one re-keyed stream, no store or changelog
//! for a derived table a join reads), and the application computes what it
//! computes without the optimization.

use integration_tests::{TestCluster, streams_config, unique};
use std::time::Duration;
use streams_dsl::prelude::*;

const WAIT: Duration = Duration::from_secs(90);
const PARTITIONS: i32 = 4;
const CUSTOMERS: usize = 10;
const ORDERS: usize = 120;

#[test]
fn an_optimized_application_creates_one_repartition_topic_and_no_derived_store() {
    let cluster = TestCluster::start();
    let (orders, customers, enriched) = (
        unique("opt-orders"),
        unique("opt-customers"),
        unique("opt-enriched"),
    );
    for topic in [&orders, &customers, &enriched] {
        cluster.create_topic(topic, PARTITIONS);
    }
    let application_id = unique("optimized");
    let state_dir = tempfile::tempdir().unwrap();
    // A task waits for data on all its partitions before it processes, so
    // orders meet the customer rows written before them.
    let config = streams_config(
        &cluster,
        &application_id,
        state_dir.path(),
        &[
            ("topology.optimization", "all"),
            ("max.task.idle.ms", "5000"),
        ],
    );

    let builder = StreamsBuilder::new();
    let names = builder
        .table::<String, String>(
            &customers,
            Consumed::default(),
            Materialized::named("customers"),
        )
        .map_values(|name| name.to_uppercase());
    let by_customer = builder
        .stream::<String, String>(&orders, Consumed::default())
        .select_key(|_, customer| customer.clone());
    by_customer
        .group_by_key()
        .count(Materialized::named("order-counts").with_caching_disabled());
    by_customer
        .group_by_key()
        .count(Materialized::named("order-counts-again").with_caching_disabled());
    by_customer
        .join(&names, |order, name| format!("{order} for {name}"))
        .to(&enriched, Produced::default());
    let topology = builder.build_with(&config).unwrap();
    let mut streams = KafkaStreams::new(topology, config).unwrap();
    streams.start().unwrap();
    streams.wait_until_running(WAIT).unwrap();

    let internal: Vec<String> = cluster
        .topics()
        .into_iter()
        .filter(|topic| topic.starts_with(&application_id))
        .collect();
    let repartitions: Vec<&String> = internal
        .iter()
        .filter(|topic| topic.ends_with("-repartition"))
        .collect();
    assert_eq!(
        repartitions,
        [&format!("{application_id}-order-counts-repartition")],
        "{internal:?}"
    );
    assert!(
        !internal
            .iter()
            .any(|topic| topic.contains("KTABLE-MATERIALIZE")),
        "a derived table got a changelog: {internal:?}"
    );
    assert_eq!(
        cluster.partition_count(&repartitions[0].clone()),
        Some(PARTITIONS)
    );

    let customer_rows: Vec<(String, String)> = (0..CUSTOMERS)
        .map(|n| (format!("customer-{n}"), format!("name-{n}")))
        .collect();
    cluster.produce(&customers, &customer_rows);
    let order_rows: Vec<(String, String)> = (0..ORDERS)
        .map(|n| (format!("order-{n}"), format!("customer-{}", n % CUSTOMERS)))
        .collect();
    cluster.produce(&orders, &order_rows);

    let mut output = cluster.reader(&enriched, PARTITIONS);
    let joined = output
        .read_until(WAIT, "every order joined", |records| {
            records.len() >= ORDERS
        })
        .to_vec();
    assert_eq!(joined.len(), ORDERS);
    for (key, value) in &joined {
        let key = String::from_utf8(key.clone().unwrap()).unwrap();
        let value = String::from_utf8(value.clone().unwrap()).unwrap();
        let n = key.trim_start_matches("customer-");
        assert!(value.ends_with(&format!(" for NAME-{n}")), "{key}: {value}");
    }
    for store in ["order-counts", "order-counts-again"] {
        for n in 0..CUSTOMERS {
            let key = format!("customer-{n}");
            assert_eq!(
                streams.query_key_value::<String, i64>(store, &key).unwrap(),
                Some((ORDERS / CUSTOMERS) as i64),
                "{store}: the count of {key}"
            );
        }
    }
    streams.close(WAIT).unwrap();
}

/// The latest count per region in `records` (key: region, value: an i64).
fn latest_counts(
    records: &[integration_tests::RawRecord],
) -> std::collections::BTreeMap<String, i64> {
    let mut counts = std::collections::BTreeMap::new();
    for (key, value) in records {
        let region = String::from_utf8(key.clone().unwrap_or_default()).unwrap();
        match value {
            Some(bytes) => counts.insert(region, I64Serde.deserialize(bytes).unwrap()),
            None => counts.remove(&region),
        };
    }
    counts
}

fn expected_counts(regions: &[(String, String)]) -> std::collections::BTreeMap<String, i64> {
    let mut latest = std::collections::BTreeMap::new();
    for (user, region) in regions {
        latest.insert(user.clone(), region.clone());
    }
    let mut counts = std::collections::BTreeMap::new();
    for region in latest.values() {
        *counts.entry(region.clone()).or_insert(0) += 1;
    }
    counts
}

/// Users by region, counted per region: the table of users is read from its
/// topic, and under `reuse.ktable.source.topics` that topic is its changelog.
/// After the instance is gone, users move; a new instance on an empty state
/// directory restores the users table from its topic up to the committed
/// offset only, so processing the moves subtracts each user from the region
/// it left (restored to the end, the table would already hold the new region,
/// and the counts of the regions left would stay too high).
#[test]
fn a_table_restores_from_its_source_topic_up_to_the_committed_offset() {
    let cluster = TestCluster::start();
    let (users, counts) = (unique("reuse-users"), unique("reuse-counts"));
    cluster.create_topic(&users, PARTITIONS);
    cluster.create_topic(&counts, PARTITIONS);
    let application_id = unique("reuse-source");
    let app = |state_dir: &std::path::Path| {
        let config = streams_config(
            &cluster,
            &application_id,
            state_dir,
            &[("topology.optimization", "reuse.ktable.source.topics")],
        );
        let builder = StreamsBuilder::new();
        builder
            .table::<String, String>(&users, Consumed::default(), Materialized::named("users"))
            .group_by(|user: &String, region: String| (region, user.clone()))
            .count(Materialized::named("region-counts").with_caching_disabled())
            .to_stream()
            .to(&counts, Produced::default());
        let topology = builder.build_with(&config).unwrap();
        assert_eq!(topology.source_changelog("users"), Some(users.as_str()));
        let mut streams = KafkaStreams::new(topology, config).unwrap();
        streams.start().unwrap();
        streams.wait_until_running(WAIT).unwrap();
        streams
    };
    let mut written: Vec<(String, String)> = (0..40)
        .map(|n| (format!("user-{n}"), format!("region-{}", n % 4)))
        .collect();
    let first_dir = tempfile::tempdir().unwrap();
    let mut streams = app(first_dir.path());
    cluster.produce(&users, &written);
    let mut output = cluster.reader(&counts, PARTITIONS);
    let expected = expected_counts(&written);
    output.read_until(WAIT, "the first counts", |records| {
        latest_counts(records) == expected
    });
    streams.close(WAIT).unwrap();
    let topics = cluster.topics();
    assert!(
        !topics.contains(&format!("{application_id}-users-changelog")),
        "the users table got a changelog topic: {topics:?}"
    );
    assert!(topics.contains(&format!("{application_id}-region-counts-changelog")));

    // While no instance runs, ten users move to the next region.
    let moves: Vec<(String, String)> = (0..10)
        .map(|n| (format!("user-{n}"), format!("region-{}", (n + 1) % 4)))
        .collect();
    cluster.produce(&users, &moves);
    written.extend(moves);

    let second_dir = tempfile::tempdir().unwrap();
    let streams = app(second_dir.path());
    let expected = expected_counts(&written);
    output.read_until(WAIT, "the counts after the moves", |records| {
        latest_counts(records) == expected
    });
    for n in 0..10 {
        let user = format!("user-{n}");
        assert_eq!(
            streams
                .query_key_value::<String, String>("users", &user)
                .unwrap(),
            Some(format!("region-{}", (n + 1) % 4)),
            "{user}"
        );
    }
    let mut streams = streams;
    streams.close(WAIT).unwrap();
}
