//! The broker binary killed (SIGKILL) and restarted at once on the same port and
//! data directory while librdkafka producers keep running: the listener binds again
//! right away (SO_REUSEADDR), acknowledged records, producer sequences and open or
//! ending transactions are reloaded, and the producers carry on without a fatal
//! error; read_committed consumers then find every record exactly once, in order.

use crate::common;

use common::*;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Records the idempotent producer sends.
const IDEMPOTENT_RECORDS: usize = 3000;
/// Transactions the transactional producer commits, of [`RECORDS_PER_TRANSACTION`].
const TRANSACTIONS: usize = 60;
const RECORDS_PER_TRANSACTION: usize = 10;
/// How often the broker is killed and restarted.
const KILLS: usize = 3;

/// What the producers got acknowledged so far, for the test to wait on.
#[derive(Default)]
struct Progress {
    /// (idempotent records acknowledged, transactions committed, producers done)
    counts: Mutex<(usize, usize, usize)>,
    changed: Condvar,
}

impl Progress {
    fn update(&self, change: impl FnOnce(&mut (usize, usize, usize))) {
        change(&mut self.counts.lock().expect("progress"));
        self.changed.notify_all();
    }

    /// Waits until `records` are acknowledged and `transactions` committed (or both
    /// producers stopped), failing after [`WAIT`].
    fn wait_for(&self, records: usize, transactions: usize, what: &str) {
        let deadline = Instant::now() + WAIT;
        let mut counts = self.counts.lock().expect("progress");
        while (counts.0 < records || counts.1 < transactions) && counts.2 < 2 {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "{what}: only {} records acknowledged and {} transactions committed within {WAIT:?}",
                counts.0,
                counts.1
            );
            counts = self.changed.wait_timeout(counts, left).expect("progress").0;
        }
    }
}

/// Marks a producer done when its thread ends, normally or not.
struct Done(Arc<Progress>);

impl Drop for Done {
    fn drop(&mut self) {
        self.0.update(|counts| counts.2 += 1);
    }
}

fn create_topics(bootstrap: &str, topics: &[&str]) {
    let admin: AdminClient<DefaultClientContext> =
        client_config(bootstrap, &[]).create().expect("admin");
    let new_topics: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|t| NewTopic::new(t, 1, TopicReplication::Fixed(1)))
        .collect();
    for result in block_on(admin.create_topics(&new_topics, &AdminOptions::new())).expect("create")
    {
        result.expect("topic created");
    }
}

/// Settings that keep a client going through a broker restart: reconnect fast,
/// never time a message out while the broker is away.
const RESILIENT: [(&str, &str); 4] = [
    ("reconnect.backoff.ms", "20"),
    ("reconnect.backoff.max.ms", "200"),
    ("message.timeout.ms", "300000"),
    ("socket.timeout.ms", "10000"),
];

fn resilient_producer(bootstrap: &str, extra: &[(&str, &str)]) -> FutureProducer {
    let mut settings: Vec<(&str, &str)> = RESILIENT.to_vec();
    settings.extend_from_slice(extra);
    producer(bootstrap, &settings)
}

/// Sends `0..IDEMPOTENT_RECORDS` in windows of 50 in-flight records.
fn produce_idempotently(producer: &FutureProducer, topic: &str, progress: &Progress) {
    let values: Vec<String> = (0..IDEMPOTENT_RECORDS).map(|i| i.to_string()).collect();
    for window in values.chunks(50) {
        let deliveries: Vec<_> = window
            .iter()
            .map(|value| {
                producer
                    .send_result(FutureRecord::<str, str>::to(topic).payload(value))
                    .unwrap_or_else(|(error, _)| panic!("cannot enqueue record {value}: {error}"))
            })
            .collect();
        for delivery in deliveries {
            if let Err((error, message)) = block_on(delivery).expect("delivery reported") {
                panic!("the idempotent producer failed: {error} ({message:?})");
            }
        }
        progress.update(|counts| counts.0 += window.len());
    }
}

