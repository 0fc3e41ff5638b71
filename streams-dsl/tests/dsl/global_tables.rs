//! GlobalKTable: `StreamsBuilder::global_table` and stream-global joins in the
//! TopologyTestDriver, with Kafka Streams' semantics — the stream record meets
//! the global row current when it is processed (a later update of the table
//! does not change earlier results), the join key comes from a selector over
//! the record, null values are dropped, a null join key drops in an inner join
//! and joins with `None` in a left join, and no repartition topic is needed.

use streams_dsl::prelude::*;

/// Orders keyed by order id, valued `<country>:<amount>` (`None`: a null
/// value); the country code selects the row of the `countries` global table.
fn orders_with_countries(left: bool) -> Topology {
    let builder = StreamsBuilder::new();
    let countries = builder.global_table::<String, String>(
        "countries",
        Consumed::default(),
        Materialized::named("countries-store"),
    );
    let orders = builder.stream::<String, Option<String>>("orders", Consumed::default());
    let country_of = |_: &String, order: &Option<String>| {
        order
            .as_deref()
            .and_then(|order| order.split(':').next())
            .unwrap_or_default()
            .to_string()
    };
    if left {
        orders
            .left_join_global(&countries, country_of, |order, country| {
                format!(
                    "{} in {}",
                    order.unwrap_or_default(),
                    country.unwrap_or_else(|| "?".into())
                )
            })
            .to("out", Produced::default());
    } else {
        orders
            .join_global(&countries, country_of, |order, country| {
                format!("{} in {country}", order.unwrap_or_default())
            })
            .to("out", Produced::default());
    }
    builder.build().unwrap()
}

fn read(driver: &TopologyTestDriver) -> Vec<(String, String, i64)> {
    driver
        .output_topic::<String, String>("out")
        .unwrap()
        .read_all()
        .unwrap()
        .into_iter()
        .map(|r| (r.key, r.value, r.timestamp))
        .collect()
}

fn owned(rows: &[(&str, &str, i64)]) -> Vec<(String, String, i64)> {
    rows.iter()
        .map(|(k, v, t)| (k.to_string(), v.to_string(), *t))
        .collect()
}

#[test]
fn a_stream_record_meets_the_global_row_current_when_it_is_processed() {
    let driver = TopologyTestDriver::new(orders_with_countries(false)).unwrap();
    let countries = driver
        .input_topic::<String, Option<String>>("countries")
        .unwrap();
    let orders = driver.input_topic::<String, String>("orders").unwrap();
    orders.pipe("o1", "FR:10", 1).unwrap();
    countries.pipe("FR", Some("France".into()), 2).unwrap();
    orders.pipe("o2", "FR:20", 3).unwrap();
    countries
        .pipe("FR", Some("République française".into()), 4)
        .unwrap();
    orders.pipe("o3", "FR:30", 5).unwrap();
    countries.pipe("FR", None, 6).unwrap();
    orders.pipe("o4", "FR:40", 7).unwrap();
    countries.pipe("DE", Some("Germany".into()), 8).unwrap();
    orders.pipe("o5", "DE:50", 9).unwrap();
    assert_eq!(
        read(&driver),
        owned(&[
            ("o2", "FR:20 in France", 3),
            ("o3", "FR:30 in République française", 5),
            ("o5", "DE:50 in Germany", 9),
        ]),
        "no output before the row exists or after its delete; the stream record's key and time"
    );
}

#[test]
fn a_left_join_gives_none_for_a_missing_row_and_both_drop_null_values() {
    for left in [false, true] {
        let driver = TopologyTestDriver::new(orders_with_countries(left)).unwrap();
        let countries = driver
            .input_topic::<String, Option<String>>("countries")
            .unwrap();
        let orders = driver
            .input_topic::<String, Option<String>>("orders")
            .unwrap();
        countries.pipe("FR", Some("France".into()), 0).unwrap();
        orders.pipe("o1", Some("FR:1".into()), 1).unwrap();
        orders.pipe("o2", Some("XX:2".into()), 2).unwrap();
        orders.pipe("o3", None, 3).unwrap();
        let expected = if left {
            owned(&[("o1", "FR:1 in France", 1), ("o2", "XX:2 in ?", 2)])
        } else {
            owned(&[("o1", "FR:1 in France", 1)])
        };
        assert_eq!(read(&driver), expected, "left: {left}");
        assert_eq!(
            driver.metrics().dropped_records,
            1,
            "the null value is dropped (left: {left})"
        );
    }
}

