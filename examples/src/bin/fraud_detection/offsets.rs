//! Offsets per partition of a topic: where it ends, what the application
//! committed, whether one set has reached another.

use crate::{BoxError, TIMEOUT};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use std::collections::BTreeMap;

/// A topic's partitions with their offsets.
pub struct Offsets(pub BTreeMap<i32, i64>);

impl Offsets {
    /// The end (high watermark) of every partition of `topic`.
    pub fn end_of(consumer: &BaseConsumer, topic: &str) -> Result<Self, BoxError> {
        let metadata = consumer.fetch_metadata(Some(topic), TIMEOUT)?;
        let partitions = metadata
            .topics()
            .iter()
            .find(|t| t.name() == topic)
            .map(|t| t.partitions().len() as i32)
            .ok_or_else(|| format!("topic {topic} not found"))?;
        let mut offsets = BTreeMap::new();
        for partition in 0..partitions {
            let (_, high) = consumer.fetch_watermarks(topic, partition, TIMEOUT)?;
            offsets.insert(partition, high);
        }
        Ok(Self(offsets))
    }

    /// The offsets the application committed for the same partitions.
    pub fn committed(&self, consumer: &BaseConsumer, topic: &str) -> Result<Self, BoxError> {
        let mut list = TopicPartitionList::new();
        for partition in self.0.keys() {
            list.add_partition(topic, *partition);
        }
        let committed = consumer.committed_offsets(list, TIMEOUT)?;
        let offsets = self
            .0
            .keys()
            .map(|partition| {
                let offset = match committed
                    .find_partition(topic, *partition)
                    .map(|e| e.offset())
                {
                    Some(Offset::Offset(offset)) => offset,
                    _ => 0,
                };
                (*partition, offset)
            })
            .collect();
        Ok(Self(offsets))
    }

    pub fn reached(&self, target: &Offsets) -> bool {
        target
            .0
            .iter()
            .all(|(p, end)| self.0.get(p).is_some_and(|o| o >= end))
    }

    /// Records between `since` and these offsets.
    pub fn count_since(&self, since: &Offsets) -> i64 {
        self.0
            .iter()
            .map(|(p, o)| (o - since.0.get(p).copied().unwrap_or(0)).max(0))
            .sum()
    }
}
