//! Plain librdkafka copy loops on the e2e fixture: one consumer (joining a
//! group, as a stream thread's does) and one producer, driven by one thread,
//! copying every input record unchanged to the output. They bound what one
//! stream thread can do on the same broker and input:
//!
//! - `e2e-copy-ceiling`: the fastest loop found ([`CEILING`]); the runtime
//!   workloads report their ratio to it.
//! - `e2e-copy-runtime-settings`: the same loop with the runtime's own client
//!   settings (`StreamsConfig::consumer_config` / `producer_config`), the
//!   reference that shows what the defaults cost.
//! - `e2e-copy-transactional`: the ceiling's loop with a transactional
//!   producer committing every 100 ms (Kafka Streams' exactly-once default),
//!   the consumed offsets sent in each transaction: what exactly-once costs a
//!   plain client loop, the baseline of `e2e-count-eos`.
//! - `e2e-copy-variants`: every setting tried on the way to the ceiling, one
//!   line each, so the choice can be checked again on another machine. What
//!   decides is the consumer's fetch back-off: librdkafka's 1 s
//!   `fetch.queue.backoff.ms` once a partition's queue is full starves a loop
//!   that drains faster; producer settings move the result less than the
//!   run-to-run noise of a loaded 2-core machine (README, Benchmarks).
//!
//! rdkafka 0.39 has no batch-consume call (`rd_kafka_consume_batch_queue` is
//! only reachable through `rdkafka-sys`, i.e. `unsafe`, which the workspace
//! forbids); the loops poll one message at a time, as the runtime does.

use super::e2e::{self, Fixture, INPUT, OUTPUT, PHASE_LIMIT};
use super::send::{Sender, send_when_room};
use crate::cpu::{CpuSnapshot, CpuUsage};
use crate::report::BenchResult;
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use std::collections::HashMap;
use std::error::Error;
use std::time::{Duration, Instant};

/// Where a loop's client settings start from.
#[derive(Debug, Clone, Copy)]
enum Base {
    /// librdkafka's defaults (plus the group and no auto-commit).
    Plain,
    /// The runtime's consumer and producer settings.
    Runtime,
}

/// One copy loop: a base, properties layered on it, and the loop's shape.
#[derive(Debug, Clone, Copy)]
pub(super) struct CopyVariant {
    name: &'static str,
    base: Base,
    consumer: &'static [(&'static str, &'static str)],
    producer: &'static [(&'static str, &'static str)],
    /// Produce to the input record's partition instead of partitioning the key
    /// again (the input is already partitioned by the same function).
    keep_partition: bool,
    /// Copy inside transactions committed this often (offsets sent in each),
    /// instead of one offset commit after the last record.
    transactions: Option<Duration>,
}

/// Deep consumer prefetch: librdkafka stops fetching a partition whose local
/// queue holds `queued.min.messages` (default 100k) or
/// `queued.max.messages.kbytes` (default 64 MiB) and then waits
/// `fetch.queue.backoff.ms` (default 1 s) before fetching it again, which
/// starves a consumer that drains faster than that.
const PREFETCH_CONSUMER: &[(&str, &str)] = &[
    ("queued.min.messages", "1000000"),
    ("queued.max.messages.kbytes", "1048576"),
    ("fetch.queue.backoff.ms", "10"),
];

/// Producer batching: batches and queue large enough that the loop never
/// waits for space, and delivery reports only for failures (a copy loop learns
/// nothing from successes; `flush` still waits for every ack).
const BATCHING_PRODUCER: &[(&str, &str)] = &[
    ("linger.ms", "5"),
    ("batch.num.messages", "100000"),
    ("queue.buffering.max.messages", "2000000"),
    ("delivery.report.only.error", "true"),
];

/// The fastest loop found (see [`VARIANTS`] and the README for what each
/// setting gave): plain librdkafka settings with a deep prefetch and a short
/// fetch back-off, producer batching, each record produced to its input
/// partition. On the loaded development machine `runtime+fetch.queue.backoff.ms=10`
/// measured as fast or faster inside `e2e-copy-variants` and slower on its
/// own; which of the two is faster is open until a quiet machine decides.
pub(super) const CEILING: CopyVariant = CopyVariant {
    name: "plain+prefetch+batching+keep-partition",
    base: Base::Plain,
    consumer: PREFETCH_CONSUMER,
    producer: BATCHING_PRODUCER,
    keep_partition: true,
    transactions: None,
};

