//! End-to-end latency at fixed input rates: a rate-limited producer writes
//! the input on a fixed schedule (record `i` is due at `t0 + i / rate`, and
//! carries that moment as its timestamp), an rstreams instance in its own
//! process runs the pipeline, and a consumer of the output records, for each
//! output record, its arrival minus the due time of the input record it
//! answers, in an HDR histogram (1 µs to 1 h, 3 significant digits).
//!
//! Measuring from the due time rather than from the actual send keeps the
//! load generator honest: if it falls behind (a loaded machine, a full
//! producer queue), the delay counts, instead of the schedule silently
//! slowing down (coordinated omission). The records of the first
//! [`warm_up()`] are not recorded.
//!
//! Which input record an output answers: the stateless pipeline keeps the
//! value, which starts with the input's sequence number in ASCII digits (upper
//! casing leaves digits alone); the count emits `(key, n)` for the `n`-th
//! record of `key`, and with keys `i % KEYS` that is record
//! `(n - 1) * KEYS + key`. With the record cache on, a count is emitted only
//! when the cache flushes (on commit or eviction), and then answers the latest
//! record of its key: that delay is the cache's, and is what an application
//! with caching sees.

use super::e2e::{self, FILTER_MODULUS, Fixture, INPUT, OUTPUT, PARTITIONS, PHASE_LIMIT};
use super::instance::ChildInstance;
use super::instance_run;
use super::send::{Sender, send_when_room};
use crate::report::{BenchResult, properties_json};
use hdrhistogram::Histogram;
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use std::error::Error;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Distinct keys of the latency input.
const KEYS: u64 = 1000;
/// Input value size, as the throughput workloads'.
const VALUE_BYTES: usize = 100;
/// Records of the first this-long are produced but not recorded (the same in
/// a quick run: the pipeline's start-up transient does not shrink with it).
fn warm_up() -> Duration {
    Duration::from_secs(2)
}

/// How long records are recorded, after the warm-up (a tenth with `--quick`).
fn measured_window() -> Duration {
    Duration::from_millis(crate::scale::scaled(10_000))
}

/// Input rates, records per second.
const RATES: [u64; 3] = [1_000, 10_000, 100_000];

/// A pipeline and the instance settings it runs with.
struct Variant {
    workload: &'static str,
    name: &'static str,
    topology: &'static str,
    settings: &'static [(&'static str, &'static str)],
}

/// Every latency variant; a new one (exactly-once, say) is one more line.
const VARIANTS: &[Variant] = &[
    Variant {
        workload: "latency-stateless",
        name: "stateless",
        topology: "stateless",
        settings: &[],
    },
    Variant {
        workload: "latency-stateless",
        name: "stateless-linger-5ms",
        topology: "stateless",
        settings: &[("producer.linger.ms", "5")],
    },
    Variant {
        workload: "latency-count",
        name: "count",
        topology: "count",
        settings: &[],
    },
    Variant {
        workload: "latency-count",
        name: "count-uncached-linger-5ms",
        topology: "count",
        settings: &[
            ("statestore.cache.max.bytes", "0"),
            ("producer.linger.ms", "5"),
        ],
    },
    Variant {
        workload: "latency-count",
        name: "count-eos",
        topology: "count",
        settings: &[("processing.guarantee", "exactly_once_v2")],
    },
];

/// The schedule: when input record `sequence` is due.
#[derive(Clone, Copy)]
struct Schedule {
    t0: Instant,
    t0_unix_ms: i64,
    rate: u64,
    /// Records before this one are warm-up.
    first_measured: u64,
    /// Records in all.
    total: u64,
}

