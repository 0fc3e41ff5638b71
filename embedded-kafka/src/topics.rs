//! Topics: name, id, configs and their partition logs.

use crate::partition::PartitionLog;
use crate::sync::lock;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

/// A partition log shared between request handlers.
pub type SharedPartition = Arc<Mutex<PartitionLog>>;

/// One topic.
#[derive(Debug)]
pub struct Topic {
    /// Topic name.
    pub name: String,
    /// Topic id (KIP-516).
    pub id: uuid::Uuid,
    /// Topic-level config overrides.
    pub configs: BTreeMap<String, String>,
    partitions: RwLock<Vec<SharedPartition>>,
}

impl Topic {
    /// A topic over the given partition logs.
    pub fn new(
        name: String,
        id: uuid::Uuid,
        configs: BTreeMap<String, String>,
        partitions: Vec<PartitionLog>,
    ) -> Self {
        Self {
            name,
            id,
            configs,
            partitions: RwLock::new(
                partitions
                    .into_iter()
                    .map(|p| Arc::new(Mutex::new(p)))
                    .collect(),
            ),
        }
    }

    /// Number of partitions.
    pub fn partition_count(&self) -> i32 {
        self.read().len() as i32
    }

    /// A partition by index.
    pub fn partition(&self, index: i32) -> Option<SharedPartition> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.read().get(i).cloned())
    }

    /// Every partition, in order.
    pub fn partitions(&self) -> Vec<SharedPartition> {
        self.read().clone()
    }

    /// Appends new partitions.
    pub fn add_partitions(&self, added: Vec<PartitionLog>) {
        let mut partitions = self
            .partitions
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        partitions.extend(added.into_iter().map(|p| Arc::new(Mutex::new(p))));
    }

    /// Deletes every partition's files.
    pub fn remove_files(&self) {
        for partition in self.partitions() {
            lock(&partition).remove_files();
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<SharedPartition>> {
        self.partitions
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Whether `name` is a legal Kafka topic name.
pub fn valid_topic_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 249
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}
