//! `cogroup` (KIP-150) in the TopologyTestDriver: grouped streams of different
//! value types folded into one aggregate in one store, with caching off and on,
//! re-keyed inputs and their repartition topics, co-partitioning, time, sliding
//! and session windows, emit on window close, and table operators downstream
//! (old values reaching a subtractor).

use std::collections::HashMap;
use std::time::Duration;
use streams_dsl::prelude::*;

const APP: &str = "cogroup-app";

/// A customer's profile out of clicks (page names) and purchases (cents).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct Profile {
    clicks: i64,
    spent: i64,
    last_page: String,
}

fn profile(clicks: i64, spent: i64, last_page: &str) -> Profile {
    Profile {
        clicks,
        spent,
        last_page: last_page.to_string(),
    }
}

fn config(commit_after_each_record: bool) -> TestDriverConfig {
    TestDriverConfig {
        application_id: APP.into(),
        commit_after_each_record,
        ..TestDriverConfig::default()
    }
}

fn driver_with(builder: StreamsBuilder, config: TestDriverConfig) -> TopologyTestDriver {
    TopologyTestDriver::with_config(builder.build().expect("topology builds"), config)
        .expect("driver starts")
}

fn caching(materialized: Materialized<String, Profile>, on: bool) -> Materialized<String, Profile> {
    if on {
        materialized
    } else {
        materialized.with_caching_disabled()
    }
}

/// Clicks and purchases keyed by customer, cogrouped into profiles written to
/// `profiles`.
fn profiles(materialized: Materialized<String, Profile>) -> StreamsBuilder {
    let builder = StreamsBuilder::new();
    builder.register_serde(JsonSerde::<Profile>::new());
    let clicks = builder
        .stream::<String, String>("clicks", Consumed::default())
        .group_by_key();
    let purchases = builder
        .stream::<String, i64>("purchases", Consumed::default())
        .group_by_key();
    clicks
        .cogroup(|_customer, page: String, profile: Profile| Profile {
            clicks: profile.clicks + 1,
            last_page: page,
            ..profile
        })
        .cogroup(&purchases, |_customer, cents, profile: Profile| Profile {
            spent: profile.spent + cents,
            ..profile
        })
        .aggregate(Profile::default, materialized)
        .to("profiles", Produced::default());
    builder
}

fn read_profiles(driver: &TopologyTestDriver) -> Vec<(String, Option<Profile>, i64)> {
    driver
        .output_topic::<String, Option<Profile>>("profiles")
        .unwrap()
        .read_all()
        .unwrap()
        .into_iter()
        .map(|r| (r.key, r.value, r.timestamp))
        .collect()
}

#[test]
fn two_inputs_of_different_types_update_one_profile_per_record_without_caching() {
    let builder = profiles(caching(Materialized::named("customer-profiles"), false));
    let topology = builder.build().unwrap();
    let description = topology.describe();
    assert_eq!(
        description.subtopologies.len(),
        1,
        "one store, so both inputs run in one sub-topology: {description}"
    );
    let driver = TopologyTestDriver::with_config(topology, config(true)).unwrap();
    let clicks = driver.input_topic::<String, String>("clicks").unwrap();
    let purchases = driver.input_topic::<String, i64>("purchases").unwrap();
    clicks.pipe("ann", "/home", 10).unwrap();
    purchases.pipe("ann", 1_250_i64, 20).unwrap();
    clicks.pipe("bob", "/shoes", 30).unwrap();
    clicks.pipe("ann", "/cart", 40).unwrap();
    purchases.pipe("bob", 999_i64, 50).unwrap();
    // An out-of-order purchase keeps the aggregate's later timestamp.
    purchases.pipe("ann", 50_i64, 5).unwrap();
    assert_eq!(
        read_profiles(&driver),
        [
            ("ann".to_string(), Some(profile(1, 0, "/home")), 10),
            ("ann".to_string(), Some(profile(1, 1_250, "/home")), 20),
            ("bob".to_string(), Some(profile(1, 0, "/shoes")), 30),
            ("ann".to_string(), Some(profile(2, 1_250, "/cart")), 40),
            ("bob".to_string(), Some(profile(1, 999, "/shoes")), 50),
            ("ann".to_string(), Some(profile(2, 1_300, "/cart")), 40),
        ]
    );
    let mut stored = driver
        .key_value_store_entries::<String, Profile>("customer-profiles")
        .unwrap();
    stored.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        stored
            .into_iter()
            .map(|(k, v)| (k, v.value, v.timestamp))
            .collect::<Vec<_>>(),
        [
            ("ann".to_string(), profile(2, 1_300, "/cart"), 40),
            ("bob".to_string(), profile(1, 999, "/shoes"), 50),
        ]
    );
    let changelog = driver
        .output_topic::<String, Vec<u8>>(&format!("{APP}-customer-profiles-changelog"))
        .unwrap();
    assert_eq!(changelog.len(), 6, "one store, one write per record");
}

