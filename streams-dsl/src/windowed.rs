//! `TimeWindowedKStream`: a grouped stream cut into time windows, ready to
//! aggregate, and what sets time windows apart as a window kind.

use crate::operators::{AggregateStep, PendingHeaders, WindowAggregate, WindowCloseEmitter};
use crate::windows::{NonMergingWindowKind, TimeWindows, WindowKind};
use crate::{Data, WindowedKStream};
use std::sync::Arc;
use std::time::Duration;
use streams_core::processor::Processor;
use streams_core::record::{Change, Windowed};
use streams_core::state::{KeyValueStoreBuilder, StoreBuilder};
use streams_core::topology::TopologyError;

/// A grouped stream with tumbling or hopping windows. Aggregations produce a
/// table keyed by `Windowed<K>`; records later than a window's end plus its
/// grace period are dropped (counted in `dropped_records`). The store keeps
/// windows for at least window size plus grace.
pub type TimeWindowedKStream<K, V> = WindowedKStream<K, V, TimeWindows>;

impl WindowKind for TimeWindows {
    type Steps<K: Data, V: Data, VA: Data> = AggregateStep<K, V, VA>;

    fn minimum_retention(&self) -> Duration {
        Duration::from_millis((self.size_ms() + self.grace_ms()) as u64)
    }

    fn retention_too_short(store: String, retention_ms: u128, minimum_ms: u128) -> TopologyError {
        TopologyError::RetentionTooShort {
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
        settings.windowed(Duration::from_millis(self.size_ms() as u64), retention)
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
        WindowAggregate {
            store,
            windows: self,
            step,
            pending: PendingHeaders::default(),
            final_results: emit_final.then(WindowCloseEmitter::default),
        }
    }
}

impl NonMergingWindowKind for TimeWindows {
    fn steps<K: Data, V: Data, VA: Data>(add: AggregateStep<K, V, VA>) -> AggregateStep<K, V, VA> {
        add
    }
}
