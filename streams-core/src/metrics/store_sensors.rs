//! The store metrics of one task, recorded after each commit from what the
//! stores report ([`StoreStatistics`]): the caching layer's hits and misses
//! as counters (DEBUG, as Kafka Streams records its `hit-ratio-*` at DEBUG;
//! the ratio is `hits / (hits + misses)` over a window, e.g. of `rate()`s in
//! PromQL) and RocksDB's `estimate-num-keys`, `total-sst-files-size` and
//! `cur-size-all-mem-tables` as gauges (INFO, as Kafka's KIP-607 property
//! metrics). The series of a task's stores go when the task closes.

use super::registry::Labels;
use super::{MetricsRegistry, RecordingLevel};
use crate::task::TaskId;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use streams_state::StoreStatistics;

/// The handles of one store, with the cache counts already recorded.
struct StoreSeries {
    store: String,
    labels: Labels,
    hits: Option<(Counter, u64)>,
    misses: Option<(Counter, u64)>,
    sizes: Option<[Gauge; 3]>,
}

/// The store metrics of one task.
pub(crate) struct StoreSensors {
    registry: MetricsRegistry,
    task: String,
    stores: Vec<StoreSeries>,
}

/// Adds to `counter` what `total` grew by since `recorded`.
fn advance((counter, recorded): &mut (Counter, u64), total: u64) {
    counter.inc_by(total.saturating_sub(*recorded));
    *recorded = total;
}

impl StoreSensors {
    /// The store sensors of `task` in `registry`.
    pub(crate) fn new(registry: &MetricsRegistry, task: TaskId) -> Self {
        Self {
            registry: registry.clone(),
            task: task.to_string(),
            stores: Vec::new(),
        }
    }

    /// Records what each store reports, as the recording level asks.
    pub(crate) fn record<'a>(
        &mut self,
        statistics: impl Iterator<Item = (&'a str, StoreStatistics)>,
    ) {
        let level = self.registry.level();
        let (debug, info) = (
            level.records(RecordingLevel::Debug),
            level.records(RecordingLevel::Info),
        );
        if !info {
            return;
        }
        for (store, stats) in statistics {
            let index = match self.stores.iter().position(|s| s.store == store) {
                Some(index) => index,
                None => {
                    self.stores.push(self.series(store, stats, debug));
                    self.stores.len() - 1
                }
            };
            let series = &mut self.stores[index];
            if let (Some(cache), Some(hits), Some(misses)) =
                (stats.cache, &mut series.hits, &mut series.misses)
            {
                advance(hits, cache.hits);
                advance(misses, cache.misses);
            }
            if let (Some(sizes), Some([keys, sst, memtables])) = (stats.rocksdb, &series.sizes) {
                keys.set(i64::try_from(sizes.estimated_keys).unwrap_or(i64::MAX));
                sst.set(i64::try_from(sizes.sst_files_bytes).unwrap_or(i64::MAX));
                memtables.set(i64::try_from(sizes.memtable_bytes).unwrap_or(i64::MAX));
            }
        }
    }

    /// The series of a store seen for the first time.
    fn series(&self, store: &str, stats: StoreStatistics, debug: bool) -> StoreSeries {
        let families = self.registry.families();
        let labels: Labels = vec![("task", self.task.clone()), ("store", store.to_string())];
        let cached = debug && stats.cache.is_some();
        StoreSeries {
            store: store.to_string(),
            hits: cached.then(|| (families.store_cache_hits.get_or_create_owned(&labels), 0)),
            misses: cached.then(|| (families.store_cache_misses.get_or_create_owned(&labels), 0)),
            sizes: stats.rocksdb.map(|_| {
                [
                    &families.store_estimated_keys,
                    &families.store_sst_files_bytes,
                    &families.store_memtable_bytes,
                ]
                .map(|family| family.get_or_create_owned(&labels))
            }),
            labels,
        }
    }
}

impl Drop for StoreSensors {
    fn drop(&mut self) {
        let families = self.registry.families();
        for series in &self.stores {
            for family in [&families.store_cache_hits, &families.store_cache_misses] {
                family.remove(&series.labels);
            }
            for family in [
                &families.store_estimated_keys,
                &families.store_sst_files_bytes,
                &families.store_memtable_bytes,
            ] {
                family.remove(&series.labels);
            }
        }
    }
}
