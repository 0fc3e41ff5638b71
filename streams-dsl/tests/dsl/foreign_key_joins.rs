//! Foreign-key table-table joins (KIP-213): orders (`order id -> "product/qty"`)
//! joined with products (`product id -> name`) on the product id, with exact
//! outputs for updates and deletes on both sides, foreign-key changes, many
//! subscribers of one right row, null foreign keys, stale responses, the
//! internal topics and caching of the result.

use streams_dsl::prelude::*;

const APP: &str = "test-driver-app";

/// The product id of an order value `"product/qty"`; `"/qty"` has none.
fn product_of(order: &str) -> Option<String> {
    order
        .split_once('/')
        .map(|(product, _)| product.to_string())
        .filter(|product| !product.is_empty())
}

fn show(value: Option<String>) -> String {
    value.unwrap_or_else(|| "null".into())
}

/// Orders and products as tables without caching, so each update reaches the
/// join at once.
fn tables(builder: &StreamsBuilder) -> (KTable<String, String>, KTable<String, String>) {
    let orders = builder.table::<String, String>(
        "orders",
        Consumed::default(),
        Materialized::named("orders").with_caching_disabled(),
    );
    let products = builder.table::<String, String>(
        "products",
        Consumed::default(),
        Materialized::named("products").with_caching_disabled(),
    );
    (orders, products)
}

/// An inner (or left) foreign-key join of orders with products into the
/// store `joined` (caching as given), written to `out`.
fn join_topology(left_join: bool, caching: bool) -> Topology {
    let builder = StreamsBuilder::new();
    let (orders, products) = tables(&builder);
    let mut materialized = Materialized::<String, String>::named("joined");
    if !caching {
        materialized = materialized.with_caching_disabled();
    }
    let joined = if left_join {
        orders.left_join_foreign_key_with(
            &products,
            |order: &String| product_of(order),
            |order, product| format!("{order}+{}", show(product)),
            materialized,
        )
    } else {
        orders.join_foreign_key_with(
            &products,
            |order: &String| product_of(order),
            |order, product| format!("{order}+{product}"),
            materialized,
        )
    };
    joined.to("out", Produced::default());
    builder.build().unwrap()
}

struct Harness {
    driver: TopologyTestDriver,
}

impl Harness {
    fn new(topology: Topology) -> Self {
        Self::with_config(topology, TestDriverConfig::default())
    }

    fn with_config(topology: Topology, config: TestDriverConfig) -> Self {
        Self {
            driver: TopologyTestDriver::with_config(topology, config).unwrap(),
        }
    }

    fn order(&self, id: &str, value: Option<&str>, timestamp: i64) {
        self.pipe("orders", id, value, timestamp);
    }

    fn product(&self, id: &str, value: Option<&str>, timestamp: i64) {
        self.pipe("products", id, value, timestamp);
    }

    fn pipe(&self, topic: &str, key: &str, value: Option<&str>, timestamp: i64) {
        self.driver
            .input_topic::<String, Option<String>>(topic)
            .unwrap()
            .pipe(key.to_string(), value.map(str::to_string), timestamp)
            .unwrap();
    }

    /// What the join wrote since the last call: key, value, timestamp.
    fn output(&self) -> Vec<(String, Option<String>, i64)> {
        self.driver
            .output_topic::<String, Option<String>>("out")
            .unwrap()
            .read_all()
            .unwrap()
            .into_iter()
            .map(|record| (record.key, record.value, record.timestamp))
            .collect()
    }

    fn joined_rows(&self) -> Vec<(String, String)> {
        self.driver
            .key_value_store_entries::<String, String>("joined")
            .unwrap()
            .into_iter()
            .map(|(key, value)| (key, value.value))
            .collect()
    }
}

fn row(key: &str, value: &str, timestamp: i64) -> (String, Option<String>, i64) {
    (key.to_string(), Some(value.to_string()), timestamp)
}

