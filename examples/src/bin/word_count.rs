//! Word count on a broker: lines of text in, a running count per word out,
//! through the broker-backed runtime (a repartition by word, a RocksDB store
//! logged to its changelog).
//!
//! Usage: `word-count [--bootstrap-servers host:port] [--schema-registry-url URL] [--lines N] [--state-dir DIR] [--keep-running]`
//!
//! Without `--bootstrap-servers` it starts an in-process embedded-kafka broker.
//! It writes a fixed number of lines, waits until every word of them is
//! counted, prints the most frequent words and a summary, and exits 0. With
//! `--keep-running` it then goes on writing about 1000 lines/s. Ctrl-C
//! (SIGINT) or SIGTERM, at any point, close the application cleanly (exit 0);
//! a failed stream engine ends it with exit code 1 and the error. Without
//! `--state-dir` each instance keeps its state in a directory of its own,
//! removed when it exits.

use examples::cluster::ExampleCluster;
use examples::engine::{self, Waited};
use examples::restore_progress::RestoreProgress;
use examples::state_dir::StateDir;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use streams_dsl::prelude::*;

const INPUT: &str = "word-count-input";
const OUTPUT: &str = "word-count-output";
const PARTITIONS: i32 = 3;
const TIMEOUT: Duration = Duration::from_secs(120);
const CLOSE_TIMEOUT: Duration = Duration::from_secs(30);
const USAGE: &str = "usage: word-count [--bootstrap-servers host:port] [--schema-registry-url URL] [--lines N] [--state-dir DIR] [--keep-running]";
const TEXT: [&str; 6] = [
    "the quick brown fox jumps over the lazy dog",
    "streams of records flow through topics and tasks",
    "a task owns its state and restores it from the changelog",
    "the broker keeps the log and the group keeps the offsets",
    "rust makes the types of every record explicit",
    "count the words and the words count themselves",
];

struct Options {
    bootstrap_servers: Option<String>,
    schema_registry_url: Option<String>,
    lines: usize,
    state_dir: Option<PathBuf>,
    keep_running: bool,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        bootstrap_servers: None,
        schema_registry_url: None,
        lines: 10_000,
        state_dir: None,
        keep_running: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--bootstrap-servers" => {
                options.bootstrap_servers =
                    Some(args.next().ok_or("--bootstrap-servers needs host:port")?);
            }
            "--schema-registry-url" => {
                options.schema_registry_url =
                    Some(args.next().ok_or("--schema-registry-url needs a URL")?);
            }
            "--lines" => {
                options.lines = args
                    .next()
                    .ok_or("--lines needs a number")?
                    .parse()
                    .map_err(|e| format!("--lines: {e}"))?;
            }
            "--state-dir" => {
                options.state_dir =
                    Some(args.next().ok_or("--state-dir needs a directory")?.into());
            }
            "--keep-running" => options.keep_running = true,
            other => return Err(format!("unknown argument '{other}'; {USAGE}")),
        }
    }
    Ok(options)
}

fn topology() -> Result<Topology, TopologyError> {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>(INPUT, Consumed::default())
        .flat_map_values(|line: String| {
            line.split_whitespace()
                .map(str::to_lowercase)
                .collect::<Vec<String>>()
        })
        .group_by(|_, word| word.clone())
        .count(Materialized::named("word-counts"))
        .to(OUTPUT, Produced::default());
    builder.build()
}

fn line_producer(
    bootstrap_servers: &str,
) -> Result<ThreadedProducer<DefaultProducerContext>, Box<dyn Error>> {
    Ok(ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers)
        .set("partitioner", "murmur2_random")
        .create()?)
}

/// Writes lines `first..first + count` and returns how often each word occurs in them.
fn produce(
    producer: &ThreadedProducer<DefaultProducerContext>,
    first: usize,
    count: usize,
) -> Result<BTreeMap<String, i64>, Box<dyn Error>> {
    let mut expected = BTreeMap::new();
    for n in first..first + count {
        let line = TEXT[n % TEXT.len()];
        for word in line.split_whitespace() {
            *expected.entry(word.to_string()).or_insert(0) += 1;
        }
        let key = format!("line-{n}");
        let mut record = BaseRecord::to(INPUT).key(&key).payload(line);
        while let Err((_, returned)) = producer.send(record) {
            record = returned;
            producer.poll(Duration::from_millis(10));
        }
    }
    producer.flush(TIMEOUT)?;
    Ok(expected)
}

/// Reads the output until every word has at least its expected count (a real
/// cluster may hold counts of earlier runs); returns the latest counts, or
/// `None` when a signal came first. Fails if the engine stops.
fn read_counts(
    bootstrap_servers: &str,
    expected: &BTreeMap<String, i64>,
    streams: &KafkaStreams,
    stop: &AtomicBool,
) -> Result<Option<BTreeMap<String, i64>>, Box<dyn Error>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers)
        .set("group.id", "word-count-reader")
        .set("enable.auto.commit", "false")
        .create()?;
    let mut partitions = TopicPartitionList::new();
    for partition in 0..PARTITIONS {
        partitions.add_partition_offset(OUTPUT, partition, Offset::Beginning)?;
    }
    consumer.assign(&partitions)?;
    let counts_serde = I64Serde;
    let mut counts = BTreeMap::new();
    let started = Instant::now();
    while expected
        .iter()
        .any(|(w, n)| counts.get(w).is_none_or(|c| c < n))
    {
        if stop.load(Ordering::SeqCst) {
            return Ok(None);
        }
        engine::ensure_alive(streams)?;
        if started.elapsed() > TIMEOUT {
            return Err(format!("the counts did not arrive within {TIMEOUT:?}").into());
        }
        if let Some(message) = consumer.poll(Duration::from_millis(100)) {
            let message = message?;
            if let (Some(key), Some(value)) = (message.key(), message.payload()) {
                counts.insert(
                    String::from_utf8_lossy(key).into_owned(),
                    counts_serde.deserialize(value)?,
                );
            }
        }
    }
    Ok(Some(counts))
}

