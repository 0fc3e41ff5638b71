//! Routes interactive queries to the stream thread that owns a task. Tasks are
//! `!Send` and live on their thread, so a query travels as a command over that
//! thread's channel, runs between records, and answers over a reply channel the
//! caller waits on for a bounded time.

use super::QueryError;
use crate::task::{StreamTask, TaskId};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

/// A read to run against a task on its stream thread.
pub(crate) type QueryJob = Box<dyn FnOnce(&mut StreamTask) + Send>;

/// A query for one task, sent to the thread that owns it.
pub(crate) struct QueryCommand {
    /// The task to read.
    pub(crate) task: TaskId,
    /// The read; dropping it unanswered tells the caller the task moved.
    pub(crate) job: QueryJob,
}

/// Whether a task's stores can be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TaskAvailability {
    /// Its stores are being restored from their changelogs.
    Restoring,
    /// It processes records; its stores answer queries.
    Active,
}

/// Which thread owns which task, and each thread's command channel.
pub(crate) struct QueryRouter {
    senders: Vec<Mutex<Sender<QueryCommand>>>,
    receivers: Mutex<Vec<Option<Receiver<QueryCommand>>>>,
    owners: Mutex<HashMap<TaskId, (usize, TaskAvailability)>>,
}

impl QueryRouter {
    /// A router for `threads` stream threads.
    pub(crate) fn new(threads: usize) -> Self {
        let (senders, receivers) = (0..threads)
            .map(|_| {
                let (sender, receiver) = mpsc::channel();
                (Mutex::new(sender), Some(receiver))
            })
            .unzip();
        Self {
            senders,
            receivers: Mutex::new(receivers),
            owners: Mutex::default(),
        }
    }

    /// The command channel of thread `index` (once; the thread owns it).
    pub(crate) fn take_receiver(&self, index: usize) -> Option<Receiver<QueryCommand>> {
        lock(&self.receivers).get_mut(index).and_then(Option::take)
    }

    /// Records that thread `index` owns `tasks`, in the given state.
    pub(crate) fn set_tasks(&self, index: usize, tasks: &[TaskId], state: TaskAvailability) {
        let mut owners = lock(&self.owners);
        for task in tasks {
            owners.insert(*task, (index, state));
        }
    }

    /// Records that thread `index` no longer owns any task.
    pub(crate) fn release_thread(&self, index: usize) {
        lock(&self.owners).retain(|_, (owner, _)| *owner != index);
    }

    /// The tasks of `subtopology` this instance owns, with their state, sorted.
    pub(crate) fn local_tasks(&self, subtopology: u32) -> Vec<(TaskId, TaskAvailability)> {
        let mut tasks: Vec<(TaskId, TaskAvailability)> = lock(&self.owners)
            .iter()
            .filter(|(task, _)| task.subtopology == subtopology)
            .map(|(task, (_, state))| (*task, *state))
            .collect();
        tasks.sort_by_key(|(task, _)| *task);
        tasks
    }

    /// Runs `read` on `task` on its stream thread and waits at most `timeout`
    /// for the answer.
    pub(crate) fn ask<R: Send + 'static>(
        &self,
        store: &str,
        task: TaskId,
        timeout: Duration,
        read: impl FnOnce(&mut StreamTask) -> Result<R, QueryError> + Send + 'static,
    ) -> Result<R, QueryError> {
        let partition = task.partition;
        let owner = lock(&self.owners).get(&task).copied();
        let thread = match owner {
            None => {
                return Err(QueryError::NotHosted {
                    store: store.to_string(),
                    partition,
                });
            }
            Some((_, TaskAvailability::Restoring)) => {
                return Err(QueryError::Restoring {
                    store: store.to_string(),
                    partition,
                });
            }
            Some((thread, TaskAvailability::Active)) => thread,
        };
        let moved = || QueryError::Moved {
            store: store.to_string(),
            partition,
        };
        let (reply, answer) = mpsc::sync_channel(1);
        let job: QueryJob = Box::new(move |task: &mut StreamTask| {
            // The caller may have stopped waiting; then nobody needs the answer.
            let _ = reply.send(read(task));
        });
        let sender = self.senders.get(thread).ok_or_else(moved)?;
        lock(sender)
            .send(QueryCommand { task, job })
            .map_err(|_| moved())?;
        match answer.recv_timeout(timeout) {
            Ok(result) => result,
            Err(RecvTimeoutError::Disconnected) => Err(moved()),
            Err(RecvTimeoutError::Timeout) => Err(QueryError::Timeout {
                store: store.to_string(),
                partition,
                waited_ms: timeout.as_millis(),
            }),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