fn delete(key: &str, timestamp: i64) -> (String, Option<String>, i64) {
    (key.to_string(), None, timestamp)
}

#[test]
fn fk_inner_join_follows_updates_and_deletes_on_both_sides() {
    let h = Harness::new(join_topology(false, false));
    h.product("p1", Some("lamp"), 1);
    assert_eq!(h.output(), []);
    h.order("o1", Some("p1/1"), 2);
    assert_eq!(h.output(), [row("o1", "p1/1+lamp", 2)]);
    h.product("p1", Some("desk lamp"), 3);
    assert_eq!(h.output(), [row("o1", "p1/1+desk lamp", 3)]);
    // Same foreign key, new quantity.
    h.order("o1", Some("p1/2"), 4);
    assert_eq!(h.output(), [row("o1", "p1/2+desk lamp", 4)]);
    // No product p2 yet: nothing; then it arrives. The result has the later
    // of the two rows' timestamps.
    h.order("o2", Some("p2/1"), 6);
    assert_eq!(h.output(), []);
    h.product("p2", Some("chair"), 5);
    assert_eq!(h.output(), [row("o2", "p2/1+chair", 5)]);
    h.order("o2", Some("p2/3"), 7);
    assert_eq!(h.output(), [row("o2", "p2/3+chair", 7)]);
    // A right-side delete deletes the joined row.
    h.product("p1", None, 8);
    assert_eq!(h.output(), [delete("o1", 8)]);
    // A left-side delete deletes the joined row.
    h.order("o2", None, 9);
    assert_eq!(h.output(), [delete("o2", 9)]);
    // o1 has no joined row left: deleting it forwards nothing (the result
    // store holds no row to delete).
    h.order("o1", None, 10);
    assert_eq!(h.output(), []);
    assert_eq!(h.joined_rows(), []);
    // Nothing subscribes any more.
    h.product("p2", Some("armchair"), 11);
    assert_eq!(h.output(), []);
}

#[test]
fn fk_a_changed_foreign_key_leaves_the_old_right_row_for_the_new_one() {
    let h = Harness::new(join_topology(false, false));
    h.product("p1", Some("lamp"), 1);
    h.product("p2", Some("chair"), 2);
    h.order("o1", Some("p1/1"), 3);
    assert_eq!(h.output(), [row("o1", "p1/1+lamp", 3)]);
    h.order("o1", Some("p2/1"), 4);
    assert_eq!(h.output(), [row("o1", "p2/1+chair", 4)]);
    // The old right row's updates no longer reach the order; the new one's do.
    h.product("p1", Some("desk lamp"), 5);
    assert_eq!(h.output(), []);
    h.product("p2", Some("armchair"), 6);
    assert_eq!(h.output(), [row("o1", "p2/1+armchair", 6)]);
    // A new foreign key without a right row deletes the joined row...
    h.order("o1", Some("p3/1"), 7);
    assert_eq!(h.output(), [delete("o1", 7)]);
    // ...until the right row appears.
    h.product("p3", Some("desk"), 8);
    assert_eq!(h.output(), [row("o1", "p3/1+desk", 8)]);
    h.product("p2", Some("stool"), 9);
    assert_eq!(h.output(), []);
    assert_eq!(
        h.joined_rows(),
        [("o1".to_string(), "p3/1+desk".to_string())]
    );
}

