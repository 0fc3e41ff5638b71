//! GlobalKTable on the broker: every instance reads every partition of the
//! global topic before its stream threads start, keeps following the topic
//! while it runs, joins streams of any partitioning against it, answers
//! interactive queries of it from its own copy, and resumes a persistent
//! global store from its checkpoint after a restart.

use integration_tests::{TestCluster, TopicReader, init_logging, streams_config, unique};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use streams_core::partitioner::default_partition;
use streams_dsl::prelude::*;
use streams_state::{OffsetCheckpoint, TopicPartition};

const WAIT: Duration = Duration::from_secs(90);
const COUNTRIES: usize = 30;

/// Orders (`<country>:<n>`) joined with the `countries` global table by the
/// country code in their value.
fn topology(countries: &str, orders: &str, out: &str) -> Topology {
    let builder = StreamsBuilder::new();
    let table = builder.global_table::<String, String>(
        countries,
        Consumed::default(),
        Materialized::named("countries"),
    );
    builder
        .stream::<String, String>(orders, Consumed::default())
        .join_global(
            &table,
            |_, order| order.split(':').next().unwrap_or_default().to_string(),
            |order, country| format!("{order} in {country}"),
        )
        .to(out, Produced::default());
    builder.build().unwrap()
}

fn code(n: usize) -> String {
    format!("c{n:02}")
}

/// One key per partition of the 4-partition orders topic (murmur2, as the
/// test producer partitions).
fn probe_keys(round: usize) -> Vec<String> {
    let mut keys: Vec<Option<String>> = vec![None; 4];
    for n in 0.. {
        let key = format!("probe-{round}-{n}");
        let slot = &mut keys[default_partition(key.as_bytes(), 4) as usize];
        if slot.is_none() {
            *slot = Some(key);
        }
        if keys.iter().all(Option::is_some) {
            break;
        }
    }
    keys.into_iter().flatten().collect()
}

/// Sends an order for `country` to every partition of `orders`, round after
/// round, until one whole round comes back joined with `name`: then every
/// instance owning orders partitions has read the update into its global
/// store. Each round waits for its own four results (bounded by [`WAIT`]).
fn wait_until_joined_with(
    cluster: &TestCluster,
    reader: &mut TopicReader,
    orders: &str,
    country: &str,
    name: &str,
) {
    let deadline = Instant::now() + WAIT;
    for round in 0.. {
        assert!(
            Instant::now() < deadline,
            "orders for {country} still not joined with {name} after {WAIT:?}"
        );
        let keys = probe_keys(round);
        let probes: Vec<(String, String)> = keys
            .iter()
            .map(|key| (key.clone(), format!("{country}:{key}")))
            .collect();
        cluster.produce(orders, &probes);
        let expected: Vec<Vec<u8>> = keys.iter().map(|key| key.as_bytes().to_vec()).collect();
        let records = reader.read_until(WAIT, "the probe orders", |records| {
            expected.iter().all(|key| {
                records
                    .iter()
                    .any(|(k, _)| k.as_deref() == Some(key.as_slice()))
            })
        });
        let joined = records
            .iter()
            .filter(|(key, _)| key.as_ref().is_some_and(|key| expected.contains(key)))
            .filter(|(_, value)| {
                value
                    .as_deref()
                    .is_some_and(|value| value.ends_with(format!(" in {name}").as_bytes()))
            })
            .count();
        if joined == expected.len() {
            return;
        }
    }
}

