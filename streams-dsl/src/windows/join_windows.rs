//! Join windows: how far apart in event time two records of a stream-stream
//! join may be, and how long late records are still accepted.

use super::millis;
use std::time::Duration;

/// The time difference within which records of two streams with the same key
/// join: a left record at `t` joins right records with timestamps in
/// `[t - before, t + after]`, both ends included; seen from the right, a record
/// at `t` joins left records in `[t - after, t + before]`.
///
/// Each record's own window closes `grace` after its end: `t + after + grace` for
/// a left record, `t + before + grace` for a right one. A record that arrives
/// once stream time has passed its close is dropped as late, and a left or outer
/// join emits an unmatched record (with `None` for the other side) only after its
/// window closed.
///
/// ```
/// use std::time::Duration;
/// use streams_dsl::windows::JoinWindows;
/// let windows = JoinWindows::of_time_difference_and_grace(Duration::from_secs(10), Duration::from_secs(2))
///     .after(Duration::from_secs(5));
/// assert_eq!((windows.before_ms(), windows.after_ms(), windows.grace_ms()), (10_000, 5_000, 2_000));
/// assert_eq!(windows.size_ms(), 15_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinWindows {
    before_ms: i64,
    after_ms: i64,
    grace_ms: i64,
}

impl JoinWindows {
    /// Records join when their timestamps are at most `difference` apart, either
    /// way; records are accepted up to `grace` after their window ends.
    pub fn of_time_difference_and_grace(difference: Duration, grace: Duration) -> Self {
        let difference_ms = millis(difference);
        Self {
            before_ms: difference_ms,
            after_ms: difference_ms,
            grace_ms: millis(grace),
        }
    }

    /// Records join when their timestamps are at most `difference` apart; a
    /// record arriving after its window ended is dropped.
    pub fn of_time_difference_with_no_grace(difference: Duration) -> Self {
        Self::of_time_difference_and_grace(difference, Duration::ZERO)
    }

    /// Changes how much earlier than a left record a right record may be.
    pub fn before(mut self, difference: Duration) -> Self {
        self.before_ms = millis(difference);
        self
    }

    /// Changes how much later than a left record a right record may be.
    pub fn after(mut self, difference: Duration) -> Self {
        self.after_ms = millis(difference);
        self
    }

    /// How much earlier than a left record a right record may be, in ms.
    pub fn before_ms(&self) -> i64 {
        self.before_ms
    }

    /// How much later than a left record a right record may be, in ms.
    pub fn after_ms(&self) -> i64 {
        self.after_ms
    }

    /// Grace period in ms.
    pub fn grace_ms(&self) -> i64 {
        self.grace_ms
    }

    /// The size of a join window, `before + after`, in ms: the window size of the
    /// stores buffering each side.
    pub fn size_ms(&self) -> i64 {
        self.before_ms.saturating_add(self.after_ms)
    }

    /// How long the stores buffering each side keep records: `before + after +
    /// grace`, in ms.
    pub fn retention_ms(&self) -> i64 {
        self.size_ms().saturating_add(self.grace_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn before_and_after_change_one_side_of_a_symmetric_window() {
        let symmetric = JoinWindows::of_time_difference_with_no_grace(Duration::from_millis(100));
        assert_eq!(
            (
                symmetric.before_ms(),
                symmetric.after_ms(),
                symmetric.grace_ms()
            ),
            (100, 100, 0)
        );
        let forward_only = symmetric.before(Duration::ZERO);
        assert_eq!(
            (forward_only.before_ms(), forward_only.after_ms()),
            (0, 100)
        );
        let backward_only = symmetric.after(Duration::ZERO);
        assert_eq!(
            (backward_only.before_ms(), backward_only.after_ms()),
            (100, 0)
        );
        assert_eq!(backward_only.size_ms(), 100);
    }

    #[test]
    fn retention_covers_both_sides_and_the_grace_period() {
        let windows = JoinWindows::of_time_difference_and_grace(
            Duration::from_millis(100),
            Duration::from_millis(30),
        )
        .after(Duration::from_millis(50));
        assert_eq!(windows.size_ms(), 150);
        assert_eq!(windows.retention_ms(), 180);
    }
}
