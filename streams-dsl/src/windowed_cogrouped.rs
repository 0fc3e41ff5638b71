//! `WindowedCogroupedKStream`: cogrouped streams cut into windows of one kind
//! (time, sliding or session windows), ready to aggregate. The kinds share
//! this one shape: the inputs' updates, merged, are aggregated by the
//! [`WindowedKStream`] of the same windows;
//! [`TimeWindowedCogroupedKStream`](crate::TimeWindowedCogroupedKStream),
//! [`SlidingWindowedCogroupedKStream`](crate::SlidingWindowedCogroupedKStream)
//! and [`SessionWindowedCogroupedKStream`](crate::SessionWindowedCogroupedKStream)
//! name it per kind.

use crate::cogroup_update::CogroupUpdate;
use crate::windows::{NonMergingWindowKind, WindowKind};
use crate::{CogroupedKStream, Data, EmitStrategy, KTable, Materialized, WindowedKStream};
use streams_core::record::Windowed;

/// Cogrouped streams with windows `W`. The aggregation produces a table keyed
/// by `Windowed<K>`, as the [`WindowedKStream`] of the same windows does, over
/// the records of every input.
pub struct WindowedCogroupedKStream<K, VA, W> {
    cogrouped: CogroupedKStream<K, VA>,
    windows: W,
    emit: EmitStrategy,
}

impl<K: Data, VA: Data, W: WindowKind> WindowedCogroupedKStream<K, VA, W> {
    /// `cogrouped` cut into `windows`, emitting every update.
    pub(crate) fn new(cogrouped: CogroupedKStream<K, VA>, windows: W) -> Self {
        Self {
            cogrouped,
            windows,
            emit: EmitStrategy::default(),
        }
    }

    /// The updates of every input, windowed and emitting as this stream, for
    /// the store `materialized` names (a generated name is written back).
    pub(crate) fn windowed_updates(
        &self,
        materialized: &mut Materialized<K, VA>,
    ) -> WindowedKStream<K, CogroupUpdate<K, VA>, W> {
        let store = self.cogrouped.store_name(materialized);
        self.cogrouped
            .updates(&store, None)
            .windowed_by(self.windows)
            .emit_strategy(self.emit)
    }
}

impl<K: Data, VA: Data, W: NonMergingWindowKind> WindowedCogroupedKStream<K, VA, W> {
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
        self.windowed_updates(&mut materialized).aggregate(
            initializer,
            CogroupUpdate::apply,
            materialized,
        )
    }
}