impl Schedule {
    /// `rate` records per second from now: `warm_up` of them unrecorded, then
    /// `measured`.
    fn new(rate: u64, warm_up: Duration, measured: Duration) -> Self {
        let whole = |d: Duration| (d.as_millis() as u64).saturating_mul(rate) / 1000;
        Self {
            t0: Instant::now(),
            t0_unix_ms: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64),
            rate,
            first_measured: whole(warm_up),
            total: whole(warm_up + measured),
        }
    }

    /// The last record of `key` (keys `sequence % KEYS`) in the schedule.
    fn last_of_key(&self, key: u64) -> u64 {
        let last = self.total - 1;
        last - (last % KEYS + KEYS - key) % KEYS
    }

    fn due_offset(&self, sequence: u64) -> Duration {
        Duration::from_nanos(sequence.saturating_mul(1_000_000_000) / self.rate)
    }

    fn due(&self, sequence: u64) -> Instant {
        self.t0 + self.due_offset(sequence)
    }

    /// Records due by `now`.
    fn due_by(&self, now: Instant) -> u64 {
        let elapsed = now.saturating_duration_since(self.t0);
        ((elapsed.as_nanos() * self.rate as u128 / 1_000_000_000) as u64).min(self.total)
    }
}

/// The load generator's producer, connected (metadata of the input fetched)
/// so that its start-up does not count against the first records.
fn connected_producer(bootstrap: &str) -> Result<BaseProducer, Box<dyn Error>> {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "1")
        .set("partitioner", "murmur2_random")
        .create()?;
    producer
        .client()
        .fetch_metadata(Some(INPUT), Duration::from_secs(30))?;
    Ok(producer)
}

/// The probe: a consumer assigned every output partition from the beginning,
/// connected before the schedule starts.
fn connected_probe(bootstrap: &str) -> Result<BaseConsumer, Box<dyn Error>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", format!("latency-probe-{}", std::process::id()))
        .set("enable.auto.commit", "false")
        // Output counts once committed (librdkafka's default, said here because
        // the exactly-once variant's latency depends on it).
        .set("isolation.level", "read_committed")
        .create()?;
    let mut assignment = TopicPartitionList::new();
    for partition in 0..PARTITIONS {
        assignment.add_partition_offset(OUTPUT, partition, Offset::Beginning)?;
    }
    consumer.assign(&assignment)?;
    consumer.fetch_metadata(Some(OUTPUT), Duration::from_secs(30))?;
    Ok(consumer)
}

/// Produces the input on `schedule`; returns when the last record was sent.
fn produce_on_schedule(
    producer: &BaseProducer,
    schedule: Schedule,
) -> Result<Instant, Box<dyn Error>> {
    let mut value = [b'x'; VALUE_BYTES];
    let mut sequence = 0u64;
    let deadline = schedule.due(schedule.total) + PHASE_LIMIT;
    while sequence < schedule.total {
        let due = schedule.due_by(Instant::now());
        while sequence < due {
            let digits = format!("{sequence:020}");
            value[..digits.len()].copy_from_slice(digits.as_bytes());
            let key = (sequence % KEYS).to_be_bytes();
            let timestamp = schedule.t0_unix_ms + schedule.due_offset(sequence).as_millis() as i64;
            let record = BaseRecord::to(INPUT)
                .key(&key[..])
                .payload(&value[..])
                .timestamp(timestamp);
            send_when_room(
                Sender::Base(producer),
                record,
                Duration::from_millis(1),
                deadline,
            )?;
            sequence += 1;
        }
        producer.poll(Duration::ZERO);
        if sequence < schedule.total {
            // Pacing the schedule (not synchronisation): wake when the next record is due.
            std::thread::sleep(
                schedule
                    .due(sequence)
                    .saturating_duration_since(Instant::now()),
            );
        }
    }
    let sent = Instant::now();
    producer.flush(PHASE_LIMIT)?;
    Ok(sent)
}

/// Which input record an output record answers.
fn answered_sequence(topology: &str, key: &[u8], value: &[u8]) -> Option<u64> {
    match topology {
        "stateless" => std::str::from_utf8(value.get(..20)?).ok()?.parse().ok(),
        _ => {
            let key = u64::from_be_bytes(key.try_into().ok()?);
            let count = i64::from_be_bytes(value.try_into().ok()?);
            let n = u64::try_from(count).ok()?.checked_sub(1)?;
            Some(n * KEYS + key)
        }
    }
}

