//! What restoration reads changelogs with: a [`ChangelogReader`] (the
//! thread's restore consumer, an in-memory log in the unit tests) positioned
//! per changelog partition, returning [`ChangelogEntry`]s.

use super::RuntimeError;
use std::time::Duration;
use streams_state::TopicPartition;

/// A changelog record read during restoration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChangelogEntry {
    /// Index of its partition in the list given to [`ChangelogReader::assign`].
    pub(crate) partition: usize,
    /// Its offset.
    pub(crate) offset: i64,
    /// Binary key (`None` cannot be restored and is skipped).
    pub(crate) key: Option<Vec<u8>>,
    /// Value; `None` deletes the key.
    pub(crate) value: Option<Vec<u8>>,
    /// The record's timestamp (what a global store keeps with its row).
    pub(crate) timestamp: i64,
}

/// Reads changelog partitions (the runtime's restore consumer; an in-memory log
/// in tests).
pub(crate) trait ChangelogReader {
    /// The partition's end offset: the offset the next written record will get.
    fn end_offset(&mut self, partition: &TopicPartition) -> Result<i64, RuntimeError>;

    /// The application's consumer group's committed offset of the partition
    /// (of a source topic that is a store's changelog), if it has one.
    fn committed_offset(&mut self, partition: &TopicPartition)
    -> Result<Option<i64>, RuntimeError>;

    /// Reads these partitions from now on, each from its offset (`None`: from
    /// the start of the log); replaces any earlier assignment.
    fn assign(&mut self, partitions: &[(TopicPartition, Option<i64>)]) -> Result<(), RuntimeError>;

    /// The next records, at most `max`, waiting up to `timeout` for the first.
    fn poll(&mut self, timeout: Duration, max: usize) -> Result<Vec<ChangelogEntry>, RuntimeError>;

    /// The offset of the next record to be read from the partition at `index`.
    fn position(&mut self, index: usize) -> Result<Option<i64>, RuntimeError>;

    /// Stops reading every partition.
    fn unassign(&mut self) -> Result<(), RuntimeError>;
}
