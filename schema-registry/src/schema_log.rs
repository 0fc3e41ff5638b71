//! The `_schemas` topic: a compacted, single-partition topic holding every
//! change to the registry as one record, as Confluent's registry keeps it. At
//! start the whole topic is read into a [`RegistryState`]; afterwards this
//! registry appends each change and applies it once the broker has it.

use crate::model::LogRecord;
use crate::state::RegistryState;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use std::time::{Duration, Instant};

/// Why the topic could not be created, read or written.
#[derive(Debug, thiserror::Error)]
pub enum SchemaLogError {
    /// A Kafka client failed.
    #[error("{doing} topic '{topic}': {source}")]
    Kafka {
        /// What was being done.
        doing: &'static str,
        /// The topic.
        topic: String,
        /// The client's error.
        #[source]
        source: KafkaError,
    },
    /// The topic could not be created.
    #[error("creating topic '{topic}': {code}")]
    CreateTopic {
        /// The topic.
        topic: String,
        /// The broker's error.
        code: RDKafkaErrorCode,
    },
    /// A record of the topic is not a registry record.
    #[error("record at offset {offset} of '{topic}' is not a registry record: {source}")]
    Corrupt {
        /// The topic.
        topic: String,
        /// Its offset.
        offset: i64,
        /// Why it does not parse.
        #[source]
        source: serde_json::Error,
    },
    /// Reading the topic to its end took longer than the timeout.
    #[error("reading '{topic}' to offset {end} timed out at offset {reached}")]
    Timeout {
        /// The topic.
        topic: String,
        /// The end offset sought.
        end: i64,
        /// The offset reached.
        reached: i64,
    },
}

/// Appends registry changes to the topic.
pub struct SchemaLog {
    producer: FutureProducer,
    topic: String,
    timeout: Duration,
}

impl SchemaLog {
    /// Creates the topic if needed, reads it to its end and returns the log with
    /// the state it holds. `client_config` carries `bootstrap.servers` and any
    /// security settings.
    pub fn open(
        client_config: &ClientConfig,
        topic: &str,
        timeout: Duration,
    ) -> Result<(Self, RegistryState), SchemaLogError> {
        let kafka = |doing| {
            move |source| SchemaLogError::Kafka {
                doing,
                topic: topic.to_string(),
                source,
            }
        };
        create_topic(client_config, topic, timeout)?;
        let state = read_all(client_config, topic, timeout)?;
        let producer: FutureProducer = client_config
            .clone()
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .create()
            .map_err(kafka("creating a producer for"))?;
        Ok((
            Self {
                producer,
                topic: topic.to_string(),
                timeout,
            },
            state,
        ))
    }

    /// Appends `record` and waits until the broker has it.
    pub async fn append(&self, record: &LogRecord) -> Result<(), SchemaLogError> {
        let (key, value) = record.encode().map_err(|source| SchemaLogError::Corrupt {
            topic: self.topic.clone(),
            offset: -1,
            source,
        })?;
        let mut message = FutureRecord::to(&self.topic).key(&key).partition(0);
        if let Some(value) = &value {
            message = message.payload(value);
        }
        self.producer
            .send(message, self.timeout)
            .await
            .map(|_| ())
            .map_err(|(source, _)| SchemaLogError::Kafka {
                doing: "appending to",
                topic: self.topic.clone(),
                source,
            })
    }
}

fn create_topic(
    config: &ClientConfig,
    topic: &str,
    timeout: Duration,
) -> Result<(), SchemaLogError> {
    let admin: AdminClient<DefaultClientContext> =
        config.create().map_err(|source| SchemaLogError::Kafka {
            doing: "creating an admin client for",
            topic: topic.to_string(),
            source,
        })?;
    let new_topic =
        NewTopic::new(topic, 1, TopicReplication::Fixed(-1)).set("cleanup.policy", "compact");
    let options = AdminOptions::new().operation_timeout(Some(timeout));
    let results = futures::executor::block_on(admin.create_topics([&new_topic], &options))
        .map_err(|source| SchemaLogError::Kafka {
            doing: "creating",
            topic: topic.to_string(),
            source,
        })?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => return Err(SchemaLogError::CreateTopic { topic, code }),
        }
    }
    Ok(())
}

fn read_all(
    config: &ClientConfig,
    topic: &str,
    timeout: Duration,
) -> Result<RegistryState, SchemaLogError> {
    let kafka = |doing| {
        move |source| SchemaLogError::Kafka {
            doing,
            topic: topic.to_string(),
            source,
        }
    };
    let consumer: BaseConsumer = config
        .clone()
        .set("group.id", "schema-registry-reader")
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .create()
        .map_err(kafka("creating a consumer of"))?;
    let (_, end) = consumer
        .fetch_watermarks(topic, 0, timeout)
        .map_err(kafka("reading the end offset of"))?;
    let mut state = RegistryState::default();
    if end == 0 {
        return Ok(state);
    }
    let mut partitions = TopicPartitionList::new();
    partitions
        .add_partition_offset(topic, 0, Offset::Beginning)
        .map_err(kafka("assigning"))?;
    consumer.assign(&partitions).map_err(kafka("assigning"))?;
    let deadline = Instant::now() + timeout;
    let mut next = 0;
    while next < end {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(SchemaLogError::Timeout {
                topic: topic.to_string(),
                end,
                reached: next,
            });
        }
        let Some(message) = consumer.poll(remaining.min(Duration::from_millis(500))) else {
            continue;
        };
        let message = message.map_err(kafka("reading"))?;
        next = message.offset() + 1;
        let corrupt = |source| SchemaLogError::Corrupt {
            topic: topic.to_string(),
            offset: message.offset(),
            source,
        };
        let Some(key) = message.key() else {
            continue;
        };
        if let Some(record) = LogRecord::decode(key, message.payload()).map_err(corrupt)? {
            state.apply(record);
        }
    }
    Ok(state)
}
