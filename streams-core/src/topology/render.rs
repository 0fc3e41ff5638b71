//! Pictures of a topology: [`TopologyDescription::to_mermaid`] (a flowchart
//! GitHub renders in Markdown) and [`TopologyDescription::to_dot`] (Graphviz DOT,
//! e.g. `dot -Tsvg`). Both draw each sub-topology as a box of its source,
//! processor and sink nodes, and outside the boxes the topics (user,
//! repartition and changelog topics) and state stores those nodes use.

use super::description::{NodeKindDescription, TopologyDescription};
use std::collections::BTreeSet;
use std::fmt::Write;

/// What a picture shows outside the sub-topology boxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outside {
    Topic,
    Store,
}

/// Every edge of the picture, by kind.
struct Picture<'a> {
    /// (from, to) between nodes and topics, as ids.
    flows: Vec<(String, String)>,
    /// (processor, store) uses and (store, changelog) logging.
    stores: Vec<(String, String)>,
    /// Topics and stores with their labels.
    outside: BTreeSet<(Outside, String, &'a str)>,
}

fn id(prefix: &str, name: &str) -> String {
    let mut id = String::with_capacity(prefix.len() + name.len() + 1);
    id.push_str(prefix);
    id.push('_');
    for c in name.chars() {
        id.push(if c.is_ascii_alphanumeric() { c } else { '_' });
    }
    id
}

