//! Resident memory of an rstreams instance running the e2e count (cached
//! RocksDB store with changelog, one stream thread, 4 partitions) over 100k and
//! over 10M distinct keys, the instance in its own process so only its memory
//! is counted (the broker and the load stay in this process).
//!
//! What is measured, from `/proc/<pid>/status` of the instance: `rss_peak_mib`
//! is `VmHWM`, the most the process was ever resident; `rss_median_mib` the
//! median of `VmRSS` sampled every 20 ms while it processed (its steady
//! working set); `rss_at_completion_mib` the `VmRSS` when its committed offsets
//! first covered the whole input (every key in the store). Resident memory
//! includes librdkafka's prefetch queue and producer buffers, the record cache,
//! RocksDB's memtables, block cache and index blocks, and the allocator's
//! retained free memory; it excludes what the OS page cache holds of the
//! RocksDB files. Each case runs with the shared RocksDB bound
//! (`rocksdb.block.cache.bytes`, `rocksdb.write.buffer.bytes`) at its defaults
//! and at a quarter of them, so what the bound holds back shows.

use super::e2e::{self, Fixture};
use super::scaling::{self, SINGLE};
use crate::report::{BenchResult, properties_json};
use std::error::Error;

/// Input size and distinct keys of each case: 10 records per key over 100k
/// keys, one record per key over 10M keys (a tenth of each with `--quick`).
const CASES: [(u64, u64); 2] = [(1_000_000, 100_000), (10_000_000, 10_000_000)];

/// Instance settings compared, by name: the defaults (a 128 MiB shared block
/// cache with 32 MiB of memtables charged to it) and a quarter of them.
const SETTINGS: &[(&str, &[(&str, &str)])] = &[
    ("defaults", &[]),
    (
        "rocksdb-32MiB",
        &[
            ("rocksdb.block.cache.bytes", "33554432"),
            ("rocksdb.write.buffer.bytes", "8388608"),
        ],
    ),
];

/// `memory-count`.
pub fn count() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    let mut results = Vec::new();
    for (records, keys) in CASES.map(|(r, k)| (crate::scale::scaled(r), crate::scale::scaled(k))) {
        for (settings_name, settings) in SETTINGS {
            let fixture = Fixture::with_input(records, keys)?;
            let run = scaling::run_rstreams(&fixture, "count", SINGLE, settings, |monitor| {
                Ok(e2e::committed_records(monitor)? >= records)
            });
            fixture.shutdown();
            let run = run?;
            let result = BenchResult::new("memory-count", records, run.elapsed)
                .with("distinct_keys", keys)
                .with("settings", *settings_name)
                .with("settings_applied", properties_json(settings))
                .with("value_bytes", e2e::VALUE_BYTES as u64)
                .with("partitions", e2e::PARTITIONS as u64);
            results.push(run.annotate(result));
        }
    }
    Ok(results)
}
