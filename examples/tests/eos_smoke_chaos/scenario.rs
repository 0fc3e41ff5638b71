//! The chaos run: an embedded-kafka broker process with a data directory,
//! several eos-smoke instances, the input written at a steady rate while
//! instances are SIGKILLed at random points and restarted and the broker is
//! SIGKILLed and restarted on the same data directory; then a crash of the
//! only remaining instance (the restore-only-the-tail check), and the
//! verification of everything the application wrote.

use super::broker::BrokerProcess;
use super::input::{InputGenerator, InputWriter};
use super::instance::Instance;
use super::progress::Progress;
use super::verifier::{Verification, read_topic, verify};
use examples::eos_smoke::{DATA_TOPIC, OUTPUT_TOPICS, STORES};
use examples::xorshift::Xorshift;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use std::fmt;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long an instance may take to reach Running after a (re)start.
const START_TIMEOUT: Duration = Duration::from_secs(180);
/// How long the application may take to commit all input once it is written.
const CATCH_UP_TIMEOUT: Duration = Duration::from_secs(900);
/// How long a SIGTERMed instance may take to close.
const STOP_TIMEOUT: Duration = Duration::from_secs(90);
/// How often liveness is checked while the run waits.
const CHECK_EVERY: Duration = Duration::from_millis(100);
/// Records of each of the two batches of the single-instance crash.
const SOLO_BATCH: usize = 4_000;

/// The parameters of a run. [`ChaosConfig::for_guarantee`] gives the issue's
/// values; `EOS_SMOKE_SEED`, `EOS_SMOKE_RECORDS`, `EOS_SMOKE_INSTANCE_KILLS`,
/// `EOS_SMOKE_BROKER_KILLS` and `EOS_SMOKE_RATE` override them.
#[derive(Debug, Clone)]
pub struct ChaosConfig {
    /// `processing.guarantee` of the instances.
    pub guarantee: &'static str,
    /// Input records written during the chaos.
    pub records: usize,
    /// Input records written per second.
    pub records_per_second: usize,
    /// Application instances (processes).
    pub instances: usize,
    /// SIGKILLs (each followed by a restart) of instances during the input.
    pub instance_kills: usize,
    /// SIGKILLs (each followed by a restart) of the broker during the input.
    pub broker_kills: usize,
    /// Partitions of `data` and of the output topics.
    pub partitions: i32,
    /// Distinct input keys.
    pub keys: u64,
    /// Seed of the input and of the kill schedule.
    pub seed: u64,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(text) => text
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text} is not a valid number")),
        Err(_) => default,
    }
}

impl ChaosConfig {
    /// The run: 200k records, 10 instance and 3 broker kills, 3
    /// instances; a fresh seed unless `EOS_SMOKE_SEED` is set.
    pub fn for_guarantee(guarantee: &'static str) -> Self {
        let fresh_seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        Self {
            guarantee,
            records: env_or("EOS_SMOKE_RECORDS", 200_000),
            records_per_second: env_or("EOS_SMOKE_RATE", 4_000),
            instances: 3,
            instance_kills: env_or("EOS_SMOKE_INSTANCE_KILLS", 10),
            broker_kills: env_or("EOS_SMOKE_BROKER_KILLS", 3),
            partitions: 4,
            keys: 50,
            seed: env_or("EOS_SMOKE_SEED", fresh_seed),
        }
    }
}

/// What a run did and found.
#[derive(Debug)]
pub struct ChaosOutcome {
    /// The comparison of the outputs with the input.
    pub verification: Verification,
    /// Input records acknowledged by the broker (all phases).
    pub input_acknowledged: u64,
    /// Instance restarts after a SIGKILL while the input was written.
    pub instance_restarts: usize,
    /// Broker restarts after a SIGKILL while the input was written.
    pub broker_restarts: usize,
    /// Records the single instance restored after its crash.
    pub solo_restored: u64,
    /// Committed records in the stores' changelogs when it crashed.
    pub solo_changelog_records: u64,
    /// How long the run took.
    pub elapsed: Duration,
}

impl fmt::Display for ChaosOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} s; {} input records acknowledged; {} instance restarts, {} broker restarts; after the single instance's crash it restored {} of {} changelog records\n{}",
            self.elapsed.as_secs(),
            self.input_acknowledged,
            self.instance_restarts,
            self.broker_restarts,
            self.solo_restored,
            self.solo_changelog_records,
            self.verification
        )
    }
}

/// What the chaos does next.
#[derive(Debug, Clone, Copy)]
enum Fault {
    KillInstance,
    KillBroker,
}

