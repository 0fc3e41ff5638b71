//! The example binaries under faults, each against an in-process broker: a
//! failed stream engine (a poison pill in the input) ends the process with
//! exit code 1 and the engine's error; SIGTERM during start-up closes it
//! cleanly with exit code 0; and several instances on one host each keep
//! their state in a directory of their own, removed when they exit.

#[path = "support/process.rs"]
mod process;

use embedded_kafka::group::GroupConfig;
use embedded_kafka::{BrokerConfig, EmbeddedKafka};
use process::Process;
use rdkafka::ClientConfig;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(180);

/// An example binary and the input topic a poison pill goes to.
struct Example {
    name: &'static str,
    binary: &'static str,
    input_topic: &'static str,
    partitions: i32,
    /// Arguments that keep its bounded demo small.
    small: &'static [&'static str],
}

const WORD_COUNT: Example = Example {
    name: "word-count",
    binary: env!("CARGO_BIN_EXE_word-count"),
    input_topic: "word-count-input",
    partitions: 3,
    small: &["--lines", "200"],
};

const READ_MODEL: Example = Example {
    name: "read-model",
    binary: env!("CARGO_BIN_EXE_read-model"),
    input_topic: examples::read_model::ORDERS_TOPIC,
    partitions: 3,
    small: &["--orders", "6"],
};

const FRAUD_DETECTION: Example = Example {
    name: "fraud-detection",
    binary: env!("CARGO_BIN_EXE_fraud-detection"),
    input_topic: examples::fraud::TRANSACTIONS_TOPIC,
    partitions: 4,
    small: &["--transactions", "500", "--cards", "50"],
};

impl Example {
    /// Runs it against `bootstrap_servers` with `args`, its output logged to `log`.
    fn spawn(&self, bootstrap_servers: &str, args: &[&str], log: &Path) -> Process {
        let mut command = Command::new(self.binary);
        command
            .args(["--bootstrap-servers", bootstrap_servers])
            .args(args)
            .env("RUST_LOG", "error");
        Process::spawn(self.name, command, log)
    }
}

/// Whether `process` printed a line containing `wanted`.
fn printed(process: &Process, wanted: &str) -> bool {
    !process
        .lines_matching(|line| line.contains(wanted))
        .is_empty()
}

/// Writes one record whose value no serde of the examples reads (not UTF-8,
/// not JSON) to partition 0 of `topic`.
fn write_poison_pill(broker: &EmbeddedKafka, topic: &str, partitions: i32) {
    broker.create_topic(topic, partitions, &[]).unwrap();
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap_servers())
        .create()
        .unwrap();
    producer
        .send(
            BaseRecord::to(topic)
                .partition(0)
                .key("poison")
                .payload(&[0xff, 0xfe, 0x00][..]),
        )
        .map_err(|(error, _)| error)
        .unwrap();
    producer.flush(WAIT).unwrap();
}

fn a_failed_engine_ends_the_example_with_exit_code_1_and_the_error(example: &Example) {
    let broker = EmbeddedKafka::start_blocking(BrokerConfig::default()).unwrap();
    write_poison_pill(&broker, example.input_topic, example.partitions);
    let logs = tempfile::tempdir().unwrap();
    let mut process = example.spawn(
        &broker.bootstrap_servers(),
        example.small,
        &logs.path().join("example.log"),
    );
    let status = process.wait_for_exit(WAIT).unwrap();
    let output = process.tail(200);
    assert_eq!(
        status.code(),
        Some(1),
        "{}: {status}\n{output}",
        example.name
    );
    for wanted in [
        &format!("{} failed: the stream engine stopped", example.name),
        "failed to deserialize the value of the record at topic",
    ] {
        assert!(
            printed(&process, wanted),
            "{}: no '{wanted}' in\n{output}",
            example.name
        );
    }
    assert!(
        !printed(&process, "closed cleanly: true"),
        "{}: {output}",
        example.name
    );
}

#[test]
fn a_poison_pill_ends_word_count_with_exit_code_1_and_the_error() {
    a_failed_engine_ends_the_example_with_exit_code_1_and_the_error(&WORD_COUNT);
}