/// Writes about 1000 lines/s from line `first` on until `stop` is set, printing
/// the application's progress every few seconds; fails if the engine stops.
fn keep_producing(
    producer: &ThreadedProducer<DefaultProducerContext>,
    streams: &KafkaStreams,
    first: usize,
    stop: &AtomicBool,
) -> Result<(), Box<dyn Error>> {
    println!("writing about 1000 lines/s until Ctrl-C (SIGINT) or SIGTERM");
    let mut next = first;
    let mut last_report = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        engine::ensure_alive(streams)?;
        produce(producer, next, 100)?;
        next += 100;
        std::thread::sleep(Duration::from_millis(100));
        if last_report.elapsed() >= Duration::from_secs(5) {
            println!(
                "  {next} lines written, {} records processed",
                streams.metrics().tasks.processed_records
            );
            last_report = Instant::now();
        }
    }
    Ok(())
}

/// What the bounded demo counted.
struct Counted {
    expected: BTreeMap<String, i64>,
    elapsed: Duration,
}

fn run(options: Options, stop: &AtomicBool) -> Result<(), Box<dyn Error>> {
    let cluster = ExampleCluster::connect(options.bootstrap_servers.clone())?
        .with_schema_registry(options.schema_registry_url.clone())?;
    let bootstrap_servers = cluster.bootstrap_servers().to_string();
    println!("word-count on {bootstrap_servers}");
    match cluster.schema_registry_url() {
        Some(url) => println!("schema registry at {url}"),
        None => println!("no schema registry (give --schema-registry-url to use one)"),
    }
    cluster.create_topics(&[INPUT, OUTPUT], PARTITIONS)?;
    let state_dir = StateDir::new("word-count", options.state_dir.clone())?;
    println!("state directory: {}", state_dir.path().display());
    let config = StreamsConfig::builder()
        .set("application.id", "rstreams-word-count")
        .set("bootstrap.servers", &bootstrap_servers)
        .set("state.dir", state_dir.path().display().to_string())
        .set("num.stream.threads", "2")
        .set("commit.interval.ms", "200")
        .build()?;
    let mut streams = KafkaStreams::new(topology()?, config)?;
    streams.set_global_state_restore_listener(RestoreProgress::on_stderr())?;
    streams.set_state_listener(|new, old| println!("state: {old:?} -> {new:?}"));
    streams.start()?;
    let counted = count_words(&options, &streams, &bootstrap_servers, stop);
    // Before the embedded broker shuts down, so the clients do not report it gone.
    let closed = engine::close(&mut streams, CLOSE_TIMEOUT);
    let counted = counted?;
    closed?;
    let metrics = streams.metrics();
    match counted {
        Some(Counted { expected, elapsed }) => println!(
            "summary: {} lines, {} words, {} distinct; {} records processed in {:.2} s ({:.0} lines/s); closed cleanly: true",
            options.lines,
            expected.values().sum::<i64>(),
            expected.len(),
            metrics.tasks.processed_records,
            elapsed.as_secs_f64(),
            options.lines as f64 / elapsed.as_secs_f64().max(0.001),
        ),
        None => println!(
            "summary (interrupted): {} records processed; closed cleanly: true",
            metrics.tasks.processed_records
        ),
    }
    if cluster.is_embedded() {
        streams.cleanup()?;
    }
    cluster.shutdown();
    Ok(())
}

/// The demo itself: writes the lines, waits for their counts and prints the
/// most frequent words, then (with `--keep-running`) keeps writing. Returns
/// `None` when a signal ended it before the counts were in.
fn count_words(
    options: &Options,
    streams: &KafkaStreams,
    bootstrap_servers: &str,
    stop: &AtomicBool,
) -> Result<Option<Counted>, Box<dyn Error>> {
    if engine::wait_until_running(streams, stop, TIMEOUT)? == Waited::Stopped {
        println!("signal received during start-up: closing");
        return Ok(None);
    }
    let started = Instant::now();
    let producer = line_producer(bootstrap_servers)?;
    let expected = produce(&producer, 0, options.lines)?;
    let Some(counts) = read_counts(bootstrap_servers, &expected, streams, stop)? else {
        println!("signal received: closing");
        return Ok(None);
    };
    let elapsed = started.elapsed();
    let mut top: Vec<(&String, &i64)> = counts.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    println!("most frequent words:");
    for (word, count) in top.iter().take(10) {
        println!("  {word:<12} {count}");
    }
    if options.keep_running {
        keep_producing(&producer, streams, options.lines, stop)?;
        println!("signal received: closing");
    }
    Ok(Some(Counted { expected, elapsed }))
}

fn main() -> ExitCode {
    examples::app_main::app_main("word-count", parse_options, |options, stop| {
        run(options, &stop).map(|()| ExitCode::SUCCESS)
    })
}
