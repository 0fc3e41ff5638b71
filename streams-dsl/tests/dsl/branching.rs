//! `split()` routing: first matching branch wins, default branch, no default.

use streams_dsl::prelude::*;

#[test]
fn records_go_to_the_first_matching_branch_or_the_default() {
    let builder = StreamsBuilder::new();
    let mut branches = builder
        .stream::<String, i64>("amounts", Consumed::default())
        .split("amount-")
        .branch("large", |_, v| *v >= 1_000)
        .branch("even", |_, v| v % 2 == 0)
        .default_branch("other");
    assert_eq!(
        branches.names(),
        ["amount-even", "amount-large", "amount-other"]
    );
    for name in ["large", "even", "other"] {
        branches
            .take(&format!("amount-{name}"))
            .unwrap()
            .to(name, Produced::default());
    }
    assert!(branches.take("amount-large").is_none());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let input = driver.input_topic::<String, i64>("amounts").unwrap();
    // 2000 matches both predicates: only the first branch gets it.
    for (key, amount) in [("a", 2_000), ("b", 4), ("c", 7), ("d", 1_001)] {
        input.pipe(key, amount, 0).unwrap();
    }
    let read = |topic: &str| {
        driver
            .output_topic::<String, i64>(topic)
            .unwrap()
            .read_key_values()
            .unwrap()
    };
    assert_eq!(read("large"), [("a".into(), 2_000), ("d".into(), 1_001)]);
    assert_eq!(read("even"), [("b".into(), 4)]);
    assert_eq!(read("other"), [("c".into(), 7)]);
}

#[test]
fn without_a_default_branch_unmatched_records_are_dropped() {
    let builder = StreamsBuilder::new();
    let mut branches = builder
        .stream::<String, String>("in", Consumed::default())
        .split("s-")
        .branch("a", |_, v| v.starts_with('a'))
        .no_default_branch();
    branches
        .take("s-a")
        .unwrap()
        .to("a-words", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let input = driver.input_topic::<String, String>("in").unwrap();
    input.pipe("1", "apple", 0).unwrap();
    input.pipe("2", "banana", 0).unwrap();
    let out = driver.output_topic::<String, String>("a-words").unwrap();
    assert_eq!(out.read_value().unwrap(), "apple");
    assert!(out.is_empty());
}

#[test]
fn branch_nodes_are_named_after_their_branches() {
    let builder = StreamsBuilder::new();
    let mut branches = builder
        .stream::<String, i64>("in", Consumed::default())
        .split("route-")
        .branch("x", |_, _| true)
        .no_default_branch();
    let x = branches.take("route-x").unwrap();
    assert_eq!(x.node_name(), "route-x");
    x.to("out", Produced::default());
    let description = builder.build().unwrap().describe().to_string();
    assert!(
        description
            .contains("Processor: KSTREAM-BRANCH-0000000001 (stores: [])\n      --> route-x"),
        "{description}"
    );
}
