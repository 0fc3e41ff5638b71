//! `topology.optimization`: the rewrites of the logical plan change which
//! internal topics a topology has, never what it outputs. Each test builds
//! the same application twice, without and with the rewrite, and compares
//! the physical topologies and the outputs for the same input.

use streams_core::runtime::StreamsConfig;
use streams_dsl::prelude::*;

/// Internal topics ending in `-repartition`.
fn repartition_topics(topology: &Topology) -> Vec<String> {
    let mut topics: Vec<String> = topology
        .internal_topics("app")
        .into_iter()
        .filter(|topic| topic.ends_with("-repartition"))
        .collect();
    topics.sort();
    topics
}

/// Pipes `orders` (customer, amount) into `orders` and returns every output
/// topic's records as (key, value, timestamp), topic by topic.
fn run(topology: Topology, outputs: &[&str]) -> Vec<Vec<(String, String, i64)>> {
    let driver = TopologyTestDriver::new(topology).unwrap();
    let regions = driver.input_topic::<String, String>("regions").unwrap();
    for (region, name) in [("r0", "north"), ("r1", "south"), ("r2", "east")] {
        regions.pipe(region, name, 0).unwrap();
    }
    let orders = driver.input_topic::<String, i64>("orders").unwrap();
    for i in 0..60_i64 {
        orders
            .pipe(format!("customer-{}", i % 7), i * 10, 1_000 + i)
            .unwrap();
    }
    outputs
        .iter()
        .map(|topic| {
            let output = driver.output_topic::<String, String>(topic).unwrap();
            output
                .read_all()
                .unwrap()
                .into_iter()
                .map(|record| (record.key, record.value, record.timestamp))
                .collect()
        })
        .collect()
}

/// Orders re-keyed by region, then counted, summed, windowed-counted and
/// joined with the regions table: four operations of one re-keyed stream.
fn orders_by_region(builder: &StreamsBuilder) {
    let regions =
        builder.table::<String, String>("regions", Consumed::default(), Materialized::default());
    let by_region = builder
        .stream::<String, i64>("orders", Consumed::default())
        .select_key(|_, amount| format!("r{}", amount % 3));
    by_region
        .group_by_key()
        .count(Materialized::default())
        .to_stream()
        .map_values(|count| format!("count {count:?}"))
        .to("counts", Produced::default());
    by_region
        .group_by_key()
        .reduce(|a, b| a + b, Materialized::default())
        .to_stream()
        .map_values(|sum| format!("sum {sum:?}"))
        .to("sums", Produced::default());
    by_region
        .group_by_key()
        .windowed_by(TimeWindows::of_size_with_no_grace(
            std::time::Duration::from_millis(20),
        ))
        .count(Materialized::default())
        .to_stream()
        .map(|window, count| {
            (
                format!("{}@{}", window.key, window.window.start),
                format!("{count:?}"),
            )
        })
        .to("windowed", Produced::default());
    by_region
        .join(&regions, |amount, region| format!("{amount} in {region}"))
        .to("joined", Produced::default());
}

const OUTPUTS: [&str; 4] = ["counts", "sums", "windowed", "joined"];

fn build(app: fn(&StreamsBuilder), optimization: TopologyOptimization) -> Topology {
    let builder = StreamsBuilder::new();
    app(&builder);
    builder.build_optimized(optimization).unwrap()
}

#[test]
fn one_repartition_topic_serves_every_operation_of_a_rekeyed_stream() {
    let plain = build(orders_by_region, TopologyOptimization::none());
    let optimized = build(orders_by_region, TopologyOptimization::all());
    assert_eq!(
        repartition_topics(&plain).len(),
        4,
        "{:?}",
        repartition_topics(&plain)
    );
    let merged = repartition_topics(&optimized);
    assert_eq!(merged.len(), 1, "{merged:?}");
    // The first operation's topic stays: the count's store names it.
    assert_eq!(merged[0], repartition_topics(&plain)[0]);
    // Four sub-topologies become one reading the orders' source and one
    // reading the merged topic with the regions table.
    assert_eq!(plain.describe().subtopologies.len(), 5);
    assert_eq!(optimized.describe().subtopologies.len(), 2);
    let expected = run(plain, &OUTPUTS);
    assert!(expected.iter().all(|records| !records.is_empty()));
    assert_eq!(run(optimized, &OUTPUTS), expected);
}

