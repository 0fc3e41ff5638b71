//! `KafkaStreams`: runs a topology on a Kafka cluster. `start` locks the state
//! directory, checks the topics and creates the internal ones, then starts the
//! stream threads; the instance moves through [`StreamsState`]s a listener can
//! follow; `close` stops the threads after they commit; `cleanup` deletes local
//! state.

use super::application_shutdown::{ShutdownWatcher, create_control_topic};
use super::client_supplier::KafkaClientSupplier;
use super::global_thread::GlobalStateUpdater;
use super::internal_topics::prepare_topics;
use super::metrics::SharedMetrics;
use super::restore_consumer::RestoreConsumer;
use super::restore_listener::StateRestoreListener;
use super::state_directory::StateDirectory;
use super::stream_thread::REQUEST_TIMEOUT;
use super::thread_runner;
use super::thread_shared::{InstanceParts, ThreadShared};
use super::uncaught_handler::{
    StreamThreadExceptionResponse, UncaughtExceptionHandler, fixed_response,
};
use super::{
    InternalTopicKind, RuntimeError, StateListener, StateMachine, StreamsConfig, StreamsMetrics,
    StreamsState, TopicPlan,
};
use crate::error::StreamsError;
use crate::metrics::MetricsRegistry;
use crate::state::GlobalStores;
use crate::topology::Topology;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::Duration;

/// How long `start` waits for the cluster (metadata, topic creation).
const ADMIN_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the global thread waits for records in one poll (and so at most
/// before it sees a shutdown).
const GLOBAL_POLL: Duration = Duration::from_millis(100);
/// How long dropping a running instance waits for its threads.
const DROP_CLOSE_TIMEOUT: Duration = Duration::from_secs(30);

/// A Kafka Streams application instance.
///
/// ```no_run
/// use std::time::Duration;
/// use streams_core::runtime::{KafkaStreams, StreamsConfig};
/// # fn topology() -> streams_core::topology::Topology { unimplemented!() }
/// let config = StreamsConfig::builder()
///     .set("application.id", "word-count")
///     .set("bootstrap.servers", "localhost:9092")
///     .build()?;
/// let mut streams = KafkaStreams::new(topology(), config)?;
/// streams.start()?;
/// streams.wait_until_running(Duration::from_secs(60))?;
/// // ... until it is time to stop:
/// streams.close(Duration::from_secs(30))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct KafkaStreams {
    pub(super) topology: Arc<Topology>,
    config: StreamsConfig,
    state: StateMachine,
    metrics: Arc<SharedMetrics>,
    pub(super) shared: Option<Arc<ThreadShared>>,
    threads: Vec<JoinHandle<()>>,
    /// The global thread, when the topology has global stores.
    global_thread: Option<JoinHandle<()>>,
    uncaught_handler: Option<UncaughtExceptionHandler>,
    restore_listener: Option<Arc<dyn StateRestoreListener>>,
    watcher: Option<ShutdownWatcher>,
}

impl KafkaStreams {
    /// An instance in state Created. The config was validated when it was built.
    pub fn new(topology: Topology, config: StreamsConfig) -> Result<Self, RuntimeError> {
        if topology.subtopologies().is_empty() {
            return Err(StreamsError::from(crate::topology::TopologyError::NoSource).into());
        }
        let registry =
            MetricsRegistry::new(config.metrics_recording_level(), config.application_id());
        Ok(Self {
            topology: Arc::new(topology),
            config,
            state: StateMachine::new(),
            metrics: Arc::new(SharedMetrics::new(registry)),
            shared: None,
            threads: Vec::new(),
            global_thread: None,
            uncaught_handler: None,
            restore_listener: None,
            watcher: None,
        })
    }

    fn before_start(&self, operation: &'static str) -> Result<(), RuntimeError> {
        let state = self.state.get();
        if state == StreamsState::Created {
            Ok(())
        } else {
            Err(RuntimeError::IllegalState {
                operation,
                state,
                hint: "set it before start()",
            })
        }
    }

