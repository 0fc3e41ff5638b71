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
