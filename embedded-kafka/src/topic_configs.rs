//! Topic and broker configs as Kafka reports them: the defaults, overrides and
//! their sources and types for DescribeConfigs and CreateTopics.

use crate::config::BrokerConfig;
use std::collections::BTreeMap;

/// Where a config value comes from (DescribeConfigs `config_source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigSource {
    /// Set on the topic.
    DynamicTopic = 1,
    /// Fixed in the broker's configuration.
    StaticBroker = 4,
    /// Kafka's default.
    Default = 5,
}

/// Type of a config value (DescribeConfigs v3+ `config_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    /// true / false.
    Boolean = 1,
    /// Free text.
    String = 2,
    /// 32-bit integer.
    Int = 3,
    /// 64-bit integer.
    Long = 5,
    /// Floating point.
    Double = 6,
    /// Comma-separated list.
    List = 7,
}

/// Kafka's topic-level configs and their defaults.
const TOPIC_DEFAULTS: &[(&str, &str, ConfigType)] = &[
    ("cleanup.policy", "delete", ConfigType::List),
    ("compression.type", "producer", ConfigType::String),
    ("delete.retention.ms", "86400000", ConfigType::Long),
    ("file.delete.delay.ms", "60000", ConfigType::Long),
    (
        "follower.replication.throttled.replicas",
        "",
        ConfigType::List,
    ),
    ("flush.messages", "9223372036854775807", ConfigType::Long),
    ("flush.ms", "9223372036854775807", ConfigType::Long),
    ("index.interval.bytes", "4096", ConfigType::Int),
    (
        "leader.replication.throttled.replicas",
        "",
        ConfigType::List,
    ),
    ("local.retention.bytes", "-2", ConfigType::Long),
    ("local.retention.ms", "-2", ConfigType::Long),
    (
        "max.compaction.lag.ms",
        "9223372036854775807",
        ConfigType::Long,
    ),
    ("max.message.bytes", "1048588", ConfigType::Int),
    ("message.downconversion.enable", "true", ConfigType::Boolean),
    ("message.format.version", "3.0-IV1", ConfigType::String),
    (
        "message.timestamp.after.max.ms",
        "3600000",
        ConfigType::Long,
    ),
    (
        "message.timestamp.before.max.ms",
        "9223372036854775807",
        ConfigType::Long,
    ),
    (
        "message.timestamp.difference.max.ms",
        "9223372036854775807",
        ConfigType::Long,
    ),
    ("message.timestamp.type", "CreateTime", ConfigType::String),
    ("min.cleanable.dirty.ratio", "0.5", ConfigType::Double),
    ("min.compaction.lag.ms", "0", ConfigType::Long),
    ("min.insync.replicas", "1", ConfigType::Int),
    ("preallocate", "false", ConfigType::Boolean),
    ("remote.storage.enable", "false", ConfigType::Boolean),
    ("retention.bytes", "-1", ConfigType::Long),
    ("retention.ms", "604800000", ConfigType::Long),
    ("segment.bytes", "1073741824", ConfigType::Int),
    ("segment.index.bytes", "10485760", ConfigType::Int),
    ("segment.jitter.ms", "0", ConfigType::Long),
    ("segment.ms", "604800000", ConfigType::Long),
    (
        "unclean.leader.election.enable",
        "false",
        ConfigType::Boolean,
    ),
];

/// Whether `name` is a topic-level config Kafka knows.
pub fn is_topic_config(name: &str) -> bool {
    TOPIC_DEFAULTS.iter().any(|(n, _, _)| *n == name)
}

/// The type of a config.
pub fn config_type(name: &str) -> ConfigType {
    TOPIC_DEFAULTS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map_or(ConfigType::String, |(_, _, t)| *t)
}

/// Every topic config with its effective value and source.
pub fn topic_entries(
    overrides: &BTreeMap<String, String>,
) -> Vec<(&'static str, String, ConfigSource)> {
    TOPIC_DEFAULTS
        .iter()
        .map(|(name, default, _)| match overrides.get(*name) {
            Some(value) => (*name, value.clone(), ConfigSource::DynamicTopic),
            None => (*name, (*default).to_owned(), ConfigSource::Default),
        })
        .collect()
}

/// The broker configs reported for this broker.
pub fn broker_entries(config: &BrokerConfig) -> Vec<(&'static str, String, ConfigSource)> {
    let fixed = |name, value: String| (name, value, ConfigSource::StaticBroker);
    vec![
        fixed(
            "auto.create.topics.enable",
            config.auto_create_topics.to_string(),
        ),
        fixed("broker.id", config.node_id.to_string()),
        fixed("default.replication.factor", "1".to_owned()),
        fixed("group.initial.rebalance.delay.ms", "0".to_owned()),
        fixed("log.cleanup.policy", "delete".to_owned()),
        fixed("log.retention.hours", "168".to_owned()),
        fixed("message.max.bytes", "1048588".to_owned()),
        fixed("min.insync.replicas", "1".to_owned()),
        fixed("num.partitions", config.default_partitions.to_string()),
        fixed("offsets.topic.replication.factor", "1".to_owned()),
        fixed(
            "transaction.max.timeout.ms",
            config.transaction_max_timeout.as_millis().to_string(),
        ),
        fixed("transaction.state.log.replication.factor", "1".to_owned()),
    ]
}
