//! The broker's shared state: topics and their logs, the transaction coordinator,
//! producer id allocation and the notification that wakes long-polling fetches.

use crate::config::BrokerConfig;
use crate::error::BrokerError;
use crate::group::{GroupCoordinator, OffsetLogFile};
use crate::partition::PartitionLog;
use crate::storage::Storage;
use crate::sync::lock;
use crate::topics::{SharedPartition, Topic, valid_topic_name};
use crate::txn::TransactionCoordinator;
use kafka_protocol::error::ResponseError;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

/// Replication factors accepted (and stored once) by CreateTopics.
const MAX_REPLICATION_FACTOR: i16 = 3;

/// Everything request handlers share.
#[derive(Debug)]
pub struct Broker {
    /// The configuration the broker was started with.
    pub config: BrokerConfig,
    /// Host advertised in Metadata and FindCoordinator.
    pub host: String,
    /// Port advertised in Metadata and FindCoordinator.
    pub port: i32,
    /// Cluster id reported in Metadata.
    pub cluster_id: String,
    /// Woken whenever a partition's high watermark or last stable offset moves.
    pub data_arrived: Notify,
    /// Transactional ids, their producers and open transactions.
    pub transactions: TransactionCoordinator,
    /// Consumer groups and their committed offsets.
    pub groups: GroupCoordinator,
    storage: Option<Storage>,
    topics: RwLock<BTreeMap<String, Arc<Topic>>>,
    next_producer_id: AtomicI64,
    /// Producer ids below this are reserved in the data directory.
    reserved_producer_ids: Mutex<i64>,
    next_topic_id: AtomicU64,
}

