//! Settings of the group coordinator, named and defaulted after the Kafka broker
//! configurations they mirror.

use std::time::Duration;

/// Group coordinator settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupConfig {
    /// `group.min.session.timeout.ms`: the shortest session timeout a member may ask for.
    pub min_session_timeout: Duration,
    /// `group.max.session.timeout.ms`: the longest session timeout a member may ask for.
    pub max_session_timeout: Duration,
    /// `group.initial.rebalance.delay.ms`: how long the first rebalance of an empty
    /// group waits for more members. Kafka defaults to 3 s; this broker to 0, so a
    /// lone consumer joins at once.
    pub initial_rebalance_delay: Duration,
    /// `offset.metadata.max.bytes`: the largest metadata string an offset commit may carry.
    pub max_offset_metadata_bytes: usize,
}

impl Default for GroupConfig {
    fn default() -> Self {
        GroupConfig {
            min_session_timeout: Duration::from_millis(6_000),
            max_session_timeout: Duration::from_millis(1_800_000),
            initial_rebalance_delay: Duration::ZERO,
            max_offset_metadata_bytes: 4096,
        }
    }
}
