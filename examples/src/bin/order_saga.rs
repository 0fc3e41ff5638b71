//! The order-management saga on a broker: orders (Avro, two schema versions,
//! each with a `correlation-id` header) go through an inventory service, a
//! payment service and a saga coordinator that completes each order or
//! compensates it; the read model answers queries. At the end it checks the
//! invariants from the committed output (every order ended exactly once,
//! stock never negative and equal to the initial stock minus the completed
//! orders' units, no unit reserved twice, correlation ids everywhere).
//!
//! Usage: `order-saga [--bootstrap-servers host:port] [--schema-registry-url URL]
//! [--orders N] [--seed N] [--stock N] [--rate N] [--timeout-ms N] [--guarantee G]
//! [--only produce|process] [--state-dir DIR]`
//!
//! Without `--bootstrap-servers` it starts an in-process embedded-kafka broker
//! and schema registry. By default it writes the orders (`--rate` orders/s, 0:
//! at once) while the application runs, waits until every order has ended,
//! prints the flow of a few orders, queries the read model, prints a summary and
//! exits 0, or 1 naming the invariants that failed. `--only produce` only
//! writes the orders; `--only process` only runs the application until the
//! orders of `--orders N` have ended (a crashed run restarted on the same
//! `--state-dir` carries on). `--guarantee` is `processing.guarantee`
//! (default `exactly_once_v2`); `--timeout-ms` how long a saga may take;
//! `--stock` the units each of the 6 skus starts with.

use examples::cluster::ExampleCluster;
use examples::engine::{self, Waited};
use examples::order_saga::{
    Catalog, EXAMPLE_UNITS, GeneratedOrder, ORDER_STATUS_STORE, ORDERS_SUBJECT, Observed,
    OrderStatus, Outcome, SAGA_TOPICS, STOCK_LEVELS_STORE, SagaEvent, SagaReader, SagaTiming,
    Verdict, generate_orders, order_saga_topology, produce_orders, verify,
};
use examples::restore_progress::RestoreProgress;
use examples::state_dir::StateDir;
use std::collections::BTreeMap;
use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use streams_dsl::prelude::*;
use streams_schema_registry::{HttpSchemaRegistryClient, SchemaRegistryClient};

type BoxError = Box<dyn Error + Send + Sync>;

const APPLICATION_ID: &str = "rstreams-order-saga";
const PARTITIONS: i32 = 3;
const START_TIMEOUT: Duration = Duration::from_secs(120);
const CLOSE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the orders may take to end once the last one is written.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(180);
const PROGRESS_EVERY: Duration = Duration::from_secs(1);
const USAGE: &str = "usage: order-saga [--bootstrap-servers host:port] [--schema-registry-url URL] [--orders N] [--seed N] [--stock N] [--rate N] [--timeout-ms N] [--guarantee G] [--only produce|process] [--state-dir DIR]";

/// Which part of the example runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Write the orders and run the application.
    All,
    /// Only write the orders.
    Produce,
    /// Only run the application.
    Process,
}

struct Options {
    bootstrap_servers: Option<String>,
    schema_registry_url: Option<String>,
    orders: usize,
    seed: u64,
    stock: i64,
    rate: u32,
    timeout: Duration,
    guarantee: String,
    role: Role,
    state_dir: Option<PathBuf>,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        bootstrap_servers: None,
        schema_registry_url: None,
        orders: 40,
        seed: 7,
        stock: EXAMPLE_UNITS,
        rate: 0,
        timeout: SagaTiming::default().timeout,
        guarantee: "exactly_once_v2".to_string(),
        role: Role::All,
        state_dir: None,
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
            "--bootstrap-servers" => options.bootstrap_servers = Some(value(&flag)?),
            "--schema-registry-url" => options.schema_registry_url = Some(value(&flag)?),
            "--orders" => options.orders = number(&flag, value(&flag)?)? as usize,
            "--seed" => options.seed = number(&flag, value(&flag)?)?,
            "--stock" => {
                options.stock = i64::try_from(number(&flag, value(&flag)?)?)
                    .map_err(|e| format!("--stock: {e}"))?;
            }
            "--rate" => {
                options.rate = u32::try_from(number(&flag, value(&flag)?)?)
                    .map_err(|e| format!("--rate: {e}"))?;
            }
            "--timeout-ms" => {
                options.timeout = Duration::from_millis(number(&flag, value(&flag)?)?);
            }
            "--guarantee" => options.guarantee = value(&flag)?,
            "--only" => {
                options.role = match value(&flag)?.as_str() {
                    "produce" => Role::Produce,
                    "process" => Role::Process,
                    other => return Err(format!("--only: '{other}' is not produce or process")),
                };
            }
            "--state-dir" => options.state_dir = Some(value(&flag)?.into()),
            other => return Err(format!("unknown argument '{other}'; {USAGE}")),
        }
    }
    if options.orders == 0 {
        return Err("--orders must be at least 1".into());
    }
    Ok(options)
}