#[test]
fn a_null_join_key_drops_in_an_inner_join_and_joins_with_none_in_a_left_join() {
    for left in [false, true] {
        let builder = StreamsBuilder::new();
        let clicks = builder.stream::<String, String>("clicks", Consumed::default());
        // A click without a user id selects the null key.
        let user_of = |_: &String, click: &String| click.strip_prefix("user=").map(str::to_string);
        let global = builder.global_table::<Option<String>, String>(
            "users-by-id",
            Consumed::default(),
            Materialized::named("users-by-id-store").in_memory(),
        );
        if left {
            clicks
                .left_join_global(&global, user_of, |click, user| {
                    format!("{click}/{}", user.unwrap_or_else(|| "anonymous".into()))
                })
                .to("out", Produced::default());
        } else {
            clicks
                .join_global(&global, user_of, |click, user| format!("{click}/{user}"))
                .to("out", Produced::default());
        }
        let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
        driver
            .input_topic::<Option<String>, Option<String>>("users-by-id")
            .unwrap()
            .pipe(Some("ann".to_string()), Some("Ann".to_string()), 0)
            .unwrap();
        let clicks = driver.input_topic::<String, String>("clicks").unwrap();
        clicks.pipe("c1", "user=ann", 1).unwrap();
        clicks.pipe("c2", "no user", 2).unwrap();
        let expected = if left {
            owned(&[("c1", "user=ann/Ann", 1), ("c2", "no user/anonymous", 2)])
        } else {
            owned(&[("c1", "user=ann/Ann", 1)])
        };
        assert_eq!(read(&driver), expected, "left: {left}");
        assert_eq!(
            driver.metrics().dropped_records,
            u64::from(!left),
            "left: {left}"
        );
    }
}

#[test]
fn a_re_keyed_stream_joins_a_global_table_without_a_repartition_topic() {
    let builder = StreamsBuilder::new();
    let rates = builder.global_table::<String, i64>(
        "rates",
        Consumed::default(),
        Materialized::named("rates-store"),
    );
    builder
        .stream::<String, i64>("payments", Consumed::default())
        .select_key(|_, amount| if *amount > 100 { "big" } else { "small" }.to_string())
        .join_global(&rates, |size, _| size.clone(), |amount, rate| amount * rate)
        .to("fees", Produced::default());
    let topology = builder.build().unwrap();
    assert!(
        topology.internal_topics("app").is_empty(),
        "{:?}",
        topology.internal_topics("app")
    );
    assert_eq!(topology.global_topics(), ["rates"]);
    let described = topology.describe();
    assert!(
        described.changelogs.is_empty(),
        "a global store logs to no changelog of its own: {:?}",
        described.changelogs
    );
    assert!(
        described
            .to_string()
            .contains("Global store: rates-store (topic: rates;"),
        "{described}"
    );
    let driver = TopologyTestDriver::new(topology).unwrap();
    let rates = driver.input_topic::<String, Option<i64>>("rates").unwrap();
    rates.pipe("big", Some(2), 0).unwrap();
    rates.pipe("small", Some(3), 0).unwrap();
    let payments = driver.input_topic::<String, i64>("payments").unwrap();
    payments.pipe("p1", 500, 1).unwrap();
    payments.pipe("p2", 7, 2).unwrap();
    let fees = driver.output_topic::<String, i64>("fees").unwrap();
    assert_eq!(
        fees.read_key_values().unwrap(),
        [("big".to_string(), 1000), ("small".to_string(), 21)]
    );
}

#[test]
fn records_the_topology_writes_to_a_global_topic_reach_the_global_store() {
    let builder = StreamsBuilder::new();
    let names = builder.global_table::<String, String>(
        "names",
        Consumed::default(),
        Materialized::named("names-store"),
    );
    builder
        .stream::<String, String>("name-updates", Consumed::default())
        .map_values(|name: String| name.to_uppercase())
        .to("names", Produced::default());
    builder
        .stream::<String, String>("greetings", Consumed::default())
        .join_global(
            &names,
            |key, _| key.clone(),
            |greeting, name| format!("{greeting}, {name}"),
        )
        .to("out", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    driver
        .input_topic::<String, String>("name-updates")
        .unwrap()
        .pipe("u1", "ann", 1)
        .unwrap();
    driver
        .input_topic::<String, String>("greetings")
        .unwrap()
        .pipe("u1", "hello", 2)
        .unwrap();
    assert_eq!(read(&driver), owned(&[("u1", "hello, ANN", 2)]));
}

#[test]
fn a_global_table_cannot_share_its_topic_or_its_store_name() {
    let builder = StreamsBuilder::new();
    builder.global_table::<String, String>(
        "shared",
        Consumed::default(),
        Materialized::named("global-store"),
    );
    builder
        .stream::<String, String>("shared", Consumed::default())
        .to("out", Produced::default());
    let error = builder
        .build()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        error.contains("topic 'shared' is read by both 'global store global-store'"),
        "{error}"
    );

    let builder = StreamsBuilder::new();
    builder.global_table::<String, String>(
        "left",
        Consumed::default(),
        Materialized::named("same-name"),
    );
    builder
        .stream::<String, String>("events", Consumed::default())
        .group_by_key()
        .count(Materialized::named("same-name"))
        .to_stream()
        .to("out", Produced::default());
    let error = builder
        .build()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        error.contains("two state stores are named 'same-name'"),
        "{error}"
    );
}
