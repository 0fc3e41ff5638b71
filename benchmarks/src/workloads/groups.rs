//! How fast consumer groups form on the embedded broker, with real librdkafka
//! consumers: one consumer from `subscribe` to its assignment, and three
//! consumers subscribing together until each holds its share of the partitions.

use crate::report::BenchResult;
use embedded_kafka::{BrokerConfig, EmbeddedKafka};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use std::error::Error;
use std::time::{Duration, Instant};

const PARTITIONS: i32 = 6;
const TOPIC: &str = "group-bench";
const JOINS: usize = 20;
/// Longest a group may take to form before the workload fails instead of hanging.
const JOIN_LIMIT: Duration = Duration::from_secs(60);

fn consumer(
    bootstrap: &str,
    group: &str,
    heartbeat_ms: &str,
) -> Result<BaseConsumer, Box<dyn Error>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("heartbeat.interval.ms", heartbeat_ms)
        .create()?;
    consumer.subscribe(&[TOPIC])?;
    Ok(consumer)
}

/// Polls `consumers` until each is assigned `PARTITIONS / consumers.len()` partitions.
fn await_assignments(
    consumers: &[BaseConsumer],
    started: Instant,
) -> Result<Duration, Box<dyn Error>> {
    let share = PARTITIONS as usize / consumers.len();
    loop {
        for consumer in consumers {
            if let Some(Err(error)) = consumer.poll(Duration::from_millis(1)) {
                return Err(format!(
                    "{} consumers after {:?}: {error}",
                    consumers.len(),
                    started.elapsed()
                )
                .into());
            }
        }
        let mut balanced = true;
        for consumer in consumers {
            balanced &= consumer.assignment()?.count() == share;
        }
        if balanced {
            return Ok(started.elapsed());
        }
        if started.elapsed() > JOIN_LIMIT {
            return Err(format!(
                "{} consumers did not form a group within {JOIN_LIMIT:?}",
                consumers.len()
            )
            .into());
        }
    }
}

fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1e6).round() / 1e3
}

/// `group-join`: a fresh consumer (new connection, new group) from `subscribe` to
/// its assignment, `JOINS` times; then three consumers subscribing together, with
/// librdkafka's default heartbeat interval and with 100 ms (members already in
/// the group learn of a rebalance from their next heartbeat).
pub fn join() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    let kafka = EmbeddedKafka::start_blocking(BrokerConfig::default())?;
    kafka.create_topic(TOPIC, PARTITIONS, &[])?;
    let bootstrap = kafka.bootstrap_servers();

    let mut joins = Vec::with_capacity(JOINS);
    for i in 0..JOINS {
        let started = Instant::now();
        let member = consumer(&bootstrap, &format!("single-{i}"), "3000")?;
        joins.push(await_assignments(std::slice::from_ref(&member), started)?);
    }
    let total: Duration = joins.iter().sum();
    joins.sort();
    let mut results = vec![
        BenchResult::new("group-join", JOINS as u64, total)
            .with("members", 1)
            .with("join_ms_median", millis(joins[JOINS / 2]))
            .with("join_ms_min", millis(joins[0]))
            .with("join_ms_max", millis(joins[JOINS - 1])),
    ];
    for heartbeat_ms in ["3000", "100"] {
        let group = format!("trio-{heartbeat_ms}");
        let started = Instant::now();
        let members = (0..3)
            .map(|_| consumer(&bootstrap, &group, heartbeat_ms))
            .collect::<Result<Vec<_>, _>>()?;
        let formed = await_assignments(&members, started)?;
        results.push(
            BenchResult::new("group-join", 3, formed)
                .with("members", 3)
                .with("heartbeat_interval_ms", heartbeat_ms.parse::<u64>()?)
                .with("join_ms", millis(formed)),
        );
    }
    Ok(results)
}