#[test]
fn three_inputs_of_different_types_fold_into_one_string() {
    let builder = StreamsBuilder::new();
    let clicks = builder
        .stream::<String, String>("clicks", Consumed::default())
        .group_by_key();
    let purchases = builder
        .stream::<String, i64>("purchases", Consumed::default())
        .group_by_key();
    let ratings = builder
        .stream::<String, i32>("ratings", Consumed::default())
        .group_by_key();
    clicks
        .cogroup(|_, page: String, log: String| format!("{log}c:{page};"))
        .cogroup(&purchases, |_, cents, log| format!("{log}p:{cents};"))
        .cogroup(&ratings, |customer, stars, log| {
            format!("{log}r:{customer}={stars};")
        })
        .aggregate(
            String::new,
            Materialized::named("activity-log").with_caching_disabled(),
        )
        .to("activity", Produced::default());
    let driver = driver_with(builder, config(true));
    let clicks = driver.input_topic::<String, String>("clicks").unwrap();
    let purchases = driver.input_topic::<String, i64>("purchases").unwrap();
    let ratings = driver.input_topic::<String, i32>("ratings").unwrap();
    ratings.pipe("ann", 5, 1).unwrap();
    clicks.pipe("ann", "home", 2).unwrap();
    purchases.pipe("bob", 300_i64, 3).unwrap();
    ratings.pipe("bob", 2, 4).unwrap();
    purchases.pipe("ann", 700_i64, 5).unwrap();
    let out = driver
        .output_topic::<String, Option<String>>("activity")
        .unwrap()
        .read_key_values()
        .unwrap();
    let expected: Vec<(String, Option<String>)> = [
        ("ann", "r:ann=5;"),
        ("ann", "r:ann=5;c:home;"),
        ("bob", "p:300;"),
        ("bob", "p:300;r:bob=2;"),
        ("ann", "r:ann=5;c:home;p:700;"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Some(v.to_string())))
    .collect();
    assert_eq!(out, expected);
}

