//! Helpers shared by the broker's integration tests: a broker per test (in-process
//! or the binary), unique names, rdkafka clients and bounded waits.

use embedded_kafka::{BrokerConfig, EmbeddedKafka};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Message, OwnedMessage};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How long any single wait in a test may take before it fails.
pub const WAIT: Duration = Duration::from_secs(30);

/// A broker on an ephemeral port, on its own runtime.
pub fn start_broker() -> EmbeddedKafka {
    start_with(BrokerConfig::default())
}

/// A broker with a custom configuration.
pub fn start_with(config: BrokerConfig) -> EmbeddedKafka {
    EmbeddedKafka::start_blocking(config).expect("broker starts")
}

/// The broker binary as a process; killed when dropped, pass or fail.
pub struct BrokerProcess(pub Child);

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary on `listen` with `data_dir`; returns it and the
/// `bootstrap.servers` it prints once listening.
pub fn spawn_broker(listen: &str, data_dir: &Path) -> (BrokerProcess, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_embedded-kafka"))
        .args(["--listen", listen, "--data-dir"])
        .arg(data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("broker process starts");
    let stdout = child.stdout.take().expect("stdout");
    let process = BrokerProcess(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the broker prints its address");
    let bootstrap = line
        .trim()
        .strip_prefix("bootstrap.servers=")
        .unwrap_or_else(|| panic!("the broker did not start listening on {listen}: {line:?}"))
        .to_owned();
    (process, bootstrap)
}

/// The offset `consumer`'s group committed for partition 0 of `topic`.
pub fn committed_offset(consumer: &BaseConsumer, topic: &str) -> Offset {
    let mut query = TopicPartitionList::new();
    query.add_partition(topic, 0);
    consumer
        .committed_offsets(query, Duration::from_secs(10))
        .expect("committed offsets")
        .find_partition(topic, 0)
        .expect("partition")
        .offset()
}

/// A name no other test uses.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs a future to completion on a small runtime of the test's own.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("test runtime")
        .block_on(future)
}

/// Client config for `bootstrap` plus overrides.
pub fn client_config(bootstrap: &str, extra: &[(&str, &str)]) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", bootstrap);
    for (key, value) in extra {
        config.set(*key, *value);
    }
    config
}

/// A producer with settings overridden by `extra`.
pub fn producer(bootstrap: &str, extra: &[(&str, &str)]) -> FutureProducer {
    client_config(bootstrap, extra)
        .set("linger.ms", "5")
        .create()
        .expect("producer")
}

/// Sends one record and returns its (partition, offset).
pub fn send(
    producer: &FutureProducer,
    record: FutureRecord<'_, str, str>,
) -> Result<(i32, i64), KafkaError> {
    block_on(producer.send(record, Duration::from_secs(30)))
        .map(|delivery| (delivery.partition, delivery.offset))
        .map_err(|(error, _)| error)
}

/// A consumer (no group) reading `partitions` of `topic` from the beginning.
pub fn assigned_consumer(
    bootstrap: &str,
    topic: &str,
    partitions: i32,
    isolation: &str,
) -> BaseConsumer {
    let consumer: BaseConsumer = client_config(
        bootstrap,
        &[
            ("group.id", &unique("unused-group")),
            ("enable.auto.commit", "false"),
            ("isolation.level", isolation),
            ("enable.partition.eof", "true"),
        ],
    )
    .create()
    .expect("consumer");
    let mut assignment = TopicPartitionList::new();
    for partition in 0..partitions {
        assignment
            .add_partition_offset(topic, partition, Offset::Beginning)
            .expect("assignment");
    }
    consumer.assign(&assignment).expect("assign");
    consumer
}

/// Reads until every assigned partition reached its end after at least `at_least`
/// records; fails after [`WAIT`].
pub fn read_to_end(
    consumer: &BaseConsumer,
    partitions: usize,
    at_least: usize,
) -> Vec<OwnedMessage> {
    let deadline = Instant::now() + WAIT;
    let mut messages = Vec::new();
    let mut at_end = std::collections::HashSet::new();
    loop {
        assert!(
            Instant::now() < deadline,
            "read {} records ({} partitions at end) within {WAIT:?}, wanted at least {at_least} and all {partitions} partitions at end",
            messages.len(),
            at_end.len()
        );
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(message)) => {
                at_end.remove(&message.partition());
                messages.push(message.detach());
            }
            Some(Err(KafkaError::PartitionEOF(partition))) => {
                at_end.insert(partition);
                if at_end.len() == partitions && messages.len() >= at_least {
                    return messages;
                }
            }
            Some(Err(error)) => panic!("consumer error: {error}"),
            None => {}
        }
    }
}
