//! Fraud detection on a broker: a generator writes synthetic card transactions
//! to `transactions`, the detector topology runs on `KafkaStreams` and writes
//! alerts to `fraud-alerts`, and a consumer prints the alerts as they arrive.
//!
//! Usage: `fraud-detection [--bootstrap-servers host:port] [--transactions N]
//! [--cards N] [--seed N] [--threads N] [--keep-running]`
//!
//! Without `--bootstrap-servers` it starts an in-process embedded-kafka broker.
//! By default it writes a fixed number of transactions, waits until the
//! application has committed all of them and every alert is read, prints a
//! summary and exits 0. With `--keep-running` it generates traffic (about 1000
//! transactions/s) until Ctrl-C. SIGINT and SIGTERM close the application
//! cleanly (final commit, leave the group). Instances against one cluster share
//! the work as one consumer group (`application.id` is fixed).

use embedded_kafka::{BrokerConfig, EmbeddedKafka};
use examples::fraud::{
    ALERTS_TOPIC, Alert, GeneratedTraffic, Injection, Rule, TRANSACTIONS_TOPIC,
    TransactionGenerator, fraud_topology,
};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use std::collections::{BTreeMap, HashSet};
use std::error::Error;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use streams_dsl::prelude::*;

type BoxError = Box<dyn Error + Send + Sync>;

const APPLICATION_ID: &str = "rstreams-fraud-detection";
const PARTITIONS: i32 = 4;
const TIMEOUT: Duration = Duration::from_secs(120);
/// Event-time spacing of the bounded demo's transactions.
const DEMO_SPACING_MS: i64 = 100;
/// With `--keep-running`: transactions per batch, one batch a second.
const LIVE_BATCH: usize = 1_000;
const RULES: [Rule; 4] = [
    Rule::BurstOfSmallCharges,
    Rule::AmountSpike,
    Rule::ImpossibleTravel,
    Rule::LargeForeignCharge,
];

struct Options {
    bootstrap_servers: Option<String>,
    transactions: usize,
    cards: u64,
    seed: u64,
    threads: u64,
    keep_running: bool,
}

const USAGE: &str = "usage: fraud-detection [--bootstrap-servers host:port] [--transactions N] [--cards N] [--seed N] [--threads N] [--keep-running]";

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        bootstrap_servers: None,
        transactions: 50_000,
        cards: 2_000,
        seed: 42,
        threads: 2,
        keep_running: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = |name: &str| -> Result<String, String> {
            args.next().ok_or_else(|| format!("{name} needs a value"))
        };
        let number = |name: &str, text: String| -> Result<u64, String> {
            text.parse().map_err(|e| format!("{name}: {e}"))
        };
        match flag.as_str() {
            "--bootstrap-servers" => {
                options.bootstrap_servers = Some(value("--bootstrap-servers")?);
            }
            "--transactions" => {
                options.transactions = number(&flag, value(&flag)?)? as usize;
            }
            "--cards" => options.cards = number(&flag, value(&flag)?)?,
            "--seed" => options.seed = number(&flag, value(&flag)?)?,
            "--threads" => options.threads = number(&flag, value(&flag)?)?.max(1),
            "--keep-running" => options.keep_running = true,
            other => return Err(format!("unknown argument '{other}'; {USAGE}")),
        }
    }
    Ok(options)
}

/// Sets `stop` on SIGINT or SIGTERM. tokio (already a workspace dependency)
/// covers both signals; a second runtime thread is all it costs.
fn stop_on_signals(stop: Arc<AtomicBool>) -> Result<(), BoxError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    #[cfg(unix)]
    let mut terminate = {
        let _entered = runtime.enter();
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?
    };
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            runtime.block_on(async {
                #[cfg(unix)]
                tokio::select! {
                    result = tokio::signal::ctrl_c() => {
                        if let Err(error) = result {
                            tracing::error!(%error, "listening for Ctrl-C");
                        }
                    }
                    _ = terminate.recv() => {}
                }
                #[cfg(not(unix))]
                if let Err(error) = tokio::signal::ctrl_c().await {
                    tracing::error!(%error, "listening for Ctrl-C");
                }
            });
            println!("signal received: closing");
            stop.store(true, Ordering::SeqCst);
        })?;
    Ok(())
}