impl TopologyDescription {
    fn picture(&self) -> Picture<'_> {
        let mut picture = Picture {
            flows: Vec::new(),
            stores: Vec::new(),
            outside: BTreeSet::new(),
        };
        for node in self.subtopologies.iter().flat_map(|s| &s.nodes) {
            let node_id = id("node", &node.name);
            match &node.kind {
                NodeKindDescription::Source { topics } => {
                    for topic in topics {
                        picture
                            .outside
                            .insert((Outside::Topic, id("topic", topic), topic));
                        picture.flows.push((id("topic", topic), node_id.clone()));
                    }
                }
                NodeKindDescription::Processor { stores } => {
                    for store in stores {
                        picture
                            .outside
                            .insert((Outside::Store, id("store", store), store));
                        picture.stores.push((node_id.clone(), id("store", store)));
                    }
                }
                NodeKindDescription::Sink { topic } => {
                    let topic = topic.as_deref().unwrap_or("(topic chosen per record)");
                    picture
                        .outside
                        .insert((Outside::Topic, id("topic", topic), topic));
                    picture.flows.push((node_id.clone(), id("topic", topic)));
                }
            }
            for successor in &node.successors {
                picture.flows.push((node_id.clone(), id("node", successor)));
            }
        }
        for (store, changelog) in &self.changelogs {
            picture
                .outside
                .insert((Outside::Topic, id("topic", changelog), changelog));
            picture
                .stores
                .push((id("store", store), id("topic", changelog)));
        }
        picture.flows.dedup();
        picture.stores.sort();
        picture.stores.dedup();
        picture
    }

    /// The topology as a Mermaid flowchart (for Markdown: put it in a
    /// ` ```mermaid ` block). Topics are parallelograms, stores cylinders, and
    /// store use and changelogs dotted lines.
    ///
    /// ```
    /// use streams_core::topology::{SinkTopic, TopicRef, TopologyBuilder};
    /// let mut builder = TopologyBuilder::new();
    /// let source = builder.add_source::<String, i64>("source", vec![TopicRef::External("in".into())], None, None);
    /// builder.add_sink("sink", SinkTopic::Topic(TopicRef::External("out".into())), None, None, &[source]);
    /// let mermaid = builder.build().unwrap().describe().to_mermaid();
    /// assert!(mermaid.contains("topic_in[/\"in\"/] --> node_source"), "{mermaid}");
    /// ```
    pub fn to_mermaid(&self) -> String {
        let picture = self.picture();
        let mut out = String::from("flowchart TD\n");
        for sub in &self.subtopologies {
            let _ = writeln!(
                out,
                "  subgraph sub_{}[\"Sub-topology {}\"]",
                sub.id, sub.id
            );
            for node in &sub.nodes {
                let kind = match node.kind {
                    NodeKindDescription::Source { .. } => "source",
                    NodeKindDescription::Processor { .. } => "processor",
                    NodeKindDescription::Sink { .. } => "sink",
                };
                let _ = writeln!(
                    out,
                    "    {}[\"{}\"]:::{kind}",
                    id("node", &node.name),
                    mermaid_label(&node.name)
                );
            }
            out.push_str("  end\n");
        }
        let shape = |kind: Outside, id: &str, label: &str| match kind {
            Outside::Topic => format!("{id}[/\"{}\"/]", mermaid_label(label)),
            Outside::Store => format!("{id}[(\"{}\")]", mermaid_label(label)),
        };
        let mut declared = BTreeSet::new();
        let mut declare = |node: &str| -> String {
            match picture.outside.iter().find(|(_, id, _)| id == node) {
                Some((kind, id, label)) if declared.insert(id.clone()) => shape(*kind, id, label),
                _ => node.to_string(),
            }
        };
        for (from, to) in &picture.flows {
            let (from, to) = (declare(from), declare(to));
            let _ = writeln!(out, "  {from} --> {to}");
        }
        for (from, to) in &picture.stores {
            let (from, to) = (declare(from), declare(to));
            let _ = writeln!(out, "  {from} -.- {to}");
        }
        out.push_str("  classDef source fill:#e3f2fd,stroke:#1565c0\n");
        out.push_str("  classDef processor fill:#f1f8e9,stroke:#558b2f\n");
        out.push_str("  classDef sink fill:#fff3e0,stroke:#ef6c00\n");
        out
    }

    /// The topology as a Graphviz DOT digraph: sub-topologies are clusters,
    /// topics are `cds` shapes, stores cylinders.
    ///
    /// ```
    /// use streams_core::topology::{SinkTopic, TopicRef, TopologyBuilder};
    /// let mut builder = TopologyBuilder::new();
    /// let source = builder.add_source::<String, i64>("source", vec![TopicRef::External("in".into())], None, None);
    /// builder.add_sink("sink", SinkTopic::Topic(TopicRef::External("out".into())), None, None, &[source]);
    /// let dot = builder.build().unwrap().describe().to_dot();
    /// assert!(dot.starts_with("digraph topology {"));
    /// assert!(dot.contains("node_source -> node_sink;"), "{dot}");
    /// ```
    pub fn to_dot(&self) -> String {
        let picture = self.picture();
        let mut out = String::from(
            "digraph topology {\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n",
        );
        for sub in &self.subtopologies {
            let _ = writeln!(
                out,
                "  subgraph cluster_{} {{\n    label=\"Sub-topology {}\";\n    style=rounded;",
                sub.id, sub.id
            );
            for node in &sub.nodes {
                let (shape, color) = match node.kind {
                    NodeKindDescription::Source { .. } => ("box", "#e3f2fd"),
                    NodeKindDescription::Processor { .. } => ("box", "#f1f8e9"),
                    NodeKindDescription::Sink { .. } => ("box", "#fff3e0"),
                };
                let _ = writeln!(
                    out,
                    "    {} [label=\"{}\", shape={shape}, style=\"rounded,filled\", fillcolor=\"{color}\"];",
                    id("node", &node.name),
                    dot_label(&node.name)
                );
            }
            out.push_str("  }\n");
        }
        for (kind, id, label) in &picture.outside {
            let shape = match kind {
                Outside::Topic => "cds",
                Outside::Store => "cylinder",
            };
            let _ = writeln!(
                out,
                "  {id} [label=\"{}\", shape={shape}];",
                dot_label(label)
            );
        }
        for (from, to) in &picture.flows {
            let _ = writeln!(out, "  {from} -> {to};");
        }
        for (from, to) in &picture.stores {
            let _ = writeln!(out, "  {from} -> {to} [style=dashed, arrowhead=none];");
        }
        out.push_str("}\n");
        out
    }
}

fn mermaid_label(text: &str) -> String {
    text.replace('"', "#quot;")
}

fn dot_label(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}
