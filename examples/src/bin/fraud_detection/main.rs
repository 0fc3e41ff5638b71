//! Fraud detection on a broker: a generator writes synthetic card transactions
//! to `transactions`, the detector topology runs on `KafkaStreams` and writes
//! alerts to `fraud-alerts`, and a consumer prints the alerts as they arrive.
//!
//! Usage: `fraud-detection [--bootstrap-servers host:port] [--schema-registry-url URL] [--transactions N]
//! [--cards N] [--seed N] [--threads N] [--state-dir DIR] [--keep-running]`
//!
//! Without `--bootstrap-servers` it starts an in-process embedded-kafka broker.
//! By default it writes a fixed number of transactions, waits until the
//! application has committed all of them and every alert is read, prints a
//! summary and exits 0. With `--keep-running` it generates traffic (about 1000
//! transactions/s) until Ctrl-C. SIGINT and SIGTERM, also during start-up,
//! close the application cleanly (final commit, leave the group); a failed
//! stream engine ends the process with exit code 1 and the error. Instances
//! against one cluster share the work as one consumer group (`application.id`
//! is fixed); without `--state-dir` each keeps its state in a directory of its
//! own, removed when it exits.

mod alerts;
mod event_time;
mod offsets;
mod traffic;

use alerts::AlertPrinter;
use examples::cluster::ExampleCluster;
use examples::engine::{self, Waited};
use examples::fraud::{ALERTS_TOPIC, Injection, Rule, TRANSACTIONS_TOPIC, fraud_topology};
use examples::restore_progress::RestoreProgress;
use examples::state_dir::StateDir;
use offsets::Offsets;
use rdkafka::ClientConfig;
use rdkafka::consumer::BaseConsumer;
use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use streams_dsl::prelude::*;

type BoxError = Box<dyn Error + Send + Sync>;

const APPLICATION_ID: &str = "rstreams-fraud-detection";
const PARTITIONS: i32 = 4;
const TIMEOUT: Duration = Duration::from_secs(120);
const CLOSE_TIMEOUT: Duration = Duration::from_secs(30);
const RULES: [Rule; 4] = [
    Rule::BurstOfSmallCharges,
    Rule::AmountSpike,
    Rule::ImpossibleTravel,
    Rule::LargeForeignCharge,
];

struct Options {
    bootstrap_servers: Option<String>,
    schema_registry_url: Option<String>,
    transactions: usize,
    cards: u64,
    seed: u64,
    threads: u64,
    state_dir: Option<PathBuf>,
    keep_running: bool,
}

const USAGE: &str = "usage: fraud-detection [--bootstrap-servers host:port] [--schema-registry-url URL] [--transactions N] [--cards N] [--seed N] [--threads N] [--state-dir DIR] [--keep-running]";

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        bootstrap_servers: None,
        schema_registry_url: None,
        transactions: 50_000,
        cards: 2_000,
        seed: 42,
        threads: 2,
        state_dir: None,
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
            "--schema-registry-url" => {
                options.schema_registry_url = Some(value("--schema-registry-url")?);
            }
            "--transactions" => {
                options.transactions = number(&flag, value(&flag)?)? as usize;
            }
            "--cards" => options.cards = number(&flag, value(&flag)?)?,
            "--seed" => options.seed = number(&flag, value(&flag)?)?,
            "--threads" => options.threads = number(&flag, value(&flag)?)?.max(1),
            "--state-dir" => options.state_dir = Some(value(&flag)?.into()),
            "--keep-running" => options.keep_running = true,
            other => return Err(format!("unknown argument '{other}'; {USAGE}")),
        }
    }
    Ok(options)
}

fn run(options: Options, stop: Arc<AtomicBool>) -> Result<(), BoxError> {
    let cluster = ExampleCluster::connect(options.bootstrap_servers.clone())?
        .with_schema_registry(options.schema_registry_url.clone())?;
    let bootstrap_servers = cluster.bootstrap_servers().to_string();
    println!("fraud-detection on {bootstrap_servers}");
    match cluster.schema_registry_url() {
        Some(url) => println!("schema registry at {url}"),
        None => println!("no schema registry (give --schema-registry-url to use one)"),
    }
    cluster.create_topics(&[TRANSACTIONS_TOPIC, ALERTS_TOPIC], PARTITIONS)?;
    let topology = fraud_topology(TRANSACTIONS_TOPIC, ALERTS_TOPIC)?;
    println!("{}", topology.describe());
    let state_dir = StateDir::new("fraud-detection", options.state_dir.clone())?;
    println!("state directory: {}", state_dir.path().display());
    let config = StreamsConfig::builder()
        .set("application.id", APPLICATION_ID)
        .set("bootstrap.servers", &bootstrap_servers)
        .set("state.dir", state_dir.path().display().to_string())
        .set("num.stream.threads", options.threads.to_string())
        .set("commit.interval.ms", "200")
        .build()?;
    let mut streams = KafkaStreams::new(topology, config)?;
    streams.set_global_state_restore_listener(RestoreProgress::on_stderr())?;
    streams.set_state_listener(|new, old| println!("state: {old:?} -> {new:?}"));
    streams.start()?;
    match engine::wait_until_running(&streams, &stop, TIMEOUT) {
        Ok(Waited::Done) => {}
        Ok(Waited::Stopped) => {
            println!("signal received during start-up: closing");
            engine::close(&mut streams, CLOSE_TIMEOUT)?;
            println!("closed cleanly: true");
            if cluster.is_embedded() {
                streams.cleanup()?;
            }
            cluster.shutdown();
            return Ok(());
        }
        Err(error) => {
            // Closing first, so the error names what stopped the engine.
            engine::close(&mut streams, CLOSE_TIMEOUT)?;
            return Err(error.into());
        }
    }

    let group: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap_servers)
        .set("group.id", APPLICATION_ID)
        .set("enable.auto.commit", "false")
        .create()?;
    let input_start = Offsets::end_of(&group, TRANSACTIONS_TOPIC)?;
    let mut alerts = AlertPrinter::new(&bootstrap_servers)?;
    let started = Instant::now();
    let mut producer = Some(traffic::start_producer(
        &bootstrap_servers,
        &options,
        stop.clone(),
    )?);
    let mut produced = None;
    let mut input_end = None;
    let mut last_check = Instant::now();
    let outcome = loop {
        alerts.poll(Duration::from_millis(100))?;
        if stop.load(Ordering::SeqCst) {
            println!("signal received: closing");
            break "interrupted";
        }
        engine::ensure_alive(&streams)?;
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
    let closed = engine::close(&mut streams, CLOSE_TIMEOUT);
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
    println!("  closed cleanly: {}", closed.is_ok());
    closed?;
    // The clients go before the broker they talk to.
    drop(alerts);
    drop(group);
    if cluster.is_embedded() {
        streams.cleanup()?;
    }
    cluster.shutdown();
    Ok(())
}

fn main() -> ExitCode {
    examples::app_main::app_main("fraud-detection", parse_options, |options, stop| {
        run(options, stop).map(|()| ExitCode::SUCCESS)
    })
}
