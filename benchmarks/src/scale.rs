//! How big a run is: the sizes each workload documents, or a tenth of them
//! with `benchmarks --quick NAME...`, to check on a busy machine that a
//! workload works (its numbers are then not comparable with full runs; every
//! line of a quick run says `"quick": true`). The broker-backed workloads
//! (`e2e-*`, `latency-*`, `memory-count`, `scaling-*`, `peers`) and
//! `count-cached-keys` scale; the others run at full size either way.

use std::sync::atomic::{AtomicBool, Ordering};

static QUICK: AtomicBool = AtomicBool::new(false);

/// Makes the rest of this run quick (or full again).
pub fn set_quick(quick: bool) {
    QUICK.store(quick, Ordering::Relaxed);
}

/// Whether this run is quick.
pub fn is_quick() -> bool {
    QUICK.load(Ordering::Relaxed)
}

/// `full`, or a tenth of it (at least 1) in a quick run: record counts,
/// key counts, measured durations.
pub fn scaled(full: u64) -> u64 {
    if is_quick() { (full / 10).max(1) } else { full }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_runs_take_a_tenth() {
        set_quick(false);
        assert_eq!(scaled(1_000_000), 1_000_000);
        set_quick(true);
        assert_eq!(scaled(1_000_000), 100_000);
        assert_eq!(scaled(5), 1);
        set_quick(false);
    }
}
