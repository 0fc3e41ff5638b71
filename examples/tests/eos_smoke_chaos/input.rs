//! The input of the system test: records with deterministic keys and values
//! from a seed, written to `data` at a steady rate by a producer thread that
//! keeps retrying through broker restarts and counts what was acknowledged.

use examples::eos_smoke::DATA_TOPIC;
use examples::xorshift::Xorshift;
use rdkafka::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::{ClientContext, Message};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Largest absolute input value.
const VALUE_RANGE: i64 = 100_000;
/// Records sent per pacing step.
const STEP: usize = 100;

/// Input records from a seed: key `key-<n>` of `keys` keys, value in
/// `-100000..=100000`.
pub struct InputGenerator {
    random: Xorshift,
    keys: u64,
}

impl InputGenerator {
    /// The generator of `seed` over `keys` keys.
    pub fn new(seed: u64, keys: u64) -> Self {
        Self {
            random: Xorshift::new(seed),
            keys,
        }
    }

    /// The next record.
    pub fn next_record(&mut self) -> (String, i32) {
        let key = format!("key-{}", self.random.below(self.keys));
        let value = self.random.below(2 * VALUE_RANGE as u64 + 1) as i64 - VALUE_RANGE;
        (key, value as i32)
    }
}

/// Counts acknowledged and failed deliveries.
#[derive(Default)]
struct DeliveryCounter {
    delivered: AtomicU64,
    failed: AtomicU64,
    first_failure: Mutex<Option<String>>,
}

impl ClientContext for DeliveryCounter {}

impl ProducerContext for DeliveryCounter {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(_) => {
                self.delivered.fetch_add(1, Ordering::Relaxed);
            }
            Err((error, message)) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                self.first_failure
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .get_or_insert_with(|| format!("partition {}: {error}", message.partition()));
            }
        }
    }
}

/// A producer thread writing the input at a steady rate.
pub struct InputWriter {
    sent: Arc<AtomicUsize>,
    thread: Option<JoinHandle<Result<u64, String>>>,
    stop: Arc<AtomicBool>,
}

impl InputWriter {
    /// Starts writing `count` records of `generator` to `data`, `per_second`
    /// of them a second.
    pub fn start(
        bootstrap_servers: &str,
        mut generator: InputGenerator,
        count: usize,
        per_second: usize,
    ) -> InputWriter {
        let producer: ThreadedProducer<DeliveryCounter> = ClientConfig::new()
            .set("bootstrap.servers", bootstrap_servers)
            .set("acks", "all")
            // The broker restarts under it: plain retries (duplicates in the
            // input are fine, the verifier reads the input as written).
            .set("enable.idempotence", "false")
            .set("message.timeout.ms", "300000")
            .set("linger.ms", "5")
            .create_with_context(DeliveryCounter::default())
            .expect("creating the input producer");
        let sent = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (thread_sent, thread_stop) = (sent.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let per_second = per_second.max(1);
            for n in 0..count {
                if thread_stop.load(Ordering::Relaxed) {
                    return Err("stopped before the input was written".to_string());
                }
                if n % STEP == 0 {
                    // Pacing: record n is due n / per_second seconds after the start.
                    let due = started + Duration::from_secs_f64(n as f64 / per_second as f64);
                    std::thread::sleep(due.saturating_duration_since(Instant::now()));
                }
                let (key, value) = generator.next_record();
                let payload = value.to_be_bytes();
                let mut record = BaseRecord::to(DATA_TOPIC).key(&key).payload(&payload);
                loop {
                    match producer.send(record) {
                        Ok(()) => break,
                        Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                            record = back;
                            producer.poll(Duration::from_millis(10));
                        }
                        Err((error, _)) => {
                            return Err(format!("sending input record {n}: {error}"));
                        }
                    }
                }
                thread_sent.store(n + 1, Ordering::Relaxed);
            }
            producer
                .flush(Duration::from_secs(300))
                .map_err(|e| format!("flushing the input: {e}"))?;
            let context = producer.context();
            let failed = context.failed.load(Ordering::Relaxed);
            if failed > 0 {
                return Err(format!(
                    "{failed} input records were not delivered, the first: {}",
                    context
                        .first_failure
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .clone()
                        .unwrap_or_default()
                ));
            }
            Ok(context.delivered.load(Ordering::Relaxed))
        });
        InputWriter {
            sent,
            thread: Some(thread),
            stop,
        }
    }

    /// Records handed to the producer so far.
    pub fn sent(&self) -> usize {
        self.sent.load(Ordering::Relaxed)
    }

    /// Whether every record was handed over and flushed (or writing failed).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Waits for the writer; returns how many records were acknowledged.
    pub fn finish(mut self) -> Result<u64, String> {
        self.thread
            .take()
            .ok_or("the input writer was finished already")?
            .join()
            .map_err(|_| "the input writer panicked".to_string())?
    }
}

impl Drop for InputWriter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
