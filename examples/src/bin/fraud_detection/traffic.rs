//! The generator thread: synthetic transactions written to `transactions`.

use crate::event_time;
use crate::{BoxError, Options, TIMEOUT};
use examples::fraud::{GeneratedTraffic, Injection, TRANSACTIONS_TOPIC, TransactionGenerator};
use rdkafka::ClientConfig;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::types::RDKafkaErrorCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Event-time spacing of the bounded demo's transactions.
const DEMO_SPACING_MS: i64 = 100;
/// With `--keep-running`: transactions per batch, one batch a second.
const LIVE_BATCH: usize = 1_000;

/// What the producer thread wrote.
pub struct GeneratedSoFar {
    /// Transactions written.
    pub transactions: usize,
    /// The fraud injected into them.
    pub injections: Vec<Injection>,
}

fn send(
    producer: &ThreadedProducer<DefaultProducerContext>,
    traffic: &GeneratedTraffic,
) -> Result<(), BoxError> {
    for transaction in &traffic.transactions {
        let payload = serde_json::to_vec(transaction)?;
        let mut record = BaseRecord::to(TRANSACTIONS_TOPIC)
            .key(&transaction.card)
            .payload(&payload)
            .timestamp(transaction.at_ms);
        while let Err((error, returned)) = producer.send(record) {
            if error.rdkafka_error_code() != Some(RDKafkaErrorCode::QueueFull) {
                return Err(error.into());
            }
            record = returned;
            producer.poll(Duration::from_millis(10));
        }
    }
    Ok(())
}

/// Starts the thread that generates and writes the transactions: `count` of
/// them, or with `keep_running` a batch a second until `stop`.
pub fn start_producer(
    bootstrap_servers: &str,
    options: &Options,
    stop: Arc<AtomicBool>,
) -> Result<JoinHandle<Result<GeneratedSoFar, BoxError>>, BoxError> {
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers)
        .set("partitioner", "murmur2_random")
        .set("linger.ms", "5")
        .create()?;
    let latest = event_time::latest_timestamp(bootstrap_servers, TRANSACTIONS_TOPIC)?;
    let (seed, cards, count, keep_running) = (
        options.seed,
        options.cards,
        options.transactions,
        options.keep_running,
    );
    let thread = std::thread::Builder::new()
        .name("generator".into())
        .spawn(move || {
            let mut produced = GeneratedSoFar {
                transactions: 0,
                injections: Vec::new(),
            };
            if keep_running {
                let start = event_time::start_ms(0, latest).max(event_time::now_ms());
                let mut generator = TransactionGenerator::new(seed, cards, start, 1);
                while !stop.load(Ordering::SeqCst) {
                    let batch_started = Instant::now();
                    let traffic = generator.generate(LIVE_BATCH);
                    send(&producer, &traffic)?;
                    produced.transactions += traffic.transactions.len();
                    produced.injections.extend(traffic.injections);
                    while batch_started.elapsed() < Duration::from_secs(1)
                        && !stop.load(Ordering::SeqCst)
                    {
                        producer.poll(Duration::from_millis(50));
                    }
                }
            } else {
                // Minute-aligned: the same seed gives the same traffic.
                let start = event_time::start_ms(count as i64 * DEMO_SPACING_MS, latest);
                let traffic =
                    TransactionGenerator::new(seed, cards, start, DEMO_SPACING_MS).generate(count);
                send(&producer, &traffic)?;
                produced.transactions = traffic.transactions.len();
                produced.injections = traffic.injections;
            }
            producer.flush(TIMEOUT)?;
            Ok(produced)
        })?;
    Ok(thread)
}
