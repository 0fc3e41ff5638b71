//! The topic plan: from a topology and the partition counts of the topics that
//! exist, how many tasks each sub-topology has and which internal topics
//! (repartition and changelog) it needs, with their partition counts and configs.
//! Pure computation; `internal_topics` applies it through the admin client.

use super::RuntimeError;
use crate::task::TaskId;
use crate::topology::Topology;
use std::collections::{BTreeMap, HashMap};

/// What an internal topic is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InternalTopicKind {
    /// Carries re-keyed records between sub-topologies.
    Repartition,
    /// Logs a store's writes, one partition per task.
    Changelog,
}

/// An internal topic the topology needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalTopic {
    /// Full name (with the application id prefix).
    pub name: String,
    /// What it is for.
    pub kind: InternalTopicKind,
    /// Partitions it must have.
    pub partitions: i32,
    /// Topic configs to create it with.
    pub configs: Vec<(String, String)>,
}

/// One sub-topology's tasks and inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubtopologyPlan {
    /// Sub-topology id.
    pub id: u32,
    /// The topics it reads (resolved names).
    pub source_topics: Vec<String>,
    /// Partitions of each source topic, so the number of its tasks.
    pub partitions: i32,
}

impl SubtopologyPlan {
    /// Its tasks, one per partition.
    pub fn tasks(&self) -> impl Iterator<Item = TaskId> + '_ {
        (0..self.partitions).map(|partition| TaskId {
            subtopology: self.id,
            partition,
        })
    }
}

/// Tasks and internal topics of a topology on a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicPlan {
    /// Every sub-topology, by id.
    pub subtopologies: Vec<SubtopologyPlan>,
    /// Every internal topic, repartition topics first, sorted by name within a kind.
    pub internal_topics: Vec<InternalTopic>,
    /// The partition count of each global store's topic.
    pub global_topics: BTreeMap<String, i32>,
}

/// Repartition topics get Kafka Streams' configs: deleted records are purged
/// once consumed, so keep them only as long as needed.
fn repartition_configs() -> Vec<(String, String)> {
    vec![
        ("cleanup.policy".into(), "delete".into()),
        ("segment.bytes".into(), "52428800".into()),
        ("retention.ms".into(), "-1".into()),
    ]
}

