//! The registry of one instance: every metric family, registered once, exported
//! in the Prometheus text format and readable back as samples.

use super::RecordingLevel;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use std::borrow::Cow;
use std::sync::Arc;

/// The labels of one series (`task`, `node`, `thread`, `topic`, ...).
pub(crate) type Labels = Vec<(&'static str, String)>;
pub(crate) type CounterFamily = Family<Labels, Counter>;
pub(crate) type GaugeFamily = Family<Labels, Gauge>;
pub(crate) type HistogramFamily = Family<Labels, Histogram, fn() -> Histogram>;

/// Latency buckets from 1 µs to about 4 s, in seconds.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(1e-6, 4.0, 12))
}

fn histogram_family() -> HistogramFamily {
    Family::new_with_constructor(latency_histogram as fn() -> Histogram)
}

/// Every metric family of an instance.
pub(crate) struct Families {
    pub(crate) task_processed: CounterFamily,
    pub(crate) task_skipped: CounterFamily,
    pub(crate) task_dead_lettered: CounterFamily,
    pub(crate) task_dropped: CounterFamily,
    pub(crate) task_produced: CounterFamily,
    pub(crate) task_punctuations: CounterFamily,
    pub(crate) task_process_latency: HistogramFamily,
    pub(crate) task_punctuate_latency: HistogramFamily,
    pub(crate) node_process_latency: HistogramFamily,
    pub(crate) thread_poll_latency: HistogramFamily,
    pub(crate) thread_polled_records: CounterFamily,
    pub(crate) thread_process_latency: HistogramFamily,
    pub(crate) thread_processed_records: CounterFamily,
    pub(crate) thread_commit_latency: HistogramFamily,
    pub(crate) thread_punctuate_latency: HistogramFamily,
    pub(crate) consumer_lag: GaugeFamily,
    pub(crate) restore_remaining: GaugeFamily,
    pub(crate) restored_records: CounterFamily,
    pub(crate) active_tasks: GaugeFamily,
    pub(crate) restoring_tasks: GaugeFamily,
    pub(crate) store_cache_hits: CounterFamily,
    pub(crate) store_cache_misses: CounterFamily,
    pub(crate) store_estimated_keys: GaugeFamily,
    pub(crate) store_sst_files_bytes: GaugeFamily,
    pub(crate) store_memtable_bytes: GaugeFamily,
}

impl Families {
    fn new() -> Self {
        Self {
            task_processed: Family::default(),
            task_skipped: Family::default(),
            task_dead_lettered: Family::default(),
            task_dropped: Family::default(),
            task_produced: Family::default(),
            task_punctuations: Family::default(),
            task_process_latency: histogram_family(),
            task_punctuate_latency: histogram_family(),
            node_process_latency: histogram_family(),
            thread_poll_latency: histogram_family(),
            thread_polled_records: Family::default(),
            thread_process_latency: histogram_family(),
            thread_processed_records: Family::default(),
            thread_commit_latency: histogram_family(),
            thread_punctuate_latency: histogram_family(),
            consumer_lag: Family::default(),
            restore_remaining: Family::default(),
            restored_records: Family::default(),
            active_tasks: Family::default(),
            restoring_tasks: Family::default(),
            store_cache_hits: Family::default(),
            store_cache_misses: Family::default(),
            store_estimated_keys: Family::default(),
            store_sst_files_bytes: Family::default(),
            store_memtable_bytes: Family::default(),
        }
    }

