//! End-to-end runtime throughput on the embedded broker: the same pre-produced
//! input (1M records, 100-byte values, 100k keys, 4 partitions; a tenth of the
//! records with `--quick`, N times them with `--scale N`) run through a
//! stateless `KafkaStreams` pipeline, and counted per key by a `KafkaStreams`
//! pipeline with a cached RocksDB store and its changelog, each reported with
//! its ratio to the fastest plain copy loop on the same input (`copy_loop`);
//! the count also under exactly-once v2 against at-least-once at the same
//! commit interval.
//! Broker startup and input production are not timed; each run starts from a
//! fresh broker. The fixture and helpers here serve the other broker-backed
//! workloads too.

use super::send::{Sender, send_when_room};
use crate::cpu::{CpuSnapshot, CpuUsage};
use crate::report::BenchResult;
use embedded_kafka::{BrokerConfig, EmbeddedKafka};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use std::error::Error;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use streams_dsl::prelude::*;

/// Input records of a full run.
const FULL_RECORDS: u64 = 1_000_000;
pub(super) const VALUE_BYTES: usize = 100;
pub(super) const DISTINCT_KEYS: u64 = 100_000;
pub(super) const PARTITIONS: i32 = 4;
pub(super) const INPUT: &str = "e2e-input";
pub(super) const OUTPUT: &str = "e2e-output";
/// Input records of this run: [`FULL_RECORDS`] at the run's scale (`--quick`, `--scale`).
pub(super) fn records() -> u64 {
    crate::scale::scaled(FULL_RECORDS)
}

/// Commit interval of the runtime pipelines: short enough that "processed and
/// committed" is not dominated by Kafka Streams' 30 s default.
pub(super) const COMMIT_INTERVAL_MS: u64 = 1000;
/// Commit interval of the exactly-once comparison: Kafka Streams' default
/// under exactly_once_v2, used for both guarantees there.
const EOS_COMMIT_INTERVAL_MS: u64 = 100;
/// The stateless pipeline drops keys `k % FILTER_MODULUS == 0`.
pub(super) const FILTER_MODULUS: u64 = 100;
/// Longest any phase may take before the workload fails instead of hanging.
pub(super) const PHASE_LIMIT: Duration = Duration::from_secs(300);
/// How often completion (watermarks, committed offsets) is checked.
const CHECK_EVERY: Duration = Duration::from_millis(20);

/// A fresh broker holding the input topic (filled and acknowledged, unless
/// made [`empty`](Self::empty)) and an empty output topic.
pub(super) struct Fixture {
    kafka: EmbeddedKafka,
    pub(super) bootstrap: String,
}

impl Fixture {
    /// The e2e input: [`records()`] records over [`DISTINCT_KEYS`] keys.
    pub(super) fn start() -> Result<Self, Box<dyn Error>> {
        Self::with_input(records(), DISTINCT_KEYS)
    }

    /// `records` input records with keys cycling over `keys`.
    pub(super) fn with_input(records: u64, keys: u64) -> Result<Self, Box<dyn Error>> {
        let fixture = Self::empty()?;
        produce_input(&fixture.bootstrap, records, keys)?;
        Ok(fixture)
    }

    /// Both topics, empty.
    pub(super) fn empty() -> Result<Self, Box<dyn Error>> {
        let kafka = EmbeddedKafka::start_blocking(BrokerConfig::default())?;
        kafka.create_topic(INPUT, PARTITIONS, &[])?;
        kafka.create_topic(OUTPUT, PARTITIONS, &[])?;
        let bootstrap = kafka.bootstrap_servers();
        Ok(Self { kafka, bootstrap })
    }

    /// A consumer outside any group's membership, for watermarks and for the
    /// committed offsets of `group`.
    pub(super) fn monitor(&self, group: &str) -> Result<BaseConsumer, Box<dyn Error>> {
        Ok(ClientConfig::new()
            .set("bootstrap.servers", &self.bootstrap)
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .create()?)
    }

