//! Versioned tables (KIP-889, KIP-914): a source table materialized with
//! `Materialized::versioned` keeps each key's history, does not forward
//! out-of-order updates, and stream-table joins read it as of each stream
//! record's timestamp. Also the versioned store from the Processor API.

use std::time::Duration;
use streams_dsl::prelude::*;

fn driver(builder: StreamsBuilder) -> TopologyTestDriver {
    TopologyTestDriver::new(builder.build().expect("topology builds")).expect("driver starts")
}

/// `prices` as a versioned table (history `retention`), and `orders` left-
/// and inner-joined with it into `priced-left` and `priced`, each output
/// `"<order>@<price or none>"`. The table's own updates go to `price-updates`.
fn priced_orders(retention: Duration) -> TopologyTestDriver {
    let builder = StreamsBuilder::new();
    let prices = builder.table::<String, String>(
        "prices",
        Consumed::default(),
        Materialized::as_versioned("prices-store", retention),
    );
    assert!(prices.is_versioned());
    prices
        .to_stream()
        .map_values(|change: Option<String>| change.unwrap_or_else(|| "deleted".into()))
        .to("price-updates", Produced::default());
    let orders = builder.stream::<String, String>("orders", Consumed::default());
    orders
        .left_join(&prices, |order, price: Option<String>| {
            format!("{order}@{}", price.unwrap_or_else(|| "none".into()))
        })
        .to("priced-left", Produced::default());
    orders
        .join(&prices, |order, price| format!("{order}@{price}"))
        .to("priced", Produced::default());
    driver(builder)
}

fn read_values(driver: &TopologyTestDriver, topic: &str) -> Vec<(String, i64)> {
    driver
        .output_topic::<String, String>(topic)
        .unwrap()
        .read_all()
        .unwrap()
        .into_iter()
        .map(|record| (record.value, record.timestamp))
        .collect()
}

fn owned(values: &[(&str, i64)]) -> Vec<(String, i64)> {
    values.iter().map(|(v, t)| (v.to_string(), *t)).collect()
}

const HOUR: Duration = Duration::from_secs(3600);

/// Fails if the join read the latest row (`get`) instead of the row as of
/// the stream record's time (`get_as_of`): the late order at 15 would be
/// priced "B", and the assertion on `priced` would see `late@B`.
#[test]
fn late_stream_records_join_the_table_value_valid_at_their_timestamp() {
    let driver = priced_orders(HOUR);
    let prices = driver
        .input_topic::<String, Option<String>>("prices")
        .unwrap();
    let orders = driver.input_topic::<String, String>("orders").unwrap();
    prices.pipe("apple", Some("A".into()), 10).unwrap();
    prices.pipe("apple", Some("B".into()), 20).unwrap();
    orders.pipe("apple", "late".to_string(), 15).unwrap();
    orders.pipe("apple", "now".to_string(), 25).unwrap();
    orders.pipe("apple", "exact".to_string(), 20).unwrap();
    assert_eq!(
        read_values(&driver, "priced"),
        owned(&[("late@A", 15), ("now@B", 25), ("exact@B", 20)])
    );
}

#[test]
fn a_stream_record_before_any_table_version_finds_no_row() {
    let driver = priced_orders(HOUR);
    let prices = driver
        .input_topic::<String, Option<String>>("prices")
        .unwrap();
    let orders = driver.input_topic::<String, String>("orders").unwrap();
    prices.pipe("apple", Some("A".into()), 10).unwrap();
    orders.pipe("apple", "early".to_string(), 5).unwrap();
    orders.pipe("pear", "unknown".to_string(), 12).unwrap();
    assert_eq!(read_values(&driver, "priced"), Vec::new());
    assert_eq!(
        read_values(&driver, "priced-left"),
        owned(&[("early@none", 5), ("unknown@none", 12)])
    );
}

