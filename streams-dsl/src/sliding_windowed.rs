//! `SlidingWindowedKStream`: a grouped stream cut into sliding windows, ready to
//! aggregate.

use crate::operators::{AggregateStep, PendingHeaders, SlidingWindowAggregate, WindowCloseEmitter};
use crate::windowed_aggregation::{add_windowed_aggregation, windowed_store};
use crate::windows::{SlidingWindows, WindowSpec};
use crate::{Data, EmitStrategy, KStream, KTable, Materialized};
use std::sync::Arc;
use std::time::Duration;
use streams_core::record::Windowed;
use streams_core::topology::TopologyError;

/// A grouped stream with sliding windows. Aggregations produce a table keyed by
/// `Windowed<K>` whose window is `[start, start + time difference]`, both ends
/// inclusive. The store keeps windows for at least twice the time difference
/// plus grace, since a record reads windows that far back.
///
/// ```
/// use std::time::Duration;
/// use streams_dsl::prelude::*;
/// let builder = StreamsBuilder::new();
/// builder
///     .stream::<String, i64>("payments", Consumed::default())
///     .group_by_key()
///     .windowed_by(SlidingWindows::of_time_difference_with_no_grace(Duration::from_secs(60)))
///     .reduce(|a, b| a + b, Materialized::named("spend-per-minute"))
///     .to_stream()
///     .to("spend", Produced::default());
/// assert!(builder.build().is_ok());
/// ```
pub struct SlidingWindowedKStream<K, V> {
    stream: KStream<K, V>,
    windows: SlidingWindows,
    emit: EmitStrategy,
}

impl<K: Data, V: Data> WindowSpec<K, V> for SlidingWindows {
    type Stream = SlidingWindowedKStream<K, V>;

    fn windowed_stream(self, stream: KStream<K, V>) -> Self::Stream {
        SlidingWindowedKStream {
            stream,
            windows: self,
            emit: EmitStrategy::default(),
        }
    }
}

impl<K: Data, V: Data> SlidingWindowedKStream<K, V> {
    /// When the aggregation emits: every update (the default) or, with
    /// [`EmitStrategy::on_window_close`], only each window's final aggregate
    /// once stream time passes its end plus grace (no suppression buffer).
    pub fn emit_strategy(mut self, emit: EmitStrategy) -> Self {
        self.emit = emit;
        self
    }

    fn aggregate_with<VA: Data>(
        &self,
        step: AggregateStep<K, V, VA>,
        mut materialized: Materialized<K, VA>,
    ) -> KTable<Windowed<K>, VA> {
        let minimum = Duration::from_millis(
            self.windows
                .time_difference_ms()
                .saturating_mul(2)
                .saturating_add(self.windows.grace_ms())
                .unsigned_abs(),
        );
        let store = windowed_store(
            &self.stream,
            &mut materialized,
            minimum,
            |store, retention_ms, minimum_ms| TopologyError::SlidingRetentionTooShort {
                store,
                retention_ms,
                minimum_ms,
            },
        );
        let declaration = store.settings.windowed(
            Duration::from_millis(self.windows.time_difference_ms().unsigned_abs()),
            store.retention,
        );
        let store_name: Arc<str> = store.name.as_str().into();
        let windows = self.windows;
        let emit_final = self.emit == EmitStrategy::OnWindowClose;
        add_windowed_aggregation(
            &self.stream,
            store.name,
            declaration,
            materialized.value_serde,
            move || SlidingWindowAggregate {
                store: store_name.clone(),
                windows,
                step: step.clone(),
                pending: std::cell::RefCell::new(PendingHeaders::default()),
                final_results: emit_final.then(WindowCloseEmitter::default),
            },
        )
        .with_window_grace(self.windows.grace_ms())
    }

    /// Counts the records of each key per sliding window.
    pub fn count(&self, materialized: Materialized<K, i64>) -> KTable<Windowed<K>, i64> {
        self.aggregate_with(
            Arc::new(|_, _, count: Option<i64>| count.unwrap_or(0) + 1),
            materialized,
        )
    }

    /// Combines the values of each key per sliding window.
    pub fn reduce<F>(&self, reducer: F, materialized: Materialized<K, V>) -> KTable<Windowed<K>, V>
    where
        F: Fn(V, V) -> V + Send + Sync + 'static,
    {
        self.aggregate_with(
            Arc::new(move |_, value, aggregate: Option<V>| match aggregate {
                Some(aggregate) => reducer(aggregate, value),
                None => value,
            }),
            materialized,
        )
    }

    /// Folds the values of each key per sliding window into an aggregate
    /// starting at `initializer()`.
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
            Arc::new(move |key, value, aggregate: Option<VA>| {
                aggregator(key, value, aggregate.unwrap_or_else(&initializer))
            }),
            materialized,
        )
    }
}