    /// Decides what follows an error or panic that escapes a stream thread
    /// (replacing the `uncaught.exception.handler` setting), as Kafka Streams'
    /// `setUncaughtExceptionHandler`. Only before [`start`](Self::start).
    ///
    /// ```no_run
    /// use streams_core::runtime::{KafkaStreams, RuntimeError, StreamThreadExceptionResponse};
    /// # fn streams() -> KafkaStreams { unimplemented!() }
    /// let mut streams = streams();
    /// streams.set_uncaught_exception_handler(|error: &RuntimeError| match error {
    ///     RuntimeError::TaskFailed { .. } => StreamThreadExceptionResponse::ReplaceThread,
    ///     _ => StreamThreadExceptionResponse::ShutdownClient,
    /// })?;
    /// # Ok::<(), RuntimeError>(())
    /// ```
    pub fn set_uncaught_exception_handler(
        &mut self,
        handler: impl Fn(&RuntimeError) -> StreamThreadExceptionResponse + Send + Sync + 'static,
    ) -> Result<(), RuntimeError> {
        self.before_start("set the uncaught exception handler")?;
        self.uncaught_handler = Some(Arc::new(handler));
        Ok(())
    }

    /// Hears the restoration of every state store of this instance (Kafka
    /// Streams' `setGlobalStateRestoreListener`). Only before [`start`](Self::start).
    pub fn set_global_state_restore_listener(
        &mut self,
        listener: impl StateRestoreListener + 'static,
    ) -> Result<(), RuntimeError> {
        self.before_start("set the state restore listener")?;
        self.restore_listener = Some(Arc::new(listener));
        Ok(())
    }

    /// The current state.
    pub fn state(&self) -> StreamsState {
        self.state.get()
    }

    /// Calls `listener(new, old)` on every state change (replacing any earlier
    /// listener).
    pub fn set_state_listener(
        &self,
        listener: impl Fn(StreamsState, StreamsState) + Send + Sync + 'static,
    ) {
        let listener: StateListener = Box::new(listener);
        self.state.set_listener(listener);
    }

    /// The config it runs with.
    pub fn config(&self) -> &StreamsConfig {
        &self.config
    }

    /// Locks the state directory (a second instance on it fails here, naming
    /// it), checks the source topics and co-partitioning, creates missing
    /// internal topics, and starts `num.stream.threads` stream threads. A
    /// topology that cannot run on this cluster fails here, with the instance
    /// in Error.
    pub fn start(&mut self) -> Result<(), RuntimeError> {
        let state = self.state.get();
        if state != StreamsState::Created {
            return Err(RuntimeError::IllegalState {
                operation: "start",
                state,
                hint: "an instance starts once; create a new KafkaStreams to start again",
            });
        }
        let prepared =
            StateDirectory::lock(self.config.application_state_dir()).and_then(|directory| {
                let plan = prepare_topics(&self.config, &self.topology, ADMIN_TIMEOUT)?;
                create_control_topic(&self.config, ADMIN_TIMEOUT)?;
                Ok((directory, plan))
            });
        let (directory, plan) = match prepared {
            Ok(prepared) => prepared,
            Err(error) => {
                tracing::error!(%error, "cannot start");
                self.state.transition(StreamsState::PendingError);
                self.state.transition(StreamsState::Error);
                return Err(error);
            }
        };
        // Global stores are read up to their topics' ends before any stream
        // thread starts, so no task joins a global table still being filled.
        let global = match self.bootstrap_global_stores(&plan) {
            Ok(global) => global,
            Err(error) => {
                tracing::error!(%error, "cannot start: the global stores did not bootstrap");
                directory.release();
                self.state.transition(StreamsState::PendingError);
                self.state.transition(StreamsState::Error);
                return Err(error);
            }
        };
        let global_stores = global
            .as_ref()
            .map(|(stores, _)| stores.clone())
            .unwrap_or_default();
        let shared = Arc::new(ThreadShared::new(InstanceParts {
            clients: Box::new(KafkaClientSupplier::new(
                self.config.clone(),
                changelog_topics(&plan),
                self.topology
                    .offset_resets(self.config.application_id())
                    .into_iter()
                    .collect(),
                REQUEST_TIMEOUT,
            )),
            config: self.config.clone(),
            topology: self.topology.clone(),
            plan,
            state: self.state.clone(),
            metrics: self.metrics.clone(),
            directory: Arc::new(directory),
            uncaught_handler: self
                .uncaught_handler
                .clone()
                .unwrap_or_else(|| fixed_response(self.config.uncaught_exception_handler())),
            restore_listener: self.restore_listener.clone(),
            global_stores,
        }));
        self.shared = Some(shared.clone());
        if let Some((_, updater)) = global
            && let Err(error) = self.spawn_global_thread(updater, shared.clone())
        {
            shared.directory.release();
            self.state.transition(StreamsState::PendingError);
            self.state.transition(StreamsState::Error);
            return Err(error);
        }
        let watched = shared.clone();
        let process_id = shared.directory.process_id().to_string();
        match ShutdownWatcher::start(&self.config, &process_id, REQUEST_TIMEOUT, move |error| {
            watched.fail(error)
        }) {
            Ok(watcher) => self.watcher = Some(watcher),
            Err(error) => {
                tracing::error!(%error, "cannot start");
                shared.directory.release();
                self.state.transition(StreamsState::PendingError);
                self.state.transition(StreamsState::Error);
                return Err(error);
            }
        }
        self.state.transition(StreamsState::Rebalancing);
        let threads = self.config.num_stream_threads();
        for index in 0..threads {
            let name = format!(
                "{}-StreamThread-{}",
                self.config.application_id(),
                index + 1
            );
            let thread_shared = shared.clone();
            let spawned = std::thread::Builder::new()
                .name(name.clone())
                .spawn(move || thread_runner::run(thread_shared, index));
            match spawned {
                Ok(handle) => self.threads.push(handle),
                Err(source) => {
                    // The threads not started count as stopped.
                    shared.alive.fetch_sub(threads - index, Ordering::SeqCst);
                    let error = RuntimeError::ThreadSpawn {
                        thread: name,
                        source,
                    };
                    shared.shutdown.store(true, Ordering::SeqCst);
                    self.state.transition(StreamsState::PendingError);
                    if index == 0 {
                        self.state.transition(StreamsState::Error);
                    }
                    return Err(error);
                }
            }
        }
        Ok(())
    }

