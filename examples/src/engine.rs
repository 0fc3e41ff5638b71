//! How an example watches its running application: a wait for Running that a
//! signal cuts short, a check that the stream engine is still alive, and a
//! close that reports a failed engine instead of calling it a clean stop.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use streams_core::runtime::{KafkaStreams, RuntimeError, StreamsState};

/// How often waits look at the stop flag.
const STOP_CHECK: Duration = Duration::from_millis(100);

/// Why the example's application is not (or no longer) processing.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The stream engine stopped by itself, with the error that stopped it.
    #[error("the stream engine stopped ({state:?}): {cause}")]
    Failed {
        /// The state it ended in.
        state: StreamsState,
        /// The error of the thread that failed, or what is known.
        cause: String,
    },
    /// The application did not reach Running in time.
    #[error(
        "the application did not reach Running within {waited:?} (it is {state:?}); is the cluster reachable?"
    )]
    NotRunning {
        /// How long it waited.
        waited: Duration,
        /// Its state then.
        state: StreamsState,
    },
    /// Closing did not finish in time.
    #[error("the application did not close within {0:?}")]
    CloseTimeout(Duration),
    /// Starting, querying or closing failed.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

/// Whether a wait ended because the work is there or because a signal asked
/// the example to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waited {
    /// What was waited for happened.
    Done,
    /// `stop` was set (SIGINT / SIGTERM): close and exit cleanly.
    Stopped,
}

/// Fails when the engine stopped without `close` being called.
pub fn ensure_alive(streams: &KafkaStreams) -> Result<(), EngineError> {
    match streams.state() {
        state @ (StreamsState::PendingError | StreamsState::Error | StreamsState::NotRunning) => {
            Err(EngineError::Failed {
                state,
                cause: streams.failure().map_or_else(
                    || "no stream thread reported an error".to_string(),
                    |failure| failure.to_string(),
                ),
            })
        }
        _ => Ok(()),
    }
}

/// Waits until the application is Running, at most `timeout` (`Duration::MAX`:
/// without limit), returning early when `stop` is set; fails if the engine stops.
pub fn wait_until_running(
    streams: &KafkaStreams,
    stop: &AtomicBool,
    timeout: Duration,
) -> Result<Waited, EngineError> {
    // No deadline when it would lie beyond what an Instant can express.
    let deadline = Instant::now().checked_add(timeout);
    loop {
        if stop.load(Ordering::SeqCst) {
            return Ok(Waited::Stopped);
        }
        ensure_alive(streams)?;
        let left = deadline.map_or(STOP_CHECK, |d| d.saturating_duration_since(Instant::now()));
        if left.is_zero() {
            return Err(EngineError::NotRunning {
                waited: timeout,
                state: streams.state(),
            });
        }
        let (state, _) = streams.wait_for_state(left.min(STOP_CHECK), |state| {
            state == StreamsState::Running || !state.is_running_or_rebalancing()
        });
        if state == StreamsState::Running {
            return Ok(Waited::Done);
        }
    }
}

/// Closes the application (final commit, leave the group) and reports how it
/// ended: an error if the engine had failed before or did not stop in time.
pub fn close(streams: &mut KafkaStreams, timeout: Duration) -> Result<(), EngineError> {
    let failed = ensure_alive(streams);
    let closed = streams.close(timeout);
    failed?;
    match closed {
        Ok(()) => Ok(()),
        Err(RuntimeError::Timeout { .. }) => Err(EngineError::CloseTimeout(timeout)),
        Err(RuntimeError::Stopped { state, cause }) => Err(EngineError::Failed { state, cause }),
        Err(other) => Err(other.into()),
    }
}
