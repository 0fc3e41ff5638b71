//! End-to-end runtime throughput on the embedded broker: the same pre-produced
//! input (1M records, 100-byte values, 100k keys, 4 partitions) copied by a plain
//! rdkafka consume-and-produce loop (the ceiling), run through a stateless
//! `KafkaStreams` pipeline, and counted per key by a `KafkaStreams` pipeline with
//! a cached RocksDB store and its changelog, under at-least-once and under
//! exactly-once v2. Broker startup and input production are not timed; each
//! run starts from a fresh broker.

use crate::report::BenchResult;
use embedded_kafka::{BrokerConfig, EmbeddedKafka};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{
    BaseProducer, BaseRecord, DefaultProducerContext, Producer, ThreadedProducer,
};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use std::collections::HashMap;
use std::error::Error;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use streams_dsl::prelude::*;

const RECORDS: u64 = 1_000_000;
const VALUE_BYTES: usize = 100;
const DISTINCT_KEYS: u64 = 100_000;
const PARTITIONS: i32 = 4;
const INPUT: &str = "e2e-input";
const OUTPUT: &str = "e2e-output";
/// Commit interval of the runtime pipelines: short enough that "processed and
/// committed" is not dominated by Kafka Streams' 30 s default.
const COMMIT_INTERVAL_MS: u64 = 1000;
/// Commit interval of the exactly-once comparison: Kafka Streams' default
/// under exactly_once_v2, used for both guarantees there.
const EOS_COMMIT_INTERVAL_MS: u64 = 100;
/// The stateless pipeline drops keys `k % FILTER_MODULUS == 0`.
const FILTER_MODULUS: u64 = 100;
/// Longest any phase may take before the workload fails instead of hanging.
const PHASE_LIMIT: Duration = Duration::from_secs(300);
/// How often completion (watermarks, committed offsets) is checked.
const CHECK_EVERY: Duration = Duration::from_millis(20);

/// A fresh broker holding the input topic, filled and acknowledged, and an
/// empty output topic.
struct Fixture {
    kafka: EmbeddedKafka,
    bootstrap: String,
}

impl Fixture {
    fn start() -> Result<Self, Box<dyn Error>> {
        let kafka = EmbeddedKafka::start_blocking(BrokerConfig::default())?;
        kafka.create_topic(INPUT, PARTITIONS, &[])?;
        kafka.create_topic(OUTPUT, PARTITIONS, &[])?;
        let bootstrap = kafka.bootstrap_servers();
        produce_input(&bootstrap)?;
        Ok(Self { kafka, bootstrap })
    }

    /// A consumer outside any group's membership, for watermarks and for the
    /// committed offsets of `group`.
    fn monitor(&self, group: &str) -> Result<BaseConsumer, Box<dyn Error>> {
        Ok(ClientConfig::new()
            .set("bootstrap.servers", &self.bootstrap)
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .create()?)
    }

    fn shutdown(self) {
        self.kafka.shutdown_blocking();
    }
}

/// Writes the input: keys `i % DISTINCT_KEYS` (8 bytes big-endian, partitioned
/// by key like Kafka's default partitioner), 100-byte values.
fn produce_input(bootstrap: &str) -> Result<(), Box<dyn Error>> {
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("acks", "all")
        .set("linger.ms", "5")
        .set("partitioner", "murmur2_random")
        .set("batch.size", "1000000")
        .set("queue.buffering.max.messages", "1000000")
        .set("queue.buffering.max.kbytes", "1048576")
        .create()?;
    let value = [b'x'; VALUE_BYTES];
    let started = Instant::now();
    for i in 0..RECORDS {
        let key = (i % DISTINCT_KEYS).to_be_bytes();
        let mut record = BaseRecord::to(INPUT).key(&key[..]).payload(&value[..]);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), unsent)) => {
                    record = unsent;
                    if started.elapsed() > PHASE_LIMIT {
                        return Err("the input producer's queue stayed full".into());
                    }
                    producer.poll(Duration::from_millis(1));
                }
                Err((error, _)) => return Err(error.into()),
            }
        }
    }
    producer.flush(PHASE_LIMIT)?;
    Ok(())
}