    pub(super) fn shutdown(self) {
        self.kafka.shutdown_blocking();
    }
}

/// Writes the input: keys `i % keys` (8 bytes big-endian, partitioned by key
/// like Kafka's default partitioner), 100-byte values.
fn produce_input(bootstrap: &str, records: u64, keys: u64) -> Result<(), Box<dyn Error>> {
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
    for i in 0..records {
        let key = (i % keys).to_be_bytes();
        let record = BaseRecord::to(INPUT).key(&key[..]).payload(&value[..]);
        send_when_room(
            Sender::Threaded(&producer),
            record,
            Duration::from_millis(1),
            started + PHASE_LIMIT,
        )?;
    }
    producer.flush(PHASE_LIMIT)?;
    Ok(())
}

/// Records in `topic`: the sum of its partitions' high watermarks.
pub(super) fn topic_records(monitor: &BaseConsumer, topic: &str) -> Result<u64, Box<dyn Error>> {
    let mut total = 0;
    for partition in 0..PARTITIONS {
        let (_, high) = monitor.fetch_watermarks(topic, partition, Duration::from_secs(10))?;
        total += u64::try_from(high)?;
    }
    Ok(total)
}

/// Input records covered by the monitor's group's committed offsets.
pub(super) fn committed_records(monitor: &BaseConsumer) -> Result<u64, Box<dyn Error>> {
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
pub(super) fn wait_until(
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
pub(super) fn application(name: &str) -> (String, PathBuf) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let unique = format!("{name}-{}-{nanos}", std::process::id());
    let state_dir = std::env::temp_dir().join(format!("rstreams-bench-{unique}"));
    (unique, state_dir)
}

/// How a runtime pipeline commits.
#[derive(Clone, Copy)]
pub(super) struct Commits {
    guarantee: &'static str,
    interval_ms: u64,
}

/// At-least-once every [`COMMIT_INTERVAL_MS`]: the e2e workloads' default.
pub(super) const AT_LEAST_ONCE: Commits = Commits {
    guarantee: "at_least_once",
    interval_ms: COMMIT_INTERVAL_MS,
};

/// The configuration of a runtime pipeline: one stream thread committing as
/// `commits` says, then `extra` settings.
pub(super) fn streams_config(
    application_id: &str,
    bootstrap: &str,
    state_dir: &std::path::Path,
    commits: Commits,
    extra: &[(&str, &str)],
) -> Result<StreamsConfig, Box<dyn Error>> {
    Ok(StreamsConfig::builder()
        .set("application.id", application_id)
        .set("bootstrap.servers", bootstrap)
        .set("state.dir", state_dir.display().to_string())
        .set("num.stream.threads", "1")
        .set("processing.guarantee", commits.guarantee)
        .set("commit.interval.ms", commits.interval_ms.to_string())
        .set_all(extra.iter().copied())
        .build()?)
}

pub(super) fn result(name: &str, elapsed: Duration) -> BenchResult {
    BenchResult::new(name, records(), elapsed)
        .with("value_bytes", VALUE_BYTES as u64)
        .with("partitions", PARTITIONS as u64)
        .with("distinct_keys", DISTINCT_KEYS)
}

/// What one `KafkaStreams` run took: wall time from `start()` until done, the
/// CPU this process used meanwhile, and where the stream threads' time went
/// by their own latency metrics.
pub(super) struct StreamsRun {
    pub(super) elapsed: Duration,
    pub(super) cpu: CpuUsage,
    /// Seconds the stream threads spent in polls.
    poll_seconds: f64,
    /// Seconds the stream threads spent in commits, and how many there were.
    commit_seconds: f64,
    commits: f64,
}

impl StreamsRun {
    /// `result` with the CPU and the threads' poll and commit time (the rest
    /// of `seconds` is processing, punctuation and the loop itself).
    pub(super) fn annotate(&self, result: BenchResult) -> BenchResult {
        let round3 = |value: f64| (value * 1000.0).round() / 1000.0;
        let thread_seconds = serde_json::json!({
            "poll": round3(self.poll_seconds),
            "commit": round3(self.commit_seconds),
            "commits": self.commits,
        });
        self.cpu
            .annotate(result)
            .with("thread_seconds", thread_seconds)
    }
}

/// Starts `topology`, waits until `done` holds, closes the instance.
fn run_streams(
    fixture: &Fixture,
    name: &str,
    topology: Topology,
    commits: Commits,
    extra: &[(&str, &str)],
    mut done: impl FnMut(&BaseConsumer) -> Result<bool, Box<dyn Error>>,
) -> Result<StreamsRun, Box<dyn Error>> {
    let (application_id, state_dir) = application(name);
    let config = streams_config(
        &application_id,
        &fixture.bootstrap,
        &state_dir,
        commits,
        extra,
    )?;
    let monitor = fixture.monitor(&application_id)?;
    let mut streams = KafkaStreams::new(topology, config)?;
    let cpu_before = CpuSnapshot::of_self();
    let started = Instant::now();
    streams.start()?;
    let outcome = wait_until(name, || {
        if let Some(failure) = streams.failure() {
            return Err(format!("the instance failed: {failure}").into());
        }
        done(&monitor)
    });
    let elapsed = started.elapsed();
    let cpu = CpuSnapshot::of_self().since(&cpu_before);
    let metrics = streams.metrics_registry();
    let run = StreamsRun {
        elapsed,
        cpu,
        poll_seconds: metrics.sum("rstreams_thread_poll_latency_seconds_sum", &[]),
        commit_seconds: metrics.sum("rstreams_thread_commit_latency_seconds_sum", &[]),
        commits: metrics.sum("rstreams_thread_commit_latency_seconds_count", &[]),
    };
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
    Ok(run)
}

/// The ceiling (the fastest copy loop) measured on its own fixture, for the
/// ratios of the runtime workloads.
pub(super) fn ceiling_records_per_sec() -> Result<f64, Box<dyn Error>> {
    copy_records_per_sec(&super::copy_loop::CEILING)
}

/// A copy loop measured on its own fixture.
fn copy_records_per_sec(copy: &super::copy_loop::CopyVariant) -> Result<f64, Box<dyn Error>> {
    let fixture = Fixture::start()?;
    let run = copy.run(&fixture)?;
    fixture.shutdown();
    Ok(records() as f64 / run.elapsed.as_secs_f64())
}

pub(super) fn with_ratio(result: BenchResult, ceiling: f64) -> BenchResult {
    let ratio = (result.records_per_sec() / ceiling * 1000.0).round() / 1000.0;
    result
        .with("ceiling_records_per_sec", ceiling.round())
        .with("ratio_to_ceiling", ratio)
}

/// The stateless topology: drops keys `k % FILTER_MODULUS == 0`, upper-cases
/// the values, writes them to the output.
pub(super) fn stateless_topology() -> Result<Topology, Box<dyn Error>> {
    let builder = StreamsBuilder::new();
    builder
        .stream::<u64, Vec<u8>>(INPUT, Consumed::default())
        .filter(|key, _| key % FILTER_MODULUS != 0)
        .map_values(|value: Vec<u8>| value.to_ascii_uppercase())
        .to(OUTPUT, Produced::default());
    Ok(builder.build()?)
}

/// The count topology: group_by_key().count() on a cached RocksDB store with
/// its changelog, counts to the output.
pub(super) fn count_topology() -> Result<Topology, Box<dyn Error>> {
    let builder = StreamsBuilder::new();
    builder
        .stream::<u64, Vec<u8>>(INPUT, Consumed::default())
        .group_by_key()
        .count(Materialized::named("e2e-counts"))
        .to_stream()
        .to(OUTPUT, Produced::default());
    Ok(builder.build()?)
}

/// filter -> map_values -> to, timed until the output holds every kept record.
pub fn stateless() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    let ceiling = ceiling_records_per_sec()?;
    let run = run_stateless("e2e-stateless", &[])?;
    let expected = records() - records() / FILTER_MODULUS;
    Ok(vec![
        run.annotate(with_ratio(
            result("e2e-stateless", run.elapsed)
                .with("records_out", expected)
                .with("commit_interval_ms", COMMIT_INTERVAL_MS),
            ceiling,
        )),
    ])
}

