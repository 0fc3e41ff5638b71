//! Embedded broker throughput with real librdkafka clients: produce and consume of
//! 100-byte values over 4 partitions, each against a fresh in-memory broker.

use super::send::{Sender, send_when_room};
use crate::report::BenchResult;
use embedded_kafka::{BrokerConfig, EmbeddedKafka};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use std::error::Error;
use std::time::{Duration, Instant};

const RECORDS: u64 = 2_000_000;
const VALUE_BYTES: usize = 100;
const PARTITIONS: i32 = 4;
const TOPIC: &str = "broker-bench";
/// Longest any phase may take before the workload fails instead of hanging.
const PHASE_LIMIT: Duration = Duration::from_secs(300);

fn broker_with_topic() -> Result<EmbeddedKafka, Box<dyn Error>> {
    let kafka = EmbeddedKafka::start_blocking(BrokerConfig::default())?;
    kafka.create_topic(TOPIC, PARTITIONS, &[])?;
    Ok(kafka)
}

/// Produces `RECORDS` records and waits for every acknowledgement; returns the time taken.
fn produce_all(bootstrap: &str) -> Result<Duration, Box<dyn Error>> {
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("acks", "all")
        .set("linger.ms", "5")
        .set("batch.size", "1000000")
        .set("queue.buffering.max.messages", "1000000")
        .set("queue.buffering.max.kbytes", "1048576")
        .create()?;
    let value = [b'x'; VALUE_BYTES];
    let started = Instant::now();
    for i in 0..RECORDS {
        let key = (i % 10_000).to_be_bytes();
        let record = BaseRecord::to(TOPIC)
            .key(&key[..])
            .payload(&value[..])
            .partition((i % PARTITIONS as u64) as i32);
        send_when_room(
            Sender::Threaded(&producer),
            record,
            Duration::from_millis(1),
            started + PHASE_LIMIT,
        )?;
    }
    producer.flush(PHASE_LIMIT)?;
    Ok(started.elapsed())
}

fn result(name: &str, elapsed: Duration) -> BenchResult {
    let megabytes = (RECORDS as usize * VALUE_BYTES) as f64 / 1_000_000.0;
    BenchResult::new(name, RECORDS, elapsed)
        .with("value_bytes", VALUE_BYTES as u64)
        .with("partitions", PARTITIONS as u64)
        .with(
            "value_mb_per_sec",
            (megabytes / elapsed.as_secs_f64() * 10.0).round() / 10.0,
        )
}

/// Producer throughput.
pub fn produce() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    let kafka = broker_with_topic()?;
    let elapsed = produce_all(&kafka.bootstrap_servers())?;
    kafka.shutdown_blocking();
    Ok(vec![result("broker-produce", elapsed).with("acks", "all")])
}

/// Consumer throughput over records produced beforehand (not timed).
pub fn consume() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    let kafka = broker_with_topic()?;
    let bootstrap = kafka.bootstrap_servers();
    produce_all(&bootstrap)?;
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("group.id", "broker-bench-unused")
        .set("enable.auto.commit", "false")
        .set("queued.min.messages", "1000000")
        .create()?;
    let mut assignment = TopicPartitionList::new();
    for partition in 0..PARTITIONS {
        assignment.add_partition_offset(TOPIC, partition, Offset::Beginning)?;
    }
    consumer.assign(&assignment)?;
    let started = Instant::now();
    let mut received = 0u64;
    let mut bytes = 0usize;
    while received < RECORDS {
        if received.is_multiple_of(65_536) && started.elapsed() > PHASE_LIMIT {
            return Err(format!("consumed only {received} of {RECORDS} records").into());
        }
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(message)) => {
                received += 1;
                bytes += message.payload_len();
            }
            Some(Err(error)) => return Err(error.into()),
            None => {
                if started.elapsed() > PHASE_LIMIT {
                    return Err(format!("consumed only {received} of {RECORDS} records").into());
                }
            }
        }
    }
    let elapsed = started.elapsed();
    drop(consumer);
    kafka.shutdown_blocking();
    if bytes != RECORDS as usize * VALUE_BYTES {
        return Err(format!(
            "consumed {bytes} value bytes, expected {}",
            RECORDS as usize * VALUE_BYTES
        )
        .into());
    }
    Ok(vec![result("broker-consume", elapsed)])
}
