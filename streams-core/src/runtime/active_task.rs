//! A task as the runtime manages it: the [`StreamTask`] with its checkpoint, its
//! input partitions and its life-cycle state, following Kafka Streams'
//! `Task.State` (created -> restoring -> running -> suspended -> closed).

use super::RuntimeError;
use super::task_checkpoint::TaskCheckpoint;
use crate::task::{StreamTask, TaskId};
use std::time::Instant;
use streams_state::TopicPartition;

/// Where a task is in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TaskState {
    /// Its stores are open; restoration has not started.
    Created,
    /// Its stores replay their changelogs; it does not process.
    Restoring,
    /// It processes records.
    Running,
    /// Committed and idle after a revocation; the next assignment resumes it
    /// or closes it.
    Suspended,
    /// Its stores are closed (terminal).
    Closed,
}

impl TaskState {
    /// Whether Kafka Streams allows moving from `self` to `next`.
    pub(crate) fn can_transition_to(self, next: TaskState) -> bool {
        use TaskState::*;
        matches!(
            (self, next),
            (Created, Restoring | Suspended | Closed)
                | (Restoring, Running | Suspended | Closed)
                | (Running, Suspended | Closed)
                | (Suspended, Restoring | Running | Closed)
        )
    }
}

/// What a task does for its partitions. Standby tasks (replicas kept warm
/// from the changelogs) come with the assignment work; the manager keeps the
/// kind so they can be added without reshaping it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TaskKind {
    /// Processes its input partitions and owns their output.
    Active,
}

/// A task with what the runtime tracks about it.
pub(crate) struct ActiveTask {
    /// The task itself.
    pub(crate) task: StreamTask,
    /// How far its changelogs are reflected in its stores.
    pub(crate) checkpoint: TaskCheckpoint,
    /// Its input partitions.
    pub(crate) partitions: Vec<TopicPartition>,
    /// Since when it has waited for data on an empty input partition.
    pub(crate) idle_since: Option<Instant>,
    /// Whether its stores caught up with their changelogs (a task suspended
    /// while restoring restores again when resumed).
    pub(crate) restored: bool,
    kind: TaskKind,
    state: TaskState,
}

impl ActiveTask {
    /// A newly created task.
    pub(crate) fn new(
        task: StreamTask,
        checkpoint: TaskCheckpoint,
        partitions: Vec<TopicPartition>,
    ) -> Self {
        Self {
            task,
            checkpoint,
            partitions,
            idle_since: None,
            restored: false,
            kind: TaskKind::Active,
            state: TaskState::Created,
        }
    }

    /// Its id.
    pub(crate) fn id(&self) -> TaskId {
        self.task.id()
    }

    /// Its kind.
    pub(crate) fn kind(&self) -> TaskKind {
        self.kind
    }

    /// Its state.
    #[cfg(test)]
    pub(crate) fn state(&self) -> TaskState {
        self.state
    }

    /// Moves it to `next`; a move Kafka Streams does not allow is a bug in
    /// the runtime, reported as such.
    pub(crate) fn transition(&mut self, next: TaskState) -> Result<(), RuntimeError> {
        if !self.state.can_transition_to(next) {
            return Err(RuntimeError::TaskState {
                task: self.id().to_string(),
                from: format!("{:?}", self.state),
                to: format!("{next:?}"),
            });
        }
        self.state = next;
        Ok(())
    }

    /// The changelog partitions of its logged stores.
    pub(crate) fn changelog_partitions(&self) -> Vec<TopicPartition> {
        self.checkpoint
            .changelogs()
            .iter()
            .map(|c| c.partition.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::TaskState::*;

    #[test]
    fn transitions_follow_kafka_streams_task_states() {
        for (from, to) in [
            (Created, Restoring),
            (Restoring, Running),
            (Running, Suspended),
            (Suspended, Running),
            (Suspended, Restoring),
            (Restoring, Suspended),
            (Running, Closed),
            (Suspended, Closed),
            (Created, Closed),
        ] {
            assert!(from.can_transition_to(to), "{from:?} -> {to:?}");
        }
        for (from, to) in [
            (Created, Running),
            (Running, Restoring),
            (Closed, Running),
            (Closed, Created),
            (Running, Running),
        ] {
            assert!(!from.can_transition_to(to), "{from:?} -> {to:?}");
        }
    }
}