fn create_topics(bootstrap_servers: &str) -> Result<(), BoxError> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers)
        .create()?;
    let topics = [TRANSACTIONS_TOPIC, ALERTS_TOPIC]
        .map(|t| NewTopic::new(t, PARTITIONS, TopicReplication::Fixed(-1)));
    for result in futures::executor::block_on(admin.create_topics(&topics, &AdminOptions::new()))? {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => return Err(format!("creating topic {topic}: {code}").into()),
        }
    }
    Ok(())
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A topic's partitions with their offsets.
struct Offsets(BTreeMap<i32, i64>);

impl Offsets {
    /// The end (high watermark) of every partition of `topic`.
    fn end_of(consumer: &BaseConsumer, topic: &str) -> Result<Self, BoxError> {
        let metadata = consumer.fetch_metadata(Some(topic), TIMEOUT)?;
        let partitions = metadata
            .topics()
            .iter()
            .find(|t| t.name() == topic)
            .map(|t| t.partitions().len() as i32)
            .ok_or_else(|| format!("topic {topic} not found"))?;
        let mut offsets = BTreeMap::new();
        for partition in 0..partitions {
            let (_, high) = consumer.fetch_watermarks(topic, partition, TIMEOUT)?;
            offsets.insert(partition, high);
        }
        Ok(Self(offsets))
    }

    /// The offsets the application committed for the same partitions.
    fn committed(&self, consumer: &BaseConsumer, topic: &str) -> Result<Self, BoxError> {
        let mut list = TopicPartitionList::new();
        for partition in self.0.keys() {
            list.add_partition(topic, *partition);
        }
        let committed = consumer.committed_offsets(list, TIMEOUT)?;
        let offsets = self
            .0
            .keys()
            .map(|partition| {
                let offset = match committed
                    .find_partition(topic, *partition)
                    .map(|e| e.offset())
                {
                    Some(Offset::Offset(offset)) => offset,
                    _ => 0,
                };
                (*partition, offset)
            })
            .collect();
        Ok(Self(offsets))
    }

    fn reached(&self, target: &Offsets) -> bool {
        target
            .0
            .iter()
            .all(|(p, end)| self.0.get(p).is_some_and(|o| o >= end))
    }

    /// Records between `since` and these offsets.
    fn count_since(&self, since: &Offsets) -> i64 {
        self.0
            .iter()
            .map(|(p, o)| (o - since.0.get(p).copied().unwrap_or(0)).max(0))
            .sum()
    }
}

/// Reads `fraud-alerts` from where it ended at startup and prints each alert.
struct AlertPrinter {
    consumer: BaseConsumer,
    by_rule: BTreeMap<Rule, usize>,
    seen: HashSet<(Rule, String, u64)>,
}

impl AlertPrinter {
    fn new(bootstrap_servers: &str) -> Result<Self, BoxError> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap_servers)
            .set("group.id", format!("{APPLICATION_ID}-alert-printer"))
            .set("enable.auto.commit", "false")
            .create()?;
        let start = Offsets::end_of(&consumer, ALERTS_TOPIC)?;
        let mut list = TopicPartitionList::new();
        for (partition, offset) in &start.0 {
            list.add_partition_offset(ALERTS_TOPIC, *partition, Offset::Offset(*offset))?;
        }
        consumer.assign(&list)?;
        Ok(Self {
            consumer,
            by_rule: BTreeMap::new(),
            seen: HashSet::new(),
        })
    }

    /// Prints the alerts that arrive within `wait`.
    fn poll(&mut self, wait: Duration) -> Result<(), BoxError> {
        let Some(message) = self.consumer.poll(wait) else {
            return Ok(());
        };
        let message = message?;
        let Some(payload) = message.payload() else {
            return Ok(());
        };
        let alert: Alert = serde_json::from_slice(payload)?;
        println!(
            "ALERT {:<22} {} {}",
            alert.rule.to_string(),
            alert.card,
            alert.detail
        );
        *self.by_rule.entry(alert.rule).or_default() += 1;
        self.seen
            .insert((alert.rule, alert.card, alert.transaction_id));
        Ok(())
    }

    /// Reads until every alert written so far is printed.
    fn drain(&mut self) -> Result<(), BoxError> {
        let end = Offsets::end_of(&self.consumer, ALERTS_TOPIC)?;
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let mut positions = BTreeMap::new();
            for element in self.consumer.position()?.elements() {
                if let Offset::Offset(offset) = element.offset() {
                    positions.insert(element.partition(), offset);
                }
            }
            if Offsets(positions).reached(&end) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("the alerts were not read within {TIMEOUT:?}").into());
            }
            self.poll(Duration::from_millis(100))?;
        }
    }

    fn detected(&self, injection: &Injection) -> bool {
        let id = match injection.rule {
            Rule::BurstOfSmallCharges => 0,
            _ => injection.transaction_id,
        };
        self.seen
            .contains(&(injection.rule, injection.card.clone(), id))
    }
}

