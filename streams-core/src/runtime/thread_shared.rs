//! What the stream threads of an instance share with each other and with the
//! application: the config, topology and topic plan, the instance's state and
//! metrics, the shutdown flag and first failure, the query router, the state
//! directory, the client supplier, the uncaught-exception handler and the
//! restore listener.

use super::client_supplier::ClientSupplier;
use super::metrics::SharedMetrics;
use super::query_router::QueryRouter;
use super::restore_listener::StateRestoreListener;
use super::state_directory::{StateDirectory, TaskOwner};
use super::uncaught_handler::UncaughtExceptionHandler;
use super::{
    ProcessingGuarantee, RuntimeError, StateMachine, StreamsConfig, StreamsState, TopicPlan,
};
use crate::state::GlobalStores;
use crate::topology::Topology;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Where a thread is in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ThreadState {
    /// Waiting for an assignment, creating or restoring tasks.
    Rebalancing,
    /// Processing every one of its tasks.
    Running,
    /// Stopped.
    Dead,
}

/// Shared by an instance's threads.
pub(crate) struct ThreadShared {
    pub(crate) config: StreamsConfig,
    pub(crate) topology: Arc<Topology>,
    pub(crate) plan: TopicPlan,
    pub(crate) state: StateMachine,
    pub(crate) metrics: Arc<SharedMetrics>,
    pub(crate) shutdown: AtomicBool,
    pub(crate) alive: AtomicUsize,
    pub(crate) threads: Mutex<Vec<ThreadState>>,
    pub(crate) failure: Mutex<Option<Arc<RuntimeError>>>,
    /// Who owns which task, for interactive queries.
    pub(crate) queries: QueryRouter,
    pub(crate) directory: Arc<StateDirectory>,
    pub(crate) clients: Box<dyn ClientSupplier>,
    pub(crate) uncaught_handler: UncaughtExceptionHandler,
    pub(crate) restore_listener: Option<Arc<dyn StateRestoreListener>>,
    /// The instance's global stores, read by every task.
    pub(crate) global_stores: GlobalStores,
    owners: AtomicU64,
}

/// What an instance hands its threads.
pub(crate) struct InstanceParts {
    pub(crate) config: StreamsConfig,
    pub(crate) topology: Arc<Topology>,
    pub(crate) plan: TopicPlan,
    pub(crate) state: StateMachine,
    pub(crate) metrics: Arc<SharedMetrics>,
    pub(crate) directory: Arc<StateDirectory>,
    pub(crate) clients: Box<dyn ClientSupplier>,
    pub(crate) uncaught_handler: UncaughtExceptionHandler,
    pub(crate) restore_listener: Option<Arc<dyn StateRestoreListener>>,
    pub(crate) global_stores: GlobalStores,
}

impl ThreadShared {
    /// The shared state of the instance's `num.stream.threads` threads.
    pub(crate) fn new(parts: InstanceParts) -> Self {
        let threads = parts.config.num_stream_threads();
        Self {
            config: parts.config,
            topology: parts.topology,
            plan: parts.plan,
            state: parts.state,
            metrics: parts.metrics,
            shutdown: AtomicBool::new(false),
            alive: AtomicUsize::new(threads),
            threads: Mutex::new(vec![ThreadState::Rebalancing; threads]),
            failure: Mutex::new(None),
            queries: QueryRouter::new(threads),
            directory: parts.directory,
            clients: parts.clients,
            uncaught_handler: parts.uncaught_handler,
            restore_listener: parts.restore_listener,
            global_stores: parts.global_stores,
            owners: AtomicU64::new(1),
        }
    }

    /// The name of thread `index`, as Kafka Streams names it.
    pub(crate) fn thread_name(&self, index: usize) -> String {
        format!("StreamThread-{}", index + 1)
    }

    /// Thread `index`'s `transactional.id` under exactly-once:
    /// `<application.id>-<process id>-<thread number>`, stable across
    /// restarts on the same state directory, so a restarted instance fences
    /// its predecessor's producer and aborts what that one left open.
    pub(crate) fn transactional_id(&self, index: usize) -> Option<String> {
        (self.config.processing_guarantee() == ProcessingGuarantee::ExactlyOnceV2).then(|| {
            format!(
                "{}-{}-{}",
                self.config.application_id(),
                self.directory.process_id(),
                index + 1
            )
        })
    }

    /// A new owner token for a thread run.
    pub(crate) fn next_owner(&self) -> TaskOwner {
        self.owners.fetch_add(1, Ordering::Relaxed)
    }

    /// Whether the instance is stopping.
    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }

    /// Records a thread's state and derives the instance's: Running once every
    /// live thread runs, Rebalancing while any does not.
    pub(crate) fn set_thread_state(&self, index: usize, state: ThreadState) {
        let all_running = {
            let mut threads = self
                .threads
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if threads[index] == state {
                return;
            }
            threads[index] = state;
            threads
                .iter()
                .filter(|s| **s != ThreadState::Dead)
                .all(|s| *s == ThreadState::Running)
        };
        if state == ThreadState::Dead {
            return;
        }
        self.state.transition(if all_running {
            StreamsState::Running
        } else {
            StreamsState::Rebalancing
        });
    }

    /// Keeps the first failure and stops every thread.
    pub(crate) fn fail(&self, error: RuntimeError) {
        tracing::error!(%error, "shutting the instance down");
        self.failure
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get_or_insert(Arc::new(error));
        self.state.transition(StreamsState::PendingError);
        self.shutdown.store(true, Ordering::SeqCst);
    }
}
