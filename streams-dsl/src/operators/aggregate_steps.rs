//! The add steps of the grouped-stream aggregations, plain or windowed:
//! count, reduce and aggregate with an initializer.

use super::AggregateStep;
use std::sync::Arc;

/// Counts: one more than the count so far (zero before the first record).
pub(crate) fn count_step<K: 'static, V: 'static>() -> AggregateStep<K, V, i64> {
    Arc::new(|_, _, count: Option<i64>| count.unwrap_or(0) + 1)
}

/// Reduces: the first value stands as is, later ones are combined with
/// `reducer(aggregate, value)`.
pub(crate) fn reduce_step<K: 'static, V: 'static>(
    reducer: impl Fn(V, V) -> V + Send + Sync + 'static,
) -> AggregateStep<K, V, V> {
    Arc::new(move |_, value, aggregate: Option<V>| match aggregate {
        Some(aggregate) => reducer(aggregate, value),
        None => value,
    })
}

/// Folds with `aggregator(key, value, aggregate)`, the aggregate starting as
/// `initializer()`.
pub(crate) fn aggregate_step<K: 'static, V: 'static, VA: 'static>(
    initializer: impl Fn() -> VA + Send + Sync + 'static,
    aggregator: impl Fn(&K, V, VA) -> VA + Send + Sync + 'static,
) -> AggregateStep<K, V, VA> {
    Arc::new(move |key, value, aggregate: Option<VA>| {
        aggregator(key, value, aggregate.unwrap_or_else(&initializer))
    })
}
