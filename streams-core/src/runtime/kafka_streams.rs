//! `KafkaStreams`: runs a topology on a Kafka cluster. `start` checks the topics
//! and creates the internal ones, then starts the stream threads; the instance
//! moves through [`StreamsState`]s a listener can follow; `close` stops the
//! threads after they commit; `cleanup` deletes local state.

use super::internal_topics::prepare_topics;
use super::metrics::SharedMetrics;
use super::query_router::QueryRouter;
use super::stream_thread::{self, ThreadShared, ThreadState};
use super::{
    RuntimeError, StateListener, StateMachine, StreamsConfig, StreamsMetrics, StreamsState,
};
use crate::error::StreamsError;
use crate::metrics::MetricsRegistry;
use crate::topology::Topology;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long `start` waits for the cluster (metadata, topic creation).
const ADMIN_TIMEOUT: Duration = Duration::from_secs(30);
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
/// streams.close(Duration::from_secs(30));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct KafkaStreams {
    pub(super) topology: Arc<Topology>,
    config: StreamsConfig,
    state: StateMachine,
    metrics: Arc<SharedMetrics>,
    pub(super) shared: Option<Arc<ThreadShared>>,
    threads: Vec<JoinHandle<()>>,
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
        })
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

    /// Checks the source topics and co-partitioning, creates missing internal
    /// topics, and starts `num.stream.threads` stream threads. A topology that
    /// cannot run on this cluster fails here, with the instance in Error.
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
            prepare_topics(&self.config, &self.topology, ADMIN_TIMEOUT).and_then(|plan| {
                let dir = self.config.application_state_dir();
                std::fs::create_dir_all(&dir)
                    .map_err(|source| StreamsError::StateDirectory { path: dir, source })?;
                Ok(plan)
            });
        let plan = match prepared {
            Ok(plan) => plan,
            Err(error) => {
                tracing::error!(%error, "cannot start");
                self.state.transition(StreamsState::PendingError);
                self.state.transition(StreamsState::Error);
                return Err(error);
            }
        };
        let threads = self.config.num_stream_threads();
        let shared = Arc::new(ThreadShared {
            config: self.config.clone(),
            topology: self.topology.clone(),
            plan,
            state: self.state.clone(),
            metrics: self.metrics.clone(),
            shutdown: AtomicBool::new(false),
            alive: AtomicUsize::new(threads),
            threads: Mutex::new(vec![ThreadState::Rebalancing; threads]),
            failure: Mutex::new(None),
            queries: QueryRouter::new(threads),
        });
        self.state.transition(StreamsState::Rebalancing);
        for index in 0..threads {
            let name = format!(
                "{}-StreamThread-{}",
                self.config.application_id(),
                index + 1
            );
            let thread_shared = shared.clone();
            let spawned = std::thread::Builder::new()
                .name(name.clone())
                .spawn(move || stream_thread::run(thread_shared, index));
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
                    self.shared = Some(shared);
                    return Err(error);
                }
            }
        }
        self.shared = Some(shared);
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
    /// flushed, producer flushed, offsets committed, checkpoints written),
    /// closes its tasks and leaves the group. Waits at most `timeout`; returns
    /// whether every thread stopped in time (the instance is then NotRunning, or
    /// Error if a thread had failed).
    pub fn close(&mut self, timeout: Duration) -> bool {
        let state = self.state.get();
        if state == StreamsState::Created {
            self.state.transition(StreamsState::PendingShutdown);
            self.state.transition(StreamsState::NotRunning);
            return true;
        }
        self.state.transition(StreamsState::PendingShutdown);
        if let Some(shared) = &self.shared {
            shared.shutdown.store(true, Ordering::SeqCst);
        }
        let (_, stopped) = self.state.wait_until(timeout, StreamsState::is_terminal);
        if stopped {
            for handle in self.threads.drain(..) {
                if handle.join().is_err() {
                    tracing::error!("a stream thread panicked");
                }
            }
        }
        stopped
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
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {
                tracing::info!(dir = %dir.display(), "deleted local state");
                Ok(())
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(StreamsError::StateDirectory { path: dir, source }.into()),
        }
    }
}

impl Drop for KafkaStreams {
    fn drop(&mut self) {
        if !self.state.get().is_terminal() && !self.close(DROP_CLOSE_TIMEOUT) {
            tracing::error!(
                "stream threads did not stop within {DROP_CLOSE_TIMEOUT:?} of dropping KafkaStreams"
            );
        }
    }
}
