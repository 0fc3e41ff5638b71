//! Retries with exponential backoff and jitter for a step that calls an external
//! service, without sleeping the stream thread: the failing record is held in
//! its task ([`ProcessorContext::hold_input`](super::ProcessorContext::hold_input))
//! and retried by a wall-clock punctuation when its delay has passed.
//!
//! The bound on the thread: no attempt waits; while a record waits for its
//! retry only its own task stops taking records, and the thread's other tasks
//! go on. What does block the thread is each attempt's call itself, so give an
//! external call its own timeout. The held task waits at most the sum of the
//! delays (at most `(max_attempts - 1) × max_delay`), noticed within `poll.ms`.

use std::time::Duration;

/// How often and how far apart a failing step is tried.
///
/// ```
/// use std::time::Duration;
/// use streams_core::processor::RetryPolicy;
/// let policy = RetryPolicy::new(4, Duration::from_millis(100), Duration::from_millis(250));
/// assert_eq!(policy.delay_before(2, 0), Duration::from_millis(100));
/// assert_eq!(policy.delay_before(3, 0), Duration::from_millis(200));
/// assert_eq!(policy.delay_before(4, 0), Duration::from_millis(250)); // capped
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Calls in all, the first included (at least 1).
    pub max_attempts: u32,
    /// The delay before the first retry; each further retry doubles it.
    pub base_delay: Duration,
    /// The longest delay.
    pub max_delay: Duration,
    /// The share of each delay taken off at random (0 = exact delays, 0.5 = each
    /// delay between half and all of the backoff), so records failing together do
    /// not retry together. The draw is a hash of the record's position and the
    /// attempt, so a test sees the same delays every run.
    pub jitter: f64,
}

impl RetryPolicy {
    /// `max_attempts` calls with exponential backoff from `base_delay` up to
    /// `max_delay`, no jitter.
    pub fn new(max_attempts: u32, base_delay: Duration, max_delay: Duration) -> Self {
        Self {
            max_attempts: max_attempts.max(1),
            base_delay,
            max_delay,
            jitter: 0.0,
        }
    }

    /// The same policy with this jitter (clamped to 0..=1).
    pub fn with_jitter(mut self, jitter: f64) -> Self {
        self.jitter = jitter.clamp(0.0, 1.0);
        self
    }

    /// The delay before attempt `attempt` (2 for the first retry), for the
    /// record whose position hashes to `seed`.
    pub fn delay_before(&self, attempt: u32, seed: u64) -> Duration {
        let doublings = attempt.saturating_sub(2).min(63);
        let backoff = self
            .base_delay
            .saturating_mul(1u32.checked_shl(doublings).unwrap_or(u32::MAX))
            .min(self.max_delay);
        if self.jitter <= 0.0 {
            return backoff;
        }
        let draw = unit_interval(seed ^ u64::from(attempt).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        backoff.mul_f64(1.0 - self.jitter * draw)
    }

    /// Whether attempt `attempt` (1 for the first call) may be followed by another.
    pub fn allows_retry_after(&self, attempt: u32) -> bool {
        attempt < self.max_attempts
    }
}

/// A number in [0, 1) from a 64-bit seed (splitmix64's finaliser).
fn unit_interval(seed: u64) -> f64 {
    let mut x = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitter_stays_within_its_share() {
        let policy = RetryPolicy::new(10, Duration::from_millis(50), Duration::from_secs(1));
        let delays: Vec<u128> = (2..=8)
            .map(|a| policy.delay_before(a, 7).as_millis())
            .collect();
        assert_eq!(delays, vec![50, 100, 200, 400, 800, 1000, 1000]);
        assert!(policy.allows_retry_after(9) && !policy.allows_retry_after(10));
        let jittered = policy.with_jitter(0.5);
        let mut distinct = std::collections::HashSet::new();
        for seed in 0..200 {
            let delay = jittered.delay_before(3, seed);
            assert!(
                delay > Duration::from_millis(50) && delay <= Duration::from_millis(100),
                "{delay:?}"
            );
            assert_eq!(
                delay,
                jittered.delay_before(3, seed),
                "deterministic per seed"
            );
            distinct.insert(delay);
        }
        assert!(distinct.len() > 100, "jitter spreads the delays");
        assert_eq!(
            RetryPolicy::new(0, Duration::ZERO, Duration::ZERO).max_attempts,
            1
        );
    }
}