    /// Opens the global stores of the topology (if it has any) in
    /// `<state.dir>/<application.id>/global` and reads their topics up to
    /// the end offsets they have now.
    fn bootstrap_global_stores(
        &self,
        plan: &TopicPlan,
    ) -> Result<Option<(GlobalStores, GlobalStateUpdater<RestoreConsumer>)>, RuntimeError> {
        if self.topology.global_stores().is_empty() {
            return Ok(None);
        }
        let dir = self.config.application_state_dir().join("global");
        let stores = GlobalStores::open(
            self.topology.global_stores(),
            &dir,
            self.config.state_stores().rocksdb(),
        )?;
        let consumer = self
            .config
            .global_consumer_config()
            .create()
            .map_err(|e| RuntimeError::kafka("creating the global consumer", e))?;
        let mut updater = GlobalStateUpdater::new(
            stores.clone(),
            RestoreConsumer::new(consumer, REQUEST_TIMEOUT),
            &plan.global_topics,
            &dir,
            self.config.commit_interval(),
        )?;
        updater.bootstrap(self.config.task_timeout())?;
        Ok(Some((stores, updater)))
    }

    /// Starts the global thread: it keeps reading the global topics into the
    /// stores until the instance shuts down, and fails the instance if it
    /// cannot.
    fn spawn_global_thread(
        &mut self,
        mut updater: GlobalStateUpdater<RestoreConsumer>,
        shared: Arc<ThreadShared>,
    ) -> Result<(), RuntimeError> {
        let name = format!("{}-GlobalStreamThread", self.config.application_id());
        let handle = std::thread::Builder::new()
            .name(name.clone())
            .spawn(move || {
                let mut kept = Ok(());
                while !shared.shutdown.load(Ordering::SeqCst) {
                    kept = updater
                        .poll(GLOBAL_POLL)
                        .and_then(|_| updater.maybe_commit());
                    if kept.is_err() {
                        break;
                    }
                }
                let closed = updater.close();
                if let Err(error) = kept.and(closed) {
                    shared.fail(error);
                }
            })
            .map_err(|source| RuntimeError::ThreadSpawn {
                thread: name,
                source,
            })?;
        self.global_thread = Some(handle);
        Ok(())
    }

    /// Waits until the instance is Running (every thread has its tasks and
    /// restored their state), at most `timeout`. Fails at once if the instance
    /// stops or fails.
    pub fn wait_until_running(&self, timeout: Duration) -> Result<(), RuntimeError> {
        let (state, reached) = self.state.wait_until(timeout, |s| {
            s == StreamsState::Running || s.is_terminal() || s == StreamsState::PendingError
        });
        match state {
            StreamsState::Running => Ok(()),
            _ if !reached => Err(RuntimeError::Timeout {
                what: format!("state Running (the instance is {state:?})"),
                waited_ms: timeout.as_millis(),
            }),
            _ => Err(RuntimeError::Stopped {
                state,
                cause: self.failure().map_or_else(
                    || "it was closed".to_string(),
                    |failure| failure.to_string(),
                ),
            }),
        }
    }