/// The runtime's client settings, unchanged.
pub(super) const RUNTIME_SETTINGS: CopyVariant = CopyVariant {
    name: "runtime-settings",
    base: Base::Runtime,
    consumer: &[],
    producer: &[],
    keep_partition: false,
    transactions: None,
};

/// The ceiling's loop under exactly-once: a transactional producer (which
/// implies idempotence), `read_committed` reads, a transaction committed with
/// its consumed offsets every 100 ms, as the runtime's exactly-once commits.
pub(super) const TRANSACTIONAL: CopyVariant = CopyVariant {
    name: "ceiling+transactions-100ms",
    transactions: Some(Duration::from_millis(100)),
    ..CEILING
};

/// Every loop tried, in the order they were tried.
const VARIANTS: &[CopyVariant] = &[
    RUNTIME_SETTINGS,
    CopyVariant {
        name: "plain-defaults",
        base: Base::Plain,
        consumer: &[],
        producer: &[],
        keep_partition: false,
        transactions: None,
    },
    CopyVariant {
        name: "runtime+queued.min.messages=500000",
        base: Base::Runtime,
        consumer: &[("queued.min.messages", "500000")],
        producer: &[],
        keep_partition: false,
        transactions: None,
    },
    CopyVariant {
        name: "runtime+fetch.queue.backoff.ms=10",
        base: Base::Runtime,
        consumer: &[("fetch.queue.backoff.ms", "10")],
        producer: &[],
        keep_partition: false,
        transactions: None,
    },
    CopyVariant {
        name: "plain+prefetch",
        base: Base::Plain,
        consumer: PREFETCH_CONSUMER,
        producer: &[],
        keep_partition: false,
        transactions: None,
    },
    CopyVariant {
        name: "plain+prefetch+fetch-10MB",
        base: Base::Plain,
        consumer: &[
            ("queued.min.messages", "1000000"),
            ("queued.max.messages.kbytes", "1048576"),
            ("fetch.queue.backoff.ms", "10"),
            ("max.partition.fetch.bytes", "10485760"),
        ],
        producer: &[],
        keep_partition: false,
        transactions: None,
    },
    CopyVariant {
        name: "plain+prefetch+linger.ms=100",
        base: Base::Plain,
        consumer: PREFETCH_CONSUMER,
        producer: &[("linger.ms", "100")],
        keep_partition: false,
        transactions: None,
    },
    CopyVariant {
        name: "plain+prefetch+linger.ms=0",
        base: Base::Plain,
        consumer: PREFETCH_CONSUMER,
        producer: &[("linger.ms", "0")],
        keep_partition: false,
        transactions: None,
    },
    CopyVariant {
        name: "plain+prefetch+dr-only-error",
        base: Base::Plain,
        consumer: PREFETCH_CONSUMER,
        producer: &[("delivery.report.only.error", "true")],
        keep_partition: false,
        transactions: None,
    },
    CopyVariant {
        name: "plain+prefetch+batching",
        base: Base::Plain,
        consumer: PREFETCH_CONSUMER,
        producer: BATCHING_PRODUCER,
        keep_partition: false,
        transactions: None,
    },
    CopyVariant {
        name: "plain+prefetch+batching+idempotent",
        base: Base::Plain,
        consumer: PREFETCH_CONSUMER,
        producer: &[
            ("linger.ms", "5"),
            ("batch.num.messages", "100000"),
            ("queue.buffering.max.messages", "2000000"),
            ("delivery.report.only.error", "true"),
            ("enable.idempotence", "true"),
        ],
        keep_partition: false,
        transactions: None,
    },
    CEILING,
];

/// Longest one transaction call (init, send offsets, commit) may take.
const TRANSACTION_CALL_LIMIT: Duration = Duration::from_secs(30);