#[test]
fn fk_an_update_of_a_right_row_reaches_every_subscriber() {
    let h = Harness::new(join_topology(false, false));
    for (order, value) in [
        ("o1", "p1/1"),
        ("o2", "p1/2"),
        ("o3", "p1/3"),
        ("o4", "p2/1"),
    ] {
        h.order(order, Some(value), 1);
    }
    assert_eq!(h.output(), []);
    h.product("p1", Some("lamp"), 2);
    assert_eq!(
        h.output(),
        [
            row("o1", "p1/1+lamp", 2),
            row("o2", "p1/2+lamp", 2),
            row("o3", "p1/3+lamp", 2)
        ]
    );
    h.product("p1", Some("desk lamp"), 3);
    assert_eq!(
        h.output(),
        [
            row("o1", "p1/1+desk lamp", 3),
            row("o2", "p1/2+desk lamp", 3),
            row("o3", "p1/3+desk lamp", 3)
        ]
    );
    h.order("o2", None, 4);
    assert_eq!(h.output(), [delete("o2", 4)]);
    h.product("p1", None, 5);
    assert_eq!(h.output(), [delete("o1", 5), delete("o3", 5)]);
    h.product("p2", Some("chair"), 6);
    assert_eq!(h.output(), [row("o4", "p2/1+chair", 6)]);
}

#[test]
fn fk_a_null_foreign_key_joins_nothing_in_an_inner_join_and_deletes_a_previous_result() {
    let h = Harness::new(join_topology(false, false));
    h.product("p1", Some("lamp"), 1);
    h.order("o1", Some("/1"), 2);
    assert_eq!(h.output(), []);
    assert_eq!(h.driver.metrics().dropped_records, 1);
    h.order("o1", Some("p1/1"), 3);
    assert_eq!(h.output(), [row("o1", "p1/1+lamp", 3)]);
    h.order("o1", Some("/2"), 4);
    assert_eq!(h.output(), [delete("o1", 4)]);
    assert_eq!(h.driver.metrics().dropped_records, 2);
    h.product("p1", Some("desk lamp"), 5);
    assert_eq!(h.output(), []);
}

#[test]
fn fk_a_left_join_joins_a_missing_right_row_and_a_null_foreign_key_with_none() {
    let h = Harness::new(join_topology(true, false));
    h.order("o1", Some("p1/1"), 1);
    assert_eq!(h.output(), [row("o1", "p1/1+null", 1)]);
    h.product("p1", Some("lamp"), 2);
    assert_eq!(h.output(), [row("o1", "p1/1+lamp", 2)]);
    h.order("o1", Some("p1/2"), 3);
    assert_eq!(h.output(), [row("o1", "p1/2+lamp", 3)]);
    // A null foreign key: joined with None (through the right side, as in
    // Kafka Streams), and the old right row no longer reaches the order.
    h.order("o1", Some("/3"), 4);
    assert_eq!(h.output(), [row("o1", "/3+null", 4)]);
    h.product("p1", Some("desk lamp"), 5);
    assert_eq!(h.output(), []);
    h.order("o2", Some("/1"), 6);
    assert_eq!(h.output(), [row("o2", "/1+null", 6)]);
    assert_eq!(h.driver.metrics().dropped_records, 0);
    // Back to a foreign key with a row; a right-side delete keeps the left row.
    h.order("o1", Some("p1/4"), 7);
    assert_eq!(h.output(), [row("o1", "p1/4+desk lamp", 7)]);
    h.product("p1", None, 8);
    assert_eq!(h.output(), [row("o1", "p1/4+null", 8)]);
    // Left-side deletes delete, with or without a foreign key.
    h.order("o1", None, 9);
    assert_eq!(h.output(), [delete("o1", 9)]);
    h.order("o2", None, 10);
    assert_eq!(h.output(), [delete("o2", 10)]);
    assert_eq!(h.joined_rows(), []);
}

#[test]
fn fk_a_left_join_sends_a_null_foreign_key_as_a_null_keyed_subscription() {
    let h = Harness::new(join_topology(true, false));
    h.order("o1", Some("/1"), 1);
    let topics = h.driver.produced_topic_names();
    let registration = topics
        .iter()
        .find(|t| t.contains("SUBSCRIPTION-REGISTRATION"))
        .unwrap();
    let subscriptions = h
        .driver
        .output_topic::<Option<String>, Vec<u8>>(registration)
        .unwrap()
        .read_all()
        .unwrap();
    assert_eq!(subscriptions.len(), 1);
    let subscription = &subscriptions[0];
    assert_eq!(subscription.key, None);
    // Version 1 with a hash; instruction 2: answer with "no right row" if none.
    assert_eq!(&subscription.value[..2], &[1, 2]);
    assert_eq!(&subscription.value[18..], b"o1\0\0\0\0");
}