#[test]
fn with_caching_each_commit_forwards_each_key_once_with_its_final_profile() {
    let driver = driver_with(
        profiles(caching(Materialized::named("cached-profiles"), true)),
        config(false),
    );
    let clicks = driver.input_topic::<String, String>("clicks").unwrap();
    let purchases = driver.input_topic::<String, i64>("purchases").unwrap();
    clicks.pipe("ann", "/home", 1).unwrap();
    purchases.pipe("bob", 100_i64, 2).unwrap();
    purchases.pipe("ann", 200_i64, 3).unwrap();
    clicks.pipe("ann", "/cart", 4).unwrap();
    clicks.pipe("bob", "/shoes", 5).unwrap();
    assert!(
        read_profiles(&driver).is_empty(),
        "the cache forwards nothing before the commit"
    );
    driver.commit().unwrap();
    let mut first = read_profiles(&driver);
    first.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        first,
        [
            ("ann".to_string(), Some(profile(2, 200, "/cart")), 4),
            ("bob".to_string(), Some(profile(1, 100, "/shoes")), 5),
        ]
    );
    purchases.pipe("ann", 50_i64, 6).unwrap();
    clicks.pipe("ann", "/checkout", 7).unwrap();
    driver.commit().unwrap();
    assert_eq!(
        read_profiles(&driver),
        [("ann".to_string(), Some(profile(3, 250, "/checkout")), 7)]
    );
    let changelog = driver
        .output_topic::<String, Vec<u8>>(&format!("{APP}-cached-profiles-changelog"))
        .unwrap();
    assert_eq!(
        changelog.len(),
        3,
        "the cache writes each key down once per commit"
    );
}

/// Purchases keyed by order id, carrying `customer:cents`.
fn customer_of(order: &str) -> (String, i64) {
    let (customer, cents) = order.split_once(':').unwrap_or((order, "0"));
    (customer.to_string(), cents.parse().unwrap_or(0))
}

#[test]
fn an_input_re_keyed_with_group_by_repartitions_through_the_store_topic() {
    let builder = StreamsBuilder::new();
    let clicks = builder
        .stream::<String, String>("clicks", Consumed::default())
        .group_by_key();
    let orders = builder
        .stream::<String, String>("orders", Consumed::default())
        .group_by(|_order_id, order| customer_of(order).0);
    clicks
        .cogroup(|_, _page, (clicks, cents): (i64, i64)| (clicks + 1, cents))
        .cogroup(&orders, |_, order, (clicks, cents)| {
            (clicks, cents + customer_of(&order).1)
        })
        .aggregate(
            || (0, 0),
            Materialized::named("spend")
                .value_serde(JsonSerde::<(i64, i64)>::new())
                .with_caching_disabled(),
        )
        .map_values(|(clicks, cents)| format!("{clicks} clicks, {cents} cents"))
        .to("spend-out", Produced::default());
    let topology = builder.build().unwrap();
    assert_eq!(
        topology.internal_topics(APP),
        [format!("{APP}-spend-repartition")],
        "the re-keyed input repartitions through <store>-repartition, as a grouped aggregation does"
    );
    let driver = TopologyTestDriver::with_config(topology, config(true)).unwrap();
    let clicks = driver.input_topic::<String, String>("clicks").unwrap();
    let orders = driver.input_topic::<String, String>("orders").unwrap();
    clicks.pipe("ann", "/home", 1).unwrap();
    orders.pipe("order-1", "ann:500", 2).unwrap();
    orders.pipe("order-2", "bob:70", 3).unwrap();
    orders.pipe("order-3", "ann:25", 4).unwrap();
    assert_eq!(
        driver
            .output_topic::<String, Option<String>>("spend-out")
            .unwrap()
            .read_key_values()
            .unwrap(),
        [
            ("ann".to_string(), Some("1 clicks, 0 cents".to_string())),
            ("ann".to_string(), Some("1 clicks, 500 cents".to_string())),
            ("bob".to_string(), Some("0 clicks, 70 cents".to_string())),
            ("ann".to_string(), Some("1 clicks, 525 cents".to_string())),
        ]
    );
}

