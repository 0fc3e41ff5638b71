//! The metric handles of one stream thread: poll, process, commit and
//! punctuate latencies and counts, its tasks, and consumer lag per input
//! partition from librdkafka's statistics.

use super::registry::Labels;
use super::{MetricsRegistry, RecordingLevel};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

struct Handles {
    poll: Histogram,
    polled: Counter,
    process: Histogram,
    processed: Counter,
    commit: Histogram,
    punctuate: Histogram,
    active_tasks: Gauge,
    restoring_tasks: Gauge,
    restore_remaining: Gauge,
    restored: Counter,
}

/// The sensors of one stream thread, for the runtime to record into. Shared
/// with the thread's consumer context, which forwards librdkafka's statistics
/// (so it is `Send + Sync`).
pub struct ThreadSensors {
    registry: MetricsRegistry,
    labels: Labels,
    handles: Option<Handles>,
    /// The (topic, partition) lag series this thread has set.
    lag_series: Mutex<HashSet<(String, i32)>>,
}

impl ThreadSensors {
    /// The sensors of thread `thread` (e.g. `StreamThread-1`) in `registry`.
    pub fn new(registry: &MetricsRegistry, thread: &str) -> Self {
        let labels: Labels = vec![("thread", thread.to_string())];
        let families = registry.families();
        let handles = registry
            .level()
            .records(RecordingLevel::Info)
            .then(|| Handles {
                poll: families.thread_poll_latency.get_or_create_owned(&labels),
                polled: families.thread_polled_records.get_or_create_owned(&labels),
                process: families.thread_process_latency.get_or_create_owned(&labels),
                processed: families
                    .thread_processed_records
                    .get_or_create_owned(&labels),
                commit: families.thread_commit_latency.get_or_create_owned(&labels),
                punctuate: families
                    .thread_punctuate_latency
                    .get_or_create_owned(&labels),
                active_tasks: families.active_tasks.get_or_create_owned(&labels),
                restoring_tasks: families.restoring_tasks.get_or_create_owned(&labels),
                restore_remaining: families.restore_remaining.get_or_create_owned(&labels),
                restored: families.restored_records.get_or_create_owned(&labels),
            });
        Self {
            registry: registry.clone(),
            labels,
            handles,
            lag_series: Mutex::default(),
        }
    }

    /// One poll that took `took` and returned `records`.
    pub fn record_poll(&self, took: Duration, records: u64) {
        if let Some(h) = &self.handles {
            h.poll.observe(took.as_secs_f64());
            h.polled.inc_by(records);
        }
    }

    /// One processing round of `records` records that took `took` (recorded as
    /// the average per record, as Kafka Streams' `process-latency`).
    pub fn record_process(&self, took: Duration, records: u64) {
        if let (Some(h), true) = (&self.handles, records > 0) {
            h.process.observe(took.as_secs_f64() / records as f64);
            h.processed.inc_by(records);
        }
    }

    /// One commit that took `took`.
    pub fn record_commit(&self, took: Duration) {
        if let Some(h) = &self.handles {
            h.commit.observe(took.as_secs_f64());
        }
    }

    /// One wall-clock punctuation round that took `took`.
    pub fn record_punctuate(&self, took: Duration) {
        if let Some(h) = &self.handles {
            h.punctuate.observe(took.as_secs_f64());
        }
    }

    /// The thread's tasks: `active` in all, `restoring` of them still restoring.
    pub fn set_tasks(&self, active: usize, restoring: usize) {
        if let Some(h) = &self.handles {
            h.active_tasks.set(active as i64);
            h.restoring_tasks.set(restoring as i64);
        }
    }

    /// Restoration progress: `restored` more records applied, `remaining` left.
    pub fn record_restore(&self, restored: u64, remaining: u64) {
        if let Some(h) = &self.handles {
            h.restored.inc_by(restored);
            h.restore_remaining
                .set(i64::try_from(remaining).unwrap_or(i64::MAX));
        }
    }

    /// Sets the lag of every assigned input partition from librdkafka's
    /// statistics of the thread's consumer (`consumer_lag`: high watermark minus
    /// committed offset; partitions librdkafka does not know the lag of yet are
    /// left out), and removes the series of partitions no longer assigned.
    pub fn record_consumer_statistics(&self, statistics: &rdkafka::Statistics) {
        let lags = statistics.topics.values().flat_map(|topic| {
            topic
                .partitions
                .values()
                .filter(|p| p.partition >= 0 && p.desired && p.consumer_lag >= 0)
                .map(|p| ((topic.topic.clone(), p.partition), p.consumer_lag))
        });
        self.set_lags(lags);
    }

    /// Replaces the consumer lag series with `lags` ((topic, partition), records).
    pub fn set_lags(&self, lags: impl IntoIterator<Item = ((String, i32), i64)>) {
        if self.handles.is_none() {
            return;
        }
        let family = &self.registry.families().consumer_lag;
        let mut series = self
            .lag_series
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut seen = HashSet::new();
        for ((topic, partition), lag) in lags {
            family
                .get_or_create_owned(&self.lag_labels(&topic, partition))
                .set(lag);
            seen.insert((topic, partition));
        }
        for (topic, partition) in series.difference(&seen) {
            family.remove(&self.lag_labels(topic, *partition));
        }
        *series = seen;
    }

    fn lag_labels(&self, topic: &str, partition: i32) -> Labels {
        let mut labels = self.labels.clone();
        labels.push(("topic", topic.to_string()));
        labels.push(("partition", partition.to_string()));
        labels
    }
}

impl std::fmt::Debug for ThreadSensors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadSensors")
            .field("labels", &self.labels)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_series_follow_the_assignment() {
        let registry = MetricsRegistry::new(RecordingLevel::Info, "app");
        let sensors = ThreadSensors::new(&registry, "StreamThread-1");
        sensors.set_lags([(("in".to_string(), 0), 40), (("in".to_string(), 1), 2)]);
        let lag = |p: &str| {
            registry.value(
                "rstreams_consumer_lag_records",
                &[
                    ("thread", "StreamThread-1"),
                    ("topic", "in"),
                    ("partition", p),
                ],
            )
        };
        assert_eq!((lag("0"), lag("1")), (Some(40.0), Some(2.0)));
        sensors.set_lags([(("in".to_string(), 1), 0)]);
        assert_eq!((lag("0"), lag("1")), (None, Some(0.0)));
        sensors.record_process(Duration::from_millis(10), 5);
        assert_eq!(
            registry.value(
                "rstreams_thread_processed_records_total",
                &[("thread", "StreamThread-1")]
            ),
            Some(5.0)
        );
    }

    #[test]
    fn nothing_is_recorded_when_metrics_are_off() {
        let registry = MetricsRegistry::new(RecordingLevel::Off, "app");
        let sensors = ThreadSensors::new(&registry, "StreamThread-1");
        sensors.record_process(Duration::from_millis(10), 5);
        assert!(registry.samples().is_empty(), "{}", registry.encode());
    }
}
