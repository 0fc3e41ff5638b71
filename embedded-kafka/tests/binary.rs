//! The broker as a process: `embedded-kafka --listen 127.0.0.1:0 --data-dir DIR`
//! prints its bootstrap address and serves librdkafka clients.

mod common;

use common::*;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::message::Message;
use rdkafka::producer::FutureRecord;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Kills the broker process when the test ends, pass or fail.
struct BrokerProcess(Child);

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_binary_serves_clients_on_the_address_it_prints() {
    let data_dir = tempfile::tempdir().expect("data dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_embedded-kafka"))
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("broker process starts");
    let stdout = child.stdout.take().expect("stdout");
    let process = BrokerProcess(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the broker prints its address");
    let bootstrap = line
        .trim()
        .strip_prefix("bootstrap.servers=")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();

    let topic = unique("binary");
    let admin: AdminClient<DefaultClientContext> =
        client_config(&bootstrap, &[]).create().expect("admin");
    let created = block_on(admin.create_topics(
        &[NewTopic::new(&topic, 2, TopicReplication::Fixed(1))],
        &AdminOptions::new(),
    ))
    .expect("create topics");
    assert_eq!(created[0], Ok(topic.clone()));
    let producer = producer(&bootstrap, &[]);
    send(
        &producer,
        FutureRecord::<str, str>::to(&topic)
            .payload("hello")
            .partition(1),
    )
    .expect("delivered");
    let consumer = assigned_consumer(&bootstrap, &topic, 2, "read_committed");
    let messages = read_to_end(&consumer, 2, 1);
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].payload(), Some(&b"hello"[..]));
    drop(process);
}