/// What the producer thread wrote.
struct GeneratedSoFar {
    transactions: usize,
    injections: Vec<Injection>,
}

fn send(
    producer: &ThreadedProducer<DefaultProducerContext>,
    traffic: &GeneratedTraffic,
) -> Result<(), BoxError> {
    for transaction in &traffic.transactions {
        let payload = serde_json::to_vec(transaction)?;
        let mut record = BaseRecord::to(TRANSACTIONS_TOPIC)
            .key(&transaction.card)
            .payload(&payload)
            .timestamp(transaction.at_ms);
        while let Err((error, returned)) = producer.send(record) {
            if error.rdkafka_error_code() != Some(RDKafkaErrorCode::QueueFull) {
                return Err(error.into());
            }
            record = returned;
            producer.poll(Duration::from_millis(10));
        }
    }
    Ok(())
}

/// Starts the thread that generates and writes the transactions: `count` of
/// them, or with `keep_running` a batch a second until `stop`.
fn start_producer(
    bootstrap_servers: &str,
    options: &Options,
    stop: Arc<AtomicBool>,
) -> Result<JoinHandle<Result<GeneratedSoFar, BoxError>>, BoxError> {
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers)
        .set("partitioner", "murmur2_random")
        .set("linger.ms", "5")
        .create()?;
    let (seed, cards, count, keep_running) = (
        options.seed,
        options.cards,
        options.transactions,
        options.keep_running,
    );
    let thread = std::thread::Builder::new()
        .name("generator".into())
        .spawn(move || {
            let mut produced = GeneratedSoFar {
                transactions: 0,
                injections: Vec::new(),
            };
            if keep_running {
                let mut generator = TransactionGenerator::new(seed, cards, now_ms(), 1);
                while !stop.load(Ordering::SeqCst) {
                    let batch_started = Instant::now();
                    let traffic = generator.generate(LIVE_BATCH);
                    send(&producer, &traffic)?;
                    produced.transactions += traffic.transactions.len();
                    produced.injections.extend(traffic.injections);
                    while batch_started.elapsed() < Duration::from_secs(1)
                        && !stop.load(Ordering::SeqCst)
                    {
                        producer.poll(Duration::from_millis(50));
                    }
                }
            } else {
                // Minute-aligned, ending about now: the same seed gives the same traffic.
                let span = count as i64 * DEMO_SPACING_MS;
                let start = (now_ms() - span).div_euclid(60_000) * 60_000;
                let traffic =
                    TransactionGenerator::new(seed, cards, start, DEMO_SPACING_MS).generate(count);
                send(&producer, &traffic)?;
                produced.transactions = traffic.transactions.len();
                produced.injections = traffic.injections;
            }
            producer.flush(TIMEOUT)?;
            Ok(produced)
        })?;
    Ok(thread)
}