/// Records in `topic`: the sum of its partitions' high watermarks.
fn topic_records(monitor: &BaseConsumer, topic: &str) -> Result<u64, Box<dyn Error>> {
    let mut total = 0;
    for partition in 0..PARTITIONS {
        let (_, high) = monitor.fetch_watermarks(topic, partition, Duration::from_secs(10))?;
        total += u64::try_from(high)?;
    }
    Ok(total)
}

/// Input records covered by the monitor's group's committed offsets.
fn committed_records(monitor: &BaseConsumer) -> Result<u64, Box<dyn Error>> {
    let mut partitions = TopicPartitionList::new();
    for partition in 0..PARTITIONS {
        partitions.add_partition(INPUT, partition);
    }
    let committed = monitor.committed_offsets(partitions, Duration::from_secs(10))?;
    Ok(committed
        .elements()
        .iter()
        .map(|e| match e.offset() {
            Offset::Offset(next) => u64::try_from(next).unwrap_or(0),
            _ => 0,
        })
        .sum())
}

/// Checks `done` every [`CHECK_EVERY`] until it holds; fails naming `what` after
/// [`PHASE_LIMIT`].
fn wait_until(
    what: &str,
    mut done: impl FnMut() -> Result<bool, Box<dyn Error>>,
) -> Result<(), Box<dyn Error>> {
    let started = Instant::now();
    while !done()? {
        if started.elapsed() > PHASE_LIMIT {
            return Err(format!("{what} did not happen within {PHASE_LIMIT:?}").into());
        }
        std::thread::sleep(CHECK_EVERY);
    }
    Ok(())
}

/// A unique application id and a fresh state directory for it.
fn application(name: &str) -> (String, PathBuf) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let unique = format!("{name}-{}-{nanos}", std::process::id());
    let state_dir = std::env::temp_dir().join(format!("rstreams-bench-{unique}"));
    (unique, state_dir)
}

/// How a runtime pipeline commits.
#[derive(Clone, Copy)]
struct Commits {
    guarantee: &'static str,
    interval_ms: u64,
}

/// At-least-once every [`COMMIT_INTERVAL_MS`]: the e2e workloads' default.
const AT_LEAST_ONCE: Commits = Commits {
    guarantee: "at_least_once",
    interval_ms: COMMIT_INTERVAL_MS,
};

fn streams_config(
    application_id: &str,
    bootstrap: &str,
    state_dir: &std::path::Path,
    commits: Commits,
) -> Result<StreamsConfig, Box<dyn Error>> {
    Ok(StreamsConfig::builder()
        .set("application.id", application_id)
        .set("bootstrap.servers", bootstrap)
        .set("state.dir", state_dir.display().to_string())
        .set("num.stream.threads", "1")
        .set("processing.guarantee", commits.guarantee)
        .set("commit.interval.ms", commits.interval_ms.to_string())
        .build()?)
}

fn result(name: &str, elapsed: Duration) -> BenchResult {
    BenchResult::new(name, RECORDS, elapsed)
        .with("value_bytes", VALUE_BYTES as u64)
        .with("partitions", PARTITIONS as u64)
        .with("distinct_keys", DISTINCT_KEYS)
}