/// What one copy took.
pub(super) struct CopyRun {
    /// From client creation until the output held every record.
    pub(super) elapsed: Duration,
    /// From client creation until the first record was consumed (group join,
    /// first fetch).
    pub(super) first_record: Duration,
    /// CPU time of this process's threads (broker included) over the copy.
    pub(super) cpu: CpuUsage,
}

impl CopyVariant {
    fn clients(&self, fixture: &Fixture) -> Result<(ClientConfig, ClientConfig), Box<dyn Error>> {
        // Variant names hold '+' and '=', which application ids (and group
        // ids derived from them) may not.
        let id_safe: String = self
            .name
            .chars()
            .map(|c| match c {
                'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '_' | '-' => c,
                _ => '-',
            })
            .collect();
        let (group, state_dir) = e2e::application(&format!("e2e-copy-{id_safe}"));
        let (mut consumer, mut producer) = match self.base {
            Base::Runtime => {
                let config = e2e::streams_config(
                    &group,
                    &fixture.bootstrap,
                    &state_dir,
                    e2e::AT_LEAST_ONCE,
                    &[],
                )?;
                (
                    config.consumer_config("copy"),
                    config.producer_config("copy"),
                )
            }
            Base::Plain => {
                let mut consumer = ClientConfig::new();
                consumer
                    .set("bootstrap.servers", &fixture.bootstrap)
                    .set("group.id", &group)
                    .set("enable.auto.commit", "false")
                    .set("auto.offset.reset", "earliest");
                let mut producer = ClientConfig::new();
                producer.set("bootstrap.servers", &fixture.bootstrap);
                (consumer, producer)
            }
        };
        for (key, value) in self.consumer {
            consumer.set(*key, *value);
        }
        for (key, value) in self.producer {
            producer.set(*key, *value);
        }
        if self.transactions.is_some() {
            consumer.set("isolation.level", "read_committed");
            producer.set("transactional.id", format!("{group}-copy"));
        }
        Ok((consumer, producer))
    }

    /// Copies the fixture's input to its output.
    pub(super) fn run(&self, fixture: &Fixture) -> Result<CopyRun, Box<dyn Error>> {
        let (consumer_config, producer_config) = self.clients(fixture)?;
        let cpu_before = CpuSnapshot::of_self();
        let started = Instant::now();
        let consumer: BaseConsumer = consumer_config.create()?;
        let producer: BaseProducer = producer_config.create()?;
        consumer.subscribe(&[INPUT])?;
        if self.transactions.is_some() {
            producer.init_transactions(TRANSACTION_CALL_LIMIT)?;
            producer.begin_transaction()?;
        }
        let mut last_commit = Instant::now();
        let records = e2e::records();
        let mut copied = 0u64;
        let mut first_record = None;
        let mut next_offsets: HashMap<i32, i64> = HashMap::new();
        let deadline = started + PHASE_LIMIT;
        // Checked when a poll comes back empty and every 1024 records, not per
        // record: the clock read would be part of what the loop measures.
        let overdue = |copied: u64| -> Result<(), Box<dyn Error>> {
            if Instant::now() > deadline {
                return Err(
                    format!("{}: copied only {copied} of {records} records", self.name).into(),
                );
            }
            Ok(())
        };
        while copied < records {
            let Some(message) = consumer.poll(Duration::from_millis(100)) else {
                overdue(copied)?;
                self.commit_when_due(&consumer, &producer, &next_offsets, &mut last_commit)?;
                continue;
            };
            let message = message?;
            first_record.get_or_insert_with(|| started.elapsed());
            let mut record: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(OUTPUT);
            if let Some(key) = message.key() {
                record = record.key(key);
            }
            if let Some(payload) = message.payload() {
                record = record.payload(payload);
            }
            if let Some(timestamp) = message.timestamp().to_millis() {
                record = record.timestamp(timestamp);
            }
            if self.keep_partition {
                record = record.partition(message.partition());
            }
            send_when_room(
                Sender::Base(&producer),
                record,
                Duration::from_millis(10),
                deadline,
            )?;
            next_offsets.insert(message.partition(), message.offset() + 1);
            copied += 1;
            if copied.is_multiple_of(1024) {
                producer.poll(Duration::ZERO);
                overdue(copied)?;
                self.commit_when_due(&consumer, &producer, &next_offsets, &mut last_commit)?;
            }
        }
        if self.transactions.is_some() {
            commit_transaction(&consumer, &producer, &next_offsets)?;
        } else {
            producer.flush(PHASE_LIMIT)?;
            consumer.commit(&offsets(&next_offsets)?, CommitMode::Sync)?;
        }
        let monitor = fixture.monitor("e2e-copy-monitor")?;
        e2e::wait_until("the copy reaching the output", || {
            Ok(e2e::topic_records(&monitor, OUTPUT)? >= records)
        })?;
        let elapsed = started.elapsed();
        let cpu = CpuSnapshot::of_self().since(&cpu_before);
        Ok(CopyRun {
            elapsed,
            first_record: first_record.unwrap_or(elapsed),
            cpu,
        })
    }