#[test]
fn several_re_keyed_inputs_get_one_repartition_topic_each() {
    let builder = StreamsBuilder::new();
    let by_customer = |topic: &str| {
        builder
            .stream::<String, String>(topic, Consumed::default())
            .group_by(|_id, order| customer_of(order).0)
    };
    let orders = by_customer("orders");
    let refunds = by_customer("refunds");
    let named = builder
        .stream::<String, String>("fees", Consumed::default())
        .group_by_with(
            |_id, fee| customer_of(fee).0,
            Grouped::as_("fees-by-customer"),
        );
    orders
        .cogroup(|_, order: String, cents: i64| cents + customer_of(&order).1)
        .cogroup(&refunds, |_, refund, cents| cents - customer_of(&refund).1)
        .cogroup(&named, |_, fee, cents| cents - customer_of(&fee).1)
        .aggregate_named(
            || 0,
            "balance",
            Materialized::named("balances").with_caching_disabled(),
        )
        .to("balances-out", Produced::default());
    let topology = builder.build().unwrap();
    let mut topics = topology.internal_topics(APP);
    topics.sort();
    assert_eq!(
        topics,
        [
            format!("{APP}-balances-cogroup-0-repartition"),
            format!("{APP}-balances-cogroup-1-repartition"),
            format!("{APP}-fees-by-customer-repartition"),
        ]
    );
    let description = topology.describe().to_string();
    for node in [
        "balance-cogroup-input-0",
        "balance-cogroup-input-2",
        "balance-cogroup-merge",
        "balance-cogroup-agg",
    ] {
        assert!(description.contains(node), "{node} in {description}");
    }
    let driver = TopologyTestDriver::with_config(topology, config(true)).unwrap();
    let orders = driver.input_topic::<String, String>("orders").unwrap();
    let refunds = driver.input_topic::<String, String>("refunds").unwrap();
    let fees = driver.input_topic::<String, String>("fees").unwrap();
    orders.pipe("o1", "ann:100", 1).unwrap();
    fees.pipe("f1", "ann:5", 2).unwrap();
    refunds.pipe("r1", "ann:30", 3).unwrap();
    let balances: Vec<Option<i64>> = driver
        .output_topic::<String, Option<i64>>("balances-out")
        .unwrap()
        .read_key_values()
        .unwrap()
        .into_iter()
        .map(|(_, balance)| balance)
        .collect();
    assert_eq!(balances, [Some(100), Some(95), Some(65)]);
}

#[test]
fn inputs_with_different_partition_counts_fail_at_startup() {
    let builder = profiles(Materialized::named("profiles-store"));
    let topology = builder.build().unwrap();
    let counts = |clicks: i32, purchases: i32| -> HashMap<String, i32> {
        HashMap::from([
            ("clicks".to_string(), clicks),
            ("purchases".to_string(), purchases),
            ("profiles".to_string(), 1),
        ])
    };
    let plan = streams_core::runtime::TopicPlan::new(&topology, APP, &counts(4, 4)).unwrap();
    assert_eq!(plan.subtopologies.len(), 1);
    assert_eq!(plan.subtopologies[0].partitions, 4);
    let error = streams_core::runtime::TopicPlan::new(&topology, APP, &counts(4, 2)).unwrap_err();
    assert!(
        matches!(error, RuntimeError::CoPartitioning { .. }),
        "{error}"
    );
}

/// Clicks count 1 and purchases their cents into a windowed total per customer.
fn windowed_totals<T>(
    windowed: impl FnOnce(CogroupedKStream<String, i64>) -> T,
    out: impl FnOnce(T),
) -> StreamsBuilder {
    let builder = StreamsBuilder::new();
    let clicks = builder
        .stream::<String, String>("clicks", Consumed::default())
        .group_by_key();
    let purchases = builder
        .stream::<String, i64>("purchases", Consumed::default())
        .group_by_key();
    let cogrouped = clicks
        .cogroup(|_, _page: String, total: i64| total + 1)
        .cogroup(&purchases, |_, cents, total| total + cents);
    out(windowed(cogrouped));
    builder
}

/// Window start and end, and the aggregate, of each record of `topic`.
fn read_windowed(driver: &TopologyTestDriver, topic: &str) -> Vec<(String, i64, i64, Option<i64>)> {
    driver
        .output_topic::<Windowed<String>, Option<i64>>(topic)
        .unwrap()
        .read_all()
        .unwrap()
        .into_iter()
        .map(|r| (r.key.key, r.key.window.start, r.key.window.end, r.value))
        .collect()
}

