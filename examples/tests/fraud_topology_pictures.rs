//! The fraud-detection topology drawn as Mermaid and Graphviz DOT: every node,
//! store and topic appears, and Graphviz's `dot` accepts the DOT.

use examples::fraud::{ALERTS_TOPIC, TRANSACTIONS_TOPIC, fraud_topology};
use std::io::Write;
use std::process::{Command, Stdio};
use streams_core::topology::NodeKindDescription;

#[test]
fn the_fraud_topology_renders_to_mermaid_and_dot_with_every_node_and_store() {
    let description = fraud_topology(TRANSACTIONS_TOPIC, ALERTS_TOPIC)
        .unwrap()
        .describe();
    let mermaid = description.to_mermaid();
    let dot = description.to_dot();
    // The README's picture is this output (`cargo test -p examples --test
    // fraud_topology_pictures -- --nocapture`).
    println!("{mermaid}");
    let mut stores = Vec::new();
    let mut topics = Vec::new();
    let nodes: Vec<&str> = description
        .subtopologies
        .iter()
        .flat_map(|s| &s.nodes)
        .map(|node| {
            match &node.kind {
                NodeKindDescription::Source { topics: read } => topics.extend(read.clone()),
                NodeKindDescription::Processor { stores: used } => stores.extend(used.clone()),
                NodeKindDescription::Sink { topic } => topics.extend(topic.clone()),
            }
            node.name.as_str()
        })
        .collect();
    assert!(nodes.len() > 5, "{description}");
    assert!(!stores.is_empty(), "{description}");
    assert!(!description.changelogs.is_empty(), "{description}");
    for name in nodes
        .iter()
        .copied()
        .chain(stores.iter().map(String::as_str))
        .chain(topics.iter().map(String::as_str))
        .chain(description.changelogs.values().map(String::as_str))
    {
        assert!(
            mermaid.contains(&format!("\"{name}\"")),
            "{name} missing from\n{mermaid}"
        );
        assert!(
            dot.contains(&format!("label=\"{name}\"")),
            "{name} missing from\n{dot}"
        );
    }
    for sub in &description.subtopologies {
        assert!(
            mermaid.contains(&format!("subgraph sub_{}", sub.id)),
            "{mermaid}"
        );
        assert!(
            dot.contains(&format!("subgraph cluster_{}", sub.id)),
            "{dot}"
        );
    }
    // Every edge of the description is drawn.
    for node in description.subtopologies.iter().flat_map(|s| &s.nodes) {
        for successor in &node.successors {
            let edge = format!(
                "node_{} -> node_{}",
                node.name.replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
                successor.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
            );
            assert!(dot.contains(&edge), "{edge} missing from\n{dot}");
        }
    }

    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("Graphviz's dot must be installed (.ci/run installs graphviz)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dot.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "dot rejected the DOT: {}\n{dot}",
        String::from_utf8_lossy(&output.stderr)
    );
    let svg = String::from_utf8(output.stdout).unwrap();
    assert!(
        svg.contains("<svg") && svg.contains(TRANSACTIONS_TOPIC),
        "{svg}"
    );
}

#[test]
fn dot_rejects_a_broken_picture_so_the_check_above_can_fail() {
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("Graphviz's dot must be installed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"digraph { a -> ")
        .unwrap();
    assert!(!child.wait().unwrap().success());
}