/// The ceiling: one consumer and one producer with the runtime's client
/// settings (`StreamsConfig::consumer_config` / `producer_config`), the consumer
/// joining a group, every input record produced to the output unchanged;
/// timed from client creation until the output holds every record.
fn copy_ceiling(fixture: &Fixture) -> Result<Duration, Box<dyn Error>> {
    let (group, state_dir) = application("e2e-copy-ceiling");
    let config = streams_config(&group, &fixture.bootstrap, &state_dir, AT_LEAST_ONCE)?;
    let monitor = fixture.monitor(&group)?;
    let started = Instant::now();
    let consumer: BaseConsumer = config.consumer_config("ceiling").create()?;
    let producer: BaseProducer = config.producer_config("ceiling").create()?;
    consumer.subscribe(&[INPUT])?;
    let mut copied = 0u64;
    let mut next_offsets: HashMap<i32, i64> = HashMap::new();
    while copied < RECORDS {
        if started.elapsed() > PHASE_LIMIT {
            return Err(format!("copied only {copied} of {RECORDS} records").into());
        }
        let Some(message) = consumer.poll(Duration::from_millis(100)) else {
            continue;
        };
        let message = message?;
        let mut record: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(OUTPUT);
        if let Some(key) = message.key() {
            record = record.key(key);
        }
        if let Some(payload) = message.payload() {
            record = record.payload(payload);
        }
        if let Some(timestamp) = message.timestamp().to_millis() {
            record = record.timestamp(timestamp);
        }
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), unsent)) => {
                    record = unsent;
                    producer.poll(Duration::from_millis(10));
                }
                Err((error, _)) => return Err(error.into()),
            }
        }
        next_offsets.insert(message.partition(), message.offset() + 1);
        copied += 1;
        if copied.is_multiple_of(1024) {
            producer.poll(Duration::ZERO);
        }
    }
    producer.flush(PHASE_LIMIT)?;
    let mut commit = TopicPartitionList::new();
    for (partition, next) in next_offsets {
        commit.add_partition_offset(INPUT, partition, Offset::Offset(next))?;
    }
    consumer.commit(&commit, CommitMode::Sync)?;
    wait_until("the copy reaching the output", || {
        Ok(topic_records(&monitor, OUTPUT)? >= RECORDS)
    })?;
    Ok(started.elapsed())
}

/// Starts `topology`, waits until `done` holds, closes the instance; returns
/// the time from `start()` until `done` held.
fn run_streams(
    fixture: &Fixture,
    name: &str,
    topology: Topology,
    commits: Commits,
    mut done: impl FnMut(&BaseConsumer) -> Result<bool, Box<dyn Error>>,
) -> Result<Duration, Box<dyn Error>> {
    let (application_id, state_dir) = application(name);
    let config = streams_config(&application_id, &fixture.bootstrap, &state_dir, commits)?;
    let monitor = fixture.monitor(&application_id)?;
    let mut streams = KafkaStreams::new(topology, config)?;
    let started = Instant::now();
    streams.start()?;
    let outcome = wait_until(name, || {
        if let Some(failure) = streams.failure() {
            return Err(format!("the instance failed: {failure}").into());
        }
        done(&monitor)
    });
    let elapsed = started.elapsed();
    let outcome = outcome.map_err(|error| {
        format!(
            "{error}; instance state {:?}, metrics {:?}",
            streams.state(),
            streams.metrics()
        )
    });
    let closed = streams.close(Duration::from_secs(60));
    let cleaned = streams.cleanup();
    let _ = std::fs::remove_dir_all(&state_dir);
    outcome?;
    closed?;
    cleaned?;
    Ok(elapsed)
}

/// Ceiling copy loop.
pub fn copy_ceiling_workload() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    let fixture = Fixture::start()?;
    let elapsed = copy_ceiling(&fixture)?;
    fixture.shutdown();
    Ok(vec![result("e2e-copy-ceiling", elapsed)])
}

/// The ceiling measured on its own fixture, for the ratios of the runtime workloads.
fn ceiling_records_per_sec() -> Result<f64, Box<dyn Error>> {
    let fixture = Fixture::start()?;
    let elapsed = copy_ceiling(&fixture)?;
    fixture.shutdown();
    Ok(RECORDS as f64 / elapsed.as_secs_f64())
}