#[test]
fn describe_shows_the_merged_repartition_once_feeding_every_operation() {
    let optimized = build(orders_by_region, TopologyOptimization::all());
    let description = optimized.describe().to_string();
    let lines = |prefix: &str| {
        description
            .lines()
            .map(str::trim)
            .filter(|line| line.starts_with(prefix) && line.contains("-repartition"))
            .count()
    };
    assert_eq!(lines("Sink:"), 1, "{description}");
    assert_eq!(lines("Source:"), 1, "{description}");
    let source = description
        .lines()
        .skip_while(|line| !line.trim().starts_with("Source: KSTREAM-AGGREGATE"))
        .nth(1)
        .unwrap_or_default();
    assert_eq!(
        source.matches("KSTREAM-AGGREGATE-").count(),
        3,
        "{description}"
    );
    assert_eq!(source.matches("KSTREAM-JOIN-").count(), 1, "{description}");
}

#[test]
fn repartitions_the_user_asked_for_are_never_merged() {
    fn app(builder: &StreamsBuilder) {
        let rekeyed = builder
            .stream::<String, i64>("orders", Consumed::default())
            .select_key(|_, amount| format!("r{}", amount % 3));
        for name in ["first", "second"] {
            rekeyed
                .repartition(Repartitioned::default().named(name))
                .map_values(move |amount| format!("{name} {amount}"))
                .to(name, Produced::default());
        }
    }
    let optimized = build(app, TopologyOptimization::all());
    assert_eq!(
        repartition_topics(&optimized),
        ["app-first-repartition", "app-second-repartition"]
    );
}

#[test]
fn repartitions_with_other_serdes_stay_apart() {
    fn app(builder: &StreamsBuilder) {
        let rekeyed = builder
            .stream::<String, i64>("orders", Consumed::default())
            .select_key(|_, amount| format!("r{}", amount % 3));
        rekeyed.group_by_key().count(Materialized::default());
        rekeyed
            .group_by_key_with(Grouped::default().value_serde(I64Serde))
            .count(Materialized::default());
        rekeyed.group_by_key().count(Materialized::default());
    }
    let optimized = build(app, TopologyOptimization::all());
    // The two counts with the stream's serdes merge; the one with its own
    // value serde keeps its topic.
    assert_eq!(
        repartition_topics(&optimized).len(),
        2,
        "{:?}",
        repartition_topics(&optimized)
    );
}

#[test]
fn operations_of_differently_rekeyed_streams_keep_their_topics() {
    fn app(builder: &StreamsBuilder) {
        let orders = builder.stream::<String, i64>("orders", Consumed::default());
        orders
            .group_by(|_, amount| format!("r{}", amount % 3))
            .count(Materialized::default());
        orders
            .group_by(|_, amount| format!("r{}", amount % 3))
            .count(Materialized::default());
    }
    // Two key selectors are two key-changing nodes (Kafka does not merge
    // them either).
    let optimized = build(app, TopologyOptimization::all());
    assert_eq!(repartition_topics(&optimized).len(), 2);
}

#[test]
fn the_streams_config_setting_turns_the_rewrite_on() {
    let config = |value: &str| {
        StreamsConfig::builder()
            .set("application.id", "app")
            .set("bootstrap.servers", "localhost:9092")
            .set("topology.optimization", value)
            .build()
    };
    let repartitions_with = |value: &str| {
        let builder = StreamsBuilder::new();
        orders_by_region(&builder);
        repartition_topics(&builder.build_with(&config(value).unwrap()).unwrap()).len()
    };
    assert_eq!(repartitions_with("none"), 4);
    assert_eq!(repartitions_with("all"), 1);
    assert_eq!(repartitions_with("merge.repartition.topics"), 1);
    let refused = config("single.store.self.join").unwrap_err().to_string();
    assert!(refused.contains("topology.optimization"), "{refused}");
    assert!(refused.contains("not implemented"), "{refused}");
}

/// Stores named like the ones the DSL adds to materialize a derived table
/// that a join reads.
fn materializing_stores(topology: &Topology) -> usize {
    topology
        .describe()
        .to_string()
        .lines()
        .filter(|line| line.trim().starts_with("Processor: KTABLE-MATERIALIZE-"))
        .count()
}

