//! The CQRS read model on a broker: order, inventory and payment events are
//! folded into one view per order, which an HTTP endpoint serves from the
//! running application's state store through interactive queries.
//!
//! Usage: `read-model [--bootstrap-servers host:port] [--schema-registry-url URL] [--orders N] [--http host:port] [--state-dir DIR] [--keep-running]`
//!
//! Without `--bootstrap-servers` it starts an in-process embedded-kafka broker.
//! It writes the events of a fixed set of orders in three rounds, prints how
//! the views evolve, queries some orders through the endpoint, prints a summary
//! and exits 0 (1 if a view ends in another status than its events imply).
//! The views are served by the `streams-http` endpoint
//! (`/stores/order-views/keys/{id}`, `/stores/order-views/all`, next to
//! `/metrics`, `/health`, `/ready` and `/topology`). With `--keep-running` it
//! keeps serving. SIGINT or SIGTERM, at any point, close the application
//! cleanly (exit 0); a failed stream engine ends it with exit code 1 and the
//! error. Without `--state-dir` each instance keeps its state in a directory of
//! its own, removed when it exits.

use examples::cluster::ExampleCluster;
use examples::engine::{self, Waited};
use examples::read_model::{
    EventBatch, INVENTORY_TOPIC, ORDER_VIEWS_STORE, ORDER_VIEWS_TOPIC, ORDERS_TOPIC, OrderStatus,
    OrderView, PAYMENTS_TOPIC, generate_events, read_model_topology, serve_order_views,
};
use examples::restore_progress::RestoreProgress;
use examples::state_dir::StateDir;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::error::Error;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use streams_dsl::prelude::*;

const PARTITIONS: i32 = 3;
const TIMEOUT: Duration = Duration::from_secs(120);
const CLOSE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the serving loop watches the state before looking at the stop flag.
const WATCH: Duration = Duration::from_millis(100);
const USAGE: &str = "usage: read-model [--bootstrap-servers host:port] [--schema-registry-url URL] [--orders N] [--http host:port] [--state-dir DIR] [--keep-running]";

struct Options {
    bootstrap_servers: Option<String>,
    schema_registry_url: Option<String>,
    orders: usize,
    http: String,
    state_dir: Option<PathBuf>,
    keep_running: bool,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        bootstrap_servers: None,
        schema_registry_url: None,
        orders: 12,
        http: "127.0.0.1:0".to_string(),
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
            "--orders" => {
                options.orders = args
                    .next()
                    .ok_or("--orders needs a number")?
                    .parse()
                    .map_err(|e| format!("--orders: {e}"))?;
            }
            "--http" => options.http = args.next().ok_or("--http needs host:port")?,
            "--state-dir" => {
                options.state_dir =
                    Some(args.next().ok_or("--state-dir needs a directory")?.into());
            }
            "--keep-running" => options.keep_running = true,
            other => return Err(format!("unknown argument '{other}'; {USAGE}")),
        }
    }
    if options.orders == 0 {
        return Err("--orders must be at least 1".into());
    }
    Ok(options)
}

/// Writes a round's events, keyed by order id, and waits until all are acknowledged.
fn produce(
    producer: &ThreadedProducer<DefaultProducerContext>,
    batch: &EventBatch,
) -> Result<(), Box<dyn Error>> {
    let mut records: Vec<(&str, &str, Vec<u8>)> = Vec::new();
    for order in &batch.orders {
        records.push((ORDERS_TOPIC, &order.order_id, serde_json::to_vec(order)?));
    }
    for event in &batch.stock {
        let (examples::read_model::StockEvent::StockReserved { order_id, .. }
        | examples::read_model::StockEvent::StockReservationFailed { order_id, .. }) = event;
        records.push((INVENTORY_TOPIC, order_id, serde_json::to_vec(event)?));
    }
    for payment in &batch.payments {
        records.push((
            PAYMENTS_TOPIC,
            &payment.order_id,
            serde_json::to_vec(payment)?,
        ));
    }
    for (topic, key, payload) in &records {
        let mut record = BaseRecord::to(topic).key(*key).payload(payload);
        while let Err((_, returned)) = producer.send(record) {
            record = returned;
            producer.poll(Duration::from_millis(10));
        }
    }
    producer.flush(TIMEOUT)?;
    Ok(())
}

/// Reads view updates from the `order-views` topic.
struct ViewReader {
    consumer: BaseConsumer,
    views: BTreeMap<String, OrderView>,
}

