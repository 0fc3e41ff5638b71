//! [`CommittedChangelogOffset`]: how far a logged store of a task reflects its
//! changelog, as the store itself recorded at its last commit.

use streams_state::TopicPartition;

/// The committed changelog position of one logged store of a task, from
/// [`StreamTask::committed_changelog_offsets`](super::StreamTask::committed_changelog_offsets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedChangelogOffset {
    /// The store's name.
    pub store: String,
    /// Its changelog partition (numbered as the task's partition).
    pub partition: TopicPartition,
    /// The offset of the last changelog record the store's committed state
    /// includes (checkpoint semantics: restoration resumes at `offset + 1`).
    /// `None` for a store kept in memory (restored from the start), a new
    /// store, or one written by a release that kept offsets in the task's
    /// `.checkpoint` file only.
    pub offset: Option<i64>,
}
