//! Window specifications for windowed aggregations, with the Kafka
//! Streams semantics: windows are `[start, end)` in event time, a record later
//! than its window's end plus the grace period is dropped.

mod time_windows;

pub use time_windows::TimeWindows;

use std::time::Duration;

/// Milliseconds of a duration, saturating at `i64::MAX`.
pub(crate) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