/// group_by_key().count() on a cached RocksDB store with its changelog, timed
/// until the committed offsets cover every input record.
pub fn count() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    let ceiling = ceiling_records_per_sec()?;
    let run = run_count("e2e-count", AT_LEAST_ONCE, &[])?;
    Ok(vec![
        run.annotate(with_ratio(
            result("e2e-count", run.elapsed)
                .with("store", "rocksdb")
                .with("commit_interval_ms", COMMIT_INTERVAL_MS),
            ceiling,
        )),
    ])
}

/// Runs the stateless pipeline (at-least-once, `extra` settings) on a fresh
/// fixture, timed until the output holds every kept record.
pub(super) fn run_stateless(
    name: &str,
    extra: &[(&str, &str)],
) -> Result<StreamsRun, Box<dyn Error>> {
    let fixture = Fixture::start()?;
    let expected = records() - records() / FILTER_MODULUS;
    let run = run_streams(
        &fixture,
        name,
        stateless_topology()?,
        AT_LEAST_ONCE,
        extra,
        |monitor| Ok(topic_records(monitor, OUTPUT)? >= expected),
    )?;
    fixture.shutdown();
    Ok(run)
}

/// Runs the count (`extra` settings) on a fresh fixture, timed until the
/// committed offsets cover every input record.
pub(super) fn run_count(
    name: &str,
    commits: Commits,
    extra: &[(&str, &str)],
) -> Result<StreamsRun, Box<dyn Error>> {
    let fixture = Fixture::start()?;
    let run = run_streams(
        &fixture,
        name,
        count_topology()?,
        commits,
        extra,
        |monitor| Ok(committed_records(monitor)? >= records()),
    )?;
    fixture.shutdown();
    Ok(run)
}

