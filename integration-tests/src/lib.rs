//! rstreams integration tests: the harness the tests in `tests/` share.
//!
//! [`TestCluster`] is a real cluster when `KAFKA_BOOTSTRAP_SERVERS` is set, and
//! otherwise the project's in-process embedded-kafka broker.

use embedded_kafka::{BrokerConfig, EmbeddedKafka};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers as _, Message};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A key and a value as bytes, `None` for null.
pub type RawRecord = (Option<Vec<u8>>, Option<Vec<u8>>);

/// The broker the tests run against.
pub enum TestCluster {
    /// The in-process embedded-kafka broker.
    Embedded(EmbeddedKafka),
    /// A cluster named by `KAFKA_BOOTSTRAP_SERVERS`.
    External(String),
}

/// A name no other test (or earlier run) uses: `<prefix>-<pid>-<n>-<millis>`.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    format!(
        "{prefix}-{}-{}-{millis}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Sends the runtime's logs to the test output (`RUST_LOG` filters).
pub fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_test_writer()
        .try_init();
}

const TIMEOUT: Duration = Duration::from_secs(30);

impl TestCluster {
    /// The cluster of `KAFKA_BOOTSTRAP_SERVERS`, or a fresh in-process broker.
    pub fn start() -> Self {
        init_logging();
        match std::env::var("KAFKA_BOOTSTRAP_SERVERS") {
            Ok(servers) if !servers.trim().is_empty() => Self::External(servers),
            _ => Self::Embedded(
                EmbeddedKafka::start_blocking(BrokerConfig::default())
                    .expect("starting the embedded broker"),
            ),
        }
    }

    /// `host:port` list to connect to.
    pub fn bootstrap_servers(&self) -> String {
        match self {
            Self::Embedded(broker) => broker.bootstrap_servers(),
            Self::External(servers) => servers.clone(),
        }
    }

    /// Creates a topic with `partitions` partitions.
    pub fn create_topic(&self, name: &str, partitions: i32) {
        self.create_topic_with(name, partitions, &[]);
    }

    /// Creates a topic with `partitions` partitions and topic `configs`
    /// (`max.message.bytes`, ...).
    pub fn create_topic_with(&self, name: &str, partitions: i32, configs: &[(&str, &str)]) {
        match self {
            Self::Embedded(broker) => broker
                .create_topic(name, partitions, configs)
                .expect("creating a topic"),
            Self::External(servers) => {
                let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
                    .set("bootstrap.servers", servers)
                    .create()
                    .expect("creating an admin client");
                let topic = configs.iter().fold(
                    NewTopic::new(name, partitions, TopicReplication::Fixed(-1)),
                    |topic, (key, value)| topic.set(key, value),
                );
                let results = futures::executor::block_on(
                    admin.create_topics([&topic], &AdminOptions::new()),
                )
                .expect("creating a topic");
                for result in results {
                    result.expect("creating a topic");
                }
            }
        }
    }

    fn admin(&self) -> AdminClient<DefaultClientContext> {
        ClientConfig::new()
            .set("bootstrap.servers", self.bootstrap_servers())
            .create()
            .expect("creating an admin client")
    }

    /// The names of every topic of the cluster.
    pub fn topics(&self) -> Vec<String> {
        let metadata = self
            .admin()
            .inner()
            .fetch_metadata(None, TIMEOUT)
            .expect("reading metadata");
        metadata
            .topics()
            .iter()
            .map(|t| t.name().to_string())
            .collect()
    }

    /// The partition count of `topic`, if it exists.
    pub fn partition_count(&self, topic: &str) -> Option<i32> {
        let metadata = self
            .admin()
            .inner()
            .fetch_metadata(Some(topic), TIMEOUT)
            .expect("reading metadata");
        metadata
            .topics()
            .iter()
            .find(|t| t.name() == topic && t.error().is_none())
            .map(|t| t.partitions().len() as i32)
    }

    /// The value of the topic config `key` of `topic`.
    pub fn topic_config(&self, topic: &str, key: &str) -> Option<String> {
        let resources = futures::executor::block_on(
            self.admin()
                .describe_configs([&ResourceSpecifier::Topic(topic)], &AdminOptions::new()),
        )
        .expect("describing topic configs");
        resources
            .into_iter()
            .next()
            .and_then(|r| r.ok())
            .and_then(|r| r.get(key).and_then(|e| e.value.clone()))
    }

