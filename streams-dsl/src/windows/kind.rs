//! What sets the window kinds of windowed aggregations apart: how long their
//! store must keep windows, what store they keep them in, which processor
//! aggregates into it, and how long a final result waits. The windowed front
//! ends ([`WindowedKStream`](crate::WindowedKStream),
//! [`WindowedCogroupedKStream`](crate::WindowedCogroupedKStream)) are one shape
//! over these.

use crate::Data;
use crate::operators::AggregateStep;
use std::sync::Arc;
use std::time::Duration;
use streams_core::processor::Processor;
use streams_core::record::{Change, Windowed};
use streams_core::state::{KeyValueStoreBuilder, StoreBuilder};
use streams_core::topology::TopologyError;

/// A window kind of the windowed aggregations (time, sliding or session
/// windows); only this crate's kinds are window kinds.
pub trait WindowKind: Copy + Send + Sync + 'static {
    /// The functions an aggregation over these windows folds records with.
    type Steps<K: Data, V: Data, VA: Data>: Clone + Send + Sync + 'static;

    /// The least retention the store may keep windows for.
    fn minimum_retention(&self) -> Duration;

    /// The build error for a store kept shorter than the minimum.
    fn retention_too_short(store: String, retention_ms: u128, minimum_ms: u128) -> TopologyError;

    /// The store declared by `settings`, keeping windows for `retention`.
    fn store<K: Data, VA: Data>(
        self,
        settings: KeyValueStoreBuilder<K, VA>,
        retention: Duration,
    ) -> impl StoreBuilder + 'static;

    /// How long after a window's end its final result waits (what a
    /// suppression until window close waits for).
    fn final_result_grace_ms(&self) -> i64;

    /// The processor aggregating into the store `store` with `steps`, emitting
    /// only final results when `emit_final`.
    fn aggregator<K: Data, V: Data, VA: Data>(
        self,
        store: Arc<str>,
        steps: Self::Steps<K, V, VA>,
        emit_final: bool,
    ) -> impl Processor<K, V, Windowed<K>, Change<VA>> + 'static;
}

/// A window kind whose aggregation folds records with one add step (time and
/// sliding windows; sessions also merge).
pub trait NonMergingWindowKind: WindowKind {
    /// The steps of an aggregation adding records with `add`.
    fn steps<K: Data, V: Data, VA: Data>(add: AggregateStep<K, V, VA>) -> Self::Steps<K, V, VA>;
}
