//! Windowed keys: the key of a windowed aggregation's result is the record key
//! plus the window it belongs to.

use std::fmt;

/// A time interval `[start, end)` in milliseconds: start inclusive, end exclusive
/// (session and sliding windows are closed at both ends, `[start, end]`, as in
/// Kafka Streams).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Window {
    /// First millisecond of the window.
    pub start: i64,
    /// End of the window.
    pub end: i64,
}

impl Window {
    /// A window from `start` to `end`.
    pub fn new(start: i64, end: i64) -> Self {
        Self { start, end }
    }
}

/// A key together with the window its aggregate belongs to.
///
/// ```
/// use streams_core::record::{Window, Windowed};
/// let key = Windowed::new("card-1".to_string(), Window::new(60_000, 120_000));
/// assert_eq!(key.to_string(), "[card-1@60000/120000]");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Windowed<K> {
    /// The record key.
    pub key: K,
    /// The window.
    pub window: Window,
}

impl<K> Windowed<K> {
    /// A windowed key.
    pub fn new(key: K, window: Window) -> Self {
        Self { key, window }
    }
}

impl<K: fmt::Display> fmt::Display for Windowed<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{}@{}/{}]",
            self.key, self.window.start, self.window.end
        )
    }
}