#[test]
fn fk_a_response_to_an_older_left_value_is_dropped() {
    // Orders from a stream whose records hold several values: the table
    // updates o1 twice before the right side answers the first subscription.
    let builder = StreamsBuilder::new();
    let orders = builder
        .stream::<String, String>("order-batches", Consumed::default())
        .flat_map_values(|batch: String| batch.split(',').map(str::to_string).collect::<Vec<_>>())
        .to_table_with(Materialized::named("orders").with_caching_disabled());
    let products = builder.table::<String, String>(
        "products",
        Consumed::default(),
        Materialized::named("products").with_caching_disabled(),
    );
    orders
        .join_foreign_key_with(
            &products,
            |order: &String| product_of(order),
            |order, product| format!("{order}+{product}"),
            Materialized::named("joined").with_caching_disabled(),
        )
        .to("out", Produced::default());
    let h = Harness::new(builder.build().unwrap());
    h.product("p1", Some("lamp"), 1);
    h.product("p2", Some("chair"), 2);
    // o1 subscribes to p1 (hash of "p1/1"), then moves to p2 (hash of
    // "p2/1"); p1's answer comes back when o1 is "p2/1" already, so it is
    // dropped: without the hash check, "p2/1+lamp" would be emitted first.
    h.pipe("order-batches", "o1", Some("p1/1,p2/1"), 3);
    assert_eq!(h.output(), [row("o1", "p2/1+chair", 3)]);
    // Twice, back to the first foreign key: only the answer to "p1/2" counts.
    h.pipe("order-batches", "o1", Some("p1/1,p2/2,p1/2"), 4);
    assert_eq!(h.output(), [row("o1", "p1/2+lamp", 4)]);
    assert_eq!(
        h.joined_rows(),
        [("o1".to_string(), "p1/2+lamp".to_string())]
    );
}

#[test]
fn fk_the_topology_lists_its_internal_topics_and_co_partitions_them() {
    let topology = join_topology(false, true);
    assert_eq!(
        topology.internal_topics(APP),
        [
            format!("{APP}-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000004-topic"),
            format!("{APP}-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000008-topic"),
        ]
    );
    // The registration topic is read with the right table (so they must
    // have the same partition count), the responses with the left table.
    let sources: Vec<Vec<String>> = topology
        .subtopologies()
        .iter()
        .map(|sub| topology.source_topics(sub.id(), APP))
        .collect();
    assert_eq!(
        sources,
        [
            vec![
                "orders".to_string(),
                format!("{APP}-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000008-topic"),
            ],
            vec![
                "products".to_string(),
                format!("{APP}-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000004-topic"),
            ],
        ]
    );
    let description = topology.describe().to_string();
    for store in [
        "KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-0000000005",
        "joined",
    ] {
        assert!(description.contains(store), "{description}");
    }
}

#[test]
fn fk_caching_on_the_result_store_forwards_the_latest_joined_row_on_commit() {
    let config = TestDriverConfig {
        commit_after_each_record: false,
        ..TestDriverConfig::default()
    };
    let cached = Harness::with_config(join_topology(false, true), config);
    cached.product("p1", Some("lamp"), 1);
    cached.order("o1", Some("p1/1"), 2);
    cached.product("p1", Some("desk lamp"), 3);
    cached.order("o1", Some("p1/2"), 4);
    assert_eq!(cached.output(), []);
    cached.driver.commit().unwrap();
    assert_eq!(cached.output(), [row("o1", "p1/2+desk lamp", 4)]);

    let config = TestDriverConfig {
        commit_after_each_record: false,
        ..TestDriverConfig::default()
    };
    let uncached = Harness::with_config(join_topology(false, false), config);
    uncached.product("p1", Some("lamp"), 1);
    uncached.order("o1", Some("p1/1"), 2);
    uncached.product("p1", Some("desk lamp"), 3);
    uncached.order("o1", Some("p1/2"), 4);
    assert_eq!(
        uncached.output(),
        [
            row("o1", "p1/1+lamp", 2),
            row("o1", "p1/1+desk lamp", 3),
            row("o1", "p1/2+desk lamp", 4)
        ]
    );
}

