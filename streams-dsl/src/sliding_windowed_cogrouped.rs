//! `SlidingWindowedCogroupedKStream`: cogrouped streams cut into sliding
//! windows, ready to aggregate.

use crate::cogroup_update::CogroupUpdate;
use crate::windows::{CogroupWindowSpec, SlidingWindows};
use crate::{CogroupedKStream, Data, EmitStrategy, KTable, Materialized};
use streams_core::record::Windowed;

/// Cogrouped streams with sliding windows. The aggregation produces a table
/// keyed by `Windowed<K>` whose window is `[start, start + time difference]`,
/// as a [`SlidingWindowedKStream`](crate::SlidingWindowedKStream)'s does, over
/// the records of every input.
///
/// ```
/// use std::time::Duration;
/// use streams_dsl::prelude::*;
/// let builder = StreamsBuilder::new();
/// let deposits = builder.stream::<String, i64>("deposits", Consumed::default()).group_by_key();
/// let withdrawals = builder.stream::<String, i64>("withdrawals", Consumed::default()).group_by_key();
/// deposits
///     .cogroup(|_account, cents, balance: i64| balance + cents)
///     .cogroup(&withdrawals, |_account, cents, balance| balance - cents)
///     .windowed_by(SlidingWindows::of_time_difference_with_no_grace(Duration::from_secs(60)))
///     .aggregate(|| 0, Materialized::named("net-flow-per-minute"))
///     .to_stream()
///     .to("net-flow", Produced::default());
/// assert!(builder.build().is_ok());
/// ```
pub struct SlidingWindowedCogroupedKStream<K, VA> {
    cogrouped: CogroupedKStream<K, VA>,
    windows: SlidingWindows,
    emit: EmitStrategy,
}

impl<K: Data, VA: Data> CogroupWindowSpec<K, VA> for SlidingWindows {
    type Stream = SlidingWindowedCogroupedKStream<K, VA>;

    fn cogrouped_stream(self, cogrouped: CogroupedKStream<K, VA>) -> Self::Stream {
        SlidingWindowedCogroupedKStream {
            cogrouped,
            windows: self,
            emit: EmitStrategy::default(),
        }
    }
}

impl<K: Data, VA: Data> SlidingWindowedCogroupedKStream<K, VA> {
    /// When the aggregation emits: every update (the default) or, with
    /// [`EmitStrategy::on_window_close`], only each window's final aggregate
    /// once stream time passes its end plus grace.
    pub fn emit_strategy(mut self, emit: EmitStrategy) -> Self {
        self.emit = emit;
        self
    }

    /// Folds the records of every input into one aggregate per key and
    /// sliding window, starting as `initializer()`.
    pub fn aggregate<I>(
        &self,
        initializer: I,
        mut materialized: Materialized<K, VA>,
    ) -> KTable<Windowed<K>, VA>
    where
        I: Fn() -> VA + Send + Sync + 'static,
    {
        let store = self.cogrouped.store_name(&mut materialized);
        self.cogrouped
            .updates(&store, None)
            .windowed_by(self.windows)
            .emit_strategy(self.emit)
            .aggregate(initializer, CogroupUpdate::apply, materialized)
    }
}