#[test]
fn a_tombstone_ends_the_row_for_stream_records_after_it_only() {
    let driver = priced_orders(HOUR);
    let prices = driver
        .input_topic::<String, Option<String>>("prices")
        .unwrap();
    let orders = driver.input_topic::<String, String>("orders").unwrap();
    prices.pipe("apple", Some("A".into()), 10).unwrap();
    prices.pipe("apple", None, 20).unwrap();
    orders.pipe("apple", "after".to_string(), 25).unwrap();
    orders.pipe("apple", "before".to_string(), 15).unwrap();
    orders.pipe("apple", "at".to_string(), 20).unwrap();
    assert_eq!(read_values(&driver, "priced"), owned(&[("before@A", 15)]));
    assert_eq!(
        read_values(&driver, "priced-left"),
        owned(&[("after@none", 25), ("before@A", 15), ("at@none", 20)])
    );
    assert_eq!(
        read_values(&driver, "price-updates"),
        owned(&[("A", 10), ("deleted", 20)])
    );
}

#[test]
fn out_of_order_table_updates_are_not_forwarded_but_seen_as_of_their_time() {
    let driver = priced_orders(HOUR);
    let prices = driver
        .input_topic::<String, Option<String>>("prices")
        .unwrap();
    let orders = driver.input_topic::<String, String>("orders").unwrap();
    prices.pipe("apple", Some("A".into()), 10).unwrap();
    prices.pipe("apple", Some("C".into()), 30).unwrap();
    prices.pipe("apple", Some("B".into()), 20).unwrap(); // out of order
    prices.pipe("apple", None, 25).unwrap(); // out of order too
    assert_eq!(
        read_values(&driver, "price-updates"),
        owned(&[("A", 10), ("C", 30)]),
        "only updates that become their key's latest version are forwarded"
    );
    orders.pipe("apple", "o15".to_string(), 15).unwrap();
    orders.pipe("apple", "o22".to_string(), 22).unwrap();
    orders.pipe("apple", "o27".to_string(), 27).unwrap();
    orders.pipe("apple", "o31".to_string(), 31).unwrap();
    assert_eq!(
        read_values(&driver, "priced-left"),
        owned(&[
            ("o15@A", 15),
            ("o22@B", 22),
            ("o27@none", 27),
            ("o31@C", 31)
        ])
    );
    let history = driver
        .with_state_store(
            "prices-store",
            |store: &mut VersionedKeyValueStore<String, String>| {
                [15, 22, 27, 31].map(|as_of| store.get_as_of(&"apple".to_string(), as_of).unwrap())
            },
        )
        .unwrap();
    assert_eq!(
        history,
        [
            Some(VersionedRecord {
                value: "A".to_string(),
                timestamp: 10,
                valid_to: Some(20)
            }),
            Some(VersionedRecord {
                value: "B".to_string(),
                timestamp: 20,
                valid_to: Some(25)
            }),
            None,
            Some(VersionedRecord {
                value: "C".to_string(),
                timestamp: 30,
                valid_to: None
            }),
        ]
    );
}

#[test]
fn history_retention_drops_old_versions_and_updates() {
    let driver = priced_orders(Duration::from_millis(50));
    let prices = driver
        .input_topic::<String, Option<String>>("prices")
        .unwrap();
    let orders = driver.input_topic::<String, String>("orders").unwrap();
    prices.pipe("apple", Some("A".into()), 0).unwrap();
    prices.pipe("apple", Some("B".into()), 100).unwrap();
    // Table stream time 100, retention 50: versions before 50 are gone.
    orders.pipe("apple", "o10".to_string(), 10).unwrap();
    orders.pipe("apple", "o60".to_string(), 60).unwrap();
    orders.pipe("apple", "o100".to_string(), 100).unwrap();
    assert_eq!(
        read_values(&driver, "priced-left"),
        owned(&[("o10@none", 10), ("o60@A", 60), ("o100@B", 100)])
    );
    // An update older than the retention is dropped, not even kept in history.
    prices.pipe("apple", Some("too-late".into()), 40).unwrap();
    assert_eq!(driver.metrics().dropped_records, 1);
    orders.pipe("apple", "o45".to_string(), 45).unwrap();
    assert_eq!(
        read_values(&driver, "priced-left"),
        owned(&[("o45@none", 45)])
    );
    assert_eq!(
        read_values(&driver, "price-updates"),
        owned(&[("A", 0), ("B", 100)])
    );
}