fn changelog_topics(topology: &Topology) -> usize {
    topology
        .describe()
        .subtopologies
        .iter()
        .map(|sub| topology.changelog_topics(sub.id, "app").len())
        .sum()
}

/// A catalog of derived tables read by joins: prices filtered and mapped,
/// joined with names (a derived table joined with a source table), the
/// result read by a stream join and outer-joined with filtered stock (two
/// derived tables); orders read both the catalog and the mapped prices.
fn catalog(builder: &StreamsBuilder) {
    catalog_joined_with(builder, "stock");
}

/// [`catalog`], its listing outer-joined with the odd rows of `odd_of`.
fn catalog_joined_with(builder: &StreamsBuilder, odd_of: &str) {
    let prices =
        builder.table::<String, i64>("prices", Consumed::default(), Materialized::default());
    let names =
        builder.table::<String, String>("names", Consumed::default(), Materialized::default());
    let cheap = prices.filter(|_, cents| *cents < 100);
    let labelled = cheap.map_values(|cents| format!("{cents} cents"));
    let listed = labelled.join(&names, |price, name| format!("{name}: {price}"));
    let orders = builder.stream::<String, i64>("orders", Consumed::default());
    orders
        .join(&listed, |quantity, item| format!("{quantity} x {item}"))
        .to("order-lines", Produced::default());
    orders
        .left_join(&labelled, |quantity, price| {
            format!("{quantity} at {price:?}")
        })
        .to("order-prices", Produced::default());
    let odd_source = if odd_of == "prices" {
        cheap
    } else {
        builder
            .table::<String, i64>(odd_of, Consumed::default(), Materialized::default())
            .filter(|_, cents| *cents < 100)
    };
    listed
        .outer_join(
            &odd_source.filter_not(|_, cents| *cents % 2 == 0),
            |item, odd| format!("{item:?} / odd {odd:?}"),
        )
        .to_stream()
        .to("listed-odd", Produced::default());
}

/// Updates, deletes and out-of-order timestamps on the tables, with orders
/// in between; every output topic's records as (key, value, timestamp).
fn run_catalog(topology: Topology) -> Vec<Vec<(String, Option<String>, i64)>> {
    let driver = TopologyTestDriver::new(topology).unwrap();
    let prices = driver.input_topic::<String, Option<i64>>("prices").unwrap();
    let names = driver
        .input_topic::<String, Option<String>>("names")
        .unwrap();
    let orders = driver.input_topic::<String, i64>("orders").unwrap();
    let stock = driver.input_topic::<String, Option<i64>>("stock").ok();
    let items = ["apple", "pear", "plum", "fig"];
    for item in items {
        names.pipe(item, Some(item.to_string()), 50).unwrap();
    }
    for round in 0..12_i64 {
        let item = items[(round % 4) as usize];
        let price = (round * 37) % 150;
        prices
            .pipe(item, (round % 5 != 4).then_some(price), 100 + round * 10)
            .unwrap();
        if let Some(stock) = &stock {
            stock
                .pipe(
                    items[(round % 3) as usize],
                    (round % 4 != 3).then_some(price + 1),
                    98 + round * 10,
                )
                .unwrap();
        }
        if round % 3 == 0 {
            names
                .pipe(
                    item,
                    (round != 6).then(|| item.to_uppercase()),
                    90 + round * 10,
                )
                .unwrap();
        }
        for (i, item) in items.iter().enumerate() {
            // Some orders are older than the rows they find.
            orders
                .pipe(*item, round + i as i64, 95 + round * 10)
                .unwrap();
        }
    }
    ["order-lines", "order-prices", "listed-odd"]
        .iter()
        .map(|topic| {
            driver
                .output_topic::<String, Option<String>>(topic)
                .unwrap()
                .read_all()
                .unwrap()
                .into_iter()
                .map(|record| (record.key, record.value, record.timestamp))
                .collect()
        })
        .collect()
}

