//! How far the application got: the offsets its consumer group committed on
//! `data` against the ends of `data`'s partitions. Once they meet, every
//! input record was processed and its output flushed (at least once) or
//! committed (exactly once).

use examples::eos_smoke::DATA_TOPIC;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use std::time::Duration;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads the committed offsets of one application's group.
pub struct Progress {
    consumer: BaseConsumer,
    partitions: i32,
}

/// Committed offset and end offset of each partition of `data`.
pub type Positions = Vec<(Option<i64>, i64)>;

impl Progress {
    /// For application `application_id` reading a `data` of `partitions`.
    pub fn new(bootstrap_servers: &str, application_id: &str, partitions: i32) -> Self {
        let consumer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap_servers)
            .set("group.id", application_id)
            .set("enable.auto.commit", "false")
            .create()
            .expect("creating the progress consumer");
        Self {
            consumer,
            partitions,
        }
    }

    /// Each partition's committed and end offset.
    pub fn positions(&self) -> Result<Positions, String> {
        let mut list = TopicPartitionList::new();
        for partition in 0..self.partitions {
            list.add_partition(DATA_TOPIC, partition);
        }
        let committed = self
            .consumer
            .committed_offsets(list, REQUEST_TIMEOUT)
            .map_err(|e| format!("reading the committed offsets: {e}"))?;
        (0..self.partitions)
            .map(|partition| {
                let (_, end) = self
                    .consumer
                    .fetch_watermarks(DATA_TOPIC, partition, REQUEST_TIMEOUT)
                    .map_err(|e| format!("reading the end of {DATA_TOPIC}/{partition}: {e}"))?;
                let committed =
                    committed
                        .find_partition(DATA_TOPIC, partition)
                        .and_then(|e| match e.offset() {
                            Offset::Offset(offset) => Some(offset),
                            _ => None,
                        });
                Ok((committed, end))
            })
            .collect()
    }

    /// Whether the committed offsets reached the ends of every partition.
    pub fn caught_up(&self) -> Result<bool, String> {
        Ok(self
            .positions()?
            .iter()
            .all(|(committed, end)| committed.unwrap_or(0) >= *end))
    }
}
