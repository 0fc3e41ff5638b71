//! Startup checks and internal topics, through the admin client: reads the
//! partition counts of the topics that exist, plans tasks and internal topics
//! ([`TopicPlan`]), creates the internal topics that are missing and checks the
//! ones that exist.

use super::{InternalTopic, RuntimeError, StreamsConfig, TopicPlan};
use crate::topology::Topology;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::{Client, ClientContext, DefaultClientContext};
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Partition count of every topic the cluster reports.
pub(crate) fn partition_counts<C: ClientContext>(
    client: &Client<C>,
    timeout: Duration,
) -> Result<HashMap<String, i32>, RuntimeError> {
    let metadata = client
        .fetch_metadata(None, timeout)
        .map_err(|e| RuntimeError::kafka("reading the cluster's topic metadata", e))?;
    Ok(metadata
        .topics()
        .iter()
        .filter(|t| t.error().is_none() && !t.partitions().is_empty())
        .map(|t| (t.name().to_string(), t.partitions().len() as i32))
        .collect())
}

/// Checks source topics and co-partitioning, creates missing internal topics
/// and checks existing ones; returns the plan the stream threads run.
pub(crate) fn prepare_topics(
    config: &StreamsConfig,
    topology: &Topology,
    timeout: Duration,
) -> Result<TopicPlan, RuntimeError> {
    let admin: AdminClient<DefaultClientContext> = config
        .admin_config()
        .create()
        .map_err(|e| RuntimeError::kafka("creating the admin client", e))?;
    let existing = partition_counts(admin.inner(), timeout)?;
    let plan = TopicPlan::new(topology, config.application_id(), &existing)?;
    let mut missing: Vec<&InternalTopic> = Vec::new();
    for topic in &plan.internal_topics {
        match existing.get(&topic.name) {
            Some(&actual) if actual != topic.partitions => {
                return Err(RuntimeError::InternalTopicPartitions {
                    topic: topic.name.clone(),
                    expected: topic.partitions,
                    actual,
                });
            }
            Some(_) => {}
            None => missing.push(topic),
        }
    }
    if missing.is_empty() {
        return Ok(plan);
    }
    let new_topics: Vec<NewTopic<'_>> = missing
        .iter()
        .map(|topic| {
            topic.configs.iter().fold(
                NewTopic::new(
                    &topic.name,
                    topic.partitions,
                    TopicReplication::Fixed(config.replication_factor()),
                ),
                |new, (key, value)| new.set(key, value),
            )
        })
        .collect();
    let options = AdminOptions::new()
        .operation_timeout(Some(timeout))
        .request_timeout(Some(timeout));
    let results = futures::executor::block_on(admin.create_topics(&new_topics, &options))
        .map_err(|e| RuntimeError::kafka("creating internal topics", e))?;
    for result in results {
        match result {
            Ok(name) => tracing::info!(topic = %name, "created internal topic"),
            // Another instance created it first; checked below like any other.
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => {
                return Err(RuntimeError::kafka(
                    format!("creating internal topic '{name}'"),
                    KafkaError::AdminOp(code),
                ));
            }
        }
    }
    wait_for_topics(admin.inner(), &missing, timeout)?;
    Ok(plan)
}

/// Waits until the metadata shows every topic with its partition count.
fn wait_for_topics<C: ClientContext>(
    client: &Client<C>,
    topics: &[&InternalTopic],
    timeout: Duration,
) -> Result<(), RuntimeError> {
    let started = Instant::now();
    loop {
        let counts = partition_counts(client, timeout)?;
        let pending: Vec<&str> = topics
            .iter()
            .filter(|t| counts.get(&t.name) != Some(&t.partitions))
            .map(|t| t.name.as_str())
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        if started.elapsed() >= timeout {
            return Err(RuntimeError::Timeout {
                what: format!("internal topics {} to appear", pending.join(", ")),
                waited_ms: started.elapsed().as_millis(),
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
