//! Runs a stream thread and applies the uncaught-exception handler to what
//! escapes it. A panic anywhere in the thread is caught (user code panics are
//! caught per task and name the task and record; a panic of the runtime
//! itself is caught around the whole run), so an instance never keeps a dead
//! thread while it reports itself running. The handler then replaces the
//! thread, shuts the instance down, or shuts the whole application down.

use super::application_shutdown::request_shutdown;
use super::stream_thread::{REQUEST_TIMEOUT, StreamThread};
use super::thread_shared::{ThreadShared, ThreadState};
use super::uncaught_handler::StreamThreadExceptionResponse;
use super::{RuntimeError, StreamsState};
use crate::error::panic_message;
use crate::metrics::ThreadSensors;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// How one run of a thread ended.
enum RunOutcome {
    /// It stopped because the instance shut down.
    Stopped,
    /// It could not even start (clients or the thread could not be created):
    /// a replacement would fail the same way.
    NotStarted(RuntimeError),
    /// An error or panic escaped it; the handler's answer when it was asked
    /// before the thread closed.
    Failed(RuntimeError, Option<StreamThreadExceptionResponse>),
}

/// One run of thread `index`: creates its clients and the thread, loops,
/// closes (committing when the loop ended cleanly).
fn run_once(shared: &Arc<ThreadShared>, index: usize) -> RunOutcome {
    let owner = shared.next_owner();
    let name = shared.thread_name(index);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let transactional_id = shared.transactional_id(index);
        let sensors = Arc::new(ThreadSensors::new(&shared.metrics.registry, &name));
        let created = shared
            .clients
            .clients(&name, transactional_id.as_deref(), &sensors)
            .and_then(|clients| StreamThread::new(shared.clone(), index, owner, clients, sensors));
        let mut thread = match created {
            Ok(thread) => thread,
            Err(error) => return RunOutcome::NotStarted(error),
        };
        let outcome = thread.run_loop();
        // The handler answers while the thread is still in the group, so a
        // request to shut the application down is out before the thread's
        // partitions move to another instance.
        let response = match &outcome {
            Err(error) if !shared.is_shutting_down() => Some(respond(shared, index, error)),
            _ => None,
        };
        let closed = thread.close(outcome.is_ok());
        match outcome.and(closed) {
            Ok(()) => RunOutcome::Stopped,
            Err(error) => RunOutcome::Failed(error, response),
        }
    }));
    // Whatever the thread still held (after a panic) is free for the next owner.
    shared.directory.unlock_all(owner);
    shared.queries.release_thread(index);
    outcome.unwrap_or_else(|payload| {
        RunOutcome::Failed(
            RuntimeError::ThreadPanicked {
                thread: name,
                message: panic_message(payload.as_ref()).to_string(),
            },
            None,
        )
    })
}

/// Asks the uncaught-exception handler what follows `error`; for
/// [`ShutdownApplication`](StreamThreadExceptionResponse::ShutdownApplication)
/// asks the other instances to stop (this one's watcher ignores its own
/// request: it fails with `error` itself).
fn respond(
    shared: &ThreadShared,
    index: usize,
    error: &RuntimeError,
) -> StreamThreadExceptionResponse {
    let response = (shared.uncaught_handler)(error);
    tracing::error!(thread = %shared.thread_name(index), %error, ?response, "an error escaped the stream thread");
    if response == StreamThreadExceptionResponse::ShutdownApplication
        && let Err(announce) = request_shutdown(
            &shared.config,
            shared.directory.process_id(),
            &error.to_string(),
            REQUEST_TIMEOUT,
        )
    {
        tracing::error!(error = %announce, "could not ask the other instances to shut down");
    }
    response
}

