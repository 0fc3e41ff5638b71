//! `WindowedKStream`: a grouped stream cut into windows of one kind (time,
//! sliding or session windows), ready to aggregate. The kinds share this one
//! shape and differ only in what their window kind says (store, retention,
//! aggregating processor); [`TimeWindowedKStream`](crate::TimeWindowedKStream),
//! [`SlidingWindowedKStream`](crate::SlidingWindowedKStream) and
//! [`SessionWindowedKStream`](crate::SessionWindowedKStream) name it per kind.

use crate::operators::{aggregate_step, count_step, reduce_step};
use crate::windowed_aggregation::{add_windowed_aggregation, windowed_store};
use crate::windows::{NonMergingWindowKind, WindowKind};
use crate::{Data, EmitStrategy, KStream, KTable, Materialized};
use std::sync::Arc;
use streams_core::record::Windowed;

/// A grouped stream with windows `W`. Aggregations produce a table keyed by
/// `Windowed<K>`; records later than their window's close (its end plus
/// grace) are dropped (counted in `dropped_records`).
pub struct WindowedKStream<K, V, W> {
    stream: KStream<K, V>,
    windows: W,
    emit: EmitStrategy,
}

impl<K: Data, V: Data, W: WindowKind> WindowedKStream<K, V, W> {
    /// `stream` (already grouped by key) cut into `windows`, emitting every
    /// update.
    pub(crate) fn new(stream: KStream<K, V>, windows: W) -> Self {
        Self {
            stream,
            windows,
            emit: EmitStrategy::default(),
        }
    }

    /// When the aggregation emits: every update (the default; for sessions,
    /// merged-away sessions deleted and the merged one updated) or, with
    /// [`EmitStrategy::on_window_close`], only each window's final aggregate,
    /// once, when stream time passes its end plus grace (for sessions, plus
    /// the inactivity gap: no record can extend it then), with no suppression
    /// buffer and no deletes.
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

    /// Aggregates with `steps` into the window store `materialized`
    /// describes, its retention checked against the windows' minimum.
    pub(crate) fn aggregate_with<VA: Data>(
        &self,
        steps: W::Steps<K, V, VA>,
        mut materialized: Materialized<K, VA>,
    ) -> KTable<Windowed<K>, VA> {
        let store = windowed_store(
            &self.stream,
            &mut materialized,
            self.windows.minimum_retention(),
            W::retention_too_short,
        );
        let declaration = self.windows.store(store.settings, store.retention);
        let store_name: Arc<str> = store.name.as_str().into();
        let windows = self.windows;
        let emit_final = self.emit == EmitStrategy::OnWindowClose;
        add_windowed_aggregation(
            &self.stream,
            store.name,
            declaration,
            materialized.value_serde,
            move || windows.aggregator(store_name.clone(), steps.clone(), emit_final),
        )
        .with_window_grace(self.windows.final_result_grace_ms())
    }
}

impl<K: Data, V: Data, W: NonMergingWindowKind> WindowedKStream<K, V, W> {
    /// Counts the records of each key per window.
    pub fn count(&self, materialized: Materialized<K, i64>) -> KTable<Windowed<K>, i64> {
        self.aggregate_with(W::steps(count_step()), materialized)
    }

    /// Combines the values of each key per window.
    pub fn reduce<F>(&self, reducer: F, materialized: Materialized<K, V>) -> KTable<Windowed<K>, V>
    where
        F: Fn(V, V) -> V + Send + Sync + 'static,
    {
        self.aggregate_with(W::steps(reduce_step(reducer)), materialized)
    }

    /// Folds the values of each key per window into an aggregate starting at
    /// `initializer()`.
    pub fn aggregate<VA: Data, I, F>(
        &self,
        initializer: I,
        aggregator: F,
        materialized: Materialized<K, VA>,
    ) -> KTable<Windowed<K>, VA>
    where
        I: Fn() -> VA + Send + Sync + 'static,
        F: Fn(&K, V, VA) -> VA + Send + Sync + 'static,
    {
        self.aggregate_with(
            W::steps(aggregate_step(initializer, aggregator)),
            materialized,
        )
    }
}
