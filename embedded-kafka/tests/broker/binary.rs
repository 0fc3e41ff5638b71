//! The broker as a process: `embedded-kafka --listen 127.0.0.1:0 --data-dir DIR`
//! prints its bootstrap address and serves librdkafka clients.

use crate::common;

use common::*;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::message::Message;
use rdkafka::producer::FutureRecord;

#[test]
fn the_binary_serves_clients_on_the_address_it_prints() {
    let data_dir = tempfile::tempdir().expect("data dir");
    let (process, bootstrap) = spawn_broker("127.0.0.1:0", data_dir.path());

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