/// The broker, the instances and the seed, checked for liveness while the
/// run waits.
struct Run {
    config: ChaosConfig,
    started: Instant,
    broker: BrokerProcess,
    instances: Vec<Instance>,
    progress: Progress,
    random: Xorshift,
    _work_dir: tempfile::TempDir,
}

impl Run {
    /// Prints a step of the run with the time since its start.
    fn say(&self, what: &str) {
        println!("[{:>6.1} s] {what}", self.started.elapsed().as_secs_f64());
    }

    /// Fails the test (with the seed) when the broker or an instance exited
    /// by itself (not when the run killed it).
    fn check_alive(&mut self) {
        let problem = self.broker.check_alive().err().or_else(|| {
            self.instances
                .iter_mut()
                .find_map(|i| i.check_alive().err())
        });
        if let Some(problem) = problem {
            panic!("{problem}\n(seed {})", self.config.seed);
        }
    }

    /// Lets `duration` pass (the kill schedule's random points), checking
    /// liveness meanwhile.
    fn pause(&mut self, duration: Duration) {
        let deadline = Instant::now() + duration;
        loop {
            self.check_alive();
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            std::thread::sleep(left.min(CHECK_EVERY));
        }
    }

    /// Waits at most `timeout` until `done` holds, checking liveness.
    fn wait_until(&mut self, what: &str, timeout: Duration, done: impl Fn(&Run) -> bool) {
        let deadline = Instant::now() + timeout;
        while !done(self) {
            if Instant::now() >= deadline {
                let tails: Vec<String> = self
                    .instances
                    .iter()
                    .map(|i| format!("--- {}:\n{}", i.name(), i.tail()))
                    .collect();
                panic!(
                    "{what} did not happen within {timeout:?} (seed {}); committed/end offsets of {DATA_TOPIC}: {:?}\n{}",
                    self.config.seed,
                    self.progress.positions(),
                    tails.join("\n")
                );
            }
            self.pause(CHECK_EVERY);
        }
    }

    fn wait_until_caught_up(&mut self, what: &str) {
        self.wait_until(what, CATCH_UP_TIMEOUT, |run| {
            run.progress.caught_up().unwrap_or(false)
        });
    }

    fn wait_until_running(&mut self, index: usize) -> u64 {
        let seed = self.config.seed;
        match self.instances[index].wait_until_running(START_TIMEOUT) {
            Ok(report) => report.restored_records,
            Err(error) => panic!("{error}\n(seed {seed})"),
        }
    }

    /// A duration of `average` give or take half of it.
    fn around(&mut self, average: Duration) -> Duration {
        let millis = average.as_millis().max(2) as u64;
        Duration::from_millis(millis / 2 + self.random.below(millis))
    }

    /// The kill schedule: the instance and broker kills in a random order.
    fn schedule(&mut self) -> Vec<Fault> {
        let mut faults: Vec<Fault> =
            std::iter::repeat_n(Fault::KillInstance, self.config.instance_kills)
                .chain(std::iter::repeat_n(
                    Fault::KillBroker,
                    self.config.broker_kills,
                ))
                .collect();
        for i in (1..faults.len()).rev() {
            let j = self.random.below(i as u64 + 1) as usize;
            faults.swap(i, j);
        }
        faults
    }

    fn inflict(&mut self, fault: Fault) {
        match fault {
            Fault::KillInstance => {
                let index = self.random.below(self.instances.len() as u64) as usize;
                self.say(&format!("SIGKILL {}", self.instances[index].name()));
                self.instances[index].kill();
                let down = Duration::from_millis(self.random.below(1_000));
                self.pause(down);
                self.instances[index].start();
            }
            Fault::KillBroker => {
                self.say("SIGKILL the broker");
                self.broker.kill();
                let down = Duration::from_millis(200 + self.random.below(1_800));
                self.pause(down);
                self.broker.restart();
            }
        }
    }

    fn writer(&self, seed: u64, records: usize, per_second: usize) -> InputWriter {
        InputWriter::start(
            &self.broker.bootstrap_servers(),
            InputGenerator::new(seed, self.config.keys),
            records,
            per_second,
        )
    }

    /// Waits for a writer, failing the test if it could not write everything.
    fn finish_writer(&mut self, writer: InputWriter) -> u64 {
        while !writer.is_finished() {
            self.pause(CHECK_EVERY);
        }
        writer
            .finish()
            .unwrap_or_else(|e| panic!("writing the input: {e} (seed {})", self.config.seed))
    }

    /// Committed records in the stores' changelog topics.
    fn changelog_records(&self, application_id: &str) -> u64 {
        STORES
            .iter()
            .map(|store| {
                let topic = format!("{application_id}-{store}-changelog");
                read_topic(&self.broker.bootstrap_servers(), &topic)
                    .unwrap_or_else(|e| panic!("reading {topic}: {e}"))
                    .iter()
                    .map(|partition| partition.len() as u64)
                    .sum::<u64>()
            })
            .sum()
    }
}

