//! eos-smoke: the system test application of the exactly-once tests (see
//! [`examples::eos_smoke`]). It runs the fixed topology against existing
//! topics until SIGTERM or SIGINT, then closes cleanly and exits 0; under
//! SIGKILL it leaves whatever a crash leaves.
//!
//! Usage: `eos-smoke --bootstrap-servers host:port --application-id ID
//! --state-dir DIR [--guarantee at_least_once|exactly_once_v2]`
//!
//! What it prints on stdout, one line each, for the harness that runs it:
//! - `state: OLD -> NEW` on every state change;
//! - `eos-smoke: running restored_records=N records_to_restore=M ...` each time
//!   the instance reaches Running (restoration done), with the restoration
//!   counters since the process started;
//! - `eos-smoke: closed cleanly ...` after a signal, before exiting 0.
//!
//! A stream engine that fails ends the process with exit code 1 and the error.

use examples::cluster::ExampleCluster;
use examples::engine::{self, EngineError, Waited};
use examples::eos_smoke::{DATA_TOPIC, OUTPUT_TOPICS, eos_smoke_topology};
use std::error::Error;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use streams_dsl::prelude::*;

const USAGE: &str = "usage: eos-smoke --bootstrap-servers host:port --application-id ID --state-dir DIR [--guarantee at_least_once|exactly_once_v2]";
/// Commits are a second apart, so a kill usually lands between two commits
/// (with exactly-once: inside an open transaction).
const COMMIT_INTERVAL_MS: &str = "1000";
/// How long a state is watched before the stop flag is looked at again.
const WATCH: Duration = Duration::from_millis(100);
const CLOSE_TIMEOUT: Duration = Duration::from_secs(60);

struct Options {
    bootstrap_servers: String,
    application_id: String,
    state_dir: String,
    /// Passed to `processing.guarantee` as given: the config judges it.
    guarantee: String,
}

fn parse_options() -> Result<Options, String> {
    let mut bootstrap_servers = None;
    let mut application_id = None;
    let mut state_dir = None;
    let mut guarantee = "at_least_once".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value; {USAGE}"))
        };
        match flag.as_str() {
            "--bootstrap-servers" => bootstrap_servers = Some(value()?),
            "--application-id" => application_id = Some(value()?),
            "--state-dir" => state_dir = Some(value()?),
            "--guarantee" => guarantee = value()?,
            other => return Err(format!("unknown argument '{other}'; {USAGE}")),
        }
    }
    let required = |value: Option<String>, flag: &str| {
        value.ok_or_else(|| format!("{flag} is required; {USAGE}"))
    };
    Ok(Options {
        bootstrap_servers: required(bootstrap_servers, "--bootstrap-servers")?,
        application_id: required(application_id, "--application-id")?,
        state_dir: required(state_dir, "--state-dir")?,
        guarantee,
    })
}

fn run(options: Options, stop: &AtomicBool) -> Result<(), Box<dyn Error>> {
    let cluster = ExampleCluster::connect(Some(options.bootstrap_servers.clone()))?;
    let mut wanted = vec![DATA_TOPIC];
    wanted.extend(OUTPUT_TOPICS);
    let missing = cluster.missing_topics(&wanted)?;
    if !missing.is_empty() {
        return Err(format!(
            "the topics {} do not exist: eos-smoke uses existing topics; create them first",
            missing.join(", ")
        )
        .into());
    }
    let config = StreamsConfig::builder()
        .set("application.id", &options.application_id)
        .set("bootstrap.servers", &options.bootstrap_servers)
        .set("state.dir", &options.state_dir)
        .set("processing.guarantee", &options.guarantee)
        .set("num.stream.threads", "1")
        .set("commit.interval.ms", COMMIT_INTERVAL_MS)
        .set("statestore.cache.max.bytes", "0")
        .build()?;
    let mut streams = KafkaStreams::new(eos_smoke_topology()?, config)?;
    streams.set_state_listener(|new, old| println!("state: {old:?} -> {new:?}"));
    streams.start()?;
    let outcome = watch(&streams, stop);
    if outcome.is_ok() {
        println!("eos-smoke: signal received, closing");
    }
    // Closing reports a failed engine too, so its error is what the process says.
    let closed = engine::close(&mut streams, CLOSE_TIMEOUT);
    outcome?;
    closed?;
    let metrics = streams.metrics();
    println!(
        "eos-smoke: closed cleanly processed_records={} commits={}",
        metrics.tasks.processed_records, metrics.commits
    );
    Ok(())
}

/// Runs until `stop` is set, printing the restoration counters each time the
/// instance reaches Running; fails when the engine stops by itself.
fn watch(streams: &KafkaStreams, stop: &AtomicBool) -> Result<(), EngineError> {
    while engine::wait_until_running(streams, stop, Duration::MAX)? == Waited::Done {
        let metrics = streams.metrics();
        println!(
            "eos-smoke: running restored_records={} records_to_restore={} processed_records={} commits={}",
            metrics.restored_records,
            metrics.records_to_restore,
            metrics.tasks.processed_records,
            metrics.commits
        );
        while !stop.load(Ordering::SeqCst) {
            engine::ensure_alive(streams)?;
            let (state, _) = streams.wait_for_state(WATCH, |s| s != StreamsState::Running);
            if state != StreamsState::Running {
                break;
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    examples::app_main::app_main("eos-smoke", parse_options, |options, stop| {
        run(options, &stop).map(|()| ExitCode::SUCCESS)
    })
}
