//! `SessionWindowedCogroupedKStream`: cogrouped streams cut into sessions of
//! activity, ready to aggregate (their aggregation also merges sessions).

use crate::cogroup_update::CogroupUpdate;
use crate::windows::SessionWindows;
use crate::{Data, KTable, Materialized, WindowedCogroupedKStream};
use streams_core::record::Windowed;

/// Cogrouped streams with session windows. The aggregation produces a table
/// keyed by `Windowed<K>` whose window is the session `[first, last]` record
/// timestamp, as a [`SessionWindowedKStream`](crate::SessionWindowedKStream)'s
/// does: a session grows with the records of every input, and a record of any
/// input bridging sessions merges them (the merged-away sessions are deleted
/// downstream first).
///
/// ```
/// use std::time::Duration;
/// use streams_dsl::prelude::*;
/// let builder = StreamsBuilder::new();
/// let clicks = builder.stream::<String, String>("clicks", Consumed::default()).group_by_key();
/// let searches = builder.stream::<String, String>("searches", Consumed::default()).group_by_key();
/// clicks
///     .cogroup(|_user, _page, events: i64| events + 1)
///     .cogroup(&searches, |_user, _query, events| events + 1)
///     .windowed_by(SessionWindows::of_inactivity_gap_with_no_grace(Duration::from_secs(300)))
///     .aggregate(|| 0, |_user, a, b| a + b, Materialized::named("events-per-session"))
///     .to_stream()
///     .to("session-events", Produced::default());
/// assert!(builder.build().is_ok());
/// ```
pub type SessionWindowedCogroupedKStream<K, VA> = WindowedCogroupedKStream<K, VA, SessionWindows>;

impl<K: Data, VA: Data> WindowedCogroupedKStream<K, VA, SessionWindows> {
    /// Folds the records of every input into one aggregate per key and
    /// session, starting as `initializer()`; when a record merges sessions,
    /// `session_merger` combines their aggregates (starting from
    /// `initializer()`, as Kafka Streams does).
    pub fn aggregate<I, M>(
        &self,
        initializer: I,
        session_merger: M,
        mut materialized: Materialized<K, VA>,
    ) -> KTable<Windowed<K>, VA>
    where
        I: Fn() -> VA + Send + Sync + 'static,
        M: Fn(&K, VA, VA) -> VA + Send + Sync + 'static,
    {
        self.windowed_updates(&mut materialized).aggregate(
            initializer,
            CogroupUpdate::apply,
            session_merger,
            materialized,
        )
    }
}
