//! The byte-level [`SessionStore`] trait and the type its iterators yield.

use crate::{KeyValueUpdate, Result, StateStore};

/// One session: a key, the times of its first and last records, and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEntry {
    /// The record key.
    pub key: Vec<u8>,
    /// Time of the session's first record, in ms.
    pub start: i64,
    /// Time of the session's last record, in ms.
    pub end: i64,
    /// The stored value (the session's aggregate).
    pub value: Vec<u8>,
}

/// Iterator over sessions.
pub type SessionIter<'a> = Box<dyn Iterator<Item = crate::Result<SessionEntry>> + 'a>;

/// A store of session aggregates, over raw bytes, as session-windowed
/// aggregations need.
///
/// Stream time is the largest session end written so far. Sessions ending at or
/// before `stream time - retention period` are expired: writes of them are
/// dropped and reads do not return them. Session times must not be negative and
/// a session must not end before it starts.
///
/// ```
/// use streams_state::{SegmentedSessionStore, SessionStore};
///
/// let mut store = SegmentedSessionStore::in_memory("sessions", 3_600_000)?;
/// store.put(b"user", 0, 100, b"2 clicks")?;
/// let overlapping: Vec<_> = store.find_sessions(b"user", 50, 150)?.collect::<Result<_, _>>()?;
/// assert_eq!(overlapping.len(), 1);
/// assert_eq!(overlapping[0].value, b"2 clicks");
/// # Ok::<(), streams_state::StateStoreError>(())
/// ```
pub trait SessionStore: StateStore {
    /// Stores `value` for the session of `key` from `start` to `end`.
    fn put(&mut self, key: &[u8], start: i64, end: i64, value: &[u8]) -> Result<()>;

    /// Removes the session of `key` from `start` to `end`.
    fn remove(&mut self, key: &[u8], start: i64, end: i64) -> Result<()>;

    /// The value of the session of `key` from exactly `start` to `end`.
    fn fetch_session(&self, key: &[u8], start: i64, end: i64) -> Result<Option<Vec<u8>>>;

    /// Sessions of `key` with `end >= earliest_session_end` and
    /// `start <= latest_session_start` (those overlapping that range, as session
    /// merging needs), ordered by end time, then start time.
    fn find_sessions(
        &self,
        key: &[u8],
        earliest_session_end: i64,
        latest_session_start: i64,
    ) -> Result<SessionIter<'_>>;

    /// All unexpired sessions of `key`, ordered by end time, then start time.
    fn fetch(&self, key: &[u8]) -> Result<SessionIter<'_>> {
        self.find_sessions(key, 0, i64::MAX)
    }

    /// Every unexpired session of every key, in no particular order (what an
    /// aggregation emitting final results reads once when its task opens).
    fn all(&self) -> Result<SessionIter<'_>>;

    /// How long sessions are retained behind stream time, in ms.
    fn retention_period(&self) -> i64;

    /// Applies changelog records whose keys are in the
    /// [binary session-key layout](crate::session_key); `None` deletes.
    /// Expired records are skipped; malformed keys are
    /// [`Corrupt`](crate::StateStoreError::Corrupt) errors.
    fn restore_batch(&mut self, records: &[KeyValueUpdate]) -> Result<()>;
}