fn run(options: Options, stop: Arc<AtomicBool>) -> Result<(), BoxError> {
    let embedded = match &options.bootstrap_servers {
        Some(_) => None,
        None => Some(EmbeddedKafka::start_blocking(BrokerConfig::default())?),
    };
    let bootstrap_servers = match (&options.bootstrap_servers, &embedded) {
        (Some(servers), _) => servers.clone(),
        (None, Some(broker)) => broker.bootstrap_servers(),
        (None, None) => return Err("no broker".into()),
    };
    println!("fraud-detection on {bootstrap_servers}");
    create_topics(&bootstrap_servers)?;
    let topology = fraud_topology(TRANSACTIONS_TOPIC, ALERTS_TOPIC)?;
    println!("{}", topology.describe());
    // One state directory per process, so instances on one host do not collide.
    let state_dir =
        std::env::temp_dir().join(format!("rstreams-fraud-detection-{}", std::process::id()));
    let config = StreamsConfig::builder()
        .set("application.id", APPLICATION_ID)
        .set("bootstrap.servers", &bootstrap_servers)
        .set("state.dir", state_dir.display().to_string())
        .set("num.stream.threads", options.threads.to_string())
        .set("commit.interval.ms", "200")
        .build()?;
    let mut streams = KafkaStreams::new(topology, config)?;
    streams.set_state_listener(|new, old| println!("state: {old:?} -> {new:?}"));
    streams.start()?;
    streams.wait_until_running(TIMEOUT)?;

    let group: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap_servers)
        .set("group.id", APPLICATION_ID)
        .set("enable.auto.commit", "false")
        .create()?;
    let input_start = Offsets::end_of(&group, TRANSACTIONS_TOPIC)?;
    let mut alerts = AlertPrinter::new(&bootstrap_servers)?;
    let started = Instant::now();
    let mut producer = Some(start_producer(&bootstrap_servers, &options, stop.clone())?);
    let mut produced = None;
    let mut input_end = None;
    let mut last_check = Instant::now();
    let outcome = loop {
        alerts.poll(Duration::from_millis(100))?;
        if stop.load(Ordering::SeqCst) {
            break "interrupted";
        }
        if matches!(
            streams.state(),
            StreamsState::Error | StreamsState::PendingError | StreamsState::NotRunning
        ) {
            return Err(format!("the application stopped: {:?}", streams.state()).into());
        }
        if producer.as_ref().is_some_and(|p| p.is_finished()) {
            let finished = producer.take().ok_or("no producer")?;
            produced = Some(finished.join().map_err(|_| "the generator panicked")??);
            input_end = Some(Offsets::end_of(&group, TRANSACTIONS_TOPIC)?);
        }
        if let Some(end) = &input_end
            && last_check.elapsed() >= Duration::from_millis(250)
        {
            last_check = Instant::now();
            if end.committed(&group, TRANSACTIONS_TOPIC)?.reached(end) {
                alerts.drain()?;
                break "done";
            }
            if started.elapsed() > TIMEOUT {
                return Err(
                    format!("the transactions were not processed within {TIMEOUT:?}").into(),
                );
            }
        }
    };
    let elapsed = started.elapsed();
    let produced = match (produced, producer) {
        (Some(produced), _) => produced,
        (None, Some(thread)) => thread.join().map_err(|_| "the generator panicked")??,
        (None, None) => return Err("no generator".into()),
    };
    let closed = streams.close(Duration::from_secs(30));
    let processed = Offsets::end_of(&group, TRANSACTIONS_TOPIC)?
        .committed(&group, TRANSACTIONS_TOPIC)?
        .count_since(&input_start);

    println!("\nsummary ({outcome})");
    println!("  transactions generated: {}", produced.transactions);
    println!("  transactions processed: {processed} (committed by {APPLICATION_ID})");
    println!("  alerts by rule (detected / injected by this instance):");
    for rule in RULES {
        let injected: Vec<&Injection> = produced
            .injections
            .iter()
            .filter(|i| i.rule == rule)
            .collect();
        let detected = injected.iter().filter(|i| alerts.detected(i)).count();
        println!(
            "    {:<22} alerts {:>5}   detected {:>5} / {:<5} injected",
            rule.to_string(),
            alerts.by_rule.get(&rule).copied().unwrap_or(0),
            detected,
            injected.len()
        );
    }
    println!(
        "  throughput: {:.0} transactions/s ({processed} in {:.2} s, produce to last commit)",
        processed as f64 / elapsed.as_secs_f64().max(0.001),
        elapsed.as_secs_f64()
    );
    println!("  closed cleanly: {closed}");
    // The clients go before the broker they talk to.
    drop(alerts);
    drop(group);
    streams.cleanup()?;
    if let Some(broker) = embedded {
        broker.shutdown_blocking();
    }
    if closed {
        Ok(())
    } else {
        Err("the application did not close in time".into())
    }
}

fn main() -> ExitCode {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .try_init();
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    if let Err(error) = stop_on_signals(stop.clone()) {
        eprintln!("fraud-detection failed to install signal handlers: {error}");
        return ExitCode::FAILURE;
    }
    match run(options, stop) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("fraud-detection failed: {error}");
            ExitCode::FAILURE
        }
    }
}
