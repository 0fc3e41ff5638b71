//! Broker configuration.

use crate::group::GroupConfig;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// How the broker listens, stores and behaves.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Host name advertised in Metadata; the bound IP when None.
    pub advertised_host: Option<String>,
    /// Directory for durable logs and state; memory only when None.
    pub data_dir: Option<PathBuf>,
    /// Whether Metadata requests create missing topics (`auto.create.topics.enable`).
    pub auto_create_topics: bool,
    /// Partitions of auto-created topics (`num.partitions`).
    pub default_partitions: i32,
    /// Node id of this broker.
    pub node_id: i32,
    /// Largest transaction timeout a producer may ask for (`transaction.max.timeout.ms`).
    pub transaction_max_timeout: Duration,
    /// How often open transactions are checked for expiry.
    pub transaction_check_interval: Duration,
    /// Group coordinator settings (session timeout bounds, initial rebalance delay).
    pub groups: GroupConfig,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            advertised_host: None,
            data_dir: None,
            auto_create_topics: false,
            default_partitions: 1,
            node_id: 1,
            transaction_max_timeout: Duration::from_secs(15 * 60),
            transaction_check_interval: Duration::from_millis(100),
            groups: GroupConfig::default(),
        }
    }
}

impl BrokerConfig {
    /// Listens on `listen` (for example `127.0.0.1:9092`).
    pub fn with_listen(mut self, listen: SocketAddr) -> Self {
        self.listen = listen;
        self
    }

    /// Persists logs and state in `dir`.
    pub fn with_data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Creates unknown topics when clients ask for their metadata.
    pub fn with_auto_create_topics(mut self, enabled: bool) -> Self {
        self.auto_create_topics = enabled;
        self
    }
}