/// Consumes the output until every key's last measured input record has been
/// answered; returns the latencies of the measured window.
fn measure_output(
    consumer: &BaseConsumer,
    topology: &'static str,
    schedule: Schedule,
) -> Result<(Histogram<u64>, u64), Box<dyn Error>> {
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3)?;
    // The last record of each key in the schedule, and whether it was answered.
    let kept = |key: u64| topology != "stateless" || !key.is_multiple_of(FILTER_MODULUS);
    let mut awaiting: u64 = (0..KEYS).filter(|&k| kept(k)).count() as u64;
    let mut answered = vec![false; KEYS as usize];
    let mut outputs = 0u64;
    let deadline = Instant::now() + warm_up() + measured_window() + PHASE_LIMIT;
    while awaiting > 0 {
        if Instant::now() > deadline {
            return Err(format!(
                "{awaiting} keys' last records still unanswered after {PHASE_LIMIT:?}"
            )
            .into());
        }
        let Some(message) = consumer.poll(Duration::from_millis(100)) else {
            continue;
        };
        let message = message?;
        let arrived = Instant::now();
        let (Some(key), Some(value)) = (message.key(), message.payload()) else {
            return Err("an output record without key or value".into());
        };
        let sequence = answered_sequence(topology, key, value)
            .ok_or_else(|| format!("an output record the {topology} input cannot have caused"))?;
        outputs += 1;
        if sequence >= schedule.first_measured && sequence < schedule.total {
            let micros = arrived
                .saturating_duration_since(schedule.due(sequence))
                .as_micros();
            histogram.saturating_record(u64::try_from(micros).unwrap_or(u64::MAX));
        }
        let key = sequence % KEYS;
        if sequence == schedule.last_of_key(key) && !answered[key as usize] {
            answered[key as usize] = true;
            awaiting -= 1;
        }
    }
    Ok((histogram, outputs))
}

/// Microseconds as milliseconds, to 0.01 ms.
fn ms(micros: u64) -> f64 {
    (micros as f64 / 10.0).round() / 100.0
}

/// The latency at `quantile` of `histogram` (microseconds), in milliseconds.
fn millis(histogram: &Histogram<u64>, quantile: f64) -> f64 {
    ms(histogram.value_at_quantile(quantile))
}

/// One variant at one rate on a fresh broker.
fn run(variant: &Variant, rate: u64) -> Result<BenchResult, Box<dyn Error>> {
    let fixture = Fixture::empty()?;
    let (application_id, _) = e2e::application(&format!("latency-{}", variant.name));
    let settings = instance_run::rstreams_settings(&application_id, &fixture, 1, variant.settings);
    let mut instance = ChildInstance::rstreams(&application_id, variant.topology, &settings)?;
    instance.await_running()?;
    let producer = connected_producer(&fixture.bootstrap)?;
    let consumer = connected_probe(&fixture.bootstrap)?;
    let schedule = Schedule::new(rate, warm_up(), measured_window());
    let topology = variant.topology;
    let probe = std::thread::spawn(move || {
        measure_output(&consumer, topology, schedule).map_err(|e| e.to_string())
    });
    let produced = produce_on_schedule(&producer, schedule);
    let measured = probe
        .join()
        .map_err(|_| "the latency probe panicked".to_string())?;
    instance.check_alive()?;
    instance.close()?;
    fixture.shutdown();
    let last_sent = produced?;
    let (histogram, outputs) = measured?;
    let send_seconds = last_sent
        .saturating_duration_since(schedule.t0)
        .as_secs_f64();
    Ok(BenchResult::new(
        variant.workload,
        schedule.total,
        warm_up() + measured_window(),
    )
    .with("variant", variant.name)
    .with("settings", properties_json(variant.settings))
    .with("input_rate", rate)
    .with(
        "achieved_input_rate",
        (schedule.total as f64 / send_seconds.max(f64::MIN_POSITIVE)).round(),
    )
    .with("outputs", outputs)
    .with("samples", histogram.len())
    .with("p50_ms", millis(&histogram, 0.5))
    .with("p99_ms", millis(&histogram, 0.99))
    .with("p99_9_ms", millis(&histogram, 0.999))
    .with("max_ms", ms(histogram.max())))
}

