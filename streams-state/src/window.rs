//! The byte-level [`WindowStore`] trait and the types its iterators yield.

use crate::{KeyValueUpdate, Result, StateStore};

/// One record of a window store: a key, the start of its window and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowedEntry {
    /// The record key.
    pub key: Vec<u8>,
    /// Start of the window, in ms.
    pub window_start: i64,
    /// The stored value.
    pub value: Vec<u8>,
}

/// Iterator over `(window start, value)` of one key, ordered by window start.
pub type WindowIter<'a> = Box<dyn Iterator<Item = Result<(i64, Vec<u8>)>> + 'a>;

/// Iterator over window-store records of several keys.
pub type WindowedIter<'a> = Box<dyn Iterator<Item = Result<WindowedEntry>> + 'a>;

/// A store of values per key and window start, over raw bytes.
///
/// Stream time is the largest window start written so far. Records whose window
/// start is at or before `stream time - retention period` are expired: writes of
/// them are dropped and reads do not return them. Window starts must not be
/// negative. Time ranges are inclusive at both ends.
///
/// Iterators over several keys go segment by segment (oldest first) and, within
/// a segment, in byte order of the [binary key](crate::window_key); iterators
/// over one key are ordered by window start.
///
/// ```
/// use streams_state::{SegmentedWindowStore, WindowStore};
///
/// let mut store = SegmentedWindowStore::in_memory("windows", 3_600_000, false)?;
/// store.put(b"k", Some(b"a"), 0)?;
/// store.put(b"k", Some(b"b"), 60_000)?;
/// let windows: Vec<(i64, Vec<u8>)> =
///     store.fetch_range(b"k", 0, 60_000)?.collect::<Result<_, _>>()?;
/// assert_eq!(windows, vec![(0, b"a".to_vec()), (60_000, b"b".to_vec())]);
/// # Ok::<(), streams_state::StateStoreError>(())
/// ```
pub trait WindowStore: StateStore {
    /// Stores `value` for `key` in the window starting at `window_start`;
    /// `None` deletes it. With [`retain_duplicates`](Self::retain_duplicates)
    /// every write is kept (under a new sequence number) and `None` is ignored.
    fn put(&mut self, key: &[u8], value: Option<&[u8]>, window_start: i64) -> Result<()>;

    /// The value of `key` in the window starting at `window_start` (the first
    /// one written, if duplicates are retained).
    fn fetch(&self, key: &[u8], window_start: i64) -> Result<Option<Vec<u8>>>;

    /// The windows of `key` starting in `time_from..=time_to`, ordered by start.
    fn fetch_range(&self, key: &[u8], time_from: i64, time_to: i64) -> Result<WindowIter<'_>>;

    /// The windows of keys in `key_from..=key_to` starting in `time_from..=time_to`.
    fn fetch_key_range(
        &self,
        key_from: &[u8],
        key_to: &[u8],
        time_from: i64,
        time_to: i64,
    ) -> Result<WindowedIter<'_>>;

    /// The windows of all keys starting in `time_from..=time_to`.
    fn fetch_all(&self, time_from: i64, time_to: i64) -> Result<WindowedIter<'_>>;

    /// Every unexpired record.
    fn all(&self) -> Result<WindowedIter<'_>>;

    /// How long records are retained behind stream time, in ms.
    fn retention_period(&self) -> i64;

    /// Whether every write is kept, even to the same key and window (as
    /// stream-stream joins need).
    fn retain_duplicates(&self) -> bool;

    /// The sequence number under which the last retained duplicate was stored
    /// (see [`window_key`](crate::window_key)); `0` before any, and always `0`
    /// for stores that do not retain duplicates. Change-logging layers use it to
    /// log the exact stored key.
    fn last_seqnum(&self) -> u32 {
        0
    }

    /// Applies changelog records whose keys are in the
    /// [binary window-key layout](crate::window_key); `None` deletes.
    /// Expired records are skipped; malformed keys are
    /// [`Corrupt`](crate::StateStoreError::Corrupt) errors.
    fn restore_batch(&mut self, records: &[KeyValueUpdate]) -> Result<()>;
}
