//! Window specifications, with the Kafka Streams semantics: for windowed
//! aggregations, time windows are `[start, end)` in event time, session and sliding
//! windows `[start, end]`; join windows for stream-stream joins are a time
//! difference around each record, both ends included. A record later than its
//! window's end plus the grace period is dropped.

mod join_windows;
mod kind;
mod session_windows;
mod sliding_windows;
mod time_windows;

pub use join_windows::JoinWindows;
pub use session_windows::SessionWindows;
pub use sliding_windows::SlidingWindows;
pub use time_windows::TimeWindows;

pub(crate) use kind::{NonMergingWindowKind, WindowKind};

use crate::{CogroupedKStream, Data, KStream, WindowedCogroupedKStream, WindowedKStream};
use std::time::Duration;

/// Milliseconds of a duration, saturating at `i64::MAX`.
pub(crate) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Windows a grouped stream can be cut into with
/// [`KGroupedStream::windowed_by`](crate::KGroupedStream::windowed_by): each kind
/// gives its own windowed stream to aggregate.
pub trait WindowSpec<K, V>: WindowKind {
    /// The windowed stream these windows give.
    type Stream;

    /// Cuts `stream` (already grouped by key) into these windows.
    #[doc(hidden)]
    fn windowed_stream(self, stream: KStream<K, V>) -> Self::Stream;
}

/// Windows cogrouped streams can be cut into with
/// [`CogroupedKStream::windowed_by`](crate::CogroupedKStream::windowed_by):
/// each kind gives its own windowed cogrouped stream to aggregate.
pub trait CogroupWindowSpec<K, VA>: WindowKind {
    /// The windowed cogrouped stream these windows give.
    type Stream;

    /// Cuts `cogrouped` into these windows.
    #[doc(hidden)]
    fn cogrouped_stream(self, cogrouped: CogroupedKStream<K, VA>) -> Self::Stream;
}

impl<K: Data, V: Data, W: WindowKind> WindowSpec<K, V> for W {
    type Stream = WindowedKStream<K, V, W>;

    fn windowed_stream(self, stream: KStream<K, V>) -> Self::Stream {
        WindowedKStream::new(stream, self)
    }
}

impl<K: Data, VA: Data, W: WindowKind> CogroupWindowSpec<K, VA> for W {
    type Stream = WindowedCogroupedKStream<K, VA, W>;

    fn cogrouped_stream(self, cogrouped: CogroupedKStream<K, VA>) -> Self::Stream {
        WindowedCogroupedKStream::new(cogrouped, self)
    }
}