fn workload(name: &str) -> Result<Vec<BenchResult>, Box<dyn Error>> {
    let mut results = Vec::new();
    for variant in VARIANTS.iter().filter(|v| v.workload == name) {
        for rate in RATES {
            results.push(run(variant, rate)?);
        }
    }
    Ok(results)
}

/// `latency-stateless`.
pub fn stateless() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    workload("latency-stateless")
}

/// `latency-count`.
pub fn count() -> Result<Vec<BenchResult>, Box<dyn Error>> {
    workload("latency-count")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_spaces_records_by_the_rate() {
        let schedule = Schedule::new(10_000, Duration::from_secs(2), Duration::from_secs(10));
        assert_eq!(schedule.first_measured, 20_000);
        assert_eq!(schedule.total, 120_000);
        assert_eq!(schedule.due_offset(0), Duration::ZERO);
        assert_eq!(schedule.due_offset(1), Duration::from_micros(100));
        assert_eq!(schedule.due_offset(10_000), Duration::from_secs(1));
        assert_eq!(schedule.due_by(schedule.t0), 0);
        assert_eq!(schedule.due_by(schedule.t0 + Duration::from_micros(250)), 2);
        assert_eq!(
            schedule.due_by(schedule.t0 + Duration::from_secs(1)),
            10_000
        );
        // Never more than the schedule holds, however late.
        assert_eq!(
            schedule.due_by(schedule.t0 + Duration::from_secs(3600)),
            120_000
        );
    }

    #[test]
    fn the_last_record_of_each_key_is_found() {
        // 2500 records: keys 0..500 last appear in the third round, the rest in the second.
        let schedule = Schedule::new(1_000, Duration::ZERO, Duration::from_millis(2_500));
        assert_eq!(schedule.total, 2_500);
        assert_eq!(schedule.last_of_key(0), 2_000);
        assert_eq!(schedule.last_of_key(499), 2_499);
        assert_eq!(schedule.last_of_key(500), 1_500);
        assert_eq!(schedule.last_of_key(999), 1_999);
    }

    #[test]
    fn outputs_name_the_input_record_they_answer() {
        let mut value = format!("{:020}", 1_234_567).into_bytes();
        value.extend_from_slice(&[b'X'; 80]);
        assert_eq!(
            answered_sequence("stateless", &7u64.to_be_bytes(), &value),
            Some(1_234_567)
        );
        // The third record of key 7 is input record 2 * KEYS + 7.
        let count = 3i64.to_be_bytes();
        assert_eq!(
            answered_sequence("count", &7u64.to_be_bytes(), &count),
            Some(2_007)
        );
        assert_eq!(
            answered_sequence("count", &7u64.to_be_bytes(), &0i64.to_be_bytes()),
            None
        );
        assert_eq!(answered_sequence("count", b"short", &count), None);
        assert_eq!(answered_sequence("stateless", &[], b"not digits"), None);
    }

    #[test]
    fn percentiles_are_reported_in_milliseconds() {
        let mut histogram = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
        // 1 ms to 1000 ms, one sample each (in microseconds).
        for ms in 1..=1000u64 {
            histogram.record(ms * 1000).unwrap();
        }
        assert!(
            (millis(&histogram, 0.5) - 500.0).abs() <= 0.5,
            "{}",
            millis(&histogram, 0.5)
        );
        assert!(
            (millis(&histogram, 0.99) - 990.0).abs() <= 1.0,
            "{}",
            millis(&histogram, 0.99)
        );
        assert!(
            (millis(&histogram, 1.0) - 1000.0).abs() <= 1.0,
            "{}",
            millis(&histogram, 1.0)
        );
    }
}
