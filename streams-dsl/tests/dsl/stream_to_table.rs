//! `KStream::to_table`: the latest value per key of a stream, as a table that
//! can be joined, queried and turned back into a stream of its updates.

use streams_dsl::prelude::*;

#[test]
fn every_record_upserts_its_key_and_the_table_forwards_its_updates() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, i64>("prices", Consumed::default())
        .to_table_with(Materialized::named("latest-prices").with_caching_disabled())
        .to_stream()
        .to("price-updates", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let prices = driver.input_topic::<String, i64>("prices").unwrap();
    prices.pipe("apple", 3, 10).unwrap();
    prices.pipe("pear", 5, 20).unwrap();
    prices.pipe("apple", 4, 30).unwrap();
    let updates: Vec<(String, Option<i64>, i64)> = driver
        .output_topic::<String, Option<i64>>("price-updates")
        .unwrap()
        .read_all()
        .unwrap()
        .into_iter()
        .map(|r| (r.key, r.value, r.timestamp))
        .collect();
    assert_eq!(
        updates,
        [
            ("apple".to_string(), Some(3), 10),
            ("pear".to_string(), Some(5), 20),
            ("apple".to_string(), Some(4), 30),
        ]
    );
    let rows: Vec<(String, i64, i64)> = driver
        .key_value_store_entries::<String, i64>("latest-prices")
        .unwrap()
        .into_iter()
        .map(|(k, v)| (k, v.value, v.timestamp))
        .collect();
    assert_eq!(
        rows,
        [("apple".to_string(), 4, 30), ("pear".to_string(), 5, 20)]
    );
}

#[test]
fn a_stream_joined_with_a_table_made_from_another_stream_sees_its_latest_value() {
    let builder = StreamsBuilder::new();
    let rates = builder
        .stream::<String, i64>("rates", Consumed::default())
        .to_table();
    builder
        .stream::<String, i64>("orders", Consumed::default())
        .join(&rates, |amount, rate| amount * rate)
        .to("charged", Produced::default());
    let topology = builder.build().unwrap();
    assert!(
        topology
            .describe()
            .to_string()
            .contains("KSTREAM-TOTABLE-STATE-STORE"),
        "without Materialized the store gets a generated name"
    );
    let driver = TopologyTestDriver::new(topology).unwrap();
    let rates = driver.input_topic::<String, i64>("rates").unwrap();
    let orders = driver.input_topic::<String, i64>("orders").unwrap();
    orders.pipe("eur", 10, 0).unwrap();
    rates.pipe("eur", 2, 1).unwrap();
    orders.pipe("eur", 10, 2).unwrap();
    rates.pipe("eur", 3, 3).unwrap();
    orders.pipe("eur", 10, 4).unwrap();
    assert_eq!(
        driver
            .output_topic::<String, i64>("charged")
            .unwrap()
            .read_key_values()
            .unwrap(),
        [("eur".to_string(), 20), ("eur".to_string(), 30)],
        "the order before any rate finds no row"
    );
}

#[test]
fn a_rekeyed_stream_is_repartitioned_before_it_becomes_a_table() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("users", Consumed::default())
        .select_key(|_, city| city.clone())
        .to_table_with(Materialized::named("last-user-per-city").with_caching_disabled())
        .to_stream()
        .to("cities", Produced::default());
    let topology = builder.build().unwrap();
    let description = topology.describe();
    assert_eq!(
        description.subtopologies.len(),
        2,
        "the table reads a repartition topic: {description}"
    );
    assert!(description.to_string().contains("-repartition"));
    let driver = TopologyTestDriver::new(topology).unwrap();
    let users = driver.input_topic::<String, String>("users").unwrap();
    users.pipe("ann", "oslo", 0).unwrap();
    users.pipe("bob", "oslo", 1).unwrap();
    assert_eq!(
        driver
            .output_topic::<String, Option<String>>("cities")
            .unwrap()
            .read_key_values()
            .unwrap(),
        [
            ("oslo".to_string(), Some("oslo".to_string())),
            ("oslo".to_string(), Some("oslo".to_string())),
        ]
    );
}

#[test]
fn records_with_a_null_key_are_dropped_and_counted() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<Option<String>, i64>("maybe-keyed", Consumed::default())
        .to_table_with(
            Materialized::with(OptionSerde::new(std::sync::Arc::new(StringSerde)), I64Serde)
                .with_caching_disabled(),
        )
        .to_stream()
        .to("rows", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let input = driver
        .input_topic::<Option<String>, i64>("maybe-keyed")
        .unwrap();
    input.pipe(Some("k".to_string()), 1, 0).unwrap();
    input.pipe(None::<String>, 2, 0).unwrap();
    assert_eq!(
        driver
            .output_topic::<Option<String>, Option<i64>>("rows")
            .unwrap()
            .read_key_values()
            .unwrap(),
        [(Some("k".to_string()), Some(1))]
    );
    assert_eq!(driver.metrics().dropped_records, 1);
}
