//! Table-table joins: inner, left and outer, with updates and deletes on both
//! sides (the sequence Kafka Streams' documentation walks through).

use streams_dsl::prelude::*;

fn show(value: Option<String>) -> String {
    value.unwrap_or_else(|| "null".into())
}

#[test]
fn inner_left_and_outer_joins_follow_updates_and_deletes_on_both_sides() {
    let builder = StreamsBuilder::new();
    let left = builder.table::<String, String>(
        "left",
        Consumed::default(),
        Materialized::named("left-store").with_caching_disabled(),
    );
    let right = builder.table::<String, String>(
        "right",
        Consumed::default(),
        Materialized::named("right-store").with_caching_disabled(),
    );
    left.join(&right, |l, r| format!("{l}+{r}"))
        .to("inner", Produced::default());
    left.left_join(&right, |l, r| format!("{l}+{}", show(r)))
        .to("left-join", Produced::default());
    left.outer_join(&right, |l, r| format!("{}+{}", show(l), show(r)))
        .to("outer", Produced::default());
    let topology = builder.build().unwrap();
    assert_eq!(
        topology.subtopologies().len(),
        1,
        "both tables and all joins share one task"
    );
    let driver = TopologyTestDriver::new(topology).unwrap();
    let (l, r) = (
        driver
            .input_topic::<String, Option<String>>("left")
            .unwrap(),
        driver
            .input_topic::<String, Option<String>>("right")
            .unwrap(),
    );
    l.pipe("k", Some("A".to_string()), 1).unwrap();
    r.pipe("k", Some("a".to_string()), 2).unwrap();
    l.pipe("k", Some("B".to_string()), 3).unwrap();
    r.pipe("k", None, 4).unwrap();
    l.pipe("k", None, 5).unwrap();
    r.pipe("k", Some("c".to_string()), 6).unwrap();
    let read = |topic: &str| {
        driver
            .output_topic::<String, Option<String>>(topic)
            .unwrap()
            .read_all()
            .unwrap()
            .into_iter()
            .map(|r| (r.value, r.timestamp))
            .collect::<Vec<_>>()
    };
    let some = |s: &str, t: i64| (Some(s.to_string()), t);
    assert_eq!(read("inner"), [some("A+a", 2), some("B+a", 3), (None, 4)]);
    assert_eq!(
        read("left-join"),
        [
            some("A+null", 1),
            some("A+a", 2),
            some("B+a", 3),
            some("B+null", 4),
            (None, 5)
        ]
    );
    assert_eq!(
        read("outer"),
        [
            some("A+null", 1),
            some("A+a", 2),
            some("B+a", 3),
            some("B+null", 4),
            (None, 5),
            some("null+c", 6)
        ]
    );
}