#[test]
fn every_instance_keeps_the_whole_global_table_follows_it_and_resumes_from_its_checkpoint() {
    init_logging();
    let cluster = TestCluster::start();
    let (countries, orders, out) = (unique("countries"), unique("orders"), unique("orders-out"));
    cluster.create_topic(&countries, 3);
    cluster.create_topic(&orders, 4);
    cluster.create_topic(&out, 4);
    let rows: Vec<(String, String)> = (0..COUNTRIES)
        .map(|n| (code(n), format!("country-{n}")))
        .collect();
    cluster.produce(&countries, &rows);

    let application_id = unique("global-join");
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let mut instances: Vec<KafkaStreams> = dirs
        .iter()
        .map(|dir| {
            KafkaStreams::new(
                topology(&countries, &orders, &out),
                streams_config(&cluster, &application_id, dir.path(), &[]),
            )
            .unwrap()
        })
        .collect();
    for instance in &mut instances {
        instance.start().unwrap();
    }
    for instance in &instances {
        instance.wait_until_running(WAIT).unwrap();
        // Bootstrapped before its threads ran: every row, whatever its partition.
        for n in 0..COUNTRIES {
            assert_eq!(
                instance
                    .query_key_value::<String, String>("countries", &code(n))
                    .unwrap(),
                Some(format!("country-{n}")),
                "{}",
                code(n)
            );
        }
    }
    assert!(
        cluster
            .partition_count(&format!("{application_id}-countries-changelog"))
            .is_none(),
        "a global store has no changelog of its own: its topic is one"
    );

    let first: Vec<(String, String)> = (0..200)
        .map(|i| (format!("o{i}"), format!("{}:{i}", code(i % COUNTRIES))))
        .collect();
    cluster.produce(&orders, &first);
    let mut reader = cluster.reader(&out, 4);
    let joined = reader
        .read_until(WAIT, "200 joined orders", |records| records.len() >= 200)
        .to_vec();
    let mut by_order = BTreeMap::new();
    for (key, value) in joined {
        let key = String::from_utf8(key.unwrap()).unwrap();
        let value = String::from_utf8(value.unwrap()).unwrap();
        by_order.insert(key, value);
    }
    for i in 0..200 {
        assert_eq!(
            by_order.get(&format!("o{i}")).map(String::as_str),
            Some(format!("{}:{i} in country-{}", code(i % COUNTRIES), i % COUNTRIES).as_str())
        );
    }

    // An update of the table reaches every instance while it runs.
    cluster.produce(&countries, &[(code(5), "renamed".to_string())]);
    wait_until_joined_with(&cluster, &mut reader, &orders, &code(5), "renamed");
    for instance in &instances {
        assert_eq!(
            instance
                .query_key_value::<String, String>("countries", &code(5))
                .unwrap()
                .as_deref(),
            Some("renamed")
        );
    }
    cluster.produce(
        &orders,
        &[("late".to_string(), format!("{}:late", code(5)))],
    );
    let records = reader.read_until(WAIT, "the late order", |records| {
        records
            .iter()
            .any(|(key, _)| key.as_deref() == Some(b"late"))
    });
    let late = records
        .iter()
        .find(|(key, _)| key.as_deref() == Some(b"late"))
        .and_then(|(_, value)| value.clone());
    assert_eq!(
        late.as_deref(),
        Some(format!("{}:late in renamed", code(5)).as_bytes())
    );

    for instance in &mut instances {
        instance.close(WAIT).unwrap();
    }
    // The checkpoint says how far the persistent store read: the topic's end.
    let checkpoint = OffsetCheckpoint::new(
        dirs[0]
            .path()
            .join(&application_id)
            .join("global")
            .join(".checkpoint"),
    )
    .read()
    .unwrap();
    let checkpointed: i64 = (0..3)
        .map(|p| checkpoint[&TopicPartition::new(&countries, p)])
        .sum();
    assert_eq!(
        checkpointed,
        (COUNTRIES + 1) as i64,
        "one past the last record of each partition"
    );

    // Restarted on its state, the instance has its rows and reads on.
    cluster.produce(&countries, &[(code(7), "seven".to_string())]);
    let mut restarted = KafkaStreams::new(
        topology(&countries, &orders, &out),
        streams_config(&cluster, &application_id, dirs[0].path(), &[]),
    )
    .unwrap();
    restarted.start().unwrap();
    restarted.wait_until_running(WAIT).unwrap();
    assert_eq!(
        restarted
            .query_key_value::<String, String>("countries", &code(7))
            .unwrap()
            .as_deref(),
        Some("seven"),
        "read before the threads started"
    );
    assert_eq!(
        restarted
            .query_key_value::<String, String>("countries", &code(5))
            .unwrap()
            .as_deref(),
        Some("renamed")
    );
    restarted.close(WAIT).unwrap();
}

#[test]
fn a_missing_global_topic_fails_the_start_naming_it() {
    let cluster = TestCluster::start();
    let (countries, orders, out) = (unique("no-countries"), unique("orders"), unique("out"));
    cluster.create_topic(&orders, 1);
    let dir = tempfile::tempdir().unwrap();
    let mut streams = KafkaStreams::new(
        topology(&countries, &orders, &out),
        streams_config(&cluster, &unique("global-missing"), dir.path(), &[]),
    )
    .unwrap();
    let message = streams.start().unwrap_err().to_string();
    assert!(message.contains(&countries), "{message}");
    assert_eq!(streams.state(), StreamsState::Error);
}
