//! Where a stream thread's clients come from (Kafka Streams'
//! `KafkaClientSupplier`): librdkafka clients configured from the
//! [`StreamsConfig`] in the runtime, in-memory ones in the unit tests. A thread
//! creates its clients on itself, so they need not be `Send`.

use super::changelog_reader::ChangelogReader;
use super::consumer::GroupConsumer;
use super::kafka_consumer::KafkaGroupConsumer;
use super::kafka_producer::{DeliveryTracker, KafkaProducerClient};
use super::producer::{ProducerClient, ProducerFactory};
use super::rebalance::RebalanceRecorder;
use super::restore_consumer::RestoreConsumer;
use super::{RuntimeError, StreamsConfig};
use crate::metrics::ThreadSensors;
use crate::topology::OffsetResetPolicy;
use rdkafka::consumer::BaseConsumer;
use rdkafka::producer::BaseProducer;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

/// The clients of one stream thread.
pub(crate) struct ThreadClients {
    /// The group consumer of its input.
    pub(crate) consumer: Box<dyn GroupConsumer>,
    /// The reader of changelogs during restoration.
    pub(crate) restore: Box<dyn ChangelogReader>,
    /// Creates its producer (again, after fencing).
    pub(crate) producer: ProducerFactory,
}

/// Creates stream threads' clients.
pub(crate) trait ClientSupplier: Send + Sync {
    /// The clients of the thread named `thread`; `transactional_id` is set
    /// under exactly-once; the consumer's statistics (lag) go to `sensors`.
    fn clients(
        &self,
        thread: &str,
        transactional_id: Option<&str>,
        sensors: &Arc<ThreadSensors>,
    ) -> Result<ThreadClients, RuntimeError>;
}

/// librdkafka clients from the application's config.
pub(crate) struct KafkaClientSupplier {
    config: StreamsConfig,
    changelog_topics: HashSet<String>,
    offset_resets: HashMap<String, OffsetResetPolicy>,
    request_timeout: Duration,
}

impl KafkaClientSupplier {
    /// Clients for `config`; acknowledgements of `changelog_topics` are
    /// tracked; the topics in `offset_resets` start partitions without a
    /// committed offset where their policy says.
    pub(crate) fn new(
        config: StreamsConfig,
        changelog_topics: HashSet<String>,
        offset_resets: HashMap<String, OffsetResetPolicy>,
        request_timeout: Duration,
    ) -> Self {
        Self {
            config,
            offset_resets,
            changelog_topics,
            request_timeout,
        }
    }
}

impl ClientSupplier for KafkaClientSupplier {
    fn clients(
        &self,
        thread: &str,
        transactional_id: Option<&str>,
        sensors: &Arc<ThreadSensors>,
    ) -> Result<ThreadClients, RuntimeError> {
        let consumer_config = self.config.consumer_config(thread);
        let reset_to_latest = matches!(
            consumer_config.get("auto.offset.reset"),
            Some("latest" | "largest" | "end")
        );
        let consumer: BaseConsumer<RebalanceRecorder> = consumer_config
            .create_with_context(RebalanceRecorder::with_statistics(sensors.clone()))
            .map_err(|e| RuntimeError::kafka("creating the consumer", e))?;
        let restore: BaseConsumer = self
            .config
            .restore_consumer_config(thread)
            .create()
            .map_err(|e| RuntimeError::kafka("creating the restore consumer", e))?;
        let producer_config = match transactional_id {
            Some(id) => self.config.transactional_producer_config(thread, id),
            None => self.config.producer_config(thread),
        };
        let changelog_topics = self.changelog_topics.clone();
        let request_timeout = self.request_timeout;
        let producer: ProducerFactory = Box::new(move || {
            let producer: BaseProducer<DeliveryTracker> = producer_config
                .create_with_context(DeliveryTracker::new(changelog_topics.clone()))
                .map_err(|e| RuntimeError::kafka("creating the producer", e))?;
            let client: Box<dyn ProducerClient> =
                Box::new(KafkaProducerClient::new(producer, request_timeout));
            Ok(client)
        });
        Ok(ThreadClients {
            consumer: Box::new(KafkaGroupConsumer::new(
                consumer,
                self.request_timeout,
                reset_to_latest,
                &self.offset_resets,
            )),
            restore: Box::new(RestoreConsumer::new(restore, self.request_timeout)),
            producer,
        })
    }
}
