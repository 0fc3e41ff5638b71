//! The registry of benchmark workloads: one module per family, one entry per name.

mod graph;

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
    vec![Workload {
        name: "graph-stateless-chain",
        about: "processor-graph overhead: filter -> map_values -> map on deserialized records (ns_per_record)",
        run: graph::stateless_chain,
    }]
}
