//! What the runtime's unit tests share: a counting topology, tasks whose
//! output goes to the fake cluster, and a harness that runs a stream thread
//! on the fake cluster (its clients from [`FakeClientSupplier`]).

use super::active_task::ActiveTask;
use super::changelog_reader::ChangelogReader;
use super::client_supplier::{ClientSupplier, ThreadClients};
use super::fake_cluster::{FakeCluster, MemberState};
use super::metrics::SharedMetrics;
use super::producer::{ProducerClient, ProducerFactory, StreamsProducer};
use super::state_directory::StateDirectory;
use super::stream_thread::StreamThread;
use super::task_checkpoint::TaskCheckpoint;
use super::thread_shared::{InstanceParts, ThreadShared};
use super::uncaught_handler::fixed_response;
use super::{RuntimeError, StateMachine, StreamsConfig, StreamsState, TopicPlan};
use crate::error::ProcessError;
use crate::metrics::{MetricsRegistry, ThreadSensors};
use crate::processor::{Processor, ProcessorContext};
use crate::record::{ConsumedRecord, Headers, Record, RecordMetadata};
use crate::serde::{I64Serde, Serde};
use crate::state::{KeyValueStoreBuilder, TimestampedKeyValueStore};
use crate::task::{StreamTask, TaskConfig, TaskId};
use crate::topology::{SinkTopic, TopicRef, Topology, TopologyBuilder};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use streams_state::{ThreadCache, TopicPartition};

/// The application id of the tests.
pub(crate) const APP: &str = "app";
/// The input topic.
pub(crate) const INPUT: &str = "in";
/// The output topic (counts per key).
pub(crate) const OUTPUT: &str = "out";
/// The changelog of the `counts` store.
pub(crate) const CHANGELOG: &str = "app-counts-changelog";
/// How long a test waits for the thread before failing.
pub(crate) const WAIT: Duration = Duration::from_secs(20);

/// Keys whose `panic-once` record panicked already (in this test process).
static PANICKED_ONCE: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Counts records per key in store `counts` and forwards the new count. A
/// value `panic` panics; `panic-once` panics the first time for its key;
/// `fail` returns an error.
struct Count;

impl Processor<String, String, String, i64> for Count {
    fn process(
        &mut self,
        record: Record<String, String>,
        ctx: &mut ProcessorContext<'_, String, i64>,
    ) -> Result<(), ProcessError> {
        match record.value.as_str() {
            "panic" => panic!("boom on {}", record.key),
            "panic-once" => {
                let mut panicked = PANICKED_ONCE
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if !panicked.contains(&record.key) {
                    panicked.push(record.key.clone());
                    drop(panicked);
                    panic!("boom once on {}", record.key);
                }
            }
            "fail" => return Err(ProcessError::msg(format!("failing on {}", record.key))),
            _ => {}
        }
        let store = ctx.state_store::<TimestampedKeyValueStore<String, i64>>("counts")?;
        let count = store.get(&record.key)?.map_or(0, |v| v.value) + 1;
        store.put(&record.key, &count, record.timestamp)?;
        ctx.forward(record.with_value(count))
    }
}

/// `in` -> count per key (store `counts`, logged, caching off) -> `out`.
pub(crate) fn count_topology(persistent: bool) -> Topology {
    let mut builder = TopologyBuilder::new();
    let source = builder.add_source::<String, String>(
        "source",
        vec![TopicRef::External(INPUT.into())],
        None,
        None,
    );
    let count = builder.add_processor("count", || Count, &[source]);
    let store = if persistent {
        KeyValueStoreBuilder::<String, i64>::persistent("counts")
    } else {
        KeyValueStoreBuilder::<String, i64>::in_memory("counts")
    };
    builder.add_state_store(store);
    builder.connect_store("counts", count);
    builder.add_sink(
        "sink",
        SinkTopic::Topic(TopicRef::External(OUTPUT.into())),
        None,
        None,
        &[count],
    );
    builder.build().unwrap()
}