fn time_windowed(windows: TimeWindows, emit: EmitStrategy) -> TopologyTestDriver {
    let builder = windowed_totals(
        |cogrouped| {
            cogrouped
                .windowed_by(windows)
                .emit_strategy(emit)
                .aggregate(
                    || 0,
                    Materialized::named("windowed-totals").with_caching_disabled(),
                )
        },
        |table| table.to_stream().to("totals", Produced::default()),
    );
    driver_with(builder, config(true))
}

fn k(start: i64, end: i64, total: i64) -> (String, i64, i64, Option<i64>) {
    ("ann".to_string(), start, end, Some(total))
}

#[test]
fn tumbling_windows_take_every_input_and_drop_a_late_record_after_grace() {
    let driver = time_windowed(
        TimeWindows::of_size_and_grace(Duration::from_millis(100), Duration::from_millis(20)),
        EmitStrategy::on_window_update(),
    );
    let clicks = driver.input_topic::<String, String>("clicks").unwrap();
    let purchases = driver.input_topic::<String, i64>("purchases").unwrap();
    clicks.pipe("ann", "/home", 10).unwrap();
    purchases.pipe("ann", 500_i64, 50).unwrap();
    clicks.pipe("ann", "/cart", 110).unwrap();
    // Stream time 110: window [0, 100) is open until 120, so this one counts.
    purchases.pipe("ann", 40_i64, 90).unwrap();
    purchases.pipe("ann", 7_i64, 120).unwrap();
    // Stream time 120 closed [0, 100): this purchase is dropped.
    purchases.pipe("ann", 1_000_i64, 95).unwrap();
    assert_eq!(
        read_windowed(&driver, "totals"),
        [
            k(0, 100, 1),
            k(0, 100, 501),
            k(100, 200, 1),
            k(0, 100, 541),
            k(100, 200, 8),
        ]
    );
    assert_eq!(driver.metrics().dropped_records, 1);
}

#[test]
fn hopping_windows_update_every_window_a_record_of_any_input_falls_in() {
    let driver = time_windowed(
        TimeWindows::of_size_with_no_grace(Duration::from_millis(100))
            .advance_by(Duration::from_millis(50)),
        EmitStrategy::on_window_update(),
    );
    let clicks = driver.input_topic::<String, String>("clicks").unwrap();
    let purchases = driver.input_topic::<String, i64>("purchases").unwrap();
    clicks.pipe("ann", "/home", 60).unwrap();
    purchases.pipe("ann", 300_i64, 120).unwrap();
    assert_eq!(
        read_windowed(&driver, "totals"),
        [
            k(0, 100, 1),
            k(50, 150, 1),
            k(50, 150, 301),
            k(100, 200, 300),
        ]
    );
}

#[test]
fn emitting_on_window_close_forwards_one_final_total_per_window() {
    let driver = time_windowed(
        TimeWindows::of_size_and_grace(Duration::from_millis(100), Duration::from_millis(10)),
        EmitStrategy::on_window_close(),
    );
    let clicks = driver.input_topic::<String, String>("clicks").unwrap();
    let purchases = driver.input_topic::<String, i64>("purchases").unwrap();
    clicks.pipe("ann", "/home", 10).unwrap();
    purchases.pipe("ann", 500_i64, 50).unwrap();
    clicks.pipe("ann", "/cart", 105).unwrap();
    purchases.pipe("ann", 20_i64, 99).unwrap();
    assert!(
        read_windowed(&driver, "totals").is_empty(),
        "no window closed yet"
    );
    // Stream time 110 closes [0, 100).
    purchases.pipe("ann", 3_i64, 110).unwrap();
    assert_eq!(read_windowed(&driver, "totals"), [k(0, 100, 521)]);
    clicks.pipe("ann", "/checkout", 150).unwrap();
    assert!(read_windowed(&driver, "totals").is_empty());
    // Stream time 210 closes [100, 200).
    clicks.pipe("ann", "/home", 210).unwrap();
    assert_eq!(read_windowed(&driver, "totals"), [k(100, 200, 5)]);
}

