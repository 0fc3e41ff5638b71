//! Sliding windows: one window per distinct set of records no more than a time
//! difference apart.

use super::millis;
use std::time::Duration;

/// Windows of a fixed time difference that slide with the records, as Kafka
/// Streams' `SlidingWindows`: windows are `[start, start + difference]`, both
/// inclusive, and only windows holding records exist. Each record creates its
/// left window `[t - difference, t]` and, when later records fall within the
/// difference, its right window `[t + 1, t + 1 + difference]`; it updates every
/// existing window it falls in. A record is dropped from windows that ended more
/// than the grace period before stream time.
///
/// ```
/// use std::time::Duration;
/// use streams_dsl::windows::SlidingWindows;
/// let windows = SlidingWindows::of_time_difference_with_no_grace(Duration::from_secs(10));
/// assert_eq!((windows.time_difference_ms(), windows.grace_ms()), (10_000, 0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlidingWindows {
    pub(crate) time_difference_ms: i64,
    pub(crate) grace_ms: i64,
}

impl SlidingWindows {
    /// Windows spanning `time_difference` that accept out-of-order records up to
    /// `grace` after they end.
    pub fn of_time_difference_and_grace(time_difference: Duration, grace: Duration) -> Self {
        Self {
            time_difference_ms: millis(time_difference),
            grace_ms: millis(grace),
        }
    }

    /// Windows spanning `time_difference` that close as soon as stream time
    /// passes their end.
    pub fn of_time_difference_with_no_grace(time_difference: Duration) -> Self {
        Self::of_time_difference_and_grace(time_difference, Duration::ZERO)
    }

    /// The largest time difference between two records of one window, in
    /// milliseconds.
    pub fn time_difference_ms(&self) -> i64 {
        self.time_difference_ms
    }

    /// Grace period in milliseconds.
    pub fn grace_ms(&self) -> i64 {
        self.grace_ms
    }
}