    /// Under transactions, commits the open one (and begins the next) once
    /// the interval has passed since the last commit.
    fn commit_when_due(
        &self,
        consumer: &BaseConsumer,
        producer: &BaseProducer,
        next_offsets: &HashMap<i32, i64>,
        last_commit: &mut Instant,
    ) -> Result<(), Box<dyn Error>> {
        let Some(interval) = self.transactions else {
            return Ok(());
        };
        if last_commit.elapsed() < interval || next_offsets.is_empty() {
            return Ok(());
        }
        commit_transaction(consumer, producer, next_offsets)?;
        producer.begin_transaction()?;
        *last_commit = Instant::now();
        Ok(())
    }

    /// Runs on a fresh fixture and reports under `workload`.
    fn measure(&self, workload: &str) -> Result<BenchResult, Box<dyn Error>> {
        let fixture = Fixture::start()?;
        let run = self.run(&fixture)?;
        fixture.shutdown();
        let result = e2e::result(workload, run.elapsed)
            .with("loop", self.name)
            .with(
                "first_record_ms",
                (run.first_record.as_secs_f64() * 1e4).round() / 10.0,
            );
        Ok(run.cpu.annotate(result))
    }
}

/// The input offsets to commit: the next offset of every partition copied from.
fn offsets(next_offsets: &HashMap<i32, i64>) -> Result<TopicPartitionList, Box<dyn Error>> {
    let mut list = TopicPartitionList::new();
    for (partition, next) in next_offsets {
        list.add_partition_offset(INPUT, *partition, Offset::Offset(*next))?;
    }
    Ok(list)
}

/// Sends the consumed offsets with the consumer's group metadata into the
/// open transaction and commits it (which waits for every record in it).
fn commit_transaction(
    consumer: &BaseConsumer,
    producer: &BaseProducer,
    next_offsets: &HashMap<i32, i64>,
) -> Result<(), Box<dyn Error>> {
    let metadata = consumer
        .group_metadata()
        .ok_or("the copy loop's consumer has no group metadata")?;
    producer.send_offsets_to_transaction(
        &offsets(next_offsets)?,
        &metadata,
        TRANSACTION_CALL_LIMIT,
    )?;
    producer.commit_transaction(TRANSACTION_CALL_LIMIT)?;
    Ok(())
}

/// `e2e-copy-ceiling`: the fastest copy loop.
pub fn ceiling() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    Ok(vec![CEILING.measure("e2e-copy-ceiling")?])
}

/// `e2e-copy-runtime-settings`: the copy loop with the runtime's client settings.
pub fn runtime_settings() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    Ok(vec![RUNTIME_SETTINGS.measure("e2e-copy-runtime-settings")?])
}

/// `e2e-copy-transactional`: the ceiling's loop inside 100 ms transactions.
pub fn transactional() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    Ok(vec![TRANSACTIONAL.measure("e2e-copy-transactional")?])
}

/// `e2e-copy-variants`: every loop tried, one line each.
pub fn variants() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    VARIANTS
        .iter()
        .map(|variant| variant.measure("e2e-copy-variants"))
        .collect()
}