#[test]
fn sliding_windows_aggregate_records_of_every_input() {
    let builder = windowed_totals(
        |cogrouped| {
            cogrouped
                .windowed_by(SlidingWindows::of_time_difference_with_no_grace(
                    Duration::from_millis(10),
                ))
                .aggregate(
                    || 0,
                    Materialized::named("sliding-totals").with_caching_disabled(),
                )
        },
        |table| table.to_stream().to("totals", Produced::default()),
    );
    let driver = driver_with(builder, config(true));
    let clicks = driver.input_topic::<String, String>("clicks").unwrap();
    let purchases = driver.input_topic::<String, i64>("purchases").unwrap();
    clicks.pipe("ann", "/home", 10).unwrap();
    purchases.pipe("ann", 500_i64, 15).unwrap();
    clicks.pipe("ann", "/cart", 30).unwrap();
    assert_eq!(
        read_windowed(&driver, "totals"),
        [k(0, 10, 1), k(11, 21, 500), k(5, 15, 501), k(20, 30, 1),]
    );
}

#[test]
fn sliding_windows_emitting_on_window_close_forward_each_window_once() {
    let builder = windowed_totals(
        |cogrouped| {
            cogrouped
                .windowed_by(SlidingWindows::of_time_difference_with_no_grace(
                    Duration::from_millis(10),
                ))
                .emit_strategy(EmitStrategy::on_window_close())
                .aggregate(
                    || 0,
                    Materialized::named("final-sliding-totals").with_caching_disabled(),
                )
        },
        |table| table.to_stream().to("totals", Produced::default()),
    );
    let driver = driver_with(builder, config(true));
    let clicks = driver.input_topic::<String, String>("clicks").unwrap();
    let purchases = driver.input_topic::<String, i64>("purchases").unwrap();
    clicks.pipe("ann", "/home", 10).unwrap();
    assert!(
        read_windowed(&driver, "totals").is_empty(),
        "no window closed yet"
    );
    // Stream time 15 closes [0, 10] (no grace); [5, 15] and [11, 21] are open.
    purchases.pipe("ann", 500_i64, 15).unwrap();
    assert_eq!(read_windowed(&driver, "totals"), [k(0, 10, 1)]);
    clicks.pipe("ann", "/cart", 100).unwrap();
    assert_eq!(
        read_windowed(&driver, "totals"),
        [k(5, 15, 501), k(11, 21, 500)],
        "by window end, each once"
    );
    purchases.pipe("ann", 1_i64, 100).unwrap();
    assert!(read_windowed(&driver, "totals").is_empty());
}

#[test]
fn a_record_of_one_input_merges_sessions_started_by_the_others() {
    let builder = StreamsBuilder::new();
    let clicks = builder
        .stream::<String, String>("clicks", Consumed::default())
        .group_by_key();
    let purchases = builder
        .stream::<String, i64>("purchases", Consumed::default())
        .group_by_key();
    clicks
        .cogroup(|_, page: String, log: String| format!("{log}c:{page};"))
        .cogroup(&purchases, |_, cents, log| format!("{log}p:{cents};"))
        // Grace keeps the first session open (and in the store) at stream time 30.
        .windowed_by(SessionWindows::of_inactivity_gap_and_grace(
            Duration::from_millis(20),
            Duration::from_millis(50),
        ))
        .aggregate(
            String::new,
            |_, a, b| format!("{a}{b}"),
            Materialized::named("sessions").with_caching_disabled(),
        )
        .to_stream()
        .to("sessions-out", Produced::default());
    let driver = driver_with(builder, config(true));
    let clicks = driver.input_topic::<String, String>("clicks").unwrap();
    let purchases = driver.input_topic::<String, i64>("purchases").unwrap();
    clicks.pipe("ann", "home", 0).unwrap();
    purchases.pipe("ann", 500_i64, 30).unwrap();
    // 15 is within the gap of both sessions: one session [0, 30] out of both.
    clicks.pipe("ann", "cart", 15).unwrap();
    let out: Vec<_> = driver
        .output_topic::<Windowed<String>, Option<String>>("sessions-out")
        .unwrap()
        .read_all()
        .unwrap()
        .into_iter()
        .map(|r| (r.key.window.start, r.key.window.end, r.value, r.timestamp))
        .collect();
    assert_eq!(
        out,
        [
            (0, 0, Some("c:home;".to_string()), 0),
            (30, 30, Some("p:500;".to_string()), 30),
            (0, 0, None, 0),
            (30, 30, None, 30),
            (0, 30, Some("c:home;p:500;c:cart;".to_string()), 30),
        ]
    );
}

