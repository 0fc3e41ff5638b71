//! `TimeWindowedKStream`: a grouped stream cut into time windows, ready to aggregate.

use crate::operators::{AggregateStep, WindowAggregate};
use crate::windows::TimeWindows;
use crate::{Data, KStream, KTable, Materialized, Repartitioned, StoreType};
use std::sync::Arc;
use std::time::Duration;
use streams_core::record::Windowed;
use streams_core::serde::WindowedSerde;
use streams_core::state::KeyValueStoreBuilder;
use streams_core::topology::TopologyError;

/// A grouped stream with tumbling or hopping windows. Aggregations produce a
/// table keyed by `Windowed<K>`; records later than a window's end plus its grace
/// period are dropped (counted in `dropped_records`).
pub struct TimeWindowedKStream<K, V> {
    stream: KStream<K, V>,
    windows: TimeWindows,
}

impl<K: Data, V: Data> TimeWindowedKStream<K, V> {
    pub(crate) fn new(stream: KStream<K, V>, windows: TimeWindows) -> Self {
        Self { stream, windows }
    }

    fn aggregate_with<VA: Data>(
        &self,
        step: AggregateStep<K, V, VA>,
        mut materialized: Materialized<K, VA>,
    ) -> KTable<Windowed<K>, VA> {
        let topology = self.stream.topology().clone();
        let mut builder = topology.borrow_mut();
        let store = materialized
            .name
            .take()
            .unwrap_or_else(|| builder.generate_name("KSTREAM-AGGREGATE-STATE-STORE"));
        let minimum =
            Duration::from_millis((self.windows.size_ms() + self.windows.grace_ms()) as u64);
        let retention = materialized.retention.unwrap_or(minimum);
        if retention < minimum {
            builder.report(TopologyError::RetentionTooShort {
                store: store.clone(),
                retention_ms: retention.as_millis(),
                minimum_ms: minimum.as_millis(),
            });
        }
        let mut settings = match materialized.store_type {
            StoreType::Persistent => KeyValueStoreBuilder::<K, VA>::persistent(store.clone()),
            StoreType::InMemory => KeyValueStoreBuilder::<K, VA>::in_memory(store.clone()),
        }
        .with_serdes(
            materialized.key_serde.clone().or(self.stream.key_serde()),
            materialized.value_serde.clone(),
        )
        .with_caching(materialized.caching);
        if materialized.logging {
            for (key, value) in &materialized.changelog_configs {
                settings = settings.with_changelog_config(key, value);
            }
        } else {
            settings = settings.with_logging_disabled();
        }
        builder.add_state_store(settings.windowed(
            Duration::from_millis(self.windows.size_ms() as u64),
            retention,
        ));
        builder
            .serdes_mut()
            .derive::<Windowed<K>, K>(|inner| Arc::new(WindowedSerde::new(inner)));
        drop(builder);
        let input = if self.stream.is_key_changed() {
            self.stream
                .repartition(Repartitioned::default().named(store.clone()))
        } else {
            self.stream.clone()
        };
        let mut builder = topology.borrow_mut();
        let name = builder.generate_name("KSTREAM-AGGREGATE");
        let store_name: Arc<str> = store.as_str().into();
        let windows = self.windows;
        let node = builder.add_processor(
            name,
            move || WindowAggregate {
                store: store_name.clone(),
                windows,
                step: step.clone(),
            },
            &[input.node()],
        );
        builder.connect_store(&store, node);
        drop(builder);
        let key_serde = input.key_serde().map(|inner| {
            Arc::new(WindowedSerde::new(inner)) as streams_core::serde::SerdeRef<Windowed<K>>
        });
        KTable::new(
            topology,
            node,
            Some(store),
            key_serde,
            materialized.value_serde,
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