#[test]
fn table_table_joins_read_a_versioned_table_by_its_latest_version() {
    let builder = StreamsBuilder::new();
    let prices = builder.table::<String, String>(
        "prices",
        Consumed::default(),
        Materialized::as_versioned("prices-store", HOUR),
    );
    let stock =
        builder.table::<String, i64>("stock", Consumed::default(), Materialized::named("stock"));
    stock
        .join(&prices, |count, price| format!("{count}x{price}"))
        .to_stream()
        .map_values(|row: Option<String>| row.unwrap_or_else(|| "deleted".into()))
        .to("offers", Produced::default());
    let driver = driver(builder);
    let prices = driver
        .input_topic::<String, Option<String>>("prices")
        .unwrap();
    let stock = driver.input_topic::<String, Option<i64>>("stock").unwrap();
    prices.pipe("apple", Some("A".into()), 10).unwrap();
    prices.pipe("apple", Some("C".into()), 30).unwrap();
    prices.pipe("apple", Some("B".into()), 20).unwrap(); // out of order: no output
    stock.pipe("apple", Some(3), 25).unwrap();
    assert_eq!(read_values(&driver, "offers"), owned(&[("3xC", 30)]));
}

#[test]
fn operators_that_need_a_plain_store_reject_a_versioned_one() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("words", Consumed::default())
        .group_by_key()
        .count(Materialized::as_versioned("counts", HOUR));
    assert!(matches!(
        builder.build(),
        Err(TopologyError::VersionedStoreUnsupported { store, .. }) if store == "counts"
    ));

    let builder = StreamsBuilder::new();
    builder.global_table::<String, String>(
        "rates",
        Consumed::default(),
        Materialized::as_versioned("rates", HOUR),
    );
    assert!(matches!(
        builder.build(),
        Err(TopologyError::VersionedStoreUnsupported { .. })
    ));
}

/// Keeps every reading per sensor in a versioned store and emits, for each
/// reading, the one valid 10 ms before it.
struct TenMillisecondsAgo;

impl Processor<String, i64, String, String> for TenMillisecondsAgo {
    fn process(
        &mut self,
        record: Record<String, i64>,
        ctx: &mut ProcessorContext<'_, String, String>,
    ) -> Result<(), ProcessError> {
        let store = ctx.state_store::<VersionedKeyValueStore<String, i64>>("readings")?;
        let outcome = store.put(&record.key, &record.value, record.timestamp)?;
        let before = store.get_as_of(&record.key, record.timestamp - 10)?;
        let text = format!(
            "{outcome:?} {}",
            before.map_or("none".to_string(), |v| format!(
                "{}@{}",
                v.value, v.timestamp
            ))
        );
        ctx.forward(record.with_value(text))
    }
}

#[test]
fn processors_use_a_versioned_store_through_their_context() {
    let builder = StreamsBuilder::new();
    builder.add_state_store(
        KeyValueStoreBuilder::<String, i64>::in_memory("readings")
            .versioned(Duration::from_millis(100)),
    );
    builder
        .stream::<String, i64>("readings", Consumed::default())
        .process(|| TenMillisecondsAgo, &["readings"])
        .to("then", Produced::default());
    let driver = driver(builder);
    let input = driver.input_topic::<String, i64>("readings").unwrap();
    input.pipe("s1", 1, 100).unwrap();
    input.pipe("s1", 2, 115).unwrap();
    input.pipe("s1", 9, 108).unwrap();
    input.pipe("s1", 0, 5).unwrap();
    assert_eq!(
        read_values(&driver, "then"),
        owned(&[
            ("Latest none", 100),
            ("Latest 1@100", 115),
            ("Historical { valid_to: 115 } none", 108),
            ("Rejected none", 5),
        ])
    );
}

