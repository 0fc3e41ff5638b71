//! Window specifications, with the Kafka Streams semantics: time windows for
//! windowed aggregations (`[start, end)` in event time) and join windows for
//! stream-stream joins (a time difference around each record, both ends
//! included). A record later than its window's end plus the grace period is
//! dropped.

mod join_windows;
mod time_windows;

pub use join_windows::JoinWindows;
pub use time_windows::TimeWindows;

use std::time::Duration;

/// Milliseconds of a duration, saturating at `i64::MAX`.
pub(crate) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
