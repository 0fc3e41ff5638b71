//! What metrics cost: e2e-stateless and e2e-count (the same input and
//! pipelines as `e2e`) at the default `metrics.recording.level` (INFO) and
//! with it `OFF` (nothing recorded), in alternating runs — each round runs
//! both levels, the first level alternating between rounds, so drift of the
//! machine over time falls on both alike. Every run is reported, then per
//! pipeline the medians of both levels and `metrics_cost`, the share of the
//! OFF throughput lost at INFO (`1 - info / off`; negative when INFO came
//! out faster, i.e. within noise). `--quick` scales the input as `e2e` does.

use super::e2e::{self, AT_LEAST_ONCE};
use crate::report::BenchResult;
use std::error::Error;
use std::time::Duration;

/// Runs per level and pipeline.
const ROUNDS: usize = 3;
const LEVELS: [&str; 2] = ["INFO", "OFF"];

/// The median of `values` (sorted in place).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Both pipelines, [`ROUNDS`] alternating runs per level.
pub fn cost() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    let mut results = Vec::new();
    for pipeline in ["e2e-stateless", "e2e-count"] {
        let mut throughput: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
        for round in 0..ROUNDS {
            for step in 0..LEVELS.len() {
                let level_index = (step + round) % LEVELS.len();
                let level = LEVELS[level_index];
                let name = format!("{pipeline}-metrics-{}", level.to_ascii_lowercase());
                let extra = [("metrics.recording.level", level)];
                // The CPU only: at OFF the threads' own timings are not recorded.
                let run = match pipeline {
                    "e2e-stateless" => e2e::run_stateless(&name, &extra)?,
                    _ => e2e::run_count(&name, AT_LEAST_ONCE, &extra)?,
                };
                let result = run.cpu.annotate(
                    e2e::result(&name, run.elapsed)
                        .with("metrics_recording_level", level)
                        .with("round", round as u64),
                );
                throughput[level_index].push(result.records_per_sec());
                results.push(result);
            }
        }
        let [mut info, mut off] = throughput;
        let (info, off) = (median(&mut info), median(&mut off));
        let cost = ((1.0 - info / off) * 1000.0).round() / 1000.0;
        // The summary line's own records/s is the INFO median.
        let records = e2e::records();
        let summary = BenchResult::new(
            format!("{pipeline}-metrics-cost"),
            records,
            Duration::from_secs_f64(records as f64 / info),
        )
        .with("rounds", ROUNDS as u64)
        .with("median_records_per_sec_info", info.round())
        .with("median_records_per_sec_off", off.round())
        .with("metrics_cost", cost);
        results.push(summary);
    }
    Ok(results)
}