impl ViewReader {
    fn new(bootstrap_servers: &str) -> Result<Self, Box<dyn Error>> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap_servers)
            .set("group.id", "read-model-view-reader")
            .set("enable.auto.commit", "false")
            .create()?;
        let mut partitions = TopicPartitionList::new();
        for partition in 0..PARTITIONS {
            partitions.add_partition_offset(ORDER_VIEWS_TOPIC, partition, Offset::Beginning)?;
        }
        consumer.assign(&partitions)?;
        Ok(Self {
            consumer,
            views: BTreeMap::new(),
        })
    }

    /// Reads until every order has folded at least its expected number of
    /// events (a real cluster may hold views of earlier runs); returns the
    /// orders whose view changed, or `None` when a signal came first. Fails
    /// if the engine stops.
    fn read_until(
        &mut self,
        expected_events: &BTreeMap<String, u32>,
        streams: &KafkaStreams,
        stop: &AtomicBool,
    ) -> Result<Option<Vec<String>>, Box<dyn Error>> {
        let started = Instant::now();
        let mut changed = Vec::new();
        while expected_events
            .iter()
            .any(|(id, n)| self.views.get(id).is_none_or(|v| v.events < *n))
        {
            if stop.load(Ordering::SeqCst) {
                return Ok(None);
            }
            engine::ensure_alive(streams)?;
            if started.elapsed() > TIMEOUT {
                return Err(format!("the order views did not arrive within {TIMEOUT:?}").into());
            }
            let Some(message) = self.consumer.poll(Duration::from_millis(100)) else {
                continue;
            };
            let message = message?;
            if let (Some(key), Some(value)) = (message.key(), message.payload()) {
                let id = String::from_utf8_lossy(key).into_owned();
                self.views
                    .insert(id.clone(), serde_json::from_slice(value)?);
                if !changed.contains(&id) {
                    changed.push(id);
                }
            }
        }
        changed.sort();
        Ok(Some(changed))
    }
}

fn print_view(view: &OrderView) {
    let cents = |c: Option<u64>| c.map_or("-".to_string(), |c| format!("{:.2}", c as f64 / 100.0));
    println!(
        "  {:<11} {:<22} customer {:<9} total {:>8}  paid {:>8}  events {}",
        view.order_id,
        format!("{:?}", view.status()),
        view.customer.as_deref().unwrap_or("?"),
        cents(view.total_cents),
        cents(view.paid_cents),
        view.events,
    );
}

fn run(options: Options, stop: &AtomicBool) -> Result<bool, Box<dyn Error>> {
    let cluster = ExampleCluster::connect(options.bootstrap_servers.clone())?
        .with_schema_registry(options.schema_registry_url.clone())?;
    let bootstrap_servers = cluster.bootstrap_servers().to_string();
    println!("read-model on {bootstrap_servers}");
    match cluster.schema_registry_url() {
        Some(url) => println!("schema registry at {url}"),
        None => println!("no schema registry (give --schema-registry-url to use one)"),
    }
    cluster.create_topics(
        &[
            ORDERS_TOPIC,
            INVENTORY_TOPIC,
            PAYMENTS_TOPIC,
            ORDER_VIEWS_TOPIC,
        ],
        PARTITIONS,
    )?;
    let state_dir = StateDir::new("read-model", options.state_dir.clone())?;
    println!("state directory: {}", state_dir.path().display());
    let config = StreamsConfig::builder()
        .set("application.id", "rstreams-read-model")
        .set("bootstrap.servers", &bootstrap_servers)
        .set("state.dir", state_dir.path().display().to_string())
        .set("num.stream.threads", "2")
        .set("commit.interval.ms", "200")
        .build()?;
    let mut streams = KafkaStreams::new(read_model_topology()?, config)?;
    streams.set_global_state_restore_listener(RestoreProgress::on_stderr())?;
    streams.set_state_listener(|new, old| println!("state: {old:?} -> {new:?}"));
    streams.start()?;
    let streams = Arc::new(streams);
    let all_as_expected = serve(&options, &streams, &bootstrap_servers, stop);
    let mut streams = Arc::try_unwrap(streams)
        .map_err(|_| "the HTTP endpoint still holds the application after stopping")?;
    let closed = engine::close(&mut streams, CLOSE_TIMEOUT);
    let all_as_expected = all_as_expected?;
    closed?;
    println!(
        "closed cleanly: true; {} records processed",
        streams.metrics().tasks.processed_records
    );
    if cluster.is_embedded() {
        streams.cleanup()?;
    }
    cluster.shutdown();
    Ok(all_as_expected)
}