/// The count under exactly_once_v2 and, for comparison, under at_least_once,
/// both committing every [`EOS_COMMIT_INTERVAL_MS`], each on a fresh broker;
/// the exactly-once run also against the transactional copy loop (same
/// commit interval).
pub fn count_eos() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    let run = |name: &str, guarantee: &'static str| -> Result<BenchResult, Box<dyn Error>> {
        let commits = Commits {
            guarantee,
            interval_ms: EOS_COMMIT_INTERVAL_MS,
        };
        let run = run_count(name, commits, &[])?;
        Ok(run.annotate(
            result(name, run.elapsed)
                .with("store", "rocksdb")
                .with("commit_interval_ms", EOS_COMMIT_INTERVAL_MS),
        ))
    };
    let baseline = run("e2e-count-alos-100ms", "at_least_once")?;
    let eos = run("e2e-count-eos", "exactly_once_v2")?;
    let transactional_copy = copy_records_per_sec(&super::copy_loop::TRANSACTIONAL)?;
    let ratio = |to: f64| (eos.records_per_sec() / to * 1000.0).round() / 1000.0;
    let to_at_least_once = ratio(baseline.records_per_sec());
    let to_transactional_copy = ratio(transactional_copy);
    let eos = eos
        .with("ratio_to_at_least_once", to_at_least_once)
        .with(
            "transactional_copy_records_per_sec",
            transactional_copy.round(),
        )
        .with("ratio_to_transactional_copy", to_transactional_copy);
    Ok(vec![baseline, eos])
}