fn create_topics(bootstrap_servers: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers)
        .create()
        .expect("creating the admin client");
    let topics: Vec<NewTopic<'_>> = std::iter::once(DATA_TOPIC)
        .chain(OUTPUT_TOPICS)
        .map(|topic| NewTopic::new(topic, partitions, TopicReplication::Fixed(1)))
        .collect();
    for result in futures::executor::block_on(admin.create_topics(&topics, &AdminOptions::new()))
        .expect("creating the topics")
    {
        result.unwrap_or_else(|(topic, code)| panic!("creating {topic}: {code}"));
    }
}

/// Runs the chaos with `config` and verifies the output.
pub fn run(config: &ChaosConfig) -> ChaosOutcome {
    println!(
        "eos-smoke chaos: {config:?}\n  reproduce with EOS_SMOKE_SEED={} (timing still varies)",
        config.seed
    );
    let started = Instant::now();
    let work_dir = tempfile::tempdir().expect("creating the work directory");
    let broker = BrokerProcess::start(
        work_dir.path().join("broker-data"),
        work_dir.path().to_path_buf(),
    );
    let bootstrap_servers = broker.bootstrap_servers();
    create_topics(&bootstrap_servers, config.partitions);
    let application_id = format!("eos-smoke-{}-{}", config.guarantee, std::process::id());
    let instances = (0..config.instances)
        .map(|index| {
            Instance::new(
                index,
                &bootstrap_servers,
                &application_id,
                config.guarantee,
                work_dir.path(),
            )
        })
        .collect();
    let mut run = Run {
        progress: Progress::new(&bootstrap_servers, &application_id, config.partitions),
        random: Xorshift::new(config.seed ^ 0x9e37_79b9_7f4a_7c15),
        config: config.clone(),
        started,
        broker,
        instances,
        _work_dir: work_dir,
    };
    for index in 0..config.instances {
        run.instances[index].start();
    }
    for index in 0..config.instances {
        run.wait_until_running(index);
    }
    run.say("instances running; writing the input");

    // The chaos: faults spread over the time the input takes to write.
    let writer = run.writer(config.seed, config.records, config.records_per_second);
    let faults = run.schedule();
    let writing = Duration::from_secs_f64(config.records as f64 / config.records_per_second as f64);
    let gap = writing / (faults.len() as u32 + 1);
    for fault in faults {
        let wait = run.around(gap);
        run.pause(wait);
        run.inflict(fault);
    }
    let mut acknowledged = run.finish_writer(writer);
    let instance_restarts = run.instances.iter().map(Instance::restarts).sum();
    let broker_restarts = run.broker.restarts();
    run.say("input written; waiting for the application to commit all of it");
    run.wait_until_caught_up("the application committing every input record");
    run.say("caught up; stopping all instances but one");

    // One instance left, owning every task: it commits a batch (checkpoints
    // for all tasks), crashes in the middle of the next and restores.
    for index in 1..config.instances {
        if let Err(error) = run.instances[index].stop(STOP_TIMEOUT) {
            panic!("{error}\n(seed {})", config.seed);
        }
    }
    let writer = run.writer(config.seed.wrapping_add(1), SOLO_BATCH, SOLO_BATCH);
    acknowledged += run.finish_writer(writer);
    run.wait_until_caught_up("the single instance committing the first batch");
    let writer = run.writer(config.seed.wrapping_add(2), SOLO_BATCH, SOLO_BATCH / 2);
    run.wait_until("half of the second batch written", START_TIMEOUT, |_| {
        writer.sent() >= SOLO_BATCH / 2
    });
    run.say("SIGKILL instance-0 (the only instance)");
    run.instances[0].kill();
    acknowledged += run.finish_writer(writer);
    let solo_changelog_records = run.changelog_records(&application_id);
    run.instances[0].start();
    let solo_restored = run.wait_until_running(0);
    run.say(&format!(
        "restarted: restored {solo_restored} of {solo_changelog_records} changelog records"
    ));
    run.wait_until_caught_up("the restarted instance committing the second batch");
    if let Err(error) = run.instances[0].stop(STOP_TIMEOUT) {
        panic!("{error}\n(seed {})", config.seed);
    }

    run.say("verifying");
    let verification = verify(&bootstrap_servers)
        .unwrap_or_else(|e| panic!("verifying: {e} (seed {})", config.seed));
    ChaosOutcome {
        verification,
        input_acknowledged: acknowledged,
        instance_restarts,
        broker_restarts,
        solo_restored,
        solo_changelog_records,
        elapsed: started.elapsed(),
    }
}