    /// Waits until `done(state)` holds, at most `timeout`; returns the last state
    /// seen and whether it held.
    pub fn wait_for_state(
        &self,
        timeout: Duration,
        done: impl Fn(StreamsState) -> bool,
    ) -> (StreamsState, bool) {
        self.state.wait_until(timeout, done)
    }

    /// The error that stopped the instance, if a thread failed.
    pub fn failure(&self) -> Option<Arc<RuntimeError>> {
        self.shared.as_ref().and_then(|s| {
            s.failure
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone()
        })
    }

    /// Restoration progress and the tasks' counters (updated at every commit).
    pub fn metrics(&self) -> StreamsMetrics {
        self.metrics.snapshot()
    }

    /// The instance's live metrics (thread, task, node, consumer lag), readable
    /// in code and exported in the Prometheus text format.
    pub fn metrics_registry(&self) -> MetricsRegistry {
        self.metrics.registry.clone()
    }

    /// The topology this instance runs.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Stops the threads: each finishes the record in hand, commits (tasks
    /// flushed, output and offsets committed, checkpoints written), closes its
    /// tasks and leaves the group; then releases the state directory. Waits at
    /// most `timeout`. Fails when the threads did not stop in time, and when
    /// the instance had failed (it ended in Error): the error names the failure.
    pub fn close(&mut self, timeout: Duration) -> Result<(), RuntimeError> {
        let state = self.state.get();
        if state == StreamsState::Created {
            self.state.transition(StreamsState::PendingShutdown);
            self.state.transition(StreamsState::NotRunning);
            return Ok(());
        }
        self.state.transition(StreamsState::PendingShutdown);
        if let Some(shared) = &self.shared {
            shared.shutdown.store(true, Ordering::SeqCst);
        }
        let (state, stopped) = self.state.wait_until(timeout, StreamsState::is_terminal);
        if !stopped {
            return Err(RuntimeError::Timeout {
                what: format!("the stream threads to stop (the instance is {state:?})"),
                waited_ms: timeout.as_millis(),
            });
        }
        for handle in self.threads.drain(..) {
            if handle.join().is_err() {
                tracing::error!("a stream thread panicked");
            }
        }
        if let Some(handle) = self.global_thread.take()
            && handle.join().is_err()
        {
            tracing::error!("the global thread panicked");
        }
        if let Some(mut watcher) = self.watcher.take() {
            watcher.stop();
        }
        if let Some(shared) = &self.shared {
            shared.directory.release();
        }
        match self.failure() {
            Some(failure) => Err(RuntimeError::Stopped {
                state,
                cause: failure.to_string(),
            }),
            None => Ok(()),
        }
    }

    /// Deletes this application's local state (`<state.dir>/<application.id>`).
    /// Only allowed before `start` or after `close`.
    pub fn cleanup(&self) -> Result<(), RuntimeError> {
        let state = self.state.get();
        if state.is_running_or_rebalancing()
            || matches!(
                state,
                StreamsState::PendingShutdown | StreamsState::PendingError
            )
        {
            return Err(RuntimeError::IllegalState {
                operation: "clean up local state",
                state,
                hint: "call close() first",
            });
        }
        let dir = self.config.application_state_dir();
        if !dir.exists() {
            return Ok(());
        }
        // Another instance on the same directory keeps its state.
        let directory = StateDirectory::lock(dir.clone())?;
        let removed = std::fs::remove_dir_all(&dir);
        drop(directory);
        match removed {
            Ok(()) => {
                tracing::info!(dir = %dir.display(), "deleted local state");
                Ok(())
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(StreamsError::StateDirectory { path: dir, source }.into()),
        }
    }
}

/// The changelog topics of a plan (their acknowledged offsets are tracked).
fn changelog_topics(plan: &TopicPlan) -> std::collections::HashSet<String> {
    plan.internal_topics
        .iter()
        .filter(|t| t.kind == InternalTopicKind::Changelog)
        .map(|t| t.name.clone())
        .collect()
}

impl Drop for KafkaStreams {
    fn drop(&mut self) {
        if self.threads.is_empty() && self.watcher.is_none() {
            return;
        }
        if let Err(error) = self.close(DROP_CLOSE_TIMEOUT) {
            tracing::error!(%error, "closing KafkaStreams on drop");
        }
    }
}
