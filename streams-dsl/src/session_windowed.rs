//! `SessionWindowedKStream`: a grouped stream cut into sessions of activity,
//! ready to aggregate.

use crate::operators::{
    AggregateStep, PendingHeaders, SessionCloseEmitter, SessionMerge, SessionWindowAggregate,
};
use crate::windowed_aggregation::{add_windowed_aggregation, windowed_store};
use crate::windows::{SessionWindows, WindowSpec};
use crate::{Data, EmitStrategy, KStream, KTable, Materialized};
use std::sync::Arc;
use std::time::Duration;
use streams_core::record::Windowed;
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
pub struct SessionWindowedKStream<K, V> {
    stream: KStream<K, V>,
    windows: SessionWindows,
    emit: EmitStrategy,
}

impl<K: Data, V: Data> WindowSpec<K, V> for SessionWindows {
    type Stream = SessionWindowedKStream<K, V>;

    fn windowed_stream(self, stream: KStream<K, V>) -> Self::Stream {
        SessionWindowedKStream {
            stream,
            windows: self,
            emit: EmitStrategy::default(),
        }
    }
}

impl<K: Data, V: Data> SessionWindowedKStream<K, V> {
    /// When the aggregation emits: every update (the default: merged-away
    /// sessions deleted, the merged one updated) or, with
    /// [`EmitStrategy::on_window_close`], only each session's final
    /// aggregate, once, when stream time passes its end plus the inactivity
    /// gap plus grace (no record can extend it then), and no deletes.
    ///
    /// ```
    /// use std::time::Duration;
    /// use streams_dsl::prelude::*;
    /// let builder = StreamsBuilder::new();
    /// builder
    ///     .stream::<String, String>("clicks", Consumed::default())
    ///     .group_by_key()
    ///     .windowed_by(SessionWindows::of_inactivity_gap_with_no_grace(Duration::from_millis(100)))
    ///     .emit_strategy(EmitStrategy::on_window_close())
    ///     .count(Materialized::named("sessions"))
    ///     .to_stream()
    ///     .to("final-sessions", Produced::default());
    /// let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    /// let clicks = driver.input_topic::<String, String>("clicks").unwrap();
    /// let sessions = driver.output_topic::<Windowed<String>, Option<i64>>("final-sessions").unwrap();
    /// clicks.pipe("ann", "a", 10).unwrap();
    /// clicks.pipe("ann", "b", 50).unwrap();
    /// assert!(sessions.is_empty()); // the session [10, 50] can still grow
    /// clicks.pipe("bob", "c", 151).unwrap(); // stream time - gap passes 50
    /// let (session, count) = sessions.read_key_value().unwrap();
    /// assert_eq!((session.window.start, session.window.end, count), (10, 50, Some(2)));
    /// assert!(sessions.is_empty());
    /// ```
    pub fn emit_strategy(mut self, emit: EmitStrategy) -> Self {
        self.emit = emit;
        self
    }

    fn aggregate_with<VA: Data>(
        &self,
        add: AggregateStep<K, V, VA>,
        merge: SessionMerge<K, VA>,
        mut materialized: Materialized<K, VA>,
    ) -> KTable<Windowed<K>, VA> {
        let minimum = Duration::from_millis(
            self.windows
                .inactivity_gap_ms()
                .saturating_add(self.windows.grace_ms())
                .unsigned_abs(),
        );
        let store = windowed_store(
            &self.stream,
            &mut materialized,
            minimum,
            |store, retention_ms, minimum_ms| TopologyError::SessionRetentionTooShort {
                store,
                retention_ms,
                minimum_ms,
            },
        );
        let declaration = store.settings.sessions(store.retention);
        let store_name: Arc<str> = store.name.as_str().into();
        let windows = self.windows;
        let emit_final = self.emit == EmitStrategy::OnWindowClose;
        add_windowed_aggregation(
            &self.stream,
            store.name,
            declaration,
            materialized.value_serde,
            move || SessionWindowAggregate {
                store: store_name.clone(),
                windows,
                add: add.clone(),
                merge: merge.clone(),
                pending: PendingHeaders::default(),
                final_results: emit_final.then(SessionCloseEmitter::default),
            },
        )
        // A session can still grow until stream time passes its end plus the
        // inactivity gap, so its final result waits for gap + grace (as in Kafka).
        .with_window_grace(
            self.windows
                .grace_ms()
                .saturating_add(self.windows.inactivity_gap_ms()),
        )
    }

    /// Counts the records of each key per session.
    pub fn count(&self, materialized: Materialized<K, i64>) -> KTable<Windowed<K>, i64> {
        self.aggregate_with(
            Arc::new(|_, _, count: Option<i64>| count.unwrap_or(0) + 1),
            Arc::new(|_, count: Option<i64>, session: i64| count.unwrap_or(0) + session),
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
        let merger = reducer.clone();
        self.aggregate_with(
            Arc::new(move |_, value, aggregate: Option<V>| match aggregate {
                Some(aggregate) => reducer(aggregate, value),
                None => value,
            }),
            Arc::new(move |_, aggregate: Option<V>, session: V| match aggregate {
                Some(aggregate) => merger(aggregate, session),
                None => session,
            }),
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
            Arc::new(move |key, value, aggregate: Option<VA>| {
                aggregator(key, value, aggregate.unwrap_or_else(|| init()))
            }),
            Arc::new(move |key, aggregate: Option<VA>, session: VA| {
                session_merger(key, aggregate.unwrap_or_else(|| initializer()), session)
            }),
            materialized,
        )
    }
}