    /// Writes string records (key, value) to `topic`, partitioned by key with
    /// Kafka's murmur2 partitioner, and waits until all are acknowledged.
    pub fn produce<K: AsRef<[u8]>, V: AsRef<[u8]>>(&self, topic: &str, records: &[(K, V)]) {
        let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
            .set("bootstrap.servers", self.bootstrap_servers())
            .set("partitioner", "murmur2_random")
            .set("linger.ms", "5")
            .create()
            .expect("creating a producer");
        for (key, value) in records {
            let mut record = BaseRecord::to(topic)
                .key(key.as_ref())
                .payload(value.as_ref());
            loop {
                match producer.send(record) {
                    Ok(()) => break,
                    Err((_, returned)) => {
                        record = returned;
                        producer.poll(Duration::from_millis(10));
                    }
                }
            }
        }
        producer.flush(TIMEOUT).expect("flushing the producer");
        assert_eq!(producer.in_flight_count(), 0, "every record was delivered");
    }

    /// A reader of every partition of `topic` from its beginning.
    pub fn reader(&self, topic: &str, partitions: i32) -> TopicReader {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", self.bootstrap_servers())
            .set("group.id", unique("reader"))
            .set("enable.auto.commit", "false")
            .create()
            .expect("creating a consumer");
        let mut list = TopicPartitionList::new();
        for partition in 0..partitions {
            list.add_partition_offset(topic, partition, Offset::Beginning)
                .expect("adding a partition");
        }
        consumer.assign(&list).expect("assigning the partitions");
        TopicReader {
            consumer,
            records: Vec::new(),
            headers: Vec::new(),
        }
    }
}

/// Reads a topic and keeps everything it read.
pub struct TopicReader {
    consumer: BaseConsumer,
    records: Vec<RawRecord>,
    headers: Vec<Vec<(String, Option<Vec<u8>>)>>,
}

impl TopicReader {
    /// Reads for `duration` and returns everything read so far.
    pub fn read_for(&mut self, duration: Duration) -> &[RawRecord] {
        let deadline = Instant::now() + duration;
        while Instant::now() < deadline {
            if let Some(result) = self.consumer.poll(Duration::from_millis(50)) {
                let message = result.expect("reading the output topic");
                self.records.push((
                    message.key().map(<[u8]>::to_vec),
                    message.payload().map(<[u8]>::to_vec),
                ));
            }
        }
        &self.records
    }

    /// Reads until `done(all records read so far)` holds, at most `timeout`;
    /// panics with `what` and the last records when the time runs out.
    pub fn read_until(
        &mut self,
        timeout: Duration,
        what: &str,
        done: impl Fn(&[RawRecord]) -> bool,
    ) -> &[RawRecord] {
        let deadline = Instant::now() + timeout;
        while !done(&self.records) {
            assert!(
                Instant::now() < deadline,
                "timed out after {timeout:?} waiting for {what}; read {} records",
                self.records.len()
            );
            if let Some(result) = self.consumer.poll(Duration::from_millis(100)) {
                let message = result.expect("reading the output topic");
                self.records.push((
                    message.key().map(<[u8]>::to_vec),
                    message.payload().map(<[u8]>::to_vec),
                ));
                self.headers
                    .push(message.headers().map_or_else(Vec::new, |headers| {
                        headers
                            .iter()
                            .map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec)))
                            .collect()
                    }));
            }
        }
        &self.records
    }

    /// The headers (key, value) of the `n`th record read, in order.
    pub fn headers(&self, n: usize) -> &[(String, Option<Vec<u8>>)] {
        &self.headers[n]
    }
}

/// A streams configuration on `cluster` for tests: `application.id`,
/// `state.dir`, 100 ms commits, replication factor 1 and a short session
/// timeout (a member that vanishes is noticed soon), then `extra`.
pub fn streams_config(
    cluster: &TestCluster,
    application_id: &str,
    state_dir: &std::path::Path,
    extra: &[(&str, &str)],
) -> streams_core::runtime::StreamsConfig {
    streams_core::runtime::StreamsConfig::builder()
        .set("application.id", application_id)
        .set("bootstrap.servers", cluster.bootstrap_servers())
        .set("state.dir", state_dir.display().to_string())
        .set("commit.interval.ms", "100")
        .set("replication.factor", "1")
        .set("consumer.session.timeout.ms", "10000")
        .set("consumer.heartbeat.interval.ms", "1000")
        .set_all(extra.iter().copied())
        .build()
        .expect("a valid test configuration")
}
