//! The life cycle of a [`KafkaStreams`](super::KafkaStreams) instance: its states,
//! the allowed transitions (as Kafka Streams' `KafkaStreams.State`), the state
//! listener, and bounded waits for a state.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The state of an application instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamsState {
    /// Built, not started.
    Created,
    /// Threads are joining the group, restoring state or moving tasks.
    Rebalancing,
    /// Every thread is processing its tasks.
    Running,
    /// `close` was called; threads finish, commit and stop.
    PendingShutdown,
    /// Closed (terminal).
    NotRunning,
    /// A thread failed; the others are stopping.
    PendingError,
    /// Stopped after a failure (terminal for processing; `close` still cleans up).
    Error,
}

impl StreamsState {
    /// Whether a transition from `self` to `next` is allowed.
    pub fn can_transition_to(self, next: StreamsState) -> bool {
        use StreamsState::*;
        matches!(
            (self, next),
            (Created, Rebalancing | PendingShutdown | PendingError)
                | (Rebalancing, Running | PendingShutdown | PendingError)
                | (Running, Rebalancing | PendingShutdown | PendingError)
                | (PendingShutdown, NotRunning)
                | (PendingError, Error)
        )
    }

    /// True while threads may be processing (Rebalancing or Running).
    pub fn is_running_or_rebalancing(self) -> bool {
        matches!(self, StreamsState::Rebalancing | StreamsState::Running)
    }

    /// True once no more transitions except cleanup can happen.
    pub fn is_terminal(self) -> bool {
        matches!(self, StreamsState::NotRunning | StreamsState::Error)
    }
}

/// Called on every state change with the new and the old state (Kafka Streams'
/// `StateListener.onChange`), on the thread that caused the change.
pub type StateListener = Box<dyn Fn(StreamsState, StreamsState) + Send + Sync>;

/// The shared state of an instance, its listener and waiters.
#[derive(Clone)]
pub(crate) struct StateMachine {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<StreamsState>,
    changed: Condvar,
    listener: Mutex<Option<StateListener>>,
}

impl StateMachine {
    pub(crate) fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(StreamsState::Created),
                changed: Condvar::new(),
                listener: Mutex::new(None),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, StreamsState> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn get(&self) -> StreamsState {
        *self.lock()
    }

    pub(crate) fn set_listener(&self, listener: StateListener) {
        *self
            .inner
            .listener
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(listener);
    }

    /// Moves to `next` if allowed from the current state; returns whether it did.
    /// A transition to the current state is a no-op that returns false.
    pub(crate) fn transition(&self, next: StreamsState) -> bool {
        let old = {
            let mut state = self.lock();
            let old = *state;
            if !old.can_transition_to(next) {
                if old != next {
                    tracing::debug!(from = ?old, to = ?next, "ignoring a state transition that is not allowed");
                }
                return false;
            }
            *state = next;
            old
        };
        tracing::info!(from = ?old, to = ?next, "state transition");
        self.inner.changed.notify_all();
        if let Some(listener) = self
            .inner
            .listener
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
        {
            listener(next, old);
        }
        true
    }

    /// Waits until `done(state)` holds or `timeout` passes; returns the last state
    /// seen and whether the condition held.
    pub(crate) fn wait_until(
        &self,
        timeout: Duration,
        done: impl Fn(StreamsState) -> bool,
    ) -> (StreamsState, bool) {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        loop {
            if done(*state) {
                return (*state, true);
            }
            let now = Instant::now();
            if now >= deadline {
                return (*state, false);
            }
            state = self
                .inner
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use StreamsState::*;

    #[test]
    fn transitions_follow_kafka_streams() {
        assert!(Created.can_transition_to(Rebalancing));
        assert!(Rebalancing.can_transition_to(Running));
        assert!(Running.can_transition_to(Rebalancing));
        assert!(Running.can_transition_to(PendingShutdown));
        assert!(PendingShutdown.can_transition_to(NotRunning));
        assert!(PendingError.can_transition_to(Error));
        assert!(!Created.can_transition_to(Running));
        assert!(!NotRunning.can_transition_to(Rebalancing));
        assert!(!Error.can_transition_to(Running));
        assert!(!PendingShutdown.can_transition_to(Running));
    }

    #[test]
    fn listener_sees_each_change_and_waiters_wake() {
        let machine = StateMachine::new();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        machine.set_listener(Box::new(move |new, old| {
            record.lock().unwrap().push((old, new));
        }));
        let other = machine.clone();
        let waiter =
            std::thread::spawn(move || other.wait_until(Duration::from_secs(30), |s| s == Running));
        assert!(machine.transition(Rebalancing));
        assert!(!machine.transition(Rebalancing));
        assert!(!machine.transition(NotRunning));
        assert!(machine.transition(Running));
        assert_eq!(waiter.join().unwrap(), (Running, true));
        assert_eq!(
            *seen.lock().unwrap(),
            [(Created, Rebalancing), (Rebalancing, Running)]
        );
        assert_eq!(
            machine.wait_until(Duration::from_millis(1), |s| s == NotRunning),
            (Running, false)
        );
    }
}