fn with_ratio(result: BenchResult, ceiling: f64) -> BenchResult {
    let ratio = (result.records_per_sec() / ceiling * 1000.0).round() / 1000.0;
    result
        .with("ceiling_records_per_sec", ceiling.round())
        .with("ratio_to_ceiling", ratio)
}

/// filter -> map_values -> to, timed until the output holds every kept record.
pub fn stateless() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    let ceiling = ceiling_records_per_sec()?;
    let fixture = Fixture::start()?;
    let builder = StreamsBuilder::new();
    builder
        .stream::<u64, Vec<u8>>(INPUT, Consumed::default())
        .filter(|key, _| key % FILTER_MODULUS != 0)
        .map_values(|value: Vec<u8>| value.to_ascii_uppercase())
        .to(OUTPUT, Produced::default());
    let expected = RECORDS - RECORDS / FILTER_MODULUS;
    let elapsed = run_streams(
        &fixture,
        "e2e-stateless",
        builder.build()?,
        AT_LEAST_ONCE,
        |monitor| Ok(topic_records(monitor, OUTPUT)? >= expected),
    )?;
    fixture.shutdown();
    Ok(vec![with_ratio(
        result("e2e-stateless", elapsed)
            .with("records_out", expected)
            .with("commit_interval_ms", COMMIT_INTERVAL_MS),
        ceiling,
    )])
}

/// The count topology: group_by_key().count() on a cached RocksDB store with
/// its changelog, counts to the output.
fn count_topology() -> Result<Topology, Box<dyn Error>> {
    let builder = StreamsBuilder::new();
    builder
        .stream::<u64, Vec<u8>>(INPUT, Consumed::default())
        .group_by_key()
        .count(Materialized::named("e2e-counts"))
        .to_stream()
        .to(OUTPUT, Produced::default());
    Ok(builder.build()?)
}

/// Runs the count on a fresh fixture, timed until the committed offsets
/// cover every input record.
fn run_count(name: &str, commits: Commits) -> Result<Duration, Box<dyn Error>> {
    let fixture = Fixture::start()?;
    let elapsed = run_streams(&fixture, name, count_topology()?, commits, |monitor| {
        Ok(committed_records(monitor)? >= RECORDS)
    })?;
    fixture.shutdown();
    Ok(elapsed)
}

/// group_by_key().count() on a cached RocksDB store with its changelog, timed
/// until the committed offsets cover every input record.
pub fn count() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    let ceiling = ceiling_records_per_sec()?;
    let elapsed = run_count("e2e-count", AT_LEAST_ONCE)?;
    Ok(vec![with_ratio(
        result("e2e-count", elapsed)
            .with("store", "rocksdb")
            .with("commit_interval_ms", COMMIT_INTERVAL_MS),
        ceiling,
    )])
}

/// The count under exactly_once_v2 and, for comparison, under at_least_once,
/// both committing every [`EOS_COMMIT_INTERVAL_MS`], each on a fresh broker.
pub fn count_eos() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    let at_least_once = run_count(
        "e2e-count-alos-100ms",
        Commits {
            guarantee: "at_least_once",
            interval_ms: EOS_COMMIT_INTERVAL_MS,
        },
    )?;
    let exactly_once = run_count(
        "e2e-count-eos",
        Commits {
            guarantee: "exactly_once_v2",
            interval_ms: EOS_COMMIT_INTERVAL_MS,
        },
    )?;
    let baseline = result("e2e-count-alos-100ms", at_least_once)
        .with("store", "rocksdb")
        .with("commit_interval_ms", EOS_COMMIT_INTERVAL_MS);
    let eos = result("e2e-count-eos", exactly_once)
        .with("store", "rocksdb")
        .with("commit_interval_ms", EOS_COMMIT_INTERVAL_MS);
    let ratio = (eos.records_per_sec() / baseline.records_per_sec() * 1000.0).round() / 1000.0;
    Ok(vec![baseline, eos.with("ratio_to_at_least_once", ratio)])
}