#[test]
fn joins_read_derived_tables_through_their_parents_stores() {
    let plain = build(catalog, TopologyOptimization::none());
    let optimized = build(catalog, TopologyOptimization::all());
    assert_eq!(materializing_stores(&plain), 5, "{}", plain.describe());
    assert_eq!(
        materializing_stores(&optimized),
        0,
        "{}",
        optimized.describe()
    );
    // Only the three source tables keep stores, and their source topics are
    // their changelogs.
    assert_eq!(changelog_topics(&plain), 8);
    assert_eq!(changelog_topics(&optimized), 0);
    for table in ["prices", "names", "stock"] {
        let store = format!("{table}-STATE-STORE-");
        let reused = optimized
            .describe()
            .to_string()
            .lines()
            .filter_map(|line| line.split("stores: [").nth(1))
            .filter_map(|stores| stores.split(']').next())
            .flat_map(|stores| stores.split(", "))
            .find(|name| name.starts_with(&store))
            .map(|name| optimized.source_changelog(name));
        assert_eq!(reused, Some(Some(table)), "{table}");
    }
    let expected = run_catalog(plain);
    assert!(
        expected.iter().all(|records| records.len() >= 5),
        "{expected:?}"
    );
    assert_eq!(run_catalog(optimized), expected);
}

#[test]
fn merging_repartitions_alone_keeps_materializing_derived_tables() {
    let merge_only: TopologyOptimization = "merge.repartition.topics".parse().unwrap();
    let topology = build(catalog, merge_only);
    assert_eq!(materializing_stores(&topology), 5);
}

#[test]
fn a_join_of_two_tables_derived_from_one_source_sees_both_sides_current_rows() {
    // Both sides of the outer join come from the prices table. Materialized,
    // the second side's copy is updated only after the first side's update
    // has been joined, so the first result pairs the new left row with the
    // old right one; read through value getters (as Kafka Streams reads
    // derived tables) both sides show the price just written.
    let outputs = |optimization| {
        let builder = StreamsBuilder::new();
        catalog_joined_with(&builder, "prices");
        run_catalog(builder.build_optimized(optimization).unwrap())
    };
    let pear_at_110 = |records: &[(String, Option<String>, i64)]| {
        records
            .iter()
            .find(|(key, _, timestamp)| key == "pear" && *timestamp == 110)
            .and_then(|(_, value, _)| value.clone())
    };
    assert_eq!(
        pear_at_110(&outputs(TopologyOptimization::none())[2]).as_deref(),
        Some("Some(\"pear: 37 cents\") / odd None")
    );
    assert_eq!(
        pear_at_110(&outputs(TopologyOptimization::all())[2]).as_deref(),
        Some("Some(\"pear: 37 cents\") / odd Some(37)")
    );
}

#[test]
fn a_table_derived_from_a_versioned_one_is_joined_by_its_latest_row_in_both_modes() {
    // Kafka Streams reads only a versioned store as of a time: a filtered
    // versioned table is not versioned, materialized or read by getter.
    let late_order_price = |optimization| {
        let builder = StreamsBuilder::new();
        let prices = builder.table::<String, String>(
            "prices",
            Consumed::default(),
            Materialized::as_versioned("prices", std::time::Duration::from_secs(3600)),
        );
        let direct = prices.clone();
        let derived = prices.filter(|_, price| !price.is_empty());
        let orders = builder.stream::<String, String>("orders", Consumed::default());
        orders
            .join(&direct, |order, price| format!("{order}@{price}"))
            .to("direct", Produced::default());
        orders
            .join(&derived, |order, price| format!("{order}@{price}"))
            .to("derived", Produced::default());
        let driver =
            TopologyTestDriver::new(builder.build_optimized(optimization).unwrap()).unwrap();
        let prices = driver
            .input_topic::<String, Option<String>>("prices")
            .unwrap();
        prices.pipe("apple", Some("A".into()), 10).unwrap();
        prices.pipe("apple", Some("B".into()), 20).unwrap();
        driver
            .input_topic::<String, String>("orders")
            .unwrap()
            .pipe("apple", "late".to_string(), 15)
            .unwrap();
        ["direct", "derived"].map(|topic| {
            driver
                .output_topic::<String, String>(topic)
                .unwrap()
                .read_value()
                .unwrap()
        })
    };
    for optimization in [TopologyOptimization::none(), TopologyOptimization::all()] {
        assert_eq!(
            late_order_price(optimization),
            ["late@A", "late@B"],
            "{optimization}"
        );
    }
}