fn run(options: Options, stop: &AtomicBool) -> Result<bool, BoxError> {
    let cluster = ExampleCluster::connect(options.bootstrap_servers.clone())?
        .with_schema_registry(options.schema_registry_url.clone())?;
    let Some(registry_url) = cluster.schema_registry_url().map(str::to_string) else {
        return Err("the saga's events are Avro: give --schema-registry-url".into());
    };
    println!(
        "order-saga on {} with the schema registry at {registry_url}",
        cluster.bootstrap_servers()
    );
    let registry: Arc<dyn SchemaRegistryClient> =
        Arc::new(HttpSchemaRegistryClient::new(&registry_url));
    cluster.create_topics(&SAGA_TOPICS, PARTITIONS)?;
    let catalog = Catalog::example(options.stock);
    let orders = generate_orders(options.orders, options.seed, &catalog);
    let app = App {
        options: &options,
        bootstrap_servers: cluster.bootstrap_servers(),
        embedded: cluster.is_embedded(),
        registry_url: &registry_url,
        registry: &registry,
        catalog: &catalog,
        orders: &orders,
    };
    let held = match options.role {
        Role::Produce => app.produce(stop).map(|()| true),
        Role::All | Role::Process => app.process(stop),
    };
    cluster.shutdown();
    held
}

/// Everything a run shares.
struct App<'a> {
    options: &'a Options,
    bootstrap_servers: &'a str,
    /// Whether the cluster is the embedded one of this run (its state is removed).
    embedded: bool,
    registry_url: &'a str,
    registry: &'a Arc<dyn SchemaRegistryClient>,
    catalog: &'a Catalog,
    orders: &'a [GeneratedOrder],
}