    fn register(&self, registry: &mut Registry) {
        let counters = [
            (
                "task_processed_records",
                "Records a task processed (INFO).",
                &self.task_processed,
            ),
            (
                "task_skipped_records",
                "Records an error handler skipped or dead-lettered, by stage (INFO).",
                &self.task_skipped,
            ),
            (
                "task_dead_lettered_records",
                "Records sent to a dead-letter topic, by stage (INFO).",
                &self.task_dead_lettered,
            ),
            (
                "task_dropped_records",
                "Records dropped on purpose: invalid timestamps, null keys, late records (INFO).",
                &self.task_dropped,
            ),
            (
                "task_produced_records",
                "Records a task handed to the producer, changelogs included (INFO).",
                &self.task_produced,
            ),
            (
                "task_punctuations",
                "Punctuator calls (INFO).",
                &self.task_punctuations,
            ),
            (
                "thread_polled_records",
                "Records a stream thread polled (INFO).",
                &self.thread_polled_records,
            ),
            (
                "thread_processed_records",
                "Records a stream thread processed (INFO).",
                &self.thread_processed_records,
            ),
            (
                "restored_records",
                "Changelog records applied to stores by restoration (INFO).",
                &self.restored_records,
            ),
            (
                "store_cache_hits",
                "Reads a store's caching layer answered from its cache; the hit ratio is hits / (hits + misses) (DEBUG).",
                &self.store_cache_hits,
            ),
            (
                "store_cache_misses",
                "Reads a store's caching layer passed to the store below (DEBUG).",
                &self.store_cache_misses,
            ),
        ];
        for (name, help, family) in counters {
            registry.register(name, help, family.clone());
        }
        let latencies = [
            (
                "task_process_latency",
                "Time a task took to process one record (DEBUG).",
                &self.task_process_latency,
            ),
            (
                "task_punctuate_latency",
                "Time one punctuator call took (DEBUG).",
                &self.task_punctuate_latency,
            ),
            (
                "node_process_latency",
                "Time a processor node took per record, its children included (DEBUG).",
                &self.node_process_latency,
            ),
            (
                "thread_poll_latency",
                "Time a stream thread spent in one poll (INFO).",
                &self.thread_poll_latency,
            ),
            (
                "thread_process_latency",
                "Average time per record of one processing round of a stream thread (INFO).",
                &self.thread_process_latency,
            ),
            (
                "thread_commit_latency",
                "Time one commit of a stream thread took (INFO).",
                &self.thread_commit_latency,
            ),
            (
                "thread_punctuate_latency",
                "Time one wall-clock punctuation round of a stream thread took (INFO).",
                &self.thread_punctuate_latency,
            ),
        ];
        for (name, help, family) in latencies {
            registry.register_with_unit(name, help, Unit::Seconds, family.clone());
        }
        let gauges = [
            (
                "consumer_lag_records",
                "Records between the consumer's position and the end of each input partition, from librdkafka's statistics (INFO).",
                &self.consumer_lag,
            ),
            (
                "restore_remaining_records",
                "Changelog records left to restore (INFO).",
                &self.restore_remaining,
            ),
            (
                "active_tasks",
                "Active tasks of a stream thread (INFO).",
                &self.active_tasks,
            ),
            (
                "restoring_tasks",
                "Tasks of a stream thread still restoring their state (INFO).",
                &self.restoring_tasks,
            ),
            (
                "store_estimated_keys",
                "RocksDB's rocksdb.estimate-num-keys of a store, after its last commit (INFO).",
                &self.store_estimated_keys,
            ),
            (
                "store_sst_files_bytes",
                "RocksDB's rocksdb.total-sst-files-size of a store, after its last commit (INFO).",
                &self.store_sst_files_bytes,
            ),
            (
                "store_memtable_bytes",
                "RocksDB's rocksdb.cur-size-all-mem-tables of a store, after its last commit (INFO).",
                &self.store_memtable_bytes,
            ),
        ];
        for (name, help, family) in gauges {
            registry.register(name, help, family.clone());
        }
    }
}

struct Inner {
    level: RecordingLevel,
    registry: Registry,
    families: Families,
}

/// The metrics of one instance (a `KafkaStreams` or a `TopologyTestDriver`).
/// Cheap to clone; every clone shows the same metrics.
///
/// ```
/// use std::time::Duration;
/// use streams_core::metrics::{MetricsRegistry, RecordingLevel, ThreadSensors};
/// let metrics = MetricsRegistry::new(RecordingLevel::Info, "word-count");
/// let thread = ThreadSensors::new(&metrics, "StreamThread-1");
/// thread.record_process(Duration::from_millis(2), 10);
/// let processed = metrics.value(
///     "rstreams_thread_processed_records_total",
///     &[("thread", "StreamThread-1"), ("application_id", "word-count")],
/// );
/// assert_eq!(processed, Some(10.0));
/// assert!(metrics.encode().contains("rstreams_thread_processed_records_total{"));
/// ```
#[derive(Clone)]
pub struct MetricsRegistry {
    inner: Arc<Inner>,
}