#[test]
fn table_operators_downstream_see_cogrouped_updates_and_old_values() {
    // Spend per customer out of purchases and refunds, cached; a filter
    // downstream, and a re-grouping whose subtractor needs the old spend of
    // each customer (or the total keeps every spend ever flushed).
    let builder = StreamsBuilder::new();
    let purchases = builder
        .stream::<String, i64>("purchases", Consumed::default())
        .group_by_key();
    let refunds = builder
        .stream::<String, i32>("refunds", Consumed::default())
        .group_by_key();
    let spend = purchases
        .cogroup(|_, cents, spend: i64| spend + cents)
        .cogroup(&refunds, |_, cents, spend| spend - i64::from(cents))
        .aggregate(|| 0, Materialized::named("spend-per-customer"));
    spend
        .filter(|_, spend| *spend >= 100)
        .to_stream()
        .to("big-spenders", Produced::default());
    spend
        .group_by(|_customer, spend| ("all".to_string(), spend))
        .reduce(
            |a, b| a + b,
            |a, b| a - b,
            Materialized::named("total-spend").with_caching_disabled(),
        )
        .to("total", Produced::default());
    let driver = driver_with(builder, config(false));
    let purchases = driver.input_topic::<String, i64>("purchases").unwrap();
    let refunds = driver.input_topic::<String, i32>("refunds").unwrap();
    let total = driver.output_topic::<String, Option<i64>>("total").unwrap();
    let big = driver
        .output_topic::<String, Option<i64>>("big-spenders")
        .unwrap();
    let values = |topic: &TestOutputTopic<String, Option<i64>>| -> Vec<(String, Option<i64>)> {
        topic.read_key_values().unwrap()
    };
    let all = |totals: &[i64]| -> Vec<(String, Option<i64>)> {
        totals
            .iter()
            .map(|t| ("all".to_string(), Some(*t)))
            .collect()
    };
    purchases.pipe("ann", 80_i64, 1).unwrap();
    purchases.pipe("bob", 150_i64, 2).unwrap();
    driver.commit().unwrap();
    assert_eq!(values(&total), all(&[80, 230]));
    assert_eq!(values(&big), [("bob".to_string(), Some(150))]);
    purchases.pipe("ann", 40_i64, 3).unwrap();
    refunds.pipe("bob", 100, 4).unwrap();
    driver.commit().unwrap();
    // Each update subtracts the customer's old spend, then adds the new one.
    assert_eq!(values(&total), all(&[150, 270, 120, 170]));
    assert_eq!(
        values(&big),
        [("ann".to_string(), Some(120)), ("bob".to_string(), None)],
        "bob stopped matching: deleted downstream"
    );
    refunds.pipe("ann", 5, 5).unwrap();
    driver.commit().unwrap();
    assert_eq!(values(&total), all(&[50, 165]));
    assert_eq!(values(&big), [("ann".to_string(), Some(115))]);
}
