//! The registry of benchmark workloads: one module per family, one entry per name.

mod broker;
mod copy_loop;
mod e2e;
mod graph;
mod groups;
mod instance;
mod instance_run;
mod latency;
mod memory;
mod metrics_cost;
mod peers;
mod scaling;
mod send;
mod serdes;
mod stateful;

pub use instance::run_instance;

use crate::report::BenchResult;

/// A named, runnable benchmark.
pub struct Workload {
    /// Name used on the command line.
    pub name: &'static str,
    /// One line describing what it measures.
    pub about: &'static str,
    /// Runs the workload and returns its results.
    pub run: fn() -> Result<Vec<BenchResult>, Box<dyn std::error::Error>>,
}

/// Every workload, in `--list` order.
pub fn all() -> Vec<Workload> {
    vec![
        Workload {
            name: "graph-stateless-chain",
            about: "processor-graph overhead: filter -> map_values -> map on deserialized records (ns_per_record)",
            run: graph::stateless_chain,
        },
        Workload {
            name: "group-join",
            about: "embedded-kafka consumer groups with rdkafka: one consumer subscribe -> assignment (20x), three consumers forming a group (ms)",
            run: groups::join,
        },
        Workload {
            name: "serde-round-trip",
            about: "1M order records serialized and read back: Avro (registry wire format, cached schema id), JSON, bincode (records/s, bytes per record)",
            run: serdes::round_trips,
        },
        Workload {
            name: "count-cached",
            about: "10M records, 100k keys: group_by_key().count() on RocksDB with the write cache, via the TopologyTestDriver",
            run: stateful::count_cached,
        },
        Workload {
            name: "count-cached-keys",
            about: "as count-cached over 1k, 100k, 1M and 10M keys (10M records each): the cost of a growing store",
            run: stateful::count_cached_keys,
        },
        Workload {
            name: "count-uncached",
            about: "as count-cached with caching disabled (every update written, logged and forwarded)",
            run: stateful::count_uncached,
        },
        Workload {
            name: "window-count",
            about: "5M records, 10k keys: tumbling 60 s window count on RocksDB, cached",
            run: stateful::window_count,
        },
        Workload {
            name: "window-count-suppressed",
            about: "as window-count, with the final result per window only (suppress until_window_closes, unbounded buffer)",
            run: stateful::window_count_suppressed,
        },
        Workload {
            name: "window-count-emit-final",
            about: "2M records, 10k keys: tumbling 60 s window count emitting final results on window close (no suppress buffer)",
            run: stateful::window_count_emit_final,
        },
        Workload {
            name: "session-count",
            about: "2M records, 10k keys: session count (30 s gap, every record merges into its key's session) on RocksDB, cached",
            run: stateful::session_count,
        },
        Workload {
            name: "sliding-count",
            about: "1M records, 10k keys: sliding-window count (60 s difference, ~6 windows per record) on RocksDB, cached",
            run: stateful::sliding_count,
        },
        Workload {
            name: "stream-table-join",
            about: "5M stream records joined with a 100k-row table (RocksDB, cached)",
            run: stateful::stream_table_join,
        },
        Workload {
            name: "stream-global-table-join",
            about: "as stream-table-join, with the table a GlobalKTable joined by the record's key (RocksDB global store)",
            run: stateful::stream_global_table_join,
        },
        Workload {
            name: "stream-versioned-table-join",
            about: "as stream-table-join, with the table in a versioned store (1 h history) read as of each record's timestamp",
            run: stateful::stream_versioned_table_join,
        },
        Workload {
            name: "versioned-table-updates",
            about: "1M updates (1 ms apart, 100k keys) into a table in a versioned store (1 h history), forwarded",
            run: stateful::versioned_table_updates,
        },
        Workload {
            name: "table-fk-join",
            about: "foreign-key table join: 1M order updates (100k orders, 10k products), then 10k product updates fanning out to their orders",
            run: stateful::table_foreign_key_join,
        },
        Workload {
            name: "stream-stream-join",
            about: "1M left + 1M right records, 10k keys, +-100 ms windows: inner and left join (RocksDB buffers, logged)",
            run: stateful::stream_stream_join,
        },
        Workload {
            name: "broker-produce",
            about: "rdkafka producer -> embedded-kafka: 2M records, 100-byte values, 4 partitions, acks=all (records/s, MB/s)",
            run: broker::produce,
        },
        Workload {
            name: "broker-consume",
            about: "embedded-kafka -> rdkafka consumer (assign, no group): 2M records, 100-byte values, 4 partitions (records/s, MB/s)",
            run: broker::consume,
        },
        Workload {
            name: "e2e-copy-ceiling",
            about: "embedded-kafka, 1M records (100-byte values, 100k keys, 4 partitions): the fastest plain rdkafka consume -> produce copy loop found (deep prefetch, short fetch back-off, producer batching; the ceiling of the e2e ratios)",
            run: copy_loop::ceiling,
        },
        Workload {
            name: "e2e-copy-runtime-settings",
            about: "as e2e-copy-ceiling with the runtime's own consumer and producer settings (the second reference)",
            run: copy_loop::runtime_settings,
        },
        Workload {
            name: "e2e-copy-variants",
            about: "as e2e-copy-ceiling, once per client setting tried on the way to the ceiling (one line each)",
            run: copy_loop::variants,
        },
        Workload {
            name: "e2e-stateless",
            about: "as e2e-copy-ceiling through KafkaStreams: filter -> map_values -> to, until the output holds every record (plus ratio to an e2e-copy-ceiling run)",
            run: e2e::stateless,
        },
        Workload {
            name: "e2e-count",
            about: "as e2e-copy-ceiling through KafkaStreams: group_by_key().count() on cached RocksDB with changelog, until every input offset is committed (plus ratio to an e2e-copy-ceiling run)",
            run: e2e::count,
        },
        Workload {
            name: "scaling-stateless",
            about: "e2e-stateless with 1, 2 and 4 stream threads and with 2 instances (each instance its own process; ratios to e2e-copy-ceiling)",
            run: scaling::stateless,
        },
        Workload {
            name: "scaling-count",
            about: "e2e-count with 1, 2 and 4 stream threads and with 2 instances (each instance its own process; ratios to e2e-copy-ceiling)",
            run: scaling::count,
        },
        Workload {
            name: "latency-stateless",
            about: "end-to-end latency (input due time -> output arrival; p50/p99/p99.9/max) of the stateless pipeline at 1k, 10k, 100k records/s: defaults, and producer linger 5 ms",
            run: latency::stateless,
        },
        Workload {
            name: "latency-count",
            about: "as latency-stateless for the count: defaults (record cache, 30 s commits), cache off with producer linger 5 ms, and exactly_once_v2 (100 ms commits; the probe reads read_committed)",
            run: latency::count,
        },
        Workload {
            name: "memory-count",
            about: "resident memory (peak, median, at completion) of an instance (own process) counting 1M records over 100k keys and 10M records over 10M keys",
            run: memory::count,
        },
        Workload {
            name: "peers",
            about: "rstreams and Quix Streams side by side on the e2e stateless and count workloads (each its own process; needs QUIX_PYTHON: run benchmarks/peers/run.sh)",
            run: peers::quix,
        },
        Workload {
            name: "e2e-copy-transactional",
            about: "as e2e-copy-ceiling inside transactions committed every 100 ms with the consumed offsets (read_committed): a plain client loop under exactly-once",
            run: copy_loop::transactional,
        },
        Workload {
            name: "e2e-metrics-cost",
            about: "e2e-stateless and e2e-count at metrics.recording.level INFO (the default) and OFF, 3 alternating rounds each on fresh brokers: every run, then the medians and metrics_cost = 1 - info/off",
            run: metrics_cost::cost,
        },
        Workload {
            name: "e2e-count-eos",
            about: "as e2e-count under processing.guarantee=exactly_once_v2, both it and an at_least_once run committing every 100 ms (plus the ratio between them, and to an e2e-copy-transactional run)",
            run: e2e::count_eos,
        },
    ]
}
