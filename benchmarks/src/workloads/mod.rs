//! The registry of benchmark workloads: one module per family, one entry per name.

mod broker;
mod e2e;
mod graph;
mod groups;
mod serdes;
mod stateful;

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
            about: "embedded-kafka, 1M records (100-byte values, 100k keys, 4 partitions): plain rdkafka consume -> produce copy loop with the runtime's client settings (the ceiling)",
            run: e2e::copy_ceiling_workload,
        },
        Workload {
            name: "e2e-stateless",
            about: "as e2e-copy-ceiling through KafkaStreams: filter -> map_values -> to, until the output holds every record (plus ratio to a ceiling run)",
            run: e2e::stateless,
        },
        Workload {
            name: "e2e-count",
            about: "as e2e-copy-ceiling through KafkaStreams: group_by_key().count() on cached RocksDB with changelog, until every input offset is committed (plus ratio to a ceiling run)",
            run: e2e::count,
        },
        Workload {
            name: "e2e-count-eos",
            about: "as e2e-count under processing.guarantee=exactly_once_v2, both it and an at_least_once run committing every 100 ms (plus the ratio between them)",
            run: e2e::count_eos,
        },
    ]
}
