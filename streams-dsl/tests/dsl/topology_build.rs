//! Building topologies: deterministic names, sub-topologies, describe(), and the
//! build-time errors that say what to fix.

use streams_dsl::prelude::*;

fn word_filter_topology() -> StreamsBuilder {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("lines", Consumed::default())
        .filter(|_, v| !v.is_empty())
        .map_values(|v| v.to_lowercase())
        .to("clean-lines", Produced::default());
    builder
}

#[test]
fn describe_prints_sub_topologies_with_deterministic_names() {
    let expected = "\
Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [lines])
      --> KSTREAM-FILTER-0000000001
    Processor: KSTREAM-FILTER-0000000001 (stores: [])
      --> KSTREAM-MAPVALUES-0000000002
      <-- KSTREAM-SOURCE-0000000000
    Processor: KSTREAM-MAPVALUES-0000000002 (stores: [])
      --> KSTREAM-SINK-0000000003
      <-- KSTREAM-FILTER-0000000001
    Sink: KSTREAM-SINK-0000000003 (topic: clean-lines)
      <-- KSTREAM-MAPVALUES-0000000002

";
    assert_eq!(
        word_filter_topology()
            .build()
            .unwrap()
            .describe()
            .to_string(),
        expected
    );
    // Same program, same names.
    assert_eq!(
        word_filter_topology()
            .build()
            .unwrap()
            .describe()
            .to_string(),
        expected
    );
}

#[test]
fn repartition_splits_the_topology_and_describe_shows_both_halves() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("in", Consumed::default())
        .select_key(|_, v| v.clone())
        .repartition(Repartitioned::default())
        .to("out", Produced::default());
    let topology = builder.build().unwrap();
    let description = topology.describe();
    assert_eq!(description.subtopologies.len(), 2);
    let text = description.to_string();
    assert!(text.contains("Sink: KSTREAM-REPARTITION-0000000002-repartition-sink (topic: KSTREAM-REPARTITION-0000000002-repartition)"), "{text}");
    assert!(text.contains("   Sub-topology: 1\n    Source: KSTREAM-REPARTITION-0000000002-repartition-source (topics: [KSTREAM-REPARTITION-0000000002-repartition])"), "{text}");
    assert_eq!(
        topology.source_topics(1, "app"),
        ["app-KSTREAM-REPARTITION-0000000002-repartition"]
    );
    assert_eq!(
        topology.sink_topics(0, "app"),
        ["app-KSTREAM-REPARTITION-0000000002-repartition"]
    );
}

#[test]
fn two_nodes_with_the_same_explicit_name_fail_at_build() {
    let builder = StreamsBuilder::new();
    let stream = builder.stream::<String, String>("in", Consumed::default());
    stream
        .filter(|_, _| true)
        .named("clean")
        .to("a", Produced::default());
    stream
        .map_values(|v| v)
        .named("clean")
        .to("b", Produced::default());
    assert_eq!(
        builder.build().unwrap_err().to_string(),
        "two nodes are named 'clean': node names must be unique, so give one of them another name"
    );
}

#[test]
fn renaming_after_attaching_operators_fails_at_build() {
    let builder = StreamsBuilder::new();
    let stream = builder
        .stream::<String, String>("in", Consumed::default())
        .filter(|_, _| true);
    stream.to("out", Produced::default());
    let _ = stream.named("too-late");
    assert!(matches!(
        builder.build().unwrap_err(),
        TopologyError::RenameAfterUse { .. }
    ));
}

#[test]
fn reading_one_topic_twice_fails_at_build() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("in", Consumed::default())
        .to("a", Produced::default());
    builder
        .stream::<String, String>("in", Consumed::default())
        .to("b", Produced::default());
    let message = builder.build().unwrap_err().to_string();
    assert!(
        message.starts_with(
            "topic 'in' is read by both 'KSTREAM-SOURCE-0000000000' and 'KSTREAM-SOURCE-0000000002'"
        ),
        "{message}"
    );
}

#[test]
fn an_empty_topology_and_an_invalid_repartition_name_fail_at_build() {
    assert_eq!(
        StreamsBuilder::new().build().unwrap_err(),
        TopologyError::NoSource
    );
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("in", Consumed::default())
        .repartition(Repartitioned::default().named("by user"))
        .to("out", Produced::default());
    let message = builder.build().unwrap_err().to_string();
    assert!(message.contains("' ' is not allowed"), "{message}");
}
