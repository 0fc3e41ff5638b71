//! `TimeWindowedCogroupedKStream`: cogrouped streams cut into tumbling or
//! hopping windows, ready to aggregate.

use crate::WindowedCogroupedKStream;
use crate::windows::TimeWindows;

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
pub type TimeWindowedCogroupedKStream<K, VA> = WindowedCogroupedKStream<K, VA, TimeWindows>;
