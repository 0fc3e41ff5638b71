//! The order-saga binary on a broker, killed mid-run: the application runs as
//! a process (`--only process`) while another process writes the orders at a
//! fixed rate (`--only produce`); the application is SIGKILLed once some
//! orders have ended and restarted on the same state directory and broker.
//! Under exactly-once the committed output (read_committed) must show every
//! order completed or compensated exactly once, no unit reserved twice, stock
//! never negative and equal to the initial stock minus the completed orders'
//! units, and the correlation id on every event. The same run under
//! at-least-once (Kafka Streams' 30 s commit interval, so the kill lands
//! before any commit) replays what it had done, and the same check finds the
//! reservations made twice.

#[path = "support/process.rs"]
#[allow(dead_code)] // the shared helper; these tests need only part of it
mod process;

use embedded_kafka::{BrokerConfig, EmbeddedKafka};
use examples::order_saga::{Catalog, SagaReader, Verdict, verify};
use process::Process;
use schema_registry::{SchemaRegistry, SchemaRegistryConfig};
use std::path::Path;
use std::process::{Command, ExitStatus};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use streams_schema_registry::{HttpSchemaRegistryClient, SchemaRegistryClient};

const ORDERS: usize = 240;
/// Units per sku: about what the orders ask for, so most reservations succeed.
const STOCK: i64 = 150;
const WAIT: Duration = Duration::from_secs(300);

/// The two runs share the machine's cores one at a time.
static ONE_RUN_AT_A_TIME: Mutex<()> = Mutex::new(());

fn spawn(name: &str, common: &[String], extra: &[&str], log: &Path) -> Process {
    let mut command = Command::new(env!("CARGO_BIN_EXE_order-saga"));
    command.args(common).args(extra).env("RUST_LOG", "error");
    Process::spawn(name, command, log)
}

/// How many orders a progress line says have ended.
fn ended(line: &str) -> Option<usize> {
    line.strip_prefix("progress: ")?
        .split('/')
        .next()?
        .parse()
        .ok()
}

/// What a killed and restarted run left.
struct KilledRun {
    /// The restarted application's exit status.
    status: ExitStatus,
    /// The lines it printed.
    restarted: Process,
    /// The test's own check of the committed output.
    verdict: Verdict,
}

/// Runs the saga under `guarantee`, SIGKILLs the application once a quarter
/// of the orders ended, restarts it on the same state directory, waits for it
/// to exit and checks the output topics.
fn run_with_a_kill(guarantee: &str) -> KilledRun {
    let _one = ONE_RUN_AT_A_TIME
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
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
        guarantee,
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
    assert!(
        ended(&progressed).unwrap() < ORDERS,
        "the kill landed after the run: {progressed}"
    );

    let mut restarted = spawn("order-saga (restarted)", &common, &app_args, &log);
    let status = restarted.wait_for_exit(WAIT).unwrap();
    for line in restarted.lines_matching(|l| l.starts_with("summary:") || l.starts_with("stock:")) {
        eprintln!("{guarantee}, a kill -9 at '{progressed}': {line}");
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
    drop(reader);
    registry.shutdown();
    broker.shutdown_blocking();
    KilledRun {
        status,
        restarted,
        verdict,
    }
}

#[test]
fn every_order_ends_exactly_once_through_a_kill_9_under_exactly_once() {
    let run = run_with_a_kill("exactly_once_v2");
    assert!(
        run.status.success(),
        "the restarted application failed ({}):\n{}",
        run.status,
        run.restarted.tail(40)
    );
    assert!(
        !run.restarted
            .lines_matching(|l| l.starts_with("invariants hold"))
            .is_empty(),
        "{}",
        run.restarted.tail(40)
    );
    let verdict = run.verdict;
    assert!(verdict.holds(), "{verdict:#?}");
    assert_eq!(verdict.orders, ORDERS);
    assert_eq!(verdict.completed + verdict.cancelled_total(), ORDERS);
    assert!(
        verdict.completed > 0 && verdict.cancelled_total() > 0,
        "{verdict:?}"
    );
}

#[test]
fn the_same_kill_under_at_least_once_reserves_units_twice_and_the_check_says_so() {
    let run = run_with_a_kill("at_least_once");
    assert!(
        !run.status.success(),
        "the restarted application should report the violated invariants:\n{}",
        run.restarted.tail(40)
    );
    let twice: Vec<&String> = run
        .verdict
        .problems
        .iter()
        .filter(|p| p.contains(" reserved 2 times for "))
        .collect();
    eprintln!(
        "at_least_once: {} problems, {} reservations made twice, e.g. {:?}",
        run.verdict.problems.len(),
        twice.len(),
        twice.first()
    );
    assert!(!twice.is_empty(), "{:#?}", run.verdict.problems);
}
