//! The metric handles of one task and its processor nodes: taken once when the
//! task is created, updated on the hot path, removed from the registry when the
//! task closes (as Kafka Streams removes a closed task's sensors).

use super::registry::Labels;
use super::{MetricsRegistry, RecordingLevel};
use crate::handler::ErrorStage;
use crate::task::TaskId;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::histogram::Histogram;
use std::time::Instant;

const STAGES: [ErrorStage; 3] = [
    ErrorStage::Deserialization,
    ErrorStage::Processing,
    ErrorStage::Production,
];

fn stage_index(stage: ErrorStage) -> usize {
    match stage {
        ErrorStage::Deserialization => 0,
        ErrorStage::Processing => 1,
        ErrorStage::Production => 2,
    }
}

/// Task counters (INFO).
struct TaskCounters {
    processed: Counter,
    dropped: Counter,
    produced: Counter,
    punctuations: Counter,
    skipped: [Counter; 3],
    dead_lettered: [Counter; 3],
}

/// Task latencies (DEBUG).
struct TaskLatencies {
    process: Histogram,
    punctuate: Histogram,
}

/// The sensors of one task.
pub(crate) struct TaskSensors {
    registry: Option<MetricsRegistry>,
    labels: Labels,
    counters: Option<TaskCounters>,
    latencies: Option<TaskLatencies>,
    nodes: Vec<String>,
}

impl TaskSensors {
    /// The sensors of task `task` in `registry`, as its recording level asks.
    pub(crate) fn new(registry: &MetricsRegistry, task: TaskId) -> Self {
        let level = registry.level();
        let labels: Labels = vec![("task", task.to_string())];
        let families = registry.families();
        let with_stage = |stage: ErrorStage| {
            let mut labels = labels.clone();
            labels.push(("stage", stage.as_str().to_string()));
            labels
        };
        let counters = level.records(RecordingLevel::Info).then(|| TaskCounters {
            processed: families.task_processed.get_or_create_owned(&labels),
            dropped: families.task_dropped.get_or_create_owned(&labels),
            produced: families.task_produced.get_or_create_owned(&labels),
            punctuations: families.task_punctuations.get_or_create_owned(&labels),
            skipped: STAGES.map(|s| families.task_skipped.get_or_create_owned(&with_stage(s))),
            dead_lettered: STAGES.map(|s| {
                families
                    .task_dead_lettered
                    .get_or_create_owned(&with_stage(s))
            }),
        });
        let latencies = level.records(RecordingLevel::Debug).then(|| TaskLatencies {
            process: families.task_process_latency.get_or_create_owned(&labels),
            punctuate: families.task_punctuate_latency.get_or_create_owned(&labels),
        });
        Self {
            registry: Some(registry.clone()),
            labels,
            counters,
            latencies,
            nodes: Vec::new(),
        }
    }

    fn count(&self, counter: impl Fn(&TaskCounters) -> &Counter) {
        if let Some(counters) = &self.counters {
            counter(counters).inc();
        }
    }

    pub(crate) fn processed(&self) {
        self.count(|c| &c.processed);
    }

    pub(crate) fn dropped(&self) {
        self.count(|c| &c.dropped);
    }

    pub(crate) fn produced(&self) {
        self.count(|c| &c.produced);
    }

    pub(crate) fn punctuated(&self) {
        self.count(|c| &c.punctuations);
    }

    pub(crate) fn skipped(&self, stage: ErrorStage) {
        self.count(|c| &c.skipped[stage_index(stage)]);
    }

    pub(crate) fn dead_lettered(&self, stage: ErrorStage) {
        self.count(|c| &c.dead_lettered[stage_index(stage)]);
    }

    /// The start of a timed step, when latencies are recorded.
    pub(crate) fn start(&self) -> Option<Instant> {
        self.latencies.as_ref().map(|_| Instant::now())
    }

    /// Records the latency of one processed record started at `start`.
    pub(crate) fn record_process(&self, start: Option<Instant>) {
        if let (Some(latencies), Some(start)) = (&self.latencies, start) {
            latencies.process.observe(start.elapsed().as_secs_f64());
        }
    }

    /// Records the latency of one punctuator call started at `start`.
    pub(crate) fn record_punctuate(&self, start: Option<Instant>) {
        if let (Some(latencies), Some(start)) = (&self.latencies, start) {
            latencies.punctuate.observe(start.elapsed().as_secs_f64());
        }
    }

    /// The sensors of the processor node `node` of this task.
    pub(crate) fn node(&mut self, node: &str) -> NodeSensors {
        let Some(registry) = &self.registry else {
            return NodeSensors { latency: None };
        };
        if !registry.level().records(RecordingLevel::Debug) {
            return NodeSensors { latency: None };
        }
        self.nodes.push(node.to_string());
        NodeSensors {
            latency: Some(
                registry
                    .families()
                    .node_process_latency
                    .get_or_create_owned(&self.node_labels(node)),
            ),
        }
    }

    fn node_labels(&self, node: &str) -> Labels {
        let mut labels = self.labels.clone();
        labels.push(("node", node.to_string()));
        labels
    }
}

impl Drop for TaskSensors {
    fn drop(&mut self) {
        let Some(registry) = &self.registry else {
            return;
        };
        let families = registry.families();
        for family in [
            &families.task_processed,
            &families.task_dropped,
            &families.task_produced,
            &families.task_punctuations,
        ] {
            family.remove(&self.labels);
        }
        for stage in STAGES {
            let mut labels = self.labels.clone();
            labels.push(("stage", stage.as_str().to_string()));
            families.task_skipped.remove(&labels);
            families.task_dead_lettered.remove(&labels);
        }
        families.task_process_latency.remove(&self.labels);
        families.task_punctuate_latency.remove(&self.labels);
        for node in &self.nodes {
            families
                .node_process_latency
                .remove(&self.node_labels(node));
        }
    }
}

/// The sensors of one processor node (DEBUG).
pub(crate) struct NodeSensors {
    latency: Option<Histogram>,
}

impl NodeSensors {
    /// Sensors that record nothing (before the node's `init`).
    pub(crate) fn disabled() -> Self {
        Self { latency: None }
    }

    /// The start of one record's processing, when latencies are recorded.
    #[inline]
    pub(crate) fn start(&self) -> Option<Instant> {
        self.latency.as_ref().map(|_| Instant::now())
    }

    /// Records one record's processing started at `start`.
    #[inline]
    pub(crate) fn record(&self, start: Option<Instant>) {
        if let (Some(latency), Some(start)) = (&self.latency, start) {
            latency.observe(start.elapsed().as_secs_f64());
        }
    }
}