/// Checks `done` every millisecond until it holds; fails naming `what` after [`WAIT`].
pub(crate) fn wait_for(what: &str, done: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + WAIT;
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what} did not happen within {WAIT:?}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A producer factory on `cluster` that tracks acknowledgements of the changelog.
pub(crate) fn producer_factory(
    cluster: &FakeCluster,
    transactional_id: Option<&str>,
) -> ProducerFactory {
    let cluster = cluster.clone();
    let id = transactional_id.map(str::to_string);
    Box::new(move || {
        let producer = cluster.producer(id.as_deref());
        producer.track_changelogs([CHANGELOG.to_string()]);
        let client: Box<dyn ProducerClient> = Box::new(producer);
        Ok(client)
    })
}

/// Task `0_<partition>` of `topology` in `state_dir`, sending to `cluster`.
pub(crate) fn task_on(
    cluster: &FakeCluster,
    topology: &Topology,
    state_dir: &Path,
    partition: i32,
) -> ActiveTask {
    let id = TaskId {
        subtopology: 0,
        partition,
    };
    let producer = Rc::new(
        StreamsProducer::new(producer_factory(cluster, None), false, Duration::ZERO).unwrap(),
    );
    let task = StreamTask::new(
        topology,
        id,
        TaskConfig {
            application_id: Arc::from(APP),
            wall_clock_ms: 0,
            handlers: Default::default(),
            metrics: MetricsRegistry::new(Default::default(), APP),
            state_dir: state_dir.to_path_buf(),
            cache: ThreadCache::new(0),
            rocksdb: Default::default(),
            global_stores: Default::default(),
        },
        Box::new(super::producer::KafkaRecordCollector::new(producer, id)),
    )
    .unwrap();
    let checkpoint = TaskCheckpoint::of_task(&task, &state_dir.join(id.to_string())).unwrap();
    ActiveTask::new(
        task,
        checkpoint,
        vec![TopicPartition::new(INPUT, partition)],
    )
}

/// Feeds `keys` (value `x`) to a task and processes them all.
pub(crate) fn process(task: &mut StreamTask, keys: &[&str]) {
    let partition = task.id().partition;
    for (offset, key) in keys.iter().enumerate() {
        task.add_record(ConsumedRecord {
            metadata: RecordMetadata {
                topic: INPUT.into(),
                partition,
                offset: offset as i64,
            },
            timestamp: 1000 + offset as i64,
            key: Some(key.as_bytes().to_vec()),
            value: Some(b"x".to_vec()),
            headers: Headers::new(),
        });
    }
    while task.process_next().unwrap() {}
    task.flush().unwrap();
}

/// The `counts` store of a task.
pub(crate) fn store_counts(task: &mut StreamTask) -> BTreeMap<String, i64> {
    task.state_store::<TimestampedKeyValueStore<String, i64>>("counts")
        .unwrap()
        .all()
        .unwrap()
        .into_iter()
        .map(|(k, v)| (k, v.value))
        .collect()
}

/// Creates the fake clients of stream threads and keeps their consumers'
/// member states for the tests.
pub(crate) struct FakeClientSupplier {
    cluster: FakeCluster,
    read_committed: bool,
    members: Mutex<Vec<Arc<Mutex<MemberState>>>>,
}

impl FakeClientSupplier {
    /// The member state of the `n`th consumer created.
    pub(crate) fn member(&self, n: usize) -> Arc<Mutex<MemberState>> {
        self.members.lock().unwrap()[n].clone()
    }

    /// Consumers created so far.
    pub(crate) fn consumers(&self) -> usize {
        self.members.lock().unwrap().len()
    }
}

