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

#[cfg(test)]
mod tests {
    use super::*;

    fn task(partition: i32) -> TaskId {
        TaskId {
            subtopology: 0,
            partition,
        }
    }

    fn ask(router: &QueryRouter, partition: i32, timeout: Duration) -> Result<(), QueryError> {
        router.ask("store", task(partition), timeout, |_| Ok(()))
    }

    #[test]
    fn a_task_no_thread_owns_is_not_hosted() {
        let router = QueryRouter::new(1);
        let answer = ask(&router, 3, Duration::from_secs(5));
        assert!(
            matches!(answer, Err(QueryError::NotHosted { partition: 3, .. })),
            "{answer:?}"
        );
    }

    #[test]
    fn a_restoring_task_answers_at_once_that_it_restores() {
        let router = QueryRouter::new(1);
        router.set_tasks(0, &[task(1)], TaskAvailability::Restoring);
        let answer = ask(&router, 1, Duration::from_secs(5));
        assert!(
            matches!(answer, Err(QueryError::Restoring { partition: 1, .. })),
            "{answer:?}"
        );
    }

    #[test]
    fn a_query_to_a_stopped_thread_reports_the_task_moved() {
        let router = QueryRouter::new(1);
        drop(router.take_receiver(0));
        router.set_tasks(0, &[task(0)], TaskAvailability::Active);
        let answer = ask(&router, 0, Duration::from_secs(5));
        assert!(
            matches!(answer, Err(QueryError::Moved { .. })),
            "{answer:?}"
        );
    }

    #[test]
    fn a_dropped_query_reports_the_task_moved() {
        let router = QueryRouter::new(1);
        let receiver = router.take_receiver(0).unwrap();
        router.set_tasks(0, &[task(0)], TaskAvailability::Active);
        let thread = std::thread::spawn(move || {
            // A thread that no longer has the task drops the query unanswered.
            let command = receiver.recv().unwrap();
            assert_eq!(command.task, task(0));
        });
        let answer = ask(&router, 0, Duration::from_secs(30));
        thread.join().unwrap();
        assert!(
            matches!(answer, Err(QueryError::Moved { .. })),
            "{answer:?}"
        );
    }

    #[test]
    fn a_thread_that_does_not_answer_times_the_query_out() {
        let router = QueryRouter::new(1);
        let _receiver = router.take_receiver(0).unwrap();
        router.set_tasks(0, &[task(0)], TaskAvailability::Active);
        let answer = ask(&router, 0, Duration::from_millis(20));
        assert!(
            matches!(answer, Err(QueryError::Timeout { waited_ms: 20, .. })),
            "{answer:?}"
        );
    }

    #[test]
    fn ownership_follows_assignments_and_releases() {
        let router = QueryRouter::new(2);
        assert!(router.take_receiver(1).is_some());
        assert!(
            router.take_receiver(1).is_none(),
            "a receiver is taken once"
        );
        router.set_tasks(0, &[task(2), task(0)], TaskAvailability::Restoring);
        router.set_tasks(1, &[task(1)], TaskAvailability::Active);
        router.set_tasks(0, &[task(2), task(0)], TaskAvailability::Active);
        assert_eq!(
            router.local_tasks(0),
            [
                (task(0), TaskAvailability::Active),
                (task(1), TaskAvailability::Active),
                (task(2), TaskAvailability::Active)
            ]
        );
        assert!(router.local_tasks(1).is_empty());
        router.release_thread(0);
        assert_eq!(router.local_tasks(0), [(task(1), TaskAvailability::Active)]);
    }
}
