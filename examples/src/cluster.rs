//! Where an example application's Kafka is: the cluster named by
//! `--bootstrap-servers`, or else an in-process embedded-kafka broker started
//! for the run; and its schema registry: the one named by
//! `--schema-registry-url`, or with the embedded broker an in-process embedded
//! registry keeping its schemas on that broker.

use embedded_kafka::{BrokerConfig, BrokerError, EmbeddedKafka};
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;
use schema_registry::{SchemaRegistry, SchemaRegistryConfig, StartError};
use std::time::Duration;

/// How long reading the cluster's metadata may take.
const METADATA_TIMEOUT: Duration = Duration::from_secs(30);

/// Why the example's cluster could not be reached or prepared.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The embedded broker did not start.
    #[error("starting the embedded broker: {0}")]
    Broker(#[from] BrokerError),
    /// The embedded schema registry did not start.
    #[error("starting the embedded schema registry: {0}")]
    SchemaRegistry(#[from] StartError),
    /// A Kafka client could not be created or its request failed.
    #[error(transparent)]
    Kafka(#[from] KafkaError),
    /// The cluster refused to create a topic.
    #[error("creating topic {topic}: {code}")]
    CreateTopic {
        /// The topic.
        topic: String,
        /// Why the cluster refused.
        code: RDKafkaErrorCode,
    },
}

/// The cluster an example runs on.
pub struct ExampleCluster {
    /// Declared before the broker so that, dropped, it goes first.
    embedded_registry: Option<SchemaRegistry>,
    schema_registry_url: Option<String>,
    embedded: Option<EmbeddedKafka>,
    bootstrap_servers: String,
}

impl ExampleCluster {
    /// The cluster at `bootstrap_servers`, or a new in-process embedded broker
    /// when there is none.
    pub fn connect(bootstrap_servers: Option<String>) -> Result<Self, ClusterError> {
        Ok(match bootstrap_servers {
            Some(bootstrap_servers) => Self {
                embedded: None,
                bootstrap_servers,
                embedded_registry: None,
                schema_registry_url: None,
            },
            None => {
                let broker = EmbeddedKafka::start_blocking(BrokerConfig::default())?;
                Self {
                    bootstrap_servers: broker.bootstrap_servers(),
                    embedded: Some(broker),
                    embedded_registry: None,
                    schema_registry_url: None,
                }
            }
        })
    }

    /// Uses the schema registry at `url`; without one, an embedded broker gets
    /// an embedded registry (its schemas in the broker's `_schemas` topic) and
    /// another cluster none.
    pub fn with_schema_registry(mut self, url: Option<String>) -> Result<Self, ClusterError> {
        self.schema_registry_url = match url {
            Some(url) => Some(url),
            None if self.embedded.is_some() => {
                let registry =
                    SchemaRegistry::start(SchemaRegistryConfig::new(&self.bootstrap_servers))?;
                let url = registry.url().to_string();
                self.embedded_registry = Some(registry);
                Some(url)
            }
            None => None,
        };
        Ok(self)
    }

    /// The schema registry's URL (`schema.registry.url`), if there is one.
    pub fn schema_registry_url(&self) -> Option<&str> {
        self.schema_registry_url.as_deref()
    }

    /// Its bootstrap servers, `host:port[,host:port...]`.
    pub fn bootstrap_servers(&self) -> &str {
        &self.bootstrap_servers
    }

    /// Whether it is the embedded broker started for this run (whose state the
    /// example may delete when it ends).
    pub fn is_embedded(&self) -> bool {
        self.embedded.is_some()
    }

    /// Creates `topics` with `partitions` partitions and the cluster's default
    /// replication factor; topics that exist already are kept as they are.
    pub fn create_topics(&self, topics: &[&str], partitions: i32) -> Result<(), ClusterError> {
        let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
            .set("bootstrap.servers", &self.bootstrap_servers)
            .create()?;
        let topics: Vec<NewTopic<'_>> = topics
            .iter()
            .map(|topic| NewTopic::new(topic, partitions, TopicReplication::Fixed(-1)))
            .collect();
        for result in
            futures::executor::block_on(admin.create_topics(&topics, &AdminOptions::new()))?
        {
            match result {
                Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((topic, code)) => return Err(ClusterError::CreateTopic { topic, code }),
            }
        }
        Ok(())
    }

    /// Which of `topics` the cluster does not have.
    pub fn missing_topics(&self, topics: &[&str]) -> Result<Vec<String>, ClusterError> {
        let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
            .set("bootstrap.servers", &self.bootstrap_servers)
            .create()?;
        let metadata = admin.inner().fetch_metadata(None, METADATA_TIMEOUT)?;
        Ok(topics
            .iter()
            .filter(|wanted| {
                !metadata
                    .topics()
                    .iter()
                    .any(|t| t.name() == **wanted && t.error().is_none())
            })
            .map(|topic| topic.to_string())
            .collect())
    }

    /// Shuts the embedded broker down, if this run started one. Clients should
    /// be gone first.
    pub fn shutdown(self) {
        if let Some(registry) = self.embedded_registry {
            registry.shutdown();
        }
        if let Some(broker) = self.embedded {
            broker.shutdown_blocking();
        }
    }
}
