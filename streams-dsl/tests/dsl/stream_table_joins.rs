//! Stream-table joins: lookups at processing time, inner and left, table
//! updates and deletes, derived (filtered) tables, re-keyed streams.

use streams_dsl::prelude::*;

fn driver(builder: StreamsBuilder) -> TopologyTestDriver {
    TopologyTestDriver::new(builder.build().expect("topology builds")).expect("driver starts")
}

#[test]
fn inner_and_left_joins_see_the_row_current_when_the_record_arrives() {
    let builder = StreamsBuilder::new();
    let customers = builder.table::<String, String>(
        "customers",
        Consumed::default(),
        Materialized::named("customers-store"),
    );
    let orders = builder.stream::<String, i64>("orders", Consumed::default());
    orders
        .join(&customers, |amount, name| {
            format!("{name} ordered {amount}")
        })
        .to("enriched", Produced::default());
    orders
        .left_join(&customers, |amount, name: Option<String>| {
            format!(
                "{} ordered {amount}",
                name.unwrap_or_else(|| "unknown".into())
            )
        })
        .to("enriched-left", Produced::default());
    let driver = driver(builder);
    let customers = driver
        .input_topic::<String, Option<String>>("customers")
        .unwrap();
    let orders = driver.input_topic::<String, i64>("orders").unwrap();
    orders.pipe("c1", 10, 1).unwrap(); // no row yet
    customers.pipe("c1", Some("Ann".to_string()), 2).unwrap();
    orders.pipe("c1", 20, 3).unwrap();
    customers.pipe("c1", Some("Annie".to_string()), 4).unwrap();
    orders.pipe("c1", 30, 5).unwrap();
    customers.pipe("c1", None, 6).unwrap(); // deleted
    orders.pipe("c1", 40, 7).unwrap();
    let inner = driver
        .output_topic::<String, String>("enriched")
        .unwrap()
        .read_all()
        .unwrap();
    assert_eq!(
        inner
            .iter()
            .map(|r| (r.value.as_str(), r.timestamp))
            .collect::<Vec<_>>(),
        [("Ann ordered 20", 3), ("Annie ordered 30", 5)],
        "table updates do not trigger output; only stream records do"
    );
    assert_eq!(
        driver
            .output_topic::<String, String>("enriched-left")
            .unwrap()
            .read_all()
            .unwrap()
            .into_iter()
            .map(|r| r.value)
            .collect::<Vec<_>>(),
        [
            "unknown ordered 10",
            "Ann ordered 20",
            "Annie ordered 30",
            "unknown ordered 40"
        ]
    );
}

#[test]
fn a_filtered_table_is_materialized_for_the_join() {
    let builder = StreamsBuilder::new();
    let vip = builder
        .table::<String, i64>(
            "loyalty-points",
            Consumed::default(),
            Materialized::named("points"),
        )
        .filter(|_, points| *points >= 1_000);
    builder
        .stream::<String, String>("visits", Consumed::default())
        .join(&vip, |page, points| format!("{page}:{points}"))
        .to("vip-visits", Produced::default());
    let driver = driver(builder);
    let points = driver
        .input_topic::<String, Option<i64>>("loyalty-points")
        .unwrap();
    let visits = driver.input_topic::<String, String>("visits").unwrap();
    points.pipe("a", Some(5_000), 0).unwrap();
    points.pipe("b", Some(10), 0).unwrap();
    visits.pipe("a", "home", 1).unwrap();
    visits.pipe("b", "home", 1).unwrap();
    points.pipe("a", Some(1), 2).unwrap(); // "a" drops out of the filtered table
    visits.pipe("a", "cart", 3).unwrap();
    assert_eq!(
        driver
            .output_topic::<String, String>("vip-visits")
            .unwrap()
            .read_key_values()
            .unwrap(),
        [("a".into(), "home:5000".into())]
    );
}

#[test]
fn a_rekeyed_stream_is_repartitioned_before_the_join() {
    let builder = StreamsBuilder::new();
    let products = builder.table::<String, String>(
        "products",
        Consumed::default(),
        Materialized::named("products-store"),
    );
    builder
        .stream::<String, String>("order-lines", Consumed::default())
        .select_key(|_order, product| product.clone())
        .join(&products, |product, title| format!("{product} = {title}"))
        .to("lines-with-titles", Produced::default());
    let topology = builder.build().unwrap();
    assert_eq!(
        topology.subtopologies().len(),
        2,
        "the re-keyed stream goes through a repartition topic"
    );
    let driver = TopologyTestDriver::new(topology).unwrap();
    driver
        .input_topic::<String, Option<String>>("products")
        .unwrap()
        .pipe("p1", Some("Lamp".to_string()), 0)
        .unwrap();
    driver
        .input_topic::<String, String>("order-lines")
        .unwrap()
        .pipe("o1", "p1", 1)
        .unwrap();
    assert_eq!(
        driver
            .output_topic::<String, String>("lines-with-titles")
            .unwrap()
            .read_key_value()
            .unwrap(),
        ("p1".into(), "p1 = Lamp".into())
    );
}
