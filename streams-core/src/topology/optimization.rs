//! `TopologyOptimization`: which rewrites the DSL applies to its logical plan
//! before writing the physical topology (Kafka Streams' `topology.optimization`).

use std::fmt;
use std::str::FromStr;

/// The value of `topology.optimization`.
///
/// `none` (the default) writes the topology as the DSL calls declared it;
/// `all` turns on every rewrite this version implements. A comma-separated
/// list names rewrites one by one, with Kafka Streams' names:
///
/// - `merge.repartition.topics`: the repartition topics that aggregations and
///   joins create for one re-keyed stream become one topic;
/// - `reuse.ktable.source.topics`: a table read from a topic
///   (`StreamsBuilder::table`) restores its store from that topic instead of
///   logging it to a changelog topic of its own;
///
/// and `all` also reads derived tables (filter, map_values, table-table join
/// results) that a join looks up through the store they come from (value
/// getters), instead of materializing them in a store and changelog of their
/// own (Kafka Streams always does this; it has no name to list).
///
/// `single.store.self.join` is a Kafka rewrite this version does not
/// implement yet: naming it is an error rather than a silent no-op.
///
/// ```
/// use streams_core::topology::TopologyOptimization;
/// let all: TopologyOptimization = "all".parse().unwrap();
/// assert!(all.merge_repartition_topics());
/// assert!(!TopologyOptimization::none().merge_repartition_topics());
/// assert!("single.store.self.join".parse::<TopologyOptimization>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TopologyOptimization {
    merge_repartition_topics: bool,
    reuse_source_topics: bool,
    value_getters: bool,
}

/// The name of the repartition-merging rewrite in `topology.optimization`.
const MERGE_REPARTITION_TOPICS: &str = "merge.repartition.topics";
/// The name of the source-topic-as-changelog rewrite.
const REUSE_SOURCE_TOPICS: &str = "reuse.ktable.source.topics";
const NOT_IMPLEMENTED: [&str; 1] = ["single.store.self.join"];

impl TopologyOptimization {
    /// No rewrite (`none`).
    pub fn none() -> Self {
        Self::default()
    }

    /// Every rewrite this version implements (`all`).
    pub fn all() -> Self {
        Self {
            merge_repartition_topics: true,
            reuse_source_topics: true,
            value_getters: true,
        }
    }

    /// Whether repartition topics of one re-keyed stream are merged.
    pub fn merge_repartition_topics(&self) -> bool {
        self.merge_repartition_topics
    }

    /// Whether tables read from topics restore from them instead of being
    /// logged to changelogs of their own.
    pub fn reuse_source_topics(&self) -> bool {
        self.reuse_source_topics
    }

    /// Whether joins read derived tables through their parents' stores.
    pub fn value_getters(&self) -> bool {
        self.value_getters
    }
}

/// Why a `topology.optimization` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("topology.optimization: {reason}")]
pub struct InvalidOptimization {
    reason: String,
}

impl FromStr for TopologyOptimization {
    type Err = InvalidOptimization;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim() {
            "none" => return Ok(Self::none()),
            "all" => return Ok(Self::all()),
            _ => {}
        }
        let mut optimization = Self::none();
        for rewrite in value.split(',').map(str::trim) {
            if rewrite == MERGE_REPARTITION_TOPICS {
                optimization.merge_repartition_topics = true;
            } else if rewrite == REUSE_SOURCE_TOPICS {
                optimization.reuse_source_topics = true;
            } else if NOT_IMPLEMENTED.contains(&rewrite) {
                return Err(InvalidOptimization {
                    reason: format!(
                        "'{rewrite}' is not implemented yet; use {MERGE_REPARTITION_TOPICS}, {REUSE_SOURCE_TOPICS}, all or none"
                    ),
                });
            } else {
                return Err(InvalidOptimization {
                    reason: format!(
                        "'{rewrite}' is not a rewrite; use none, all or a comma-separated list of {MERGE_REPARTITION_TOPICS} and {REUSE_SOURCE_TOPICS}"
                    ),
                });
            }
        }
        Ok(optimization)
    }
}

impl fmt::Display for TopologyOptimization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Self::all() {
            return f.write_str("all");
        }
        let named: Vec<&str> = [
            (self.merge_repartition_topics, MERGE_REPARTITION_TOPICS),
            (self.reuse_source_topics, REUSE_SOURCE_TOPICS),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        if named.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&named.join(","))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kafka_values_and_refuses_unknown_ones() {
        assert_eq!("none".parse(), Ok(TopologyOptimization::none()));
        assert_eq!(" all ".parse(), Ok(TopologyOptimization::all()));
        let merge_only: TopologyOptimization = "merge.repartition.topics".parse().unwrap();
        assert!(merge_only.merge_repartition_topics() && !merge_only.value_getters());
        assert_eq!(merge_only.to_string(), "merge.repartition.topics");
        let unknown = "merge.everything".parse::<TopologyOptimization>();
        assert!(unknown.is_err_and(|e| e.to_string().contains("merge.everything")));
        let later =
            "merge.repartition.topics, single.store.self.join".parse::<TopologyOptimization>();
        assert!(later.is_err_and(|e| e.to_string().contains("not implemented")));
    }
}
