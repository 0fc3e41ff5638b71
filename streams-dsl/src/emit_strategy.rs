//! `EmitStrategy`: when a windowed aggregation emits (Kafka Streams' KIP-825).

/// When a windowed aggregation forwards its results.
///
/// ```
/// use std::time::Duration;
/// use streams_dsl::prelude::*;
/// let builder = StreamsBuilder::new();
/// builder
///     .stream::<String, i64>("clicks", Consumed::default())
///     .group_by_key()
///     .windowed_by(TimeWindows::of_size_and_grace(Duration::from_secs(60), Duration::from_secs(10)))
///     .emit_strategy(EmitStrategy::on_window_close())
///     .count(Materialized::named("clicks-per-minute"))
///     .to_stream()
///     .to("final-clicks", Produced::default());
/// assert!(builder.build().is_ok());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EmitStrategy {
    /// Every update of a window's aggregate (as the store's cache lets it
    /// through): the default.
    #[default]
    OnWindowUpdate,
    /// Only the final aggregate of each window, once, when stream time passes
    /// the window's end plus its grace period. No suppression buffer: the
    /// aggregate's own store is read for the windows that closed whenever a
    /// record advances stream time past the last close time seen.
    OnWindowClose,
}

impl EmitStrategy {
    /// Every update of a window's aggregate.
    pub fn on_window_update() -> Self {
        Self::OnWindowUpdate
    }

    /// Only final aggregates, when windows close.
    pub fn on_window_close() -> Self {
        Self::OnWindowClose
    }
}
