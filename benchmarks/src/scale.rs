//! How big a run is: the sizes each workload documents, a tenth of them with
//! `benchmarks --quick NAME...` (to check on a busy machine that a workload
//! works), or a multiple with `benchmarks --scale N NAME...` (to measure a
//! steady state: at 1M records an e2e run lasts a few commit intervals, so
//! where the last commit falls weighs on its rate). The broker-backed
//! workloads (`e2e-*`, `latency-*`, `memory-count`, `scaling-*`, `peers`) and
//! `count-cached-keys` scale; the others run at full size either way. Every
//! line of a run at another scale says so (`"scale": N`), as its numbers are
//! not comparable with full runs.

use std::sync::atomic::{AtomicU64, Ordering};

/// The run's size in tenths of the documented one.
static TENTHS: AtomicU64 = AtomicU64::new(10);

/// Makes the rest of this run quick: a tenth of the documented sizes.
pub fn set_quick() {
    TENTHS.store(1, Ordering::Relaxed);
}

/// Makes the rest of this run `factor` times the documented sizes (in steps
/// of a tenth; at least a tenth).
pub fn set_factor(factor: f64) {
    TENTHS.store(((factor * 10.0).round() as u64).max(1), Ordering::Relaxed);
}

/// Whether this run is quick.
pub fn is_quick() -> bool {
    TENTHS.load(Ordering::Relaxed) == 1
}

/// The run's size as a multiple of the documented one, when it is not 1.
pub fn factor() -> Option<f64> {
    let tenths = TENTHS.load(Ordering::Relaxed);
    (tenths != 10).then(|| tenths as f64 / 10.0)
}

/// `full` at this run's scale (at least 1): record counts, key counts,
/// measured durations.
pub fn scaled(full: u64) -> u64 {
    (full.saturating_mul(TENTHS.load(Ordering::Relaxed)) / 10).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_in_tenths() {
        set_factor(1.0);
        assert_eq!(scaled(1_000_000), 1_000_000);
        assert_eq!(factor(), None);
        set_quick();
        assert_eq!(scaled(1_000_000), 100_000);
        assert_eq!(scaled(5), 1);
        assert_eq!(factor(), Some(0.1));
        assert!(is_quick());
        set_factor(5.0);
        assert_eq!(scaled(1_000_000), 5_000_000);
        assert_eq!(factor(), Some(5.0));
        set_factor(0.0);
        assert_eq!(scaled(1_000_000), 100_000);
        set_factor(1.0);
    }
}