/// `orders` left-joined with the versioned `prices` table, with a grace
/// period of `grace` (history `retention`), into `priced-left`.
fn graced_join(grace: Duration, retention: Duration) -> Result<Topology, TopologyError> {
    let builder = StreamsBuilder::new();
    let prices = builder.table::<String, String>(
        "prices",
        Consumed::default(),
        Materialized::as_versioned("prices-store", retention),
    );
    builder
        .stream::<String, String>("orders", Consumed::default())
        .left_join_with(
            &prices,
            |order, price: Option<String>| {
                format!("{order}@{}", price.unwrap_or_else(|| "none".into()))
            },
            Joined::as_("pricing").with_grace_period(grace),
        )
        .to("priced-left", Produced::default());
    builder.build()
}

/// Fails without the buffer (no grace period): `o1` would be joined at once
/// with `A`, the only version at 20 when it arrives.
#[test]
fn a_grace_period_holds_stream_records_back_until_the_table_caught_up() {
    let driver =
        TopologyTestDriver::new(graced_join(Duration::from_millis(10), HOUR).unwrap()).unwrap();
    let prices = driver
        .input_topic::<String, Option<String>>("prices")
        .unwrap();
    let orders = driver.input_topic::<String, String>("orders").unwrap();
    prices.pipe("apple", Some("A".into()), 10).unwrap();
    orders.pipe("apple", "o1".to_string(), 20).unwrap();
    assert_eq!(read_values(&driver, "priced-left"), Vec::new(), "o1 waits");
    prices.pipe("apple", Some("B".into()), 15).unwrap();
    orders.pipe("apple", "o2".to_string(), 31).unwrap();
    assert_eq!(read_values(&driver, "priced-left"), owned(&[("o1@B", 20)]));
    orders.pipe("apple", "late".to_string(), 5).unwrap();
    assert_eq!(
        read_values(&driver, "priced-left"),
        owned(&[("late@none", 5)]),
        "a record older than the grace period is joined at once"
    );
    orders.pipe("apple", "o3".to_string(), 50).unwrap();
    orders.pipe("pear", "o4".to_string(), 50).unwrap();
    orders.pipe("apple", "o5".to_string(), 70).unwrap();
    assert_eq!(
        read_values(&driver, "priced-left"),
        owned(&[("o2@B", 31), ("o3@B", 50), ("o4@none", 50)]),
        "released in timestamp order, equal timestamps in arrival order"
    );
    let waiting = driver
        .with_state_store(
            "pricing-buffer",
            |buffer: &mut JoinGraceBuffer<String, String>| buffer.num_records(),
        )
        .unwrap();
    assert_eq!(waiting, 1, "o5 waits for stream time 80");
}

#[test]
fn a_grace_period_needs_a_versioned_table_keeping_that_much_history() {
    assert!(matches!(
        graced_join(Duration::from_secs(2), Duration::from_secs(1)),
        Err(TopologyError::JoinGraceWithoutHistory { join, .. }) if join == "pricing"
    ));
    let builder = StreamsBuilder::new();
    let prices = builder.table::<String, String>(
        "prices",
        Consumed::default(),
        Materialized::named("plain"),
    );
    builder
        .stream::<String, String>("orders", Consumed::default())
        .join_with(
            &prices,
            |order, price| format!("{order}{price}"),
            Joined::default().with_grace_period(Duration::ZERO),
        )
        .to("out", Produced::default());
    let error = builder.build().unwrap_err();
    assert!(error.to_string().contains("not versioned"), "{error}");
}
