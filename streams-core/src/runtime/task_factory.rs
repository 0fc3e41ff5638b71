//! Creating and closing a stream thread's tasks: a task's directory is taken
//! for the thread first (another thread of the instance may still hold it),
//! its stores opened (another process may still hold their RocksDB lock),
//! its checkpoint read; closing writes the checkpoint (clean) or, under
//! exactly-once, wipes the state the last commit does not cover (dirty).
//!
//! Exactly-once without transactional stores follows Kafka Streams: a
//! running task has no checkpoint file (it is deleted once read), because its
//! stores receive writes the open transaction may still abort; only a clean
//! close or suspension writes one. A task directory found with state but no
//! checkpoint was left by a crash and is wiped before the stores open, so
//! the task restores from its changelog (read_committed).

use super::RuntimeError;
use super::active_task::{ActiveTask, TaskState};
use super::producer::{KafkaRecordCollector, StreamsProducer};
use super::state_directory::{StateDirectory, TaskOwner};
use super::task_checkpoint::{CHECKPOINT_FILE, StoreChangelog, TaskCheckpoint};
use crate::error::StreamsError;
use crate::task::{StreamTask, TaskConfig, TaskId, TaskMetrics};
use crate::topology::Topology;
use std::path::Path;
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
    /// Exactly-once without transactional stores: see the module docs.
    exactly_once: bool,
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
        exactly_once: bool,
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
            exactly_once,
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
        let task_dir = self.directory.task_dir(id);
        if self.exactly_once && holds_state_without_checkpoint(&task_dir)? {
            tracing::warn!(task = %id, dir = %task_dir.display(), "wiping state a crash left without a checkpoint (exactly-once); the task restores it from its changelog");
            wipe(&task_dir)?;
        }
        let task = StreamTask::new(
            &self.topology,
            id,
            self.template.clone(),
            Box::new(KafkaRecordCollector::new(self.producer.clone())),
        )
        .map_err(|error| {
            if is_store_locked(&error) {
                CreateError::Locked(error.to_string())
            } else {
                CreateError::Failed(Box::new(error.into()))
            }
        })?;
        let changelogs: Vec<StoreChangelog> = task
            .changelogs()
            .map(|(store, topic)| StoreChangelog {
                store: store.to_string(),
                partition: TopicPartition::new(topic, id.partition),
                persistent: task.store_is_persistent(store),
            })
            .collect();
        let checkpoint = TaskCheckpoint::load(&task_dir, changelogs).map_err(RuntimeError::from)?;
        if self.exactly_once {
            checkpoint.delete().map_err(RuntimeError::from)?;
        }
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

    /// Resumes a suspended task; under exactly-once its checkpoint goes again
    /// (it will write uncommitted state).
    pub(crate) fn resume(&self, active: &mut ActiveTask) -> Result<(), RuntimeError> {
        if self.exactly_once {
            active.checkpoint.delete()?;
        }
        Ok(())
    }

    /// Closes a task. Clean: its stores are flushed and closed and its
    /// checkpoint written (the caller committed it). Dirty: nothing more is
    /// made durable, and under exactly-once its state is wiped. Returns its
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
            if let Err(error) = active.task.close() {
                tracing::warn!(task = %id, %error, "closing a task without a commit failed");
            }
            Ok(())
        };
        if let Err(error) = active.transition(TaskState::Closed) {
            tracing::warn!(%error, "closing a task");
        }
        drop(active);
        let wiped = if !clean && self.exactly_once {
            wipe(&self.directory.task_dir(id))
        } else {
            Ok(())
        };
        self.directory.unlock_task(id, self.owner);
        tracing::debug!(task = %id, clean, "closed task");
        result.and(wiped).map(|()| metrics)
    }
}

/// Whether `task_dir` holds store files but no checkpoint.
fn holds_state_without_checkpoint(task_dir: &Path) -> Result<bool, RuntimeError> {
    let entries = match std::fs::read_dir(task_dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(source) => {
            return Err(StreamsError::StateDirectory {
                path: task_dir.to_path_buf(),
                source,
            }
            .into());
        }
    };
    let mut has_state = false;
    for entry in entries {
        let entry = entry.map_err(|source| StreamsError::StateDirectory {
            path: task_dir.to_path_buf(),
            source,
        })?;
        if entry.file_name() == CHECKPOINT_FILE {
            return Ok(false);
        }
        has_state = true;
    }
    Ok(has_state)
}

/// Deletes a task's directory.
fn wipe(task_dir: &Path) -> Result<(), RuntimeError> {
    match std::fs::remove_dir_all(task_dir) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(StreamsError::StateDirectory {
            path: task_dir.to_path_buf(),
            source,
        }
        .into()),
    }
}