impl ClientSupplier for FakeClientSupplier {
    fn clients(
        &self,
        _: &str,
        transactional_id: Option<&str>,
        _: &Arc<ThreadSensors>,
    ) -> Result<ThreadClients, RuntimeError> {
        let consumer = self.cluster.consumer(self.read_committed);
        self.members.lock().unwrap().push(consumer.member());
        let restore: Box<dyn ChangelogReader> =
            Box::new(self.cluster.changelog_reader(self.read_committed));
        Ok(ThreadClients {
            consumer: Box::new(consumer),
            restore,
            producer: producer_factory(&self.cluster, transactional_id),
        })
    }
}

/// A stream thread's world on the fake cluster.
pub(crate) struct Harness {
    pub(crate) cluster: FakeCluster,
    pub(crate) shared: Arc<ThreadShared>,
    pub(crate) supplier: Arc<FakeClientSupplier>,
    pub(crate) dir: tempfile::TempDir,
}

/// Hands the harness's supplier to the shared state while keeping it.
struct SharedSupplier(Arc<FakeClientSupplier>);

impl ClientSupplier for SharedSupplier {
    fn clients(
        &self,
        thread: &str,
        transactional_id: Option<&str>,
        sensors: &Arc<ThreadSensors>,
    ) -> Result<ThreadClients, RuntimeError> {
        self.0.clients(thread, transactional_id, sensors)
    }
}

impl Harness {
    /// `partitions` input, output and changelog partitions, the count
    /// topology on persistent stores, and `settings` over test defaults
    /// (commit at every round).
    pub(crate) fn new(partitions: i32, settings: &[(&str, &str)]) -> Self {
        Self::with_topology(count_topology(true), partitions, settings)
    }

    /// As [`new`](Self::new) with another topology reading `in`.
    pub(crate) fn with_topology(
        topology: Topology,
        partitions: i32,
        settings: &[(&str, &str)],
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let cluster = FakeCluster::default();
        for topic in [INPUT, OUTPUT, CHANGELOG] {
            cluster.create_topic(topic, partitions);
        }
        let config = StreamsConfig::builder()
            .set("application.id", APP)
            .set("bootstrap.servers", "fake:9092")
            .set("state.dir", dir.path().display().to_string())
            .set("commit.interval.ms", "0")
            .set("poll.ms", "1")
            .set_all(settings.iter().copied())
            .build()
            .unwrap();
        let existing: HashMap<String, i32> = [
            (INPUT.to_string(), partitions),
            (OUTPUT.to_string(), partitions),
        ]
        .into();
        let plan = TopicPlan::new(&topology, APP, &existing).unwrap();
        let read_committed =
            config.processing_guarantee() == super::ProcessingGuarantee::ExactlyOnceV2;
        let supplier = Arc::new(FakeClientSupplier {
            cluster: cluster.clone(),
            read_committed,
            members: Mutex::default(),
        });
        let state = StateMachine::new();
        state.transition(StreamsState::Rebalancing);
        let handler = config.uncaught_exception_handler();
        let shared = Arc::new(ThreadShared::new(InstanceParts {
            global_stores: Default::default(),
            directory: Arc::new(StateDirectory::lock(config.application_state_dir()).unwrap()),
            config,
            topology: Arc::new(topology),
            plan,
            state,
            metrics: Arc::new(SharedMetrics::new(MetricsRegistry::new(
                Default::default(),
                APP,
            ))),
            clients: Box::new(SharedSupplier(supplier.clone())),
            uncaught_handler: fixed_response(handler),
            restore_listener: None,
        }));
        Self {
            cluster,
            shared,
            supplier,
            dir,
        }
    }

    /// A new stream thread (index 0) on fresh fake clients.
    pub(crate) fn thread(&self) -> StreamThread {
        let sensors = Arc::new(ThreadSensors::new(
            &self.shared.metrics.registry,
            "StreamThread-1",
        ));
        let clients = self
            .supplier
            .clients(
                "StreamThread-1",
                self.shared.transactional_id(0).as_deref(),
                &sensors,
            )
            .unwrap();
        StreamThread::new(
            self.shared.clone(),
            0,
            self.shared.next_owner(),
            clients,
            sensors,
        )
        .unwrap()
    }

