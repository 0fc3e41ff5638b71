//! `Grouped`: a grouping's name names its repartition topic
//! (`<application.id>-<name>-repartition`), shared by every aggregation of the
//! grouping, and its serdes write and read that topic.

use streams_dsl::prelude::*;

const APP: &str = "test-driver-app";

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct View {
    page: String,
}

#[test]
fn a_named_grouping_repartitions_through_its_own_topic() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("views", Consumed::default())
        .group_by_with(|_user, page| page.clone(), Grouped::as_("views-by-page"))
        .count(Materialized::named("page-counts").with_caching_disabled())
        .to("counts", Produced::default());
    let topology = builder.build().unwrap();
    assert_eq!(
        topology.internal_topics(APP),
        [format!("{APP}-views-by-page-repartition")]
    );
    let driver = TopologyTestDriver::new(topology).unwrap();
    let views = driver.input_topic::<String, String>("views").unwrap();
    views.pipe("ann", "home", 0).unwrap();
    views.pipe("bob", "home", 1).unwrap();
    assert_eq!(
        driver
            .output_topic::<String, Option<i64>>("counts")
            .unwrap()
            .read_key_values()
            .unwrap(),
        [("home".to_string(), Some(1)), ("home".to_string(), Some(2))]
    );
    assert!(
        driver
            .produced_topic_names()
            .contains(&format!("{APP}-views-by-page-repartition"))
    );
}

#[test]
fn aggregations_of_one_named_grouping_share_its_repartition_topic() {
    let topics = |grouped: Grouped<String, String>| {
        let builder = StreamsBuilder::new();
        let grouped = builder
            .stream::<String, String>("views", Consumed::default())
            .group_by_with(|_user, page| page.clone(), grouped);
        grouped.count(Materialized::named("counts"));
        grouped.reduce(|a, b| a + &b, Materialized::named("concatenated"));
        builder.build().unwrap().internal_topics(APP)
    };
    assert_eq!(
        topics(Grouped::as_("by-page")),
        [format!("{APP}-by-page-repartition")]
    );
    assert_eq!(
        topics(Grouped::default()),
        [
            format!("{APP}-concatenated-repartition"),
            format!("{APP}-counts-repartition"),
        ],
        "unnamed, each aggregation repartitions on its own, named after its store"
    );
}

#[test]
fn group_by_key_repartitions_only_a_stream_whose_keys_changed() {
    let builder = StreamsBuilder::new();
    let stream = builder.stream::<String, String>("views", Consumed::default());
    stream
        .group_by_key_with(Grouped::as_("kept-keys"))
        .count(Materialized::named("by-user"));
    stream
        .map(|user, page| (page, user))
        .group_by_key_with(Grouped::as_("new-keys"))
        .count(Materialized::named("by-page"));
    assert_eq!(
        builder.build().unwrap().internal_topics(APP),
        [format!("{APP}-new-keys-repartition")]
    );
}

#[test]
fn the_grouping_serdes_write_and_read_the_repartition_topic() {
    let build = |grouped: Grouped<String, View>| {
        let builder = StreamsBuilder::new();
        builder
            .stream::<String, String>("views", Consumed::default())
            .map_values(|page| View { page })
            .group_by_with(|_user, view| view.page.clone(), grouped)
            .count(Materialized::named("counts").with_caching_disabled())
            .to("counts", Produced::default());
        builder.build()
    };
    assert!(
        matches!(
            build(Grouped::as_("no-serde")),
            Err(TopologyError::MissingSerde { .. })
        ),
        "nothing else knows how to write a View"
    );
    let topology = build(Grouped::as_("json-views").value_serde(JsonSerde::<View>::new())).unwrap();
    let driver = TopologyTestDriver::new(topology).unwrap();
    driver
        .input_topic::<String, String>("views")
        .unwrap()
        .pipe("ann", "home", 0)
        .unwrap();
    assert_eq!(
        driver
            .output_topic::<String, Option<i64>>("counts")
            .unwrap()
            .read_key_values()
            .unwrap(),
        [("home".to_string(), Some(1))]
    );
    assert_eq!(
        driver
            .output_topic_with(
                &format!("{APP}-json-views-repartition"),
                std::sync::Arc::new(StringSerde),
                std::sync::Arc::new(JsonSerde::<View>::new()),
            )
            .read_value()
            .unwrap(),
        View {
            page: "home".into()
        },
        "the repartition record is the grouping serde's JSON"
    );
}

#[test]
fn a_named_table_grouping_names_its_repartition_topic() {
    let builder = StreamsBuilder::new();
    builder
        .table::<String, String>("users", Consumed::default(), Materialized::named("users"))
        .group_by_with(
            |_user, city| (city.clone(), city),
            Grouped::as_("users-by-city"),
        )
        .count(Materialized::named("city-counts").with_caching_disabled())
        .to("city-counts", Produced::default());
    let topology = builder.build().unwrap();
    assert_eq!(
        topology.internal_topics(APP),
        [format!("{APP}-users-by-city-repartition")]
    );
    let driver = TopologyTestDriver::new(topology).unwrap();
    let users = driver
        .input_topic::<String, Option<String>>("users")
        .unwrap();
    users.pipe("ann", Some("oslo".to_string()), 0).unwrap();
    users.pipe("ann", Some("rome".to_string()), 1).unwrap();
    assert_eq!(
        driver
            .output_topic::<String, Option<i64>>("city-counts")
            .unwrap()
            .read_key_values_to_map()
            .unwrap(),
        [("oslo".to_string(), Some(0)), ("rome".to_string(), Some(1))]
            .into_iter()
            .collect()
    );
}
