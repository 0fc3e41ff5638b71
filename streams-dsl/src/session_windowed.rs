//! `SessionWindowedKStream`: a grouped stream cut into sessions of activity,
//! ready to aggregate, and what sets sessions apart as a window kind (their
//! aggregations also merge sessions).

use crate::operators::{
    AggregateStep, PendingHeaders, SessionCloseEmitter, SessionMerge, SessionWindowAggregate,
    aggregate_step, count_step, reduce_step,
};
use crate::windows::{SessionWindows, WindowKind};
use crate::{Data, KTable, Materialized, WindowedKStream};
use std::sync::Arc;
use std::time::Duration;
use streams_core::processor::Processor;
use streams_core::record::{Change, Windowed};
use streams_core::state::{KeyValueStoreBuilder, StoreBuilder};
use streams_core::topology::TopologyError;

/// A grouped stream with session windows. Aggregations produce a table keyed by
/// `Windowed<K>` whose window is the session `[first, last]` record timestamp.
/// When a record merges sessions, each merged-away session is deleted downstream
/// (a `Change` with no new value) before the merged session's aggregate follows.
/// Records whose session ended more than gap plus grace before stream time are
/// dropped (counted in `dropped_records`).
///
/// ```
/// use std::time::Duration;
/// use streams_dsl::prelude::*;
/// let builder = StreamsBuilder::new();
/// builder
///     .stream::<String, String>("clicks", Consumed::default())
///     .group_by_key()
///     .windowed_by(SessionWindows::of_inactivity_gap_with_no_grace(Duration::from_secs(300)))
///     .count(Materialized::named("clicks-per-session"))
///     .to_stream()
///     .to("session-clicks", Produced::default());
/// assert!(builder.build().is_ok());
/// ```
pub type SessionWindowedKStream<K, V> = WindowedKStream<K, V, SessionWindows>;

impl WindowKind for SessionWindows {
    type Steps<K: Data, V: Data, VA: Data> = (AggregateStep<K, V, VA>, SessionMerge<K, VA>);

    fn minimum_retention(&self) -> Duration {
        Duration::from_millis(
            self.inactivity_gap_ms()
                .saturating_add(self.grace_ms())
                .unsigned_abs(),
        )
    }

    fn retention_too_short(store: String, retention_ms: u128, minimum_ms: u128) -> TopologyError {
        TopologyError::SessionRetentionTooShort {
            store,
            retention_ms,
            minimum_ms,
        }
    }

    fn store<K: Data, VA: Data>(
        self,
        settings: KeyValueStoreBuilder<K, VA>,
        retention: Duration,
    ) -> impl StoreBuilder + 'static {
        settings.sessions(retention)
    }

    /// A session can still grow until stream time passes its end plus the
    /// inactivity gap, so its final result waits for gap + grace (as in Kafka).
    fn final_result_grace_ms(&self) -> i64 {
        self.grace_ms().saturating_add(self.inactivity_gap_ms())
    }

    fn aggregator<K: Data, V: Data, VA: Data>(
        self,
        store: Arc<str>,
        (add, merge): (AggregateStep<K, V, VA>, SessionMerge<K, VA>),
        emit_final: bool,
    ) -> impl Processor<K, V, Windowed<K>, Change<VA>> + 'static {
        SessionWindowAggregate {
            store,
            windows: self,
            add,
            merge,
            pending: PendingHeaders::default(),
            final_results: emit_final.then(SessionCloseEmitter::default),
        }
    }
}

impl<K: Data, V: Data> WindowedKStream<K, V, SessionWindows> {
    /// Counts the records of each key per session.
    pub fn count(&self, materialized: Materialized<K, i64>) -> KTable<Windowed<K>, i64> {
        self.aggregate_with(
            (
                count_step(),
                Arc::new(|_, count: Option<i64>, session: i64| count.unwrap_or(0) + session),
            ),
            materialized,
        )
    }

    /// Combines the values of each key per session with `reducer`; merging
    /// sessions combines their aggregates with it too.
    pub fn reduce<F>(&self, reducer: F, materialized: Materialized<K, V>) -> KTable<Windowed<K>, V>
    where
        F: Fn(V, V) -> V + Send + Sync + 'static,
    {
        let reducer = Arc::new(reducer);
        let adder = reducer.clone();
        self.aggregate_with(
            (
                reduce_step(move |aggregate, value| adder(aggregate, value)),
                Arc::new(move |_, aggregate: Option<V>, session: V| match aggregate {
                    Some(aggregate) => reducer(aggregate, session),
                    None => session,
                }),
            ),
            materialized,
        )
    }

    /// Folds the values of each key per session into an aggregate starting at
    /// `initializer()`; when a record merges sessions, `session_merger` combines
    /// their aggregates (starting from `initializer()`, as Kafka Streams does).
    pub fn aggregate<VA: Data, I, F, M>(
        &self,
        initializer: I,
        aggregator: F,
        session_merger: M,
        materialized: Materialized<K, VA>,
    ) -> KTable<Windowed<K>, VA>
    where
        I: Fn() -> VA + Send + Sync + 'static,
        F: Fn(&K, V, VA) -> VA + Send + Sync + 'static,
        M: Fn(&K, VA, VA) -> VA + Send + Sync + 'static,
    {
        let initializer = Arc::new(initializer);
        let init = initializer.clone();
        self.aggregate_with(
            (
                aggregate_step(move || init(), aggregator),
                Arc::new(move |key, aggregate: Option<VA>, session: VA| {
                    session_merger(key, aggregate.unwrap_or_else(|| initializer()), session)
                }),
            ),
            materialized,
        )
    }
}
