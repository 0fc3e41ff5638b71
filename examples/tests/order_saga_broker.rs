//! The order-saga binary on a broker under exactly-once, killed mid-run: the
//! application runs as a process (`--only process`) while another process
//! writes the orders at a fixed rate (`--only produce`); the application is
//! SIGKILLed once some orders have ended and restarted on the same state
//! directory and broker. Afterwards the committed output (read_committed)
//! must show every order completed or compensated exactly once, no unit
//! reserved twice, stock never negative and equal to the initial stock minus
//! the completed orders' units, and the correlation id on every event.

#[path = "support/process.rs"]
#[allow(dead_code)] // the shared helper; this test needs only part of it
mod process;

use embedded_kafka::{BrokerConfig, EmbeddedKafka};
use examples::order_saga::{Catalog, SagaReader, verify};
use process::Process;
use schema_registry::{SchemaRegistry, SchemaRegistryConfig};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use streams_schema_registry::{HttpSchemaRegistryClient, SchemaRegistryClient};

const ORDERS: usize = 240;
/// Units per sku: about what the orders ask for, so most reservations succeed.
const STOCK: i64 = 150;
const WAIT: Duration = Duration::from_secs(300);

fn spawn(name: &str, common: &[String], extra: &[&str], log: &Path) -> Process {
    let mut command = Command::new(env!("CARGO_BIN_EXE_order-saga"));
    command.args(common).args(extra).env("RUST_LOG", "error");
    Process::spawn(name, command, log)
}

/// How many orders the application's last progress line says have ended.
fn ended(line: &str) -> Option<usize> {
    line.strip_prefix("progress: ")?
        .split('/')
        .next()?
        .parse()
        .ok()
}

#[test]
fn every_order_ends_exactly_once_through_a_kill_9_under_exactly_once() {
    let broker = EmbeddedKafka::start_blocking(BrokerConfig::default()).unwrap();
    let registry =
        SchemaRegistry::start(SchemaRegistryConfig::new(broker.bootstrap_servers())).unwrap();
    let work = tempfile::tempdir().unwrap();
    let log = work.path().join("order-saga.log");
    let state_dir = work.path().join("state");
    let common: Vec<String> = [
        "--bootstrap-servers",
        &broker.bootstrap_servers(),
        "--schema-registry-url",
        registry.url(),
        "--orders",
        &ORDERS.to_string(),
        "--timeout-ms",
        "10000",
        "--stock",
        &STOCK.to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let app_args = [
        "--only",
        "process",
        "--guarantee",
        "exactly_once_v2",
        "--state-dir",
        state_dir.to_str().unwrap(),
    ];

    let mut app = spawn("order-saga (first run)", &common, &app_args, &log);
    app.wait_for_line(|l| l.contains("application running"), WAIT)
        .unwrap();
    let mut producer = spawn(
        "order-saga producer",
        &common,
        &["--only", "produce", "--rate", "40"],
        &log,
    );
    let progressed = app
        .wait_for_line(|l| ended(l).is_some_and(|n| n >= ORDERS / 4), WAIT)
        .unwrap();
    app.kill();
    let ended_at_kill = ended(&progressed).unwrap();
    assert!(
        ended_at_kill < ORDERS,
        "the kill landed after the run: {progressed}"
    );

    let mut restarted = spawn("order-saga (restarted)", &common, &app_args, &log);
    let status = restarted.wait_for_exit(WAIT).unwrap();
    assert!(
        status.success(),
        "the restarted application failed ({status}):\n{}",
        restarted.tail(40)
    );
    assert!(
        !restarted
            .lines_matching(|l| l.starts_with("invariants hold"))
            .is_empty(),
        "{}",
        restarted.tail(40)
    );
    for line in restarted.lines_matching(|l| l.starts_with("summary:") || l.starts_with("stock:")) {
        eprintln!("after a kill -9 at '{progressed}': {line}");
    }
    let produced = producer.wait_for_exit(WAIT).unwrap();
    assert!(produced.success(), "{}", producer.tail(20));
    assert!(
        !producer
            .lines_matching(|l| l.contains("has versions [1, 2]"))
            .is_empty(),
        "v2 registered after v1 under BACKWARD: {}",
        producer.tail(5)
    );

    // The test's own reading of the committed output, independent of the binary's.
    let client: Arc<dyn SchemaRegistryClient> =
        Arc::new(HttpSchemaRegistryClient::new(registry.url()));
    let mut reader = SagaReader::new(&broker.bootstrap_servers(), &client, 3).unwrap();
    let catalog = Catalog::example(STOCK);
    let deadline = Instant::now() + WAIT;
    let verdict = loop {
        reader.poll_for(Duration::from_millis(500)).unwrap();
        let verdict = verify(&catalog, reader.events());
        if (verdict.settled() && verdict.orders == ORDERS) || Instant::now() > deadline {
            break verdict;
        }
    };
    assert!(verdict.holds(), "{verdict:#?}");
    assert_eq!(verdict.orders, ORDERS);
    assert_eq!(verdict.completed + verdict.cancelled_total(), ORDERS);
    assert!(
        verdict.completed > 0 && verdict.cancelled_total() > 0,
        "{verdict:?}"
    );
    drop(reader);
    registry.shutdown();
    broker.shutdown_blocking();
}
