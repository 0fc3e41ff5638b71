//! Creating and closing a stream thread's tasks: a task's directory is taken
//! for the thread first (another thread of the instance may still hold it),
//! its stores opened (another process may still hold their RocksDB lock),
//! its checkpoint read (the stores' own committed changelog offsets first);
//! closing writes the checkpoint (clean) or rolls the stores back to their
//! last commit (dirty).
//!
//! The stores are transactional: what a task wrote since its last commit is
//! held apart and becomes durable only with the changelog offsets it
//! corresponds to, once the output is committed
//! ([`StreamTask::commit_state`]). So under both guarantees a task closed
//! dirty (migrated, its transaction aborted) or killed keeps the state of its
//! last commit, and restoration replays only the changelog after it.

use super::RuntimeError;
use super::active_task::{ActiveTask, TaskState};
use super::producer::{KafkaRecordCollector, StreamsProducer};
use super::state_directory::{StateDirectory, TaskOwner};
use super::task_checkpoint::TaskCheckpoint;
use crate::error::StreamsError;
use crate::task::{StreamTask, TaskConfig, TaskId, TaskMetrics};
use crate::topology::Topology;
use std::rc::Rc;
use std::sync::Arc;
use streams_state::{StateStoreError, TopicPartition};

/// Why a task could not be created.
#[derive(Debug)]
pub(crate) enum CreateError {
    /// Its directory or a store is held elsewhere for now: try again later.
    Locked(String),
    /// It cannot be created.
    Failed(Box<RuntimeError>),
}

impl From<RuntimeError> for CreateError {
    fn from(error: RuntimeError) -> Self {
        Self::Failed(Box::new(error))
    }
}

/// Whether opening a store failed because its RocksDB LOCK is held (by this
/// process or another).
fn is_store_locked(error: &StreamsError) -> bool {
    match error {
        StreamsError::Store(store) => match store.as_ref() {
            StateStoreError::Open { source, .. } => {
                let message = source.to_string().to_lowercase();
                message.contains("lock")
            }
            _ => false,
        },
        _ => false,
    }
}

/// Makes the tasks of one stream thread.
pub(crate) struct TaskFactory {
    topology: Arc<Topology>,
    /// What every task is created with.
    template: TaskConfig,
    producer: Rc<StreamsProducer>,
    directory: Arc<StateDirectory>,
    owner: TaskOwner,
}

impl TaskFactory {
    /// A factory for the thread that `owner` identifies; its tasks get
    /// `template`'s settings (its state directory is `directory`'s).
    pub(crate) fn new(
        topology: Arc<Topology>,
        template: TaskConfig,
        producer: Rc<StreamsProducer>,
        directory: Arc<StateDirectory>,
        owner: TaskOwner,
    ) -> Self {
        Self {
            topology,
            template: TaskConfig {
                state_dir: directory.path().to_path_buf(),
                ..template
            },
            producer,
            directory,
            owner,
        }
    }

    /// Creates task `id` reading `partitions`.
    pub(crate) fn create(
        &self,
        id: TaskId,
        partitions: Vec<TopicPartition>,
    ) -> Result<ActiveTask, CreateError> {
        if !self.directory.lock_task(id, self.owner) {
            return Err(CreateError::Locked(format!(
                "another stream thread of this instance still has task {id}"
            )));
        }
        let created = self.open(id, partitions);
        if created.is_err() {
            self.directory.unlock_task(id, self.owner);
        }
        created
    }

    fn open(&self, id: TaskId, partitions: Vec<TopicPartition>) -> Result<ActiveTask, CreateError> {
        let task = StreamTask::new(
            &self.topology,
            id,
            self.template.clone(),
            Box::new(KafkaRecordCollector::new(self.producer.clone(), id)),
        )
        .map_err(|error| {
            if is_store_locked(&error) {
                CreateError::Locked(error.to_string())
            } else {
                CreateError::Failed(Box::new(error.into()))
            }
        })?;
        let checkpoint = TaskCheckpoint::of_task(&task, &self.directory.task_dir(id))
            .map_err(RuntimeError::from)?;
        let active = ActiveTask::new(task, checkpoint, partitions);
        self.producer.forget_acked(&active.changelog_partitions());
        tracing::debug!(task = %id, kind = ?active.kind(), "created task");
        Ok(active)
    }

    /// Suspends a committed task: its checkpoint is written (its state is
    /// committed) and its unprocessed input dropped (it is fetched again from
    /// the committed offsets if the task comes back).
    pub(crate) fn suspend(&self, active: &mut ActiveTask) -> Result<(), RuntimeError> {
        active.task.clear_buffered();
        active.idle_since = None;
        active.checkpoint.write()?;
        active.transition(TaskState::Suspended)
    }

    /// Closes a task. Clean: its stores are closed and its checkpoint
    /// written (the caller committed it). Dirty: its stores roll back to
    /// their last commit, dropping caches and writes since (they restore the
    /// changelog after it when the task is created again). Returns its
    /// counters.
    pub(crate) fn close(
        &self,
        mut active: ActiveTask,
        clean: bool,
    ) -> Result<TaskMetrics, RuntimeError> {
        let id = active.id();
        let metrics = active.task.metrics();
        let result = if clean {
            active
                .task
                .close()
                .map_err(RuntimeError::from)
                .and_then(|()| Ok(active.checkpoint.write()?))
        } else {
            if let Err(error) = active.task.close_dirty() {
                tracing::warn!(task = %id, %error, "closing a task without a commit failed");
            }
            Ok(())
        };
        if let Err(error) = active.transition(TaskState::Closed) {
            tracing::warn!(%error, "closing a task");
        }
        drop(active);
        self.directory.unlock_task(id, self.owner);
        tracing::debug!(task = %id, clean, "closed task");
        result.map(|()| metrics)
    }
}