impl TopicPlan {
    /// Plans the tasks and internal topics of `topology` for `application_id`,
    /// given the partition count of every topic that exists (`existing`).
    ///
    /// Source topics and the topics of global stores must exist. A repartition topic whose partition count the
    /// topology sets gets that count; one that does not exist yet gets
    /// the partition count of the sub-topology writing it (the largest count of
    /// that sub-topology's sources), or, when it is read together with user
    /// topics, their count. All topics a sub-topology reads must end up with the
    /// same count (co-partitioning); its changelogs get one partition per task.
    pub fn new(
        topology: &Topology,
        application_id: &str,
        existing: &HashMap<String, i32>,
    ) -> Result<Self, RuntimeError> {
        let repartition: Vec<String> = topology.internal_topics(application_id);
        let is_repartition = |topic: &str| repartition.iter().any(|r| r == topic);
        let sources: Vec<(u32, Vec<String>)> = topology
            .subtopologies()
            .iter()
            .map(|s| (s.id(), topology.source_topics(s.id(), application_id)))
            .collect();

        let mut missing: Vec<String> = sources
            .iter()
            .flat_map(|(_, topics)| topics)
            .filter(|t| !is_repartition(t) && !existing.contains_key(*t))
            .cloned()
            .chain(
                topology
                    .global_topics()
                    .into_iter()
                    .filter(|t| !existing.contains_key(t)),
            )
            .collect();
        missing.sort();
        missing.dedup();
        if !missing.is_empty() {
            return Err(RuntimeError::MissingSourceTopics { topics: missing });
        }

        // Known partition counts: the user topics. Repartition topics are derived
        // below (an existing one must match, which `internal_topics` checks).
        let mut counts: BTreeMap<String, i32> = sources
            .iter()
            .flat_map(|(_, topics)| topics)
            .filter(|t| !is_repartition(t))
            .filter_map(|t| existing.get(t).map(|&n| (t.clone(), n)))
            .collect();
        // A repartition topic whose count the topology sets has it (an
        // existing one must match, as for derived counts).
        for (topic, partitions) in topology.partition_counts(application_id) {
            counts.insert(topic, i32::try_from(partitions).unwrap_or(i32::MAX));
        }
        let writers: HashMap<&str, Vec<u32>> = repartition
            .iter()
            .map(|topic| {
                let subs = topology
                    .subtopologies()
                    .iter()
                    .filter(|s| {
                        topology
                            .sink_topics(s.id(), application_id)
                            .iter()
                            .any(|t| t == topic)
                    })
                    .map(|s| s.id())
                    .collect();
                (topic.as_str(), subs)
            })
            .collect();
        // Each round resolves at least one more topic while any is resolvable;
        // the number of topics bounds the rounds.
        for _ in 0..=repartition.len() {
            let mut changed = false;
            for (_, topics) in &sources {
                // Inside a sub-topology that also reads user topics, a new
                // repartition topic takes their partition count.
                let external_max = topics
                    .iter()
                    .filter(|t| !is_repartition(t))
                    .filter_map(|t| counts.get(t))
                    .max()
                    .copied();
                for topic in topics.iter().filter(|t| is_repartition(t)) {
                    if counts.contains_key(topic) {
                        continue;
                    }
                    let from_writers = writers
                        .get(topic.as_str())
                        .into_iter()
                        .flatten()
                        .filter_map(|w| {
                            let writer_sources = &sources.iter().find(|(id, _)| id == w)?.1;
                            writer_sources
                                .iter()
                                .map(|t| counts.get(t).copied())
                                .collect::<Option<Vec<i32>>>()?
                                .into_iter()
                                .max()
                        })
                        .max();
                    if let Some(n) = external_max.or(from_writers) {
                        counts.insert(topic.clone(), n);
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }

        let mut subtopologies = Vec::new();
        for (id, topics) in &sources {
            let with_counts: Vec<(String, i32)> = topics
                .iter()
                .map(|t| {
                    counts.get(t).map(|&n| (t.clone(), n)).ok_or_else(|| {
                        RuntimeError::Streams(
                            crate::topology::TopologyError::Internal(format!(
                                "the partition count of repartition topic '{t}' cannot be derived: no sub-topology with known inputs writes it"
                            ))
                            .into(),
                        )
                    })
                })
                .collect::<Result<_, _>>()?;
            let partitions = with_counts.first().map_or(0, |(_, n)| *n);
            if with_counts.iter().any(|(_, n)| *n != partitions) {
                return Err(RuntimeError::CoPartitioning {
                    subtopology: *id,
                    topics: with_counts,
                });
            }
            subtopologies.push(SubtopologyPlan {
                id: *id,
                source_topics: topics.clone(),
                partitions,
            });
        }

        let mut internal_topics: Vec<InternalTopic> = repartition
            .iter()
            .filter_map(|topic| {
                counts.get(topic).map(|&partitions| InternalTopic {
                    name: topic.clone(),
                    kind: InternalTopicKind::Repartition,
                    partitions,
                    configs: repartition_configs(),
                })
            })
            .collect();
        let mut changelogs: Vec<InternalTopic> = subtopologies
            .iter()
            .flat_map(|sub| {
                topology
                    .changelog_topics(sub.id, application_id)
                    .into_iter()
                    .map(|(name, spec)| InternalTopic {
                        name,
                        kind: InternalTopicKind::Changelog,
                        partitions: sub.partitions,
                        configs: spec.topic_configs,
                    })
            })
            .collect();
        changelogs.sort_by(|a, b| a.name.cmp(&b.name));
        internal_topics.extend(changelogs);
        let global_topics = topology
            .global_topics()
            .into_iter()
            .filter_map(|topic| existing.get(&topic).map(|&n| (topic, n)))
            .collect();
        Ok(Self {
            subtopologies,
            internal_topics,
            global_topics,
        })
    }

    /// Every source topic (user and repartition), sorted, once each.
    pub fn source_topics(&self) -> Vec<String> {
        let mut topics: Vec<String> = self
            .subtopologies
            .iter()
            .flat_map(|s| s.source_topics.iter().cloned())
            .collect();
        topics.sort();
        topics.dedup();
        topics
    }

    /// The task that reads `topic` partition `partition`.
    pub fn task_of(&self, topic: &str, partition: i32) -> Option<TaskId> {
        self.subtopologies
            .iter()
            .find(|s| s.source_topics.iter().any(|t| t == topic))
            .filter(|s| partition < s.partitions)
            .map(|s| TaskId {
                subtopology: s.id,
                partition,
            })
    }

    /// The plan of sub-topology `id`.
    pub fn subtopology(&self, id: u32) -> Option<&SubtopologyPlan> {
        self.subtopologies.iter().find(|s| s.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ProcessError;
    use crate::processor::{Processor, ProcessorContext};
    use crate::record::Record;
    use crate::state::KeyValueStoreBuilder;
    use crate::topology::{SinkTopic, TopicRef, TopologyBuilder};
    use std::time::Duration;

    struct Forward;

    impl Processor<String, String, String, String> for Forward {
        fn process(
            &mut self,
            record: Record<String, String>,
            ctx: &mut ProcessorContext<'_, String, String>,
        ) -> Result<(), ProcessError> {
            ctx.forward(record)
        }
    }

    fn external(name: &str) -> TopicRef {
        TopicRef::External(name.into())
    }

    /// Two user topics read by one processor (as a join does), written to `out`.
    fn joined(left: &str, right: &str) -> Topology {
        let mut builder = TopologyBuilder::new();
        let a = builder.add_source::<String, String>("a", vec![external(left)], None, None);
        let b = builder.add_source::<String, String>("b", vec![external(right)], None, None);
        let both = builder.add_processor("both", || Forward, &[a, b]);
        builder.add_sink(
            "out",
            SinkTopic::Topic(external("out")),
            None,
            None,
            &[both],
        );
        builder.build().unwrap()
    }

    /// `in` -> repartition -> counting processor with a key-value and a window
    /// store -> `out`.
    fn repartitioned() -> Topology {
        repartitioned_into(None, None)
    }

    /// Like [`repartitioned`], with the repartition topic's partition count
    /// set (`partitions`), and read together with the user topic `beside`.
    fn repartitioned_into(partitions: Option<u32>, beside: Option<&str>) -> Topology {
        let mut builder = TopologyBuilder::new();
        let source = builder.add_source::<String, String>("in", vec![external("in")], None, None);
        let rekey = builder.add_processor("rekey", || Forward, &[source]);
        let repartition = TopicRef::Internal("rekey-repartition".into());
        builder.add_sink(
            "to-repartition",
            SinkTopic::Topic(repartition.clone()),
            None,
            None,
            &[rekey],
        );
        if let Some(partitions) = partitions {
            builder.set_partition_count(repartition.clone(), partitions);
        }
        let from =
            builder.add_source::<String, String>("from-repartition", vec![repartition], None, None);
        let mut inputs = vec![from];
        if let Some(topic) = beside {
            inputs.push(builder.add_source::<String, String>(
                "beside",
                vec![external(topic)],
                None,
                None,
            ));
        }
        let count = builder.add_processor("count", || Forward, &inputs);
        builder.add_state_store(KeyValueStoreBuilder::<String, String>::persistent("counts"));
        builder.add_state_store(
            KeyValueStoreBuilder::<String, String>::persistent("windows")
                .windowed(Duration::from_secs(60), Duration::from_secs(3600)),
        );
        builder.connect_store("counts", count);
        builder.connect_store("windows", count);
        builder.add_sink(
            "out",
            SinkTopic::Topic(external("out")),
            None,
            None,
            &[count],
        );
        builder.build().unwrap()
    }

    fn existing(topics: &[(&str, i32)]) -> HashMap<String, i32> {
        topics.iter().map(|(t, n)| (t.to_string(), *n)).collect()
    }

    #[test]
    fn co_partitioned_sources_give_one_task_per_partition() {
        let plan = TopicPlan::new(
            &joined("left", "right"),
            "app",
            &existing(&[("left", 4), ("right", 4)]),
        )
        .unwrap();
        assert_eq!(plan.subtopologies.len(), 1);
        assert_eq!(plan.subtopologies[0].partitions, 4);
        let tasks: Vec<String> = plan.subtopologies[0]
            .tasks()
            .map(|t| t.to_string())
            .collect();
        assert_eq!(tasks, ["0_0", "0_1", "0_2", "0_3"]);
        assert_eq!(
            plan.task_of("right", 3),
            Some(TaskId {
                subtopology: 0,
                partition: 3
            })
        );
        assert_eq!(plan.task_of("right", 4), None);
        assert!(plan.internal_topics.is_empty());
        assert_eq!(plan.source_topics(), ["left", "right"]);
    }

    #[test]
    fn different_partition_counts_fail_naming_topics_and_counts() {
        let error = TopicPlan::new(
            &joined("clicks", "users"),
            "app",
            &existing(&[("clicks", 6), ("users", 2)]),
        )
        .unwrap_err();
        assert!(matches!(
            error,
            RuntimeError::CoPartitioning { subtopology: 0, .. }
        ));
        let message = error.to_string();
        assert!(
            message.contains("'clicks' (6 partitions), 'users' (2 partitions)")
                && message.contains("give them the same number of partitions"),
            "{message}"
        );
    }

    #[test]
    fn missing_source_topics_are_named() {
        let error =
            TopicPlan::new(&joined("left", "right"), "app", &existing(&[("left", 1)])).unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(error, RuntimeError::MissingSourceTopics { ref topics } if topics == &["right"])
        );
        assert!(message.contains("create them"), "{message}");
    }

    #[test]
    fn repartition_topics_follow_their_upstream_and_changelogs_their_tasks() {
        let plan = TopicPlan::new(&repartitioned(), "app", &existing(&[("in", 3)])).unwrap();
        let partitions: Vec<(u32, i32)> = plan
            .subtopologies
            .iter()
            .map(|s| (s.id, s.partitions))
            .collect();
        assert_eq!(partitions, [(0, 3), (1, 3)]);
        assert_eq!(
            plan.subtopologies[1].source_topics,
            ["app-rekey-repartition"]
        );
        let topics: Vec<(&str, InternalTopicKind, i32)> = plan
            .internal_topics
            .iter()
            .map(|t| (t.name.as_str(), t.kind, t.partitions))
            .collect();
        assert_eq!(
            topics,
            [
                ("app-rekey-repartition", InternalTopicKind::Repartition, 3),
                ("app-counts-changelog", InternalTopicKind::Changelog, 3),
                ("app-windows-changelog", InternalTopicKind::Changelog, 3),
            ]
        );
        let config = |topic: usize, key: &str| {
            plan.internal_topics[topic]
                .configs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(config(0, "cleanup.policy").as_deref(), Some("delete"));
        assert_eq!(config(1, "cleanup.policy").as_deref(), Some("compact"));
        assert_eq!(
            config(2, "cleanup.policy").as_deref(),
            Some("compact,delete")
        );
        // Store retention (1 h) plus Kafka Streams' one-day margin.
        assert_eq!(config(2, "retention.ms").as_deref(), Some("90000000"));
    }

    #[test]
    fn a_partition_count_set_by_the_topology_gives_the_repartition_topic_and_its_readers_that_many()
    {
        let plan = TopicPlan::new(
            &repartitioned_into(Some(5), None),
            "app",
            &existing(&[("in", 3)]),
        )
        .unwrap();
        let partitions: Vec<(u32, i32)> = plan
            .subtopologies
            .iter()
            .map(|s| (s.id, s.partitions))
            .collect();
        assert_eq!(partitions, [(0, 3), (1, 5)]);
        let topics: Vec<(&str, i32)> = plan
            .internal_topics
            .iter()
            .map(|t| (t.name.as_str(), t.partitions))
            .collect();
        assert_eq!(
            topics,
            [
                ("app-rekey-repartition", 5),
                ("app-counts-changelog", 5),
                ("app-windows-changelog", 5),
            ]
        );
    }

    #[test]
    fn a_set_partition_count_read_beside_a_topic_of_another_count_fails_naming_both() {
        let error = TopicPlan::new(
            &repartitioned_into(Some(2), Some("users")),
            "app",
            &existing(&[("in", 4), ("users", 4)]),
        )
        .unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(error, RuntimeError::CoPartitioning { subtopology: 1, .. })
                && message.contains("'app-rekey-repartition' (2 partitions)")
                && message.contains("'users' (4 partitions)"),
            "{message}"
        );
        // Without a set count the repartition topic follows its co-partitioned reader.
        let plan = TopicPlan::new(
            &repartitioned_into(None, Some("users")),
            "app",
            &existing(&[("in", 4), ("users", 4)]),
        )
        .unwrap();
        assert_eq!(plan.internal_topics[0].partitions, 4);
    }

    #[test]
    fn an_existing_repartition_topic_does_not_change_the_plan() {
        let plan = TopicPlan::new(
            &repartitioned(),
            "app",
            &existing(&[("in", 2), ("app-rekey-repartition", 5)]),
        )
        .unwrap();
        assert_eq!(plan.internal_topics[0].partitions, 2);
    }
}
