//! `SlidingWindowedKStream`: a grouped stream cut into sliding windows, ready
//! to aggregate, and what sets sliding windows apart as a window kind.

use crate::operators::{AggregateStep, PendingHeaders, SlidingWindowAggregate, WindowCloseEmitter};
use crate::windows::{NonMergingWindowKind, SlidingWindows, WindowKind};
use crate::{Data, WindowedKStream};
use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;
use streams_core::processor::Processor;
use streams_core::record::{Change, Windowed};
use streams_core::state::{KeyValueStoreBuilder, StoreBuilder};
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
pub type SlidingWindowedKStream<K, V> = WindowedKStream<K, V, SlidingWindows>;

impl WindowKind for SlidingWindows {
    type Steps<K: Data, V: Data, VA: Data> = AggregateStep<K, V, VA>;

    fn minimum_retention(&self) -> Duration {
        Duration::from_millis(
            self.time_difference_ms()
                .saturating_mul(2)
                .saturating_add(self.grace_ms())
                .unsigned_abs(),
        )
    }

    fn retention_too_short(store: String, retention_ms: u128, minimum_ms: u128) -> TopologyError {
        TopologyError::SlidingRetentionTooShort {
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
        settings.windowed(
            Duration::from_millis(self.time_difference_ms().unsigned_abs()),
            retention,
        )
    }

    fn final_result_grace_ms(&self) -> i64 {
        self.grace_ms()
    }

    fn aggregator<K: Data, V: Data, VA: Data>(
        self,
        store: Arc<str>,
        step: AggregateStep<K, V, VA>,
        emit_final: bool,
    ) -> impl Processor<K, V, Windowed<K>, Change<VA>> + 'static {
        SlidingWindowAggregate {
            store,
            windows: self,
            step,
            pending: RefCell::new(PendingHeaders::default()),
            final_results: emit_final.then(WindowCloseEmitter::default),
        }
    }
}

impl NonMergingWindowKind for SlidingWindows {
    fn steps<K: Data, V: Data, VA: Data>(add: AggregateStep<K, V, VA>) -> AggregateStep<K, V, VA> {
        add
    }
}
