//! `TimeWindowedKStream`: a grouped stream cut into time windows, ready to aggregate.

use crate::operators::{AggregateStep, PendingHeaders, WindowAggregate, WindowCloseEmitter};
use crate::windowed_aggregation::{add_windowed_aggregation, windowed_store};
use crate::windows::{TimeWindows, WindowSpec};
use crate::{Data, EmitStrategy, KStream, KTable, Materialized};
use std::sync::Arc;
use std::time::Duration;
use streams_core::record::Windowed;
use streams_core::topology::TopologyError;

/// A grouped stream with tumbling or hopping windows. Aggregations produce a
/// table keyed by `Windowed<K>`; records later than a window's end plus its grace
/// period are dropped (counted in `dropped_records`).
pub struct TimeWindowedKStream<K, V> {
    stream: KStream<K, V>,
    windows: TimeWindows,
    emit: EmitStrategy,
}

impl<K: Data, V: Data> WindowSpec<K, V> for TimeWindows {
    type Stream = TimeWindowedKStream<K, V>;

    fn windowed_stream(self, stream: KStream<K, V>) -> Self::Stream {
        TimeWindowedKStream {
            stream,
            windows: self,
            emit: EmitStrategy::default(),
        }
    }
}

impl<K: Data, V: Data> TimeWindowedKStream<K, V> {
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
        let minimum =
            Duration::from_millis((self.windows.size_ms() + self.windows.grace_ms()) as u64);
        let store = windowed_store(
            &self.stream,
            &mut materialized,
            minimum,
            |store, retention_ms, minimum_ms| TopologyError::RetentionTooShort {
                store,
                retention_ms,
                minimum_ms,
            },
        );
        let declaration = store.settings.windowed(
            Duration::from_millis(self.windows.size_ms() as u64),
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
            move || WindowAggregate {
                store: store_name.clone(),
                windows,
                step: step.clone(),
                pending: PendingHeaders::default(),
                final_results: emit_final.then(WindowCloseEmitter::default),
            },
        )
        .with_window_grace(self.windows.grace_ms())
    }

    /// Counts the records of each key per window.
    pub fn count(&self, materialized: Materialized<K, i64>) -> KTable<Windowed<K>, i64> {
        self.aggregate_with(
            Arc::new(|_, _, count: Option<i64>| count.unwrap_or(0) + 1),
            materialized,
        )
    }

    /// Combines the values of each key per window.
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
            Arc::new(move |key, value, aggregate: Option<VA>| {
                aggregator(key, value, aggregate.unwrap_or_else(&initializer))
            }),
            materialized,
        )
    }
}
