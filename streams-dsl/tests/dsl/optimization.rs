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
    let refused = config("reuse.ktable.source.topics")
        .unwrap_err()
        .to_string();
    assert!(refused.contains("topology.optimization"), "{refused}");
    assert!(refused.contains("not implemented"), "{refused}");
}
