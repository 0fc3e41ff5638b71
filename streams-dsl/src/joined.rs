//! `Joined`: the name, serdes and grace period of a stream-table join (Kafka
//! Streams' `Joined`), and the build-time check of the grace period.

use crate::plan::LogicalPlan;
use std::sync::Arc;
use std::time::Duration;
use streams_core::serde::{Serde, SerdeRef};
use streams_core::topology::TopologyError;

/// Name and serdes of `KStream::join_with` / `left_join_with` (a stream
/// joined with a table). The join's node takes the name; a stream whose keys
/// changed is repartitioned through `<application.id>-<name>-left-repartition`
/// (as Kafka Streams names it), written and read with these serdes. Kafka
/// Streams' third serde, for the table's values, has no use here: the table
/// is read through its store, which has its own serdes.
///
/// ```
/// use streams_dsl::prelude::*;
/// let builder = StreamsBuilder::new();
/// let users = builder.table::<String, String>("users", Consumed::default(), Materialized::named("users"));
/// builder
///     .stream::<String, i64>("clicks", Consumed::default())
///     .select_key(|_, clicks| clicks.to_string())
///     .join_with(&users, |clicks, user| format!("{user}: {clicks}"), Joined::as_("clicks-with-users"));
/// let topology = builder.build().unwrap();
/// assert!(topology.describe().to_string().contains("clicks-with-users-left-repartition"));
/// ```
pub struct Joined<K, V> {
    pub(crate) name: Option<String>,
    pub(crate) key_serde: Option<SerdeRef<K>>,
    pub(crate) value_serde: Option<SerdeRef<V>>,
    pub(crate) grace_period: Option<Duration>,
}

impl<K, V> Default for Joined<K, V> {
    fn default() -> Self {
        Self {
            name: None,
            key_serde: None,
            value_serde: None,
            grace_period: None,
        }
    }
}

impl<K, V> Joined<K, V> {
    /// A join named `name` (Kafka Streams' `Joined.as`).
    pub fn as_(name: impl Into<String>) -> Self {
        Self::default().with_name(name)
    }

    /// A join with these serdes for the stream's keys and values.
    pub fn with(key_serde: impl Serde<K> + 'static, value_serde: impl Serde<V> + 'static) -> Self {
        Self::default()
            .key_serde(key_serde)
            .value_serde(value_serde)
    }

    /// Names the join's node (and its repartition topic).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// An explicit key serde.
    pub fn key_serde(mut self, serde: impl Serde<K> + 'static) -> Self {
        self.key_serde = Some(Arc::new(serde));
        self
    }

    /// Holds stream records back until the join's stream time is `grace` past
    /// their timestamp, then joins them in timestamp order (KIP-923), so a
    /// table update arriving shortly after a stream record of its time is
    /// still joined. Records older than that when they arrive are joined at
    /// once. The table must be versioned, with a history retention of at
    /// least `grace` (checked when the topology is built). The records wait
    /// in a logged in-memory store, `<join name>-buffer`.
    pub fn with_grace_period(mut self, grace: Duration) -> Self {
        self.grace_period = Some(grace);
        self
    }

    /// An explicit serde for the stream's values.
    pub fn value_serde(mut self, serde: impl Serde<V> + 'static) -> Self {
        self.value_serde = Some(Arc::new(serde));
        self
    }
}

/// Milliseconds of a duration, saturating.
pub(crate) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Reports a stream-table join grace period its table cannot serve: Kafka
/// Streams requires a versioned table keeping at least that much history.
pub(crate) fn check_grace(
    topology: &mut LogicalPlan,
    join: &str,
    grace: Duration,
    history_retention: Option<Duration>,
) {
    let problem = match history_retention {
        None => "its table is not versioned".to_string(),
        Some(retention) if retention < grace => format!(
            "its table keeps history for {} ms only",
            retention.as_millis()
        ),
        Some(_) => return,
    };
    topology.report(TopologyError::JoinGraceWithoutHistory {
        join: join.to_string(),
        grace_ms: grace.as_millis(),
        problem,
    });
}
