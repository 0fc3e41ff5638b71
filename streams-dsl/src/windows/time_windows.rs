//! Tumbling and hopping windows.

use super::millis;
use std::time::Duration;
use streams_core::record::Window;

/// Fixed-size windows aligned to the epoch: tumbling (advance = size) or hopping
/// (advance < size, so windows overlap and a record falls into several).
///
/// ```
/// use std::time::Duration;
/// use streams_dsl::windows::TimeWindows;
/// let hopping = TimeWindows::of_size_with_no_grace(Duration::from_secs(10)).advance_by(Duration::from_secs(5));
/// let starts: Vec<i64> = hopping.windows_for(12_000).iter().map(|w| w.start).collect();
/// assert_eq!(starts, [5_000, 10_000]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindows {
    pub(crate) size_ms: i64,
    pub(crate) advance_ms: i64,
    pub(crate) grace_ms: i64,
}

impl TimeWindows {
    /// Windows of `size` that accept records up to `grace` after they end.
    pub fn of_size_and_grace(size: Duration, grace: Duration) -> Self {
        let size_ms = millis(size).max(1);
        Self {
            size_ms,
            advance_ms: size_ms,
            grace_ms: millis(grace),
        }
    }

    /// Windows of `size` that close as soon as stream time passes their end.
    pub fn of_size_with_no_grace(size: Duration) -> Self {
        Self::of_size_and_grace(size, Duration::ZERO)
    }

    /// Makes the windows hop: a new window starts every `advance` (at most the
    /// size; a larger value is clamped to the size, giving tumbling windows).
    pub fn advance_by(mut self, advance: Duration) -> Self {
        self.advance_ms = millis(advance).clamp(1, self.size_ms);
        self
    }

    /// Window size in milliseconds.
    pub fn size_ms(&self) -> i64 {
        self.size_ms
    }

    /// Grace period in milliseconds.
    pub fn grace_ms(&self) -> i64 {
        self.grace_ms
    }

    /// The windows a record with this timestamp belongs to, by start time.
    pub fn windows_for(&self, timestamp: i64) -> Vec<Window> {
        let mut start =
            (timestamp - self.size_ms + self.advance_ms).max(0) / self.advance_ms * self.advance_ms;
        let mut windows = Vec::with_capacity((self.size_ms / self.advance_ms) as usize);
        while start <= timestamp {
            windows.push(Window::new(start, start.saturating_add(self.size_ms)));
            start += self.advance_ms;
        }
        windows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tumbling_windows_are_start_inclusive_end_exclusive() {
        let tumbling = TimeWindows::of_size_with_no_grace(Duration::from_millis(100));
        assert_eq!(tumbling.windows_for(0), [Window::new(0, 100)]);
        assert_eq!(tumbling.windows_for(99), [Window::new(0, 100)]);
        assert_eq!(tumbling.windows_for(100), [Window::new(100, 200)]);
    }

    #[test]
    fn hopping_windows_overlap_and_never_start_before_zero() {
        let hopping = TimeWindows::of_size_with_no_grace(Duration::from_millis(100))
            .advance_by(Duration::from_millis(25));
        assert_eq!(
            hopping
                .windows_for(60)
                .iter()
                .map(|w| w.start)
                .collect::<Vec<_>>(),
            [0, 25, 50]
        );
        assert_eq!(
            hopping
                .windows_for(130)
                .iter()
                .map(|w| w.start)
                .collect::<Vec<_>>(),
            [50, 75, 100, 125]
        );
        assert!(
            hopping
                .windows_for(130)
                .iter()
                .all(|w| w.start <= 130 && 130 < w.end)
        );
    }
}
