//! Session windows: bursts of activity per key, separated by gaps of inactivity.

use super::millis;
use std::time::Duration;

/// Windows that track each key's sessions of activity: a session holds records
/// no more than the inactivity gap apart, from its first record's timestamp to
/// its last one's (`[start, end]`, both inclusive). A record within the gap of
/// two sessions merges them. A record is dropped when the session it would
/// create or extend ended more than `gap + grace` before stream time, as in
/// Kafka Streams.
///
/// ```
/// use std::time::Duration;
/// use streams_dsl::windows::SessionWindows;
/// let sessions = SessionWindows::of_inactivity_gap_and_grace(Duration::from_secs(300), Duration::from_secs(30));
/// assert_eq!((sessions.inactivity_gap_ms(), sessions.grace_ms()), (300_000, 30_000));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionWindows {
    pub(crate) gap_ms: i64,
    pub(crate) grace_ms: i64,
}

impl SessionWindows {
    /// Sessions that end after `gap` without records (at least 1 ms) and accept
    /// out-of-order records up to `grace` after they close.
    pub fn of_inactivity_gap_and_grace(gap: Duration, grace: Duration) -> Self {
        Self {
            gap_ms: millis(gap).max(1),
            grace_ms: millis(grace),
        }
    }

    /// Sessions that end after `gap` without records and close as soon as
    /// stream time passes their end plus the gap.
    pub fn of_inactivity_gap_with_no_grace(gap: Duration) -> Self {
        Self::of_inactivity_gap_and_grace(gap, Duration::ZERO)
    }

    /// The inactivity gap in milliseconds.
    pub fn inactivity_gap_ms(&self) -> i64 {
        self.gap_ms
    }

    /// Grace period in milliseconds.
    pub fn grace_ms(&self) -> i64 {
        self.grace_ms
    }
}