/// Commits [`TRANSACTIONS`] transactions of numbered records; an abortable error
/// aborts the transaction and sends it again, a fatal one fails the test.
fn produce_transactions(producer: &FutureProducer, topic: &str, progress: &Progress) {
    let timeout = Duration::from_secs(60);
    producer.init_transactions(timeout).expect("init");
    let mut transaction = 0;
    while transaction < TRANSACTIONS {
        producer.begin_transaction().expect("begin");
        let first = transaction * RECORDS_PER_TRANSACTION;
        let values: Vec<String> = (first..first + RECORDS_PER_TRANSACTION)
            .map(|i| i.to_string())
            .collect();
        let sent: Result<(), KafkaError> = values.iter().try_for_each(|value| {
            send(
                producer,
                FutureRecord::<str, str>::to(topic).payload(value.as_str()),
            )
            .map(|_| ())
        });
        let outcome = sent.and_then(|()| commit_with_retries(producer, timeout));
        match outcome {
            Ok(()) => {
                transaction += 1;
                progress.update(|counts| counts.1 += 1);
            }
            Err(KafkaError::Transaction(error)) if error.txn_requires_abort() => {
                eprintln!("transaction {transaction} aborted after {error}; sending it again");
                producer.abort_transaction(timeout).expect("abort");
            }
            Err(error) => panic!("transaction {transaction} failed: {error}"),
        }
    }
}

fn commit_with_retries(producer: &FutureProducer, timeout: Duration) -> Result<(), KafkaError> {
    let deadline = Instant::now() + WAIT;
    loop {
        match producer.commit_transaction(timeout) {
            Err(KafkaError::Transaction(error)) if error.is_retriable() => {
                assert!(Instant::now() < deadline, "commit kept failing: {error}");
            }
            other => return other,
        }
    }
}

/// Reads `topic` with read_committed and returns its values, which must be `expected`.
fn read_committed_values(bootstrap: &str, topic: &str, expected: usize) -> Vec<usize> {
    let consumer = assigned_consumer(bootstrap, topic, 1, "read_committed");
    read_to_end(&consumer, 1, expected)
        .iter()
        .map(|m| {
            std::str::from_utf8(m.payload().unwrap_or_default())
                .expect("utf8")
                .parse()
                .expect("a number")
        })
        .collect()
}

#[test]
fn producers_carry_on_without_duplicates_or_gaps_across_broker_kills() {
    let data_dir = tempfile::tempdir().expect("data dir");
    let (mut broker, bootstrap) = spawn_broker("127.0.0.1:0", data_dir.path());
    let idempotent_topic = unique("killed-idempotent");
    let transactional_topic = unique("killed-transactional");
    create_topics(&bootstrap, &[&idempotent_topic, &transactional_topic]);

    let progress = Arc::new(Progress::default());
    let idempotent = {
        let (producer, topic, progress) = (
            resilient_producer(&bootstrap, &[("enable.idempotence", "true")]),
            idempotent_topic.clone(),
            progress.clone(),
        );
        std::thread::spawn(move || {
            let _done = Done(progress.clone());
            produce_idempotently(&producer, &topic, &progress);
        })
    };
    let transactional = {
        let (producer, topic, progress) = (
            resilient_producer(
                &bootstrap,
                &[
                    ("transactional.id", &unique("killed-txn")),
                    ("transaction.timeout.ms", "300000"),
                ],
            ),
            transactional_topic.clone(),
            progress.clone(),
        );
        std::thread::spawn(move || {
            let _done = Done(progress.clone());
            produce_transactions(&producer, &topic, &progress);
        })
    };

    for kill in 1..=KILLS {
        progress.wait_for(
            kill * IDEMPOTENT_RECORDS / (KILLS + 1),
            kill * TRANSACTIONS / (KILLS + 1),
            &format!("before kill {kill}"),
        );
        broker.0.kill().expect("SIGKILL the broker");
        broker.0.wait().expect("the broker exits");
        (broker, _) = spawn_broker(&bootstrap, data_dir.path());
    }
    progress.wait_for(IDEMPOTENT_RECORDS, TRANSACTIONS, "after the last restart");
    idempotent.join().expect("the idempotent producer thread");
    transactional
        .join()
        .expect("the transactional producer thread");

    let values = read_committed_values(&bootstrap, &idempotent_topic, IDEMPOTENT_RECORDS);
    assert_eq!(
        values,
        (0..IDEMPOTENT_RECORDS).collect::<Vec<_>>(),
        "every idempotent record exactly once, in order"
    );
    let expected = TRANSACTIONS * RECORDS_PER_TRANSACTION;
    let values = read_committed_values(&bootstrap, &transactional_topic, expected);
    assert_eq!(
        values,
        (0..expected).collect::<Vec<_>>(),
        "every committed transactional record exactly once, in order"
    );
}
