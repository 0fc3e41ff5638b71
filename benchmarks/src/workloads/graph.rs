//! The processor graph's own overhead: typed records pushed through a stateless
//! DSL chain inside one task, with no serdes and no I/O.

use crate::report::BenchResult;
use std::error::Error;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use streams_core::error::StreamsError;
use streams_core::record::{ProducedRecord, Record};
use streams_core::task::{RecordCollector, StreamTask, TaskConfig, TaskId};
use streams_dsl::prelude::*;

const WARMUP_RECORDS: u64 = 1_000_000;
const MEASURED_RECORDS: u64 = 20_000_000;

/// Drops whatever a task produces (the chain has no sink).
struct DiscardingCollector;

impl RecordCollector for DiscardingCollector {
    fn send(&mut self, _record: ProducedRecord) -> Result<(), StreamsError> {
        Ok(())
    }

    fn partitions(&mut self, _topic: &str) -> Result<i32, StreamsError> {
        Ok(1)
    }
}

/// filter -> map_values -> map over already-deserialized `Record<u64, i64>`s.
pub fn stateless_chain() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    let reached_end = Arc::new(AtomicU64::new(0));
    let counter = reached_end.clone();
    let builder = StreamsBuilder::new();
    builder
        .stream::<u64, i64>("input", Consumed::default())
        .filter(|_, value| value % 16 != 0)
        .named("filter")
        .map_values(|value| value.wrapping_mul(3))
        .map(move |key, value| {
            counter.fetch_add(1, Ordering::Relaxed);
            (key ^ 1, value + 1)
        });
    let topology = builder.build()?;
    let config = TaskConfig {
        application_id: "bench".into(),
        wall_clock_ms: 0,
        handlers: Default::default(),
        metrics: streams_core::metrics::MetricsRegistry::new(Default::default(), "bench"),
        state_dir: std::env::temp_dir().join("rstreams-bench-graph"),
        cache: streams_state::ThreadCache::new(0),
        rocksdb: Default::default(),
        global_stores: Default::default(),
    };
    let mut task = StreamTask::new(
        &topology,
        TaskId {
            subtopology: 0,
            partition: 0,
        },
        config,
        Box::new(DiscardingCollector),
    )?;
    let entry = task.node_handle::<u64, i64>("filter")?;
    let mut run = |from: u64, count: u64| -> Result<(), StreamsError> {
        for i in from..from + count {
            task.process_at(&entry, Record::new(i, i as i64, i as i64))?;
        }
        Ok(())
    };
    run(0, WARMUP_RECORDS)?;
    let started = Instant::now();
    run(WARMUP_RECORDS, MEASURED_RECORDS)?;
    let elapsed = started.elapsed();

    let total = WARMUP_RECORDS + MEASURED_RECORDS;
    let expected = total - total.div_ceil(16);
    let reached = reached_end.load(Ordering::Relaxed);
    if reached != expected {
        return Err(
            format!("{reached} records reached the end of the chain, expected {expected}").into(),
        );
    }
    let ns_per_record = elapsed.as_nanos() as f64 / MEASURED_RECORDS as f64;
    Ok(vec![
        BenchResult::new("graph-stateless-chain", MEASURED_RECORDS, elapsed)
            .with("ns_per_record", (ns_per_record * 100.0).round() / 100.0)
            .with("operators", "filter -> map_values -> map"),
    ])
}