impl App<'_> {
    fn produce(&self, stop: &AtomicBool) -> Result<(), BoxError> {
        let produced = produce_orders(
            self.bootstrap_servers,
            self.registry_url,
            self.registry,
            self.orders,
            self.options.rate,
            stop,
        )?;
        println!(
            "wrote {} orders (OrderCreated v1 and v2); subject {ORDERS_SUBJECT} (compatibility BACKWARD) has versions {:?}",
            produced.orders, produced.versions
        );
        Ok(())
    }

    /// Runs the application until every order ended; returns whether the
    /// invariants hold.
    fn process(&self, stop: &AtomicBool) -> Result<bool, BoxError> {
        let state_dir = StateDir::new("order-saga", self.options.state_dir.clone())?;
        println!(
            "processing.guarantee={}, state directory {}",
            self.options.guarantee,
            state_dir.path().display()
        );
        let config = StreamsConfig::builder()
            .set("application.id", APPLICATION_ID)
            .set("bootstrap.servers", self.bootstrap_servers)
            .set("state.dir", state_dir.path().display().to_string())
            // commit.interval.ms as in Kafka Streams: 100 ms under
            // exactly-once, 30 s under at-least-once.
            .set("processing.guarantee", &self.options.guarantee)
            .set("producer.linger.ms", "5")
            .build()?;
        let timing = SagaTiming {
            timeout: self.options.timeout,
            ..SagaTiming::default()
        };
        let topology = order_saga_topology(self.registry.clone(), self.catalog.clone(), timing)?;
        let mut streams = KafkaStreams::new(topology, config)?;
        streams.set_global_state_restore_listener(RestoreProgress::on_stderr())?;
        streams.start()?;
        let result = match engine::wait_until_running(&streams, stop, START_TIMEOUT)? {
            Waited::Stopped => {
                println!("signal received during start-up: closing");
                Ok(None)
            }
            Waited::Done => {
                println!("application running");
                self.run_orders(&streams, stop)
            }
        };
        let closed = engine::close(&mut streams, CLOSE_TIMEOUT);
        let verdict = result?;
        closed?;
        if self.embedded {
            streams.cleanup()?;
        }
        Ok(verdict.is_none_or(|held| held))
    }

    /// Writes the orders (role All) while watching them end, then reports.
    /// `None` when a signal cut it short.
    fn run_orders(
        &self,
        streams: &KafkaStreams,
        stop: &AtomicBool,
    ) -> Result<Option<bool>, BoxError> {
        let producer_stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            // The watcher returns on a signal too, and then stops the producer.
            let producer = (self.options.role == Role::All)
                .then(|| scope.spawn(|| self.produce(&producer_stop)));
            let watched = self.watch(streams, stop);
            producer_stop.store(true, Ordering::SeqCst);
            if let Some(producer) = producer {
                producer
                    .join()
                    .map_err(|_| -> BoxError { "the order producer panicked".into() })??;
            }
            let Some((verdict, events)) = watched? else {
                println!("signal received: closing");
                return Ok(None);
            };
            Ok(Some(self.report(streams, &verdict, &events)?))
        })
    }

    /// Reads the saga's output until every order ended.
    fn watch(
        &self,
        streams: &KafkaStreams,
        stop: &AtomicBool,
    ) -> Result<Option<(Verdict, Vec<Observed>)>, BoxError> {
        let mut reader = SagaReader::new(self.bootstrap_servers, self.registry, PARTITIONS)?;
        let wanted = self.orders.len();
        let started = Instant::now();
        let mut last_progress = Instant::now();
        let mut last_change = Instant::now();
        loop {
            if stop.load(Ordering::SeqCst) {
                return Ok(None);
            }
            engine::ensure_alive(streams)?;
            if reader.poll_for(Duration::from_millis(200))? > 0 {
                last_change = Instant::now();
            }
            let verdict = verify(self.catalog, reader.events());
            let ended = verdict.completed + verdict.cancelled_total();
            if verdict.settled() && verdict.orders >= wanted {
                println!(
                    "all {wanted} orders ended in {:.1} s",
                    started.elapsed().as_secs_f64()
                );
                return Ok(Some((verdict, reader.events().to_vec())));
            }
            if last_progress.elapsed() >= PROGRESS_EVERY {
                println!("progress: {ended}/{wanted} orders ended");
                last_progress = Instant::now();
            }
            if last_change.elapsed() > SETTLE_TIMEOUT {
                return Err(format!(
                    "no progress for {SETTLE_TIMEOUT:?}: {ended}/{wanted} orders ended, {} waiting for compensations",
                    verdict.unreleased.len()
                )
                .into());
            }
        }
    }

    /// Prints the flow of some orders, the read model and the summary;
    /// returns whether the invariants hold.
    fn report(
        &self,
        streams: &KafkaStreams,
        verdict: &Verdict,
        events: &[Observed],
    ) -> Result<bool, BoxError> {
        let mut shown: Vec<&str> = Vec::new();
        for wanted in ["Completed", "out of stock", "payment failed", "timed out"] {
            let example = events.iter().find_map(|observed| match &observed.event {
                SagaEvent::Outcome(outcome)
                    if format!("{:?}", outcome.outcome) == wanted
                        || outcome
                            .reason
                            .as_deref()
                            .is_some_and(|r| r.contains(wanted)) =>
                {
                    Some(observed.order_id.as_str())
                }
                _ => None,
            });
            if let Some(order_id) = example.filter(|id| !shown.contains(id)) {
                shown.push(order_id);
            }
        }
        for order_id in &shown {
            print_flow(order_id, events);
            let status = streams.query_key_value::<String, OrderStatus>(
                ORDER_STATUS_STORE,
                &order_id.to_string(),
            )?;
            println!("  query {ORDER_STATUS_STORE}/{order_id} -> {status:?}");
        }

        let mut problems = verdict.problems.clone();
        let stored: BTreeMap<String, i64> = streams
            .query_key_value_all::<String, i64>(STOCK_LEVELS_STORE)?
            .into_iter()
            .collect();
        for (sku, initial) in self.catalog.skus() {
            let in_store = stored.get(sku).copied().unwrap_or(initial);
            let from_events = verdict.final_stock.get(sku).copied().unwrap_or(initial);
            if in_store != from_events {
                problems.push(format!(
                    "{sku}: the inventory's store holds {in_store}, its events say {from_events}"
                ));
            }
        }
        let completed_units: i64 = self
            .orders
            .iter()
            .filter(|generated| {
                events.iter().any(|observed| {
                    observed.order_id == generated.order.order_id
                        && matches!(&observed.event, SagaEvent::Outcome(o) if o.outcome == Outcome::Completed)
                })
            })
            .flat_map(|generated| generated.order.items.iter())
            .map(|item| i64::from(item.quantity))
            .sum();
        println!(
            "summary: {} orders: {} completed, {} compensated {:?}",
            verdict.orders,
            verdict.completed,
            verdict.cancelled_total(),
            verdict.cancelled
        );
        println!(
            "stock: initial {} units, completed orders took {completed_units}, final {:?} (never negative: {})",
            self.catalog.skus().map(|(_, units)| units).sum::<i64>(),
            verdict.final_stock,
            !problems.iter().any(|p| p.contains("negative")),
        );
        if problems.is_empty() {
            println!(
                "invariants hold: every order ended exactly once, stock consistent, correlation ids on every event"
            );
        } else {
            for problem in &problems {
                eprintln!("invariant violated: {problem}");
            }
        }
        Ok(problems.is_empty())
    }
}

/// Prints the events of one order, in the order they were read.
fn print_flow(order_id: &str, events: &[Observed]) {
    let correlation = events
        .iter()
        .find(|o| o.order_id == order_id)
        .and_then(|o| o.correlation_id.clone())
        .unwrap_or_default();
    println!("{order_id} (correlation-id {correlation}):");
    for observed in events.iter().filter(|o| o.order_id == order_id) {
        println!(
            "  [{}] {}",
            observed
                .correlation_id
                .as_deref()
                .unwrap_or("no correlation id"),
            observed.event.describe()
        );
    }
}

fn main() -> ExitCode {
    examples::app_main::app_main("order-saga", parse_options, |options, stop| {
        run(options, &stop).map(|held| {
            if held {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        })
    })
}
