//! `SlidingWindowedCogroupedKStream`: cogrouped streams cut into sliding
//! windows, ready to aggregate.

use crate::WindowedCogroupedKStream;
use crate::windows::SlidingWindows;

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
pub type SlidingWindowedCogroupedKStream<K, VA> = WindowedCogroupedKStream<K, VA, SlidingWindows>;