#[test]
fn a_poison_pill_ends_read_model_with_exit_code_1_and_the_error() {
    a_failed_engine_ends_the_example_with_exit_code_1_and_the_error(&READ_MODEL);
}

#[test]
fn a_poison_pill_ends_fraud_detection_with_exit_code_1_and_the_error() {
    a_failed_engine_ends_the_example_with_exit_code_1_and_the_error(&FRAUD_DETECTION);
}

#[cfg(unix)]
fn sigterm_during_start_up_closes_the_example_cleanly(example: &Example) {
    // The group's first rebalance waits a minute: the application stays in
    // start-up (Rebalancing) until then.
    let broker = EmbeddedKafka::start_blocking(BrokerConfig {
        groups: GroupConfig {
            initial_rebalance_delay: Duration::from_secs(60),
            ..GroupConfig::default()
        },
        ..BrokerConfig::default()
    })
    .unwrap();
    let logs = tempfile::tempdir().unwrap();
    let mut process = example.spawn(
        &broker.bootstrap_servers(),
        example.small,
        &logs.path().join("example.log"),
    );
    process
        .wait_for_line(|line| line.contains("state: Created -> Rebalancing"), WAIT)
        .unwrap();
    let status = process.terminate(WAIT).unwrap();
    let output = process.tail(200);
    assert!(status.success(), "{}: {status}\n{output}", example.name);
    for wanted in [
        "signal received during start-up: closing",
        "Rebalancing -> PendingShutdown",
        "PendingShutdown -> NotRunning",
        "closed cleanly: true",
    ] {
        assert!(
            printed(&process, wanted),
            "{}: no '{wanted}' in\n{output}",
            example.name
        );
    }
    assert!(
        !printed(&process, "-> Running"),
        "{}: {output}",
        example.name
    );
}

#[cfg(unix)]
#[test]
fn sigterm_during_start_up_closes_word_count_cleanly() {
    sigterm_during_start_up_closes_the_example_cleanly(&WORD_COUNT);
}

#[cfg(unix)]
#[test]
fn sigterm_during_start_up_closes_read_model_cleanly() {
    sigterm_during_start_up_closes_the_example_cleanly(&READ_MODEL);
}

#[cfg(unix)]
#[test]
fn sigterm_during_start_up_closes_fraud_detection_cleanly() {
    sigterm_during_start_up_closes_the_example_cleanly(&FRAUD_DETECTION);
}

/// The state directory an example printed.
fn state_directory(process: &mut Process) -> String {
    let line = process
        .wait_for_line(|line| line.starts_with("state directory: "), WAIT)
        .unwrap();
    line.trim_start_matches("state directory: ").to_string()
}

#[cfg(unix)]
#[test]
fn two_instances_on_one_host_keep_their_state_apart_and_remove_it_on_exit() {
    let broker = EmbeddedKafka::start_blocking(BrokerConfig::default()).unwrap();
    let logs = tempfile::tempdir().unwrap();
    let mut instances: Vec<Process> = (0..2)
        .map(|n| {
            WORD_COUNT.spawn(
                &broker.bootstrap_servers(),
                &["--lines", "200", "--keep-running"],
                &logs.path().join(format!("instance-{n}.log")),
            )
        })
        .collect();
    let dirs: Vec<String> = instances.iter_mut().map(state_directory).collect();
    assert_ne!(dirs[0], dirs[1], "two instances share a state directory");
    for instance in &mut instances {
        instance
            .wait_for_line(|line| line.contains("writing about 1000 lines/s"), WAIT)
            .unwrap();
        assert!(Path::new(&state_directory(instance)).is_dir());
    }
    // Both work side by side: neither failed on the other's state.
    for instance in &mut instances {
        instance.check_running().unwrap();
    }
    for (instance, dir) in instances.iter_mut().zip(&dirs) {
        let status = instance.terminate(WAIT).unwrap();
        let output = instance.tail(200);
        assert!(status.success(), "{status}\n{output}");
        assert!(printed(instance, "closed cleanly: true"), "{output}");
        assert!(!Path::new(dir).exists(), "{dir} is left behind");
    }
}
