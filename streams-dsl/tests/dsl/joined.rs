//! `Joined` on stream-table joins: the name names the join's node and the
//! repartition topic of a re-keyed stream (`<name>-left-repartition`, as
//! Kafka Streams), and the serdes write and read that topic.

use streams_dsl::prelude::*;

const APP: &str = "test-driver-app";

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Click {
    user: String,
}

fn enrich(joined: Joined<String, Click>, left: bool) -> Result<Topology, TopologyError> {
    let builder = StreamsBuilder::new();
    let users = builder.table::<String, String>(
        "users",
        Consumed::default(),
        Materialized::named("users").with_caching_disabled(),
    );
    let clicks = builder
        .stream::<String, String>("clicks", Consumed::default())
        .map(|_, user| (user.clone(), Click { user }));
    let enriched = if left {
        clicks.left_join_with(
            &users,
            |click, name| format!("{}:{}", click.user, name.unwrap_or_default()),
            joined,
        )
    } else {
        clicks.join_with(
            &users,
            |click, name| format!("{}:{name}", click.user),
            joined,
        )
    };
    enriched.to("enriched", Produced::default());
    builder.build()
}

#[test]
fn a_named_join_names_its_node_and_its_repartition_topic() {
    let topology = enrich(
        Joined::as_("enrich").value_serde(JsonSerde::<Click>::new()),
        false,
    )
    .unwrap();
    assert_eq!(
        topology.internal_topics(APP),
        [format!("{APP}-enrich-left-repartition")]
    );
    assert!(
        topology
            .describe()
            .to_string()
            .contains("Processor: enrich ")
    );
    let driver = TopologyTestDriver::new(topology).unwrap();
    driver
        .input_topic::<String, Option<String>>("users")
        .unwrap()
        .pipe("u1", Some("Ann".to_string()), 0)
        .unwrap();
    let clicks = driver.input_topic::<String, String>("clicks").unwrap();
    clicks.pipe("c1", "u1", 1).unwrap();
    clicks.pipe("c2", "u2", 2).unwrap();
    assert_eq!(
        driver
            .output_topic::<String, String>("enriched")
            .unwrap()
            .read_key_values()
            .unwrap(),
        [("u1".to_string(), "u1:Ann".to_string())]
    );
}

#[test]
fn the_join_serdes_write_the_repartition_topic() {
    assert!(
        matches!(
            enrich(Joined::as_("no-serde"), true),
            Err(TopologyError::MissingSerde { .. })
        ),
        "nothing else knows how to write a Click"
    );
    let topology = enrich(
        Joined::with(StringSerde, JsonSerde::<Click>::new()).with_name("left-enrich"),
        true,
    )
    .unwrap();
    let driver = TopologyTestDriver::new(topology).unwrap();
    driver
        .input_topic::<String, String>("clicks")
        .unwrap()
        .pipe("c1", "u9", 1)
        .unwrap();
    assert_eq!(
        driver
            .output_topic_with(
                &format!("{APP}-left-enrich-left-repartition"),
                std::sync::Arc::new(StringSerde),
                std::sync::Arc::new(JsonSerde::<Click>::new()),
            )
            .read_value()
            .unwrap(),
        Click { user: "u9".into() }
    );
    assert_eq!(
        driver
            .output_topic::<String, String>("enriched")
            .unwrap()
            .read_key_values()
            .unwrap(),
        [("u9".to_string(), "u9:".to_string())]
    );
}

#[test]
fn an_unnamed_join_keeps_generated_names() {
    let topology = enrich(
        Joined::default().value_serde(JsonSerde::<Click>::new()),
        false,
    )
    .unwrap();
    let described = topology.describe().to_string();
    assert!(described.contains("KSTREAM-JOIN-"), "{described}");
    let internal = topology.internal_topics(APP);
    assert_eq!(internal.len(), 1);
    assert!(internal[0].contains("KSTREAM-REPARTITION-"), "{internal:?}");
}
