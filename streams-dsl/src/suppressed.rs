//! `Suppressed`: how `KTable::suppress` holds updates back — until a window
//! closes (final results) or for a time limit per key (rate limiting).

use crate::{BufferConfig, StrictBufferConfig};
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;
use streams_core::record::Windowed;

/// The buffer time of an update: when its wait starts, from its key and timestamp.
pub(crate) type BufferTime<K> = Arc<dyn Fn(&K, i64) -> i64 + Send + Sync>;

/// When a suppressed update may be forwarded.
pub(crate) enum SuppressUntil<K> {
    /// Once stream time passes the window end plus the upstream grace period;
    /// the buffer time is the window end (taken from the key).
    WindowCloses(BufferTime<K>),
    /// Once stream time reaches the timestamp of a key's first buffered update
    /// plus the limit.
    TimeLimit(Duration),
}

/// How a table's updates are suppressed, as Kafka Streams' `Suppressed`:
/// [`until_window_closes`](Suppressed::until_window_closes) for the final result
/// of each window, [`until_time_limit`](Suppressed::until_time_limit) for at most
/// one update per key per time limit.
///
/// Suppression advances on stream time (the timestamps of the updates reaching
/// it), never on wall-clock time: with no new records, buffered updates wait.
///
/// ```
/// use std::time::Duration;
/// use streams_dsl::prelude::*;
/// let final_counts = Suppressed::<Windowed<String>>::until_window_closes(BufferConfig::unbounded())
///     .with_name("final-counts");
/// let rate_limited = Suppressed::<String>::until_time_limit(
///     Duration::from_secs(60),
///     BufferConfig::max_records(10_000).emit_early_when_full(),
/// );
/// ```
pub struct Suppressed<K> {
    pub(crate) name: Option<String>,
    pub(crate) until: SuppressUntil<K>,
    pub(crate) buffer: BufferConfig,
    key: PhantomData<fn(K)>,
}

impl<K> Suppressed<K> {
    /// Forwards the latest update of a key once stream time reaches the
    /// timestamp of its first buffered update plus `limit` (a zero limit
    /// forwards every update at once). Works for any table; a full buffer emits
    /// early or shuts down as `buffer` says.
    pub fn until_time_limit(limit: Duration, buffer: impl Into<BufferConfig>) -> Self {
        Self {
            name: None,
            until: SuppressUntil::TimeLimit(limit),
            buffer: buffer.into(),
            key: PhantomData,
        }
    }

    /// Names the suppression node; its buffer is the store `<name>-store`, logged
    /// to `<application.id>-<name>-store-changelog` (Kafka Streams' naming).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
}

impl<K: 'static> Suppressed<Windowed<K>> {
    /// Forwards only the final result of each window of a windowed aggregation's
    /// table: once stream time passes the window's end plus the grace period of
    /// the windows upstream (taken from the aggregation, as Kafka Streams does).
    /// Works for any `Windowed<K>` key: the window end comes from the key.
    ///
    /// Deletes are not forwarded (there is no final result to retract), as in
    /// Kafka Streams. The buffer never emits early: it is unbounded, or fails the
    /// task when full.
    pub fn until_window_closes(buffer: StrictBufferConfig) -> Self {
        Self {
            name: None,
            until: SuppressUntil::WindowCloses(Arc::new(|key: &Windowed<K>, _| key.window.end)),
            buffer: buffer.into(),
            key: PhantomData,
        }
    }
}
