//! Store metrics on the TopologyTestDriver: a cached RocksDB count store
//! reports its cache hits and misses (DEBUG) and RocksDB's size estimates
//! (INFO) after each commit; the recording level decides which series exist.

use streams_core::metrics::RecordingLevel;
use streams_dsl::prelude::*;

fn counting() -> Topology {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("in", Consumed::default())
        .group_by_key()
        .count(Materialized::named("counts"))
        .to_stream()
        .to("out", Produced::default());
    builder.build().unwrap()
}

fn driver_at(level: RecordingLevel) -> TopologyTestDriver {
    let driver = TopologyTestDriver::with_config(
        counting(),
        TestDriverConfig {
            metrics_recording_level: level,
            ..TestDriverConfig::default()
        },
    )
    .unwrap();
    let input = driver.input_topic::<String, String>("in").unwrap();
    for (time, key) in ["a", "a", "b", "a"].into_iter().enumerate() {
        input.pipe(key, "x", time as i64).unwrap();
    }
    driver
}

fn store_metric(driver: &TopologyTestDriver, name: &str) -> Option<f64> {
    driver
        .metrics_registry()
        .value(name, &[("task", "0_0"), ("store", "counts")])
}

#[test]
fn at_debug_the_cache_counts_its_hits_and_misses_and_rocksdb_its_size() {
    let driver = driver_at(RecordingLevel::Debug);
    // Each record reads its key's count once: the first reads of `a` and `b`
    // miss, the two later reads of `a` find it cached.
    assert_eq!(
        store_metric(&driver, "rstreams_store_cache_hits_total"),
        Some(2.0)
    );
    assert_eq!(
        store_metric(&driver, "rstreams_store_cache_misses_total"),
        Some(2.0)
    );
    let keys = store_metric(&driver, "rstreams_store_estimated_keys").unwrap();
    assert!(
        keys >= 2.0,
        "two keys were written, RocksDB estimates {keys}"
    );
    let memtables = store_metric(&driver, "rstreams_store_memtable_bytes").unwrap();
    assert!(
        memtables > 0.0,
        "the writes sit in the memtable: {memtables}"
    );
    assert!(
        store_metric(&driver, "rstreams_store_sst_files_bytes").is_some(),
        "the SST size is exported (0 before any flush to disk)"
    );
    assert!(
        driver
            .metrics_registry()
            .encode()
            .contains("rstreams_store_cache_hits_total{"),
        "exported in the Prometheus text format"
    );
}

#[test]
fn at_info_only_the_sizes_are_recorded_and_off_records_none() {
    let driver = driver_at(RecordingLevel::Info);
    assert_eq!(
        store_metric(&driver, "rstreams_store_cache_hits_total"),
        None
    );
    assert!(store_metric(&driver, "rstreams_store_estimated_keys").unwrap() >= 2.0);
    let driver = driver_at(RecordingLevel::Off);
    assert_eq!(store_metric(&driver, "rstreams_store_estimated_keys"), None);
    assert_eq!(
        store_metric(&driver, "rstreams_store_cache_misses_total"),
        None
    );
}
