//! CPU time by thread group, read from `/proc/<pid>/task/*/schedstat`: how a
//! workload's time splits between the embedded broker, librdkafka's threads,
//! RocksDB's background threads and the rest (the benchmark loop, stream
//! threads), in this process or in a child process.
//!
//! The machine these benchmarks run on has two cores shared by the broker and
//! the clients: `cores_used` (CPU seconds over wall seconds, at most the core
//! count) says whether a run was CPU-bound, and the split says who used it.

use crate::report::BenchResult;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// The group a thread is counted in, from its name (`comm`, at most 15 bytes).
fn group_of(thread_name: &str) -> &'static str {
    if thread_name.starts_with("embedded-kafka") {
        "broker"
    } else if thread_name.starts_with("rdk:") {
        "librdkafka"
    } else if thread_name.starts_with("rocksdb:") {
        "rocksdb"
    } else {
        "application"
    }
}

/// Run time of every live thread of one process at one moment.
#[derive(Debug, Clone, Default)]
pub struct CpuSnapshot {
    /// Thread id -> (group, nanoseconds on a CPU so far).
    threads: HashMap<u32, (&'static str, u64)>,
}

impl CpuSnapshot {
    /// The threads of this process.
    pub fn of_self() -> Self {
        Self::of_process(std::process::id())
    }

    /// The threads of process `pid`; threads that end while being read, or a
    /// process that is gone, are left out (a snapshot never fails a run).
    pub fn of_process(pid: u32) -> Self {
        let mut threads = HashMap::new();
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            return Self::default();
        };
        for task in tasks.flatten() {
            let Some(tid) = task.file_name().to_str().and_then(|t| t.parse().ok()) else {
                continue;
            };
            let path = task.path();
            let (Ok(name), Ok(schedstat)) = (
                std::fs::read_to_string(path.join("comm")),
                std::fs::read_to_string(path.join("schedstat")),
            ) else {
                continue;
            };
            let Some(run_ns) = schedstat
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
            else {
                continue;
            };
            threads.insert(tid, (group_of(name.trim_end()), run_ns));
        }
        Self { threads }
    }

    /// CPU time per group between `earlier` and this snapshot. Threads started
    /// since count from zero; threads that ended before this snapshot are lost,
    /// so take it before dropping the clients whose threads should count.
    pub fn since(&self, earlier: &CpuSnapshot) -> CpuUsage {
        let mut by_group: BTreeMap<String, u64> = BTreeMap::new();
        for (tid, (group, run_ns)) in &self.threads {
            let before = earlier.threads.get(tid).map_or(0, |(_, ns)| *ns);
            *by_group.entry((*group).to_string()).or_default() += run_ns.saturating_sub(before);
        }
        CpuUsage { by_group }
    }
}

/// CPU time per thread group over an interval.
#[derive(Debug, Clone, Default)]
pub struct CpuUsage {
    by_group: BTreeMap<String, u64>,
}

impl CpuUsage {
    /// The same usage with every group named `<process>_<group>`, to tell a
    /// child process's threads from this process's when both are reported.
    pub fn of_process_named(self, process: &str) -> Self {
        let by_group = self
            .by_group
            .into_iter()
            .map(|(group, ns)| (format!("{process}_{group}"), ns))
            .collect();
        Self { by_group }
    }

    /// Both usages together (groups of the same name added).
    pub fn plus(mut self, other: CpuUsage) -> Self {
        for (group, ns) in other.by_group {
            *self.by_group.entry(group).or_default() += ns;
        }
        self
    }

    /// Total CPU seconds.
    pub fn total_seconds(&self) -> f64 {
        self.by_group.values().sum::<u64>() as f64 / 1e9
    }

    /// Adds `cpu_seconds` (per group) and `cores_used` (CPU seconds over the
    /// result's wall-clock interval) to `result`.
    pub fn annotate(&self, result: BenchResult) -> BenchResult {
        let seconds: Map<String, Value> = self
            .by_group
            .iter()
            .map(|(group, ns)| (group.clone(), round3(*ns as f64 / 1e9).into()))
            .collect();
        let cores = self.total_seconds() / result.elapsed.as_secs_f64().max(f64::MIN_POSITIVE);
        result
            .with("cpu_seconds", Value::Object(seconds))
            .with("cores_used", round3(cores))
    }
}

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn threads_are_grouped_by_name() {
        assert_eq!(group_of("embedded-kafka"), "broker");
        assert_eq!(group_of("rdk:broker1"), "librdkafka");
        assert_eq!(group_of("rocksdb:low"), "rocksdb");
        assert_eq!(group_of("benchmarks"), "application");
    }

    #[test]
    fn a_busy_thread_shows_up_in_its_group() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        let before = CpuSnapshot::of_self();
        let stop = Arc::new(AtomicBool::new(false));
        let busy = std::thread::Builder::new()
            .name("rdk:test".into())
            .spawn({
                let stop = Arc::clone(&stop);
                move || {
                    // Spins until the test has seen its CPU time: on a loaded
                    // machine 40 ms of CPU can take far longer than 40 ms.
                    let mut x = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        x = x.wrapping_mul(31).wrapping_add(7);
                    }
                    std::hint::black_box(x);
                }
            })
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let usage = loop {
            let usage = CpuSnapshot::of_self().since(&before);
            if usage.by_group.get("librdkafka").copied().unwrap_or(0) >= 40_000_000
                || std::time::Instant::now() > deadline
            {
                break usage;
            }
            std::thread::yield_now();
        };
        stop.store(true, Ordering::Relaxed);
        busy.join().unwrap();
        let ns = usage.by_group.get("librdkafka").copied().unwrap_or(0);
        assert!(
            ns >= 40_000_000,
            "expected >= 40 ms in librdkafka within 30 s, got {ns} ns"
        );
    }
}