/// Once the application runs: the endpoint, the demo, and with
/// `--keep-running` serving until a signal. Returns whether every order ended
/// as expected (true when a signal cut the demo short).
fn serve(
    options: &Options,
    streams: &Arc<KafkaStreams>,
    bootstrap_servers: &str,
    stop: &AtomicBool,
) -> Result<bool, Box<dyn Error>> {
    if engine::wait_until_running(streams, stop, TIMEOUT)? == Waited::Stopped {
        println!("signal received during start-up: closing");
        return Ok(true);
    }
    let endpoint = serve_order_views(streams.clone(), &options.http)?;
    let address = endpoint.address();
    println!(
        "order views served at http://{address}/stores/{ORDER_VIEWS_STORE}/all (metrics at /metrics, topology at /topology?format=mermaid)"
    );
    let (rounds, outcomes) = generate_events(options.orders);
    let result = demo(
        bootstrap_servers,
        address,
        &rounds,
        &outcomes,
        streams,
        stop,
    )
    .and_then(|all_as_expected| {
        if options.keep_running && !stop.load(Ordering::SeqCst) {
            println!("serving until Ctrl-C (SIGINT) or SIGTERM");
            while !stop.load(Ordering::SeqCst) {
                engine::ensure_alive(streams)?;
                streams.wait_for_state(WATCH, |s| !s.is_running_or_rebalancing());
            }
            println!("signal received: closing");
        }
        Ok(all_as_expected)
    });
    endpoint.stop();
    result
}

/// Produces the rounds, prints the views as they evolve, queries the endpoint
/// and prints a summary; returns whether every order ended as expected (true
/// when a signal ends it early).
fn demo(
    bootstrap_servers: &str,
    address: SocketAddr,
    rounds: &[EventBatch],
    outcomes: &[(String, OrderStatus)],
    streams: &KafkaStreams,
    stop: &AtomicBool,
) -> Result<bool, Box<dyn Error>> {
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers)
        .set("partitioner", "murmur2_random")
        .create()?;
    let mut reader = ViewReader::new(bootstrap_servers)?;
    let mut expected_events: BTreeMap<String, u32> = BTreeMap::new();
    let started = Instant::now();
    for (n, round) in rounds.iter().enumerate() {
        let ids = round
            .orders
            .iter()
            .map(|o| o.order_id.clone())
            .chain(round.payments.iter().map(|p| p.order_id.clone()))
            .chain(round.stock.iter().map(|s| match s {
                examples::read_model::StockEvent::StockReserved { order_id, .. }
                | examples::read_model::StockEvent::StockReservationFailed { order_id, .. } => {
                    order_id.clone()
                }
            }));
        for id in ids {
            *expected_events.entry(id).or_insert(0) += 1;
        }
        produce(&producer, round)?;
        let Some(changed) = reader.read_until(&expected_events, streams, stop)? else {
            println!("signal received: closing");
            return Ok(true);
        };
        println!("round {}: {} ({} events)", n + 1, round.label, round.len());
        for id in changed {
            if let Some(view) = reader.views.get(&id) {
                print_view(view);
            }
        }
    }
    let elapsed = started.elapsed();

    println!("queries through http://{address}:");
    let views = format!("/stores/{ORDER_VIEWS_STORE}");
    for (id, _) in outcomes.iter().take(3) {
        let path = format!("{views}/keys/{id}");
        let response = streams_http::get(address, &path)?;
        println!("  GET {path} -> {} {}", response.status, response.body);
    }
    let path = format!("{views}/keys/order-unknown");
    let missing = streams_http::get(address, &path)?;
    println!("  GET {path} -> {} {}", missing.status, missing.body);
    let all = streams_http::get(address, &format!("{views}/all"))?;
    let listed: Vec<serde_json::Value> = serde_json::from_str(&all.body)?;
    println!(
        "  GET {views}/all -> {} ({} orders)",
        all.status,
        listed.len()
    );

    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    let mut unexpected = Vec::new();
    for (id, expected) in outcomes {
        let response = streams_http::get(address, &format!("{views}/keys/{id}"))?;
        let view: serde_json::Value = serde_json::from_str(&response.body)?;
        let status = view["status"].as_str().unwrap_or("?").to_string();
        if status != format!("{expected:?}") {
            unexpected.push(format!("{id}: {status} (expected {expected:?})"));
        }
        *by_status.entry(status).or_insert(0) += 1;
    }
    println!(
        "summary: {} orders, {} events in {:.2} s; statuses {by_status:?}",
        outcomes.len(),
        rounds.iter().map(EventBatch::len).sum::<usize>(),
        elapsed.as_secs_f64()
    );
    for problem in &unexpected {
        eprintln!("unexpected view: {problem}");
    }
    Ok(unexpected.is_empty())
}

fn main() -> ExitCode {
    examples::app_main::app_main("read-model", parse_options, |options, stop| {
        run(options, &stop).map(|all_as_expected| {
            if all_as_expected {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        })
    })
}
