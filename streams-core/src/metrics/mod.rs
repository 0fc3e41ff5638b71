//! Metrics of a running application, on the `prometheus-client` crate (the
//! Prometheus project's OpenMetrics client): one [`MetricsRegistry`] per
//! `KafkaStreams` instance or `TopologyTestDriver` (no process-global recorder, so
//! several instances in one process keep apart), with Kafka Streams' thread, task,
//! processor-node, store and consumer-lag metrics, gated by `metrics.recording.level`,
//! readable in code ([`MetricsRegistry::samples`]) and exported in the Prometheus
//! text format ([`MetricsRegistry::encode`]).
//!
//! The hot path only touches metric handles taken when a task is created (one
//! relaxed atomic add per counted event; latency histograms only at DEBUG).

mod level;
mod registry;
mod sensors;
mod store_sensors;
mod thread;

pub use level::RecordingLevel;
pub use registry::{MetricSample, MetricsRegistry};
pub use thread::ThreadSensors;

pub(crate) use sensors::{NodeSensors, TaskSensors};
pub(crate) use store_sensors::StoreSensors;