/// Producer ids are reserved on disk in blocks of this many.
const PRODUCER_ID_BLOCK: i64 = 1000;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Broker {
    /// Opens the broker state (replaying the data directory if configured) for a
    /// listener bound to `bound`.
    pub fn open(config: BrokerConfig, bound: SocketAddr) -> Result<Self, BrokerError> {
        let host = config.advertised_host.clone().unwrap_or_else(|| {
            if bound.ip().is_unspecified() {
                "127.0.0.1".to_owned()
            } else {
                bound.ip().to_string()
            }
        });
        let storage = config.data_dir.as_deref().map(Storage::open).transpose()?;
        let groups = match config.data_dir.as_deref() {
            Some(dir) => OffsetLogFile::open(dir)
                .and_then(|log| {
                    GroupCoordinator::with_persistence(config.groups.clone(), Box::new(log))
                })
                .map_err(std::io::Error::other)?,
            None => GroupCoordinator::new(config.groups.clone()),
        };
        let transactions = TransactionCoordinator::new(storage.clone());
        transactions.register_listener(Arc::new(groups.clone()));
        let broker = Self {
            host,
            port: i32::from(bound.port()),
            cluster_id: "embedded-kafka-cluster".to_owned(),
            data_arrived: Notify::new(),
            transactions,
            groups,
            storage,
            topics: RwLock::new(BTreeMap::new()),
            next_producer_id: AtomicI64::new(1000),
            reserved_producer_ids: Mutex::new(0),
            next_topic_id: AtomicU64::new(now_ms() as u64),
            config,
        };
        broker.replay()?;
        Ok(broker)
    }

    fn replay(&self) -> Result<(), BrokerError> {
        let Some(storage) = &self.storage else {
            return Ok(());
        };
        let mut max_producer_id = storage.reserved_producer_ids()? - 1;
        let mut topics = self.write_topics();
        for stored in storage.load_topics()? {
            for partition in &stored.partitions {
                max_producer_id = max_producer_id.max(partition.max_producer_id().unwrap_or(0));
            }
            tracing::info!(topic = %stored.name, partitions = stored.partitions.len(), "replayed topic");
            let topic = Topic::new(
                stored.name.clone(),
                self.new_topic_id(),
                stored.configs,
                stored.partitions,
            );
            topics.insert(stored.name, Arc::new(topic));
        }
        drop(topics);
        // After the logs, so that transactions caught ending get their markers.
        let (transactional_max, prepared) = self.transactions.replay()?;
        max_producer_id = max_producer_id.max(transactional_max);
        self.next_producer_id
            .fetch_max(max_producer_id + 1, Ordering::SeqCst);
        for ended in &prepared {
            self.complete(ended);
        }
        Ok(())
    }

    fn new_topic_id(&self) -> uuid::Uuid {
        let counter = self.next_topic_id.fetch_add(1, Ordering::Relaxed);
        uuid::Uuid::from_u64_pair(0x656d_6265_6464_6564, counter)
    }

    fn write_topics(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Arc<Topic>>> {
        self.topics
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn read_topics(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Arc<Topic>>> {
        self.topics
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A topic by name.
    pub fn topic(&self, name: &str) -> Option<Arc<Topic>> {
        self.read_topics().get(name).cloned()
    }

    /// A topic by id.
    pub fn topic_by_id(&self, id: uuid::Uuid) -> Option<Arc<Topic>> {
        self.read_topics().values().find(|t| t.id == id).cloned()
    }

    /// Every topic, by name.
    pub fn topics(&self) -> Vec<Arc<Topic>> {
        self.read_topics().values().cloned().collect()
    }

    /// A partition by topic name and index.
    pub fn partition(&self, topic: &str, index: i32) -> Option<SharedPartition> {
        self.topic(topic)?.partition(index)
    }

    /// Validates and (unless `validate_only`) creates a topic.
    pub fn create_topic(
        &self,
        name: &str,
        partitions: i32,
        replication_factor: i16,
        configs: BTreeMap<String, String>,
        validate_only: bool,
    ) -> Result<Arc<Topic>, ResponseError> {
        if !valid_topic_name(name) {
            return Err(ResponseError::InvalidTopicException);
        }
        if partitions < 1 {
            return Err(ResponseError::InvalidPartitions);
        }
        if !(1..=MAX_REPLICATION_FACTOR).contains(&replication_factor) {
            return Err(ResponseError::InvalidReplicationFactor);
        }
        let mut topics = self.write_topics();
        if topics.contains_key(name) {
            return Err(ResponseError::TopicAlreadyExists);
        }
        let logs = self.new_partition_logs(name, 0, partitions, &configs, validate_only)?;
        let topic = Arc::new(Topic::new(
            name.to_owned(),
            self.new_topic_id(),
            configs,
            logs,
        ));
        if !validate_only {
            topics.insert(name.to_owned(), topic.clone());
            tracing::info!(topic = name, partitions, "created topic");
        }
        Ok(topic)
    }

    fn new_partition_logs(
        &self,
        name: &str,
        from: i32,
        to: i32,
        configs: &BTreeMap<String, String>,
        validate_only: bool,
    ) -> Result<Vec<PartitionLog>, ResponseError> {
        match (&self.storage, validate_only) {
            (Some(storage), false) => {
                let files = storage
                    .write_topic(name, to, configs, from)
                    .map_err(|error| {
                        tracing::error!(%error, topic = name, "cannot create topic files");
                        ResponseError::KafkaStorageError
                    })?;
                Ok(files
                    .into_iter()
                    .map(|f| PartitionLog::new(Some(f)))
                    .collect())
            }
            _ => Ok((from..to).map(|_| PartitionLog::new(None)).collect()),
        }
    }

    /// Grows a topic to `total` partitions.
    pub fn add_partitions(
        &self,
        name: &str,
        total: i32,
        validate_only: bool,
    ) -> Result<(), ResponseError> {
        let topics = self.write_topics();
        let topic = topics
            .get(name)
            .ok_or(ResponseError::UnknownTopicOrPartition)?;
        let current = topic.partition_count();
        if total <= current {
            return Err(ResponseError::InvalidPartitions);
        }
        let logs = self.new_partition_logs(name, current, total, &topic.configs, validate_only)?;
        if !validate_only {
            topic.add_partitions(logs);
            tracing::info!(topic = name, partitions = total, "added partitions");
        }
        Ok(())
    }

    /// Deletes a topic and its files.
    pub fn delete_topic(&self, name: &str) -> Result<Arc<Topic>, ResponseError> {
        let topic = self
            .write_topics()
            .remove(name)
            .ok_or(ResponseError::UnknownTopicOrPartition)?;
        topic.remove_files();
        if let Some(storage) = &self.storage
            && let Err(error) = storage.delete_topic(name)
        {
            tracing::warn!(%error, topic = name, "cannot remove topic directory");
        }
        tracing::info!(topic = name, "deleted topic");
        self.data_arrived.notify_waiters();
        Ok(topic)
    }

    /// A fresh producer id (never reused across restarts with a data directory).
    pub fn allocate_producer_id(&self) -> i64 {
        let id = self.next_producer_id.fetch_add(1, Ordering::SeqCst);
        if let Some(storage) = &self.storage {
            let mut reserved = lock(&self.reserved_producer_ids);
            if id >= *reserved {
                let limit = id + PRODUCER_ID_BLOCK;
                match storage.reserve_producer_ids(limit) {
                    Ok(()) => *reserved = limit,
                    Err(error) => tracing::error!(%error, "cannot reserve producer ids"),
                }
            }
        }
        id
    }

    /// Writes a commit or abort marker to each partition and wakes fetchers.
    pub fn write_markers(
        &self,
        partitions: &[(String, i32)],
        marker: crate::batch::Marker,
        producer_id: i64,
        producer_epoch: i16,
    ) {
        let now = now_ms();
        for (topic, index) in partitions {
            let Some(partition) = self.partition(topic, *index) else {
                continue;
            };
            if let Err(error) =
                lock(&partition).write_marker(marker, producer_id, producer_epoch, now)
            {
                tracing::error!(
                    ?error,
                    topic,
                    partition = index,
                    "cannot write a transaction marker"
                );
            }
        }
        self.data_arrived.notify_waiters();
    }
}