    /// Produces `records` (partition, key, value) to the empty input, starts
    /// a thread and runs it until the group's offsets cover them.
    pub(crate) fn started(&self, records: &[(i32, &str, &str)]) -> StreamThread {
        let mut expected: BTreeMap<i32, i64> = BTreeMap::new();
        for (partition, key, value) in records {
            self.produce(*partition, key, value);
            *expected.entry(*partition).or_default() += 1;
        }
        let mut thread = self.thread();
        self.run_until(&mut thread, "the first records committed", |_| {
            expected
                .iter()
                .all(|(partition, next)| self.cluster.committed(INPUT, *partition) == Some(*next))
        });
        thread
    }

    /// `thread` dies without closing anything (its task directories are then
    /// free, as when a process is killed); returns a new thread in its place.
    pub(crate) fn crash_and_restart(&self, thread: StreamThread) -> StreamThread {
        let owner = thread.owner();
        drop(thread);
        self.shared.directory.unlock_all(owner);
        self.thread()
    }

    /// Appends an input record to partition `partition`.
    pub(crate) fn produce(&self, partition: i32, key: &str, value: &str) {
        self.cluster
            .append(INPUT, partition, key.as_bytes(), value.as_bytes(), 1000);
    }

    /// The latest count of each key in the output, as a reader with this
    /// isolation sees it.
    pub(crate) fn output_counts(
        &self,
        partitions: i32,
        read_committed: bool,
    ) -> BTreeMap<String, i64> {
        let mut counts = BTreeMap::new();
        for partition in 0..partitions {
            for (key, value) in self.cluster.records(OUTPUT, partition, read_committed) {
                let key = String::from_utf8(key.unwrap()).unwrap();
                counts.insert(key, I64Serde.deserialize(&value.unwrap()).unwrap());
            }
        }
        counts
    }

    /// Every output count update, in order, per partition.
    pub(crate) fn output_updates(
        &self,
        partitions: i32,
        read_committed: bool,
    ) -> Vec<(String, i64)> {
        (0..partitions)
            .flat_map(|partition| self.cluster.records(OUTPUT, partition, read_committed))
            .map(|(key, value)| {
                (
                    String::from_utf8(key.unwrap()).unwrap(),
                    I64Serde.deserialize(&value.unwrap()).unwrap(),
                )
            })
            .collect()
    }

    /// Runs rounds of `thread` until `done` holds, failing after 20 s.
    pub(crate) fn run_until(
        &self,
        thread: &mut StreamThread,
        what: &str,
        done: impl Fn(&StreamThread) -> bool,
    ) {
        let deadline = std::time::Instant::now() + WAIT;
        while !done(thread) {
            assert!(
                std::time::Instant::now() < deadline,
                "{what} did not happen within {WAIT:?}"
            );
            if let Err(error) = thread.run_round() {
                panic!("waiting for {what}: {error}");
            }
        }
    }

    /// Runs `thread` until its consumer rejoined the group once more and the
    /// group's offset of input partition 0 is `next` again.
    pub(crate) fn run_until_rejoined(&self, thread: &mut StreamThread, next: i64) {
        let member = self.supplier.member(self.supplier.consumers() - 1);
        let rejoins = member.lock().unwrap().rejoins;
        self.run_until(thread, "a rejoin", |_| {
            member.lock().unwrap().rejoins == rejoins + 1
        });
        self.run_until(thread, "the commit after rejoining", |_| {
            self.cluster.committed(INPUT, 0) == Some(next)
        });
    }

    /// Runs rounds of `thread` until one fails; returns the error.
    pub(crate) fn run_until_error(&self, thread: &mut StreamThread) -> RuntimeError {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            assert!(
                std::time::Instant::now() < deadline,
                "the thread did not fail within {WAIT:?}"
            );
            if let Err(error) = thread.run_round() {
                return error;
            }
        }
    }
}
