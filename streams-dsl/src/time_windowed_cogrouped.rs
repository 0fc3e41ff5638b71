//! `TimeWindowedCogroupedKStream`: cogrouped streams cut into tumbling or
//! hopping windows, ready to aggregate.

use crate::cogroup_update::CogroupUpdate;
use crate::windows::{CogroupWindowSpec, TimeWindows};
use crate::{CogroupedKStream, Data, EmitStrategy, KTable, Materialized};
use streams_core::record::Windowed;

/// Cogrouped streams with tumbling or hopping windows. The aggregation
/// produces a table keyed by `Windowed<K>`, as a
/// [`TimeWindowedKStream`](crate::TimeWindowedKStream)'s does: records of any
/// input later than their window's end plus grace are dropped (counted in
/// `dropped_records`).
///
/// ```
/// use std::time::Duration;
/// use streams_dsl::prelude::*;
/// let builder = StreamsBuilder::new();
/// let clicks = builder.stream::<String, String>("clicks", Consumed::default()).group_by_key();
/// let buys = builder.stream::<String, i64>("purchases", Consumed::default()).group_by_key();
/// clicks
///     .cogroup(|_user, _page, events: i64| events + 1)
///     .cogroup(&buys, |_user, _cents, events| events + 1)
///     .windowed_by(TimeWindows::of_size_with_no_grace(Duration::from_secs(60)))
///     .aggregate(|| 0, Materialized::named("events-per-minute"))
///     .to_stream()
///     .to("events", Produced::default());
/// assert!(builder.build().is_ok());
/// ```
pub struct TimeWindowedCogroupedKStream<K, VA> {
    cogrouped: CogroupedKStream<K, VA>,
    windows: TimeWindows,
    emit: EmitStrategy,
}

impl<K: Data, VA: Data> CogroupWindowSpec<K, VA> for TimeWindows {
    type Stream = TimeWindowedCogroupedKStream<K, VA>;

    fn cogrouped_stream(self, cogrouped: CogroupedKStream<K, VA>) -> Self::Stream {
        TimeWindowedCogroupedKStream {
            cogrouped,
            windows: self,
            emit: EmitStrategy::default(),
        }
    }
}

impl<K: Data, VA: Data> TimeWindowedCogroupedKStream<K, VA> {
    /// When the aggregation emits: every update (the default) or, with
    /// [`EmitStrategy::on_window_close`], only each window's final aggregate
    /// once stream time passes its end plus grace.
    pub fn emit_strategy(mut self, emit: EmitStrategy) -> Self {
        self.emit = emit;
        self
    }

    /// Folds the records of every input into one aggregate per key and
    /// window, starting as `initializer()`.
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