/// One series' current value, as the Prometheus text format shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSample {
    /// The full name (`rstreams_task_processed_records_total`,
    /// `rstreams_node_process_latency_seconds_count`, ...).
    pub name: String,
    /// The labels, in order.
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: f64,
}

impl MetricSample {
    /// The value of a label.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl MetricsRegistry {
    /// An empty registry recording at `level`; every series carries the label
    /// `application_id`.
    pub fn new(level: RecordingLevel, application_id: &str) -> Self {
        let mut registry = Registry::with_prefix_and_labels(
            "rstreams",
            std::iter::once((
                Cow::Borrowed("application_id"),
                Cow::Owned(application_id.to_string()),
            )),
        );
        let families = Families::new();
        families.register(&mut registry);
        Self {
            inner: Arc::new(Inner {
                level,
                registry,
                families,
            }),
        }
    }

    /// The recording level.
    pub fn level(&self) -> RecordingLevel {
        self.inner.level
    }

    pub(crate) fn families(&self) -> &Families {
        &self.inner.families
    }

    /// Every metric in the Prometheus text exposition format (version 0.0.4
    /// compatible; OpenMetrics `# EOF` terminated).
    pub fn encode(&self) -> String {
        let mut text = String::new();
        if let Err(error) = encode(&mut text, &self.inner.registry) {
            tracing::error!(%error, "encoding the metrics failed");
        }
        text
    }

    /// Every series with its current value.
    pub fn samples(&self) -> Vec<MetricSample> {
        self.encode().lines().filter_map(parse_sample).collect()
    }

    /// The value of the first series named `name` whose labels include all of
    /// `labels`.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.samples()
            .into_iter()
            .find(|s| s.name == name && labels.iter().all(|(k, v)| s.label(k) == Some(*v)))
            .map(|s| s.value)
    }

    /// The sum of every series named `name` whose labels include all of `labels`.
    pub fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples()
            .into_iter()
            .filter(|s| s.name == name && labels.iter().all(|(k, v)| s.label(k) == Some(*v)))
            .map(|s| s.value)
            .sum()
    }
}

impl std::fmt::Debug for MetricsRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsRegistry")
            .field("level", &self.inner.level)
            .finish_non_exhaustive()
    }
}

/// Parses one sample line, `name{k="v",...} value`; comments give `None`.
fn parse_sample(line: &str) -> Option<MetricSample> {
    if line.starts_with('#') || line.is_empty() {
        return None;
    }
    let (series, value) = line.rsplit_once(' ')?;
    let value: f64 = value.parse().ok()?;
    let (name, labels) = match series.split_once('{') {
        Some((name, rest)) => (name, parse_labels(rest.strip_suffix('}')?)?),
        None => (series, Vec::new()),
    };
    Some(MetricSample {
        name: name.to_string(),
        labels,
        value,
    })
}

fn parse_labels(text: &str) -> Option<Vec<(String, String)>> {
    let mut labels = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (key, after) = rest.split_once("=\"")?;
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next()? {
                (_, '\\') => {
                    let (_, escaped) = chars.next()?;
                    value.push(if escaped == 'n' { '\n' } else { escaped });
                }
                (i, '"') => break i,
                (_, c) => value.push(c),
            }
        };
        labels.push((key.trim_start_matches(',').to_string(), value));
        rest = after[end + 1..].trim_start_matches(',');
    }
    Some(labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_read_back_what_was_recorded() {
        let metrics = MetricsRegistry::new(RecordingLevel::Info, "app");
        let labels: Labels = vec![("task", "0_1".into())];
        metrics
            .families()
            .task_processed
            .get_or_create_owned(&labels)
            .inc_by(3);
        metrics
            .families()
            .consumer_lag
            .get_or_create_owned(&vec![
                ("topic", "in \"x\"".into()),
                ("partition", "2".into()),
            ])
            .set(17);
        assert_eq!(
            metrics.value(
                "rstreams_task_processed_records_total",
                &[("task", "0_1"), ("application_id", "app")]
            ),
            Some(3.0)
        );
        assert_eq!(
            metrics.value(
                "rstreams_consumer_lag_records",
                &[("topic", "in \"x\""), ("partition", "2")]
            ),
            Some(17.0)
        );
        assert_eq!(
            metrics.value("rstreams_task_processed_records_total", &[("task", "9_9")]),
            None
        );
    }
}