#[test]
fn fk_a_self_join_runs_in_one_sub_topology() {
    // Employees (`id -> "name/manager id"`) joined with their managers.
    let builder = StreamsBuilder::new();
    let employees = builder.table::<String, String>(
        "employees",
        Consumed::default(),
        Materialized::named("employees").with_caching_disabled(),
    );
    employees
        .join_foreign_key_with(
            &employees,
            |employee: &String| {
                let (_, manager) = employee.split_once('/')?;
                Some(manager.to_string()).filter(|manager| !manager.is_empty())
            },
            |employee, manager| format!("{employee} reports to {manager}"),
            Materialized::named("joined").with_caching_disabled(),
        )
        .to("out", Produced::default());
    let topology = builder.build().unwrap();
    assert_eq!(topology.subtopologies().len(), 1);
    let h = Harness::new(topology);
    h.pipe("employees", "e1", Some("ann/"), 1);
    h.pipe("employees", "e2", Some("bob/e1"), 2);
    assert_eq!(h.output(), [row("e2", "bob/e1 reports to ann/", 2)]);
    h.pipe("employees", "e1", Some("anna/"), 3);
    assert_eq!(h.output(), [row("e2", "bob/e1 reports to anna/", 3)]);
    h.pipe("employees", "e1", None, 4);
    assert_eq!(h.output(), [delete("e2", 4)]);
}

#[derive(serde::Serialize, serde::Deserialize, Clone)]
struct Order {
    product: Option<u64>,
    quantity: u32,
}

#[test]
fn fk_serdes_registered_after_the_join_are_used_for_its_internal_records() {
    let builder = StreamsBuilder::new();
    let orders = builder.table::<String, Order>(
        "orders",
        Consumed::default(),
        Materialized::named("orders").with_caching_disabled(),
    );
    let products = builder.table::<u64, String>(
        "products",
        Consumed::default(),
        Materialized::named("products").with_caching_disabled(),
    );
    orders
        .left_join_foreign_key(
            &products,
            |order: &Order| order.product,
            |order, product| format!("{} x {}", order.quantity, show(product)),
        )
        .to("out", Produced::default());
    // The left values' serde (which the join hashes with) comes later.
    builder.register_serde(JsonSerde::<Order>::new());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let orders_in = driver
        .input_topic::<String, Option<Order>>("orders")
        .unwrap();
    let products_in = driver
        .input_topic::<u64, Option<String>>("products")
        .unwrap();
    let out = driver
        .output_topic::<String, Option<String>>("out")
        .unwrap();
    products_in
        .pipe(7_u64, Some("lamp".to_string()), 1)
        .unwrap();
    let order = |product, quantity| Some(Order { product, quantity });
    orders_in
        .pipe("o1".to_string(), order(Some(7), 2), 2)
        .unwrap();
    orders_in.pipe("o2".to_string(), order(None, 1), 3).unwrap();
    orders_in
        .pipe("o1".to_string(), order(Some(8), 3), 4)
        .unwrap();
    assert_eq!(
        out.read_key_values().unwrap(),
        [
            ("o1".to_string(), Some("2 x lamp".to_string())),
            ("o2".to_string(), Some("1 x null".to_string())),
            ("o1".to_string(), Some("3 x null".to_string())),
        ]
    );
}