/// Runs thread `index` until shutdown or until the handler stops it; the
/// last thread to stop moves the instance to NotRunning (or Error).
pub(crate) fn run(shared: Arc<ThreadShared>, index: usize) {
    loop {
        let (error, response) = match run_once(&shared, index) {
            RunOutcome::Stopped => break,
            RunOutcome::NotStarted(error) => {
                shared.fail(error);
                break;
            }
            RunOutcome::Failed(error, response) => (error, response),
        };
        let response = match response {
            Some(response) => response,
            None if shared.is_shutting_down() => {
                shared.fail(error);
                break;
            }
            None => respond(&shared, index, &error),
        };
        match response {
            StreamThreadExceptionResponse::ReplaceThread => {
                shared.metrics.thread_replaced();
                shared.set_thread_state(index, ThreadState::Rebalancing);
            }
            StreamThreadExceptionResponse::ShutdownClient
            | StreamThreadExceptionResponse::ShutdownApplication => {
                shared.fail(error);
                break;
            }
        }
    }
    shared.set_thread_state(index, ThreadState::Dead);
    if shared.alive.fetch_sub(1, Ordering::SeqCst) == 1 {
        match shared.state.get() {
            StreamsState::PendingError => {
                shared.state.transition(StreamsState::Error);
            }
            StreamsState::PendingShutdown => {
                shared.state.transition(StreamsState::NotRunning);
            }
            _ => {
                shared.fail(RuntimeError::IllegalState {
                    operation: "keep running",
                    state: shared.state.get(),
                    hint: "every stream thread stopped without close() being called",
                });
                shared.state.transition(StreamsState::Error);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::test_support::{Harness, INPUT, wait_for};
    use std::time::Duration;

    fn stop(shared: &ThreadShared) {
        shared.state.transition(StreamsState::PendingShutdown);
        shared.shutdown.store(true, Ordering::SeqCst);
    }

    #[test]
    fn replace_thread_starts_a_new_thread_that_takes_the_tasks_up_again() {
        let harness = Harness::new(1, &[("uncaught.exception.handler", "replace_thread")]);
        for value in ["x", "panic-once", "x"] {
            harness.produce(0, "replaced-1", value);
        }
        let shared = harness.shared.clone();
        let runner = std::thread::spawn(move || run(shared, 0));
        wait_for("the three records committed", || {
            harness.cluster.committed(INPUT, 0) == Some(3)
        });
        assert_eq!(harness.shared.metrics.snapshot().thread_replacements, 1);
        assert_eq!(
            harness.supplier.consumers(),
            2,
            "the replacement has clients of its own"
        );
        assert!(
            harness.supplier.member(0).lock().unwrap().is_closed(),
            "the failed thread left the group"
        );
        stop(&harness.shared);
        runner.join().unwrap();
        assert_eq!(harness.shared.state.get(), StreamsState::NotRunning);
        assert!(harness.shared.failure.lock().unwrap().is_none());
        // At least once: the record before the panic was counted by both threads.
        assert_eq!(harness.output_counts(1, false).get("replaced-1"), Some(&4));
    }

    #[test]
    fn by_default_an_escaping_panic_shuts_the_instance_down_naming_it() {
        let harness = Harness::new(1, &[]);
        harness.produce(0, "p", "panic");
        let shared = harness.shared.clone();
        let runner = std::thread::spawn(move || run(shared, 0));
        let (state, reached) = harness
            .shared
            .state
            .wait_until(Duration::from_secs(20), |s| s == StreamsState::Error);
        assert!(reached, "the instance failed (state {state:?})");
        runner.join().unwrap();
        let failure = harness.shared.failure.lock().unwrap().clone().unwrap();
        let message = failure.to_string();
        assert!(
            message.contains(
                "task 0_0 failed: processor 'count' failed on the record at topic 'in' partition 0 offset 0: panicked: boom on p"
            ),
            "{message}"
        );
        assert_eq!(harness.shared.metrics.snapshot().thread_replacements, 0);
        assert!(harness.supplier.member(0).lock().unwrap().is_closed());
    }
}
