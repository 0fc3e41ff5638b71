//! The driver: tasks, captured output, routing of records between sub-topologies.

use super::{TestDriverConfig, TestDriverError, TestInputTopic, TestOutputTopic};
use crate::error::StreamsError;
use crate::handler::ErrorHandlers;
use crate::metrics::MetricsRegistry;
use crate::record::{ConsumedRecord, Headers, ProducedRecord, RecordMetadata};
use crate::serde::SerdeRef;
use crate::state::{GlobalStores, TimestampedKeyValueStore, ValueAndTimestamp};
use crate::task::{RecordCollector, StreamTask, TaskConfig, TaskId, TaskMetrics};
use crate::topology::Topology;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use streams_state::{RocksDbShared, ThreadCache};

/// Runs a topology without a broker. Cheap to create; one per test.
///
/// Typed input and output topics share the driver's state, so several can be used
/// at once. Everything happens synchronously inside `pipe` and
/// `advance_wall_clock`: when they return, every resulting output is readable.
pub struct TopologyTestDriver {
    state: Rc<RefCell<DriverState>>,
}

/// What produced records the driver has captured, shared with the collectors.
#[derive(Default)]
pub(crate) struct Captured {
    pub(crate) outputs: HashMap<String, VecDeque<ProducedRecord>>,
    /// Produced records for topics the topology reads, to be piped back in.
    to_route: VecDeque<ProducedRecord>,
}

struct CapturingCollector {
    captured: Rc<RefCell<Captured>>,
    topology_inputs: Arc<HashMap<String, usize>>,
    topic_partitions: Arc<HashMap<String, i32>>,
    global_stores: GlobalStores,
}

impl RecordCollector for CapturingCollector {
    fn send(&mut self, record: ProducedRecord) -> Result<(), StreamsError> {
        let mut captured = self.captured.borrow_mut();
        if self.topology_inputs.contains_key(&*record.topic)
            || self.global_stores.of_topic(&record.topic).is_some()
        {
            captured.to_route.push_back(record.clone());
        }
        captured
            .outputs
            .entry(record.topic.to_string())
            .or_default()
            .push_back(record);
        Ok(())
    }

    fn partitions(&mut self, topic: &str) -> Result<i32, StreamsError> {
        Ok(self.topic_partitions.get(topic).copied().unwrap_or(1))
    }
}

pub(crate) struct DriverState {
    pub(crate) topology: Topology,
    tasks: Vec<StreamTask>,
    task_of_topic: Arc<HashMap<String, usize>>,
    /// The global stores, written synchronously by records piped into their topics.
    global_stores: GlobalStores,
    /// Per input topic: its shared name and the next offset to assign.
    next_offset: HashMap<String, (Arc<str>, i64)>,
    pub(crate) captured: Rc<RefCell<Captured>>,
    wall_clock_ms: i64,
    commit_after_each_record: bool,
    metrics: MetricsRegistry,
    /// Where the tasks' persistent stores live; deleted with the driver.
    _state_dir: tempfile::TempDir,
}

impl DriverState {
    /// Appends a record to an input topic and processes until nothing is left.
    pub(crate) fn pipe(
        &mut self,
        topic: &str,
        key: Option<Vec<u8>>,
        value: Option<Vec<u8>>,
        timestamp: i64,
        headers: Headers,
    ) -> Result<(), StreamsError> {
        self.enqueue(topic, key, value, timestamp, headers)?;
        self.run_until_idle()?;
        if self.commit_after_each_record {
            self.commit()?;
        }
        Ok(())
    }

    /// Flushes every task (caches forward their pending updates, stores write
    /// down), processing whatever that sends through internal topics, until
    /// nothing more is pending; then commits every store.
    pub(crate) fn commit(&mut self) -> Result<(), StreamsError> {
        // Each round can only feed sub-topologies downstream of the flushed ones.
        for _ in 0..=self.tasks.len() {
            for task in &mut self.tasks {
                task.flush_caches()?;
            }
            if self.captured.borrow().to_route.is_empty() {
                break;
            }
            self.run_until_idle()?;
        }
        // No broker, no changelog offsets: stores commit their writes and keep
        // their (absent) offsets.
        for task in &mut self.tasks {
            task.commit_state(&BTreeMap::new())?;
        }
        Ok(())
    }

    fn enqueue(
        &mut self,
        topic: &str,
        key: Option<Vec<u8>>,
        value: Option<Vec<u8>>,
        timestamp: i64,
        headers: Headers,
    ) -> Result<(), StreamsError> {
        if let Some(store) = self.global_stores.of_topic(topic) {
            return store.apply(key.as_deref(), value.as_deref(), timestamp);
        }
        let Some(&task) = self.task_of_topic.get(topic) else {
            return Ok(());
        };
        let (name, offset) = match self.next_offset.get_mut(topic) {
            Some(entry) => entry,
            None => self
                .next_offset
                .entry(topic.to_string())
                .or_insert_with(|| (Arc::from(topic), 0)),
        };
        let metadata = RecordMetadata {
            topic: name.clone(),
            partition: 0,
            offset: *offset,
        };
        *offset += 1;
        self.tasks[task].add_record(ConsumedRecord {
            metadata,
            timestamp,
            key,
            value,
            headers,
        });
        Ok(())
    }

    fn run_until_idle(&mut self) -> Result<(), StreamsError> {
        loop {
            for task in &mut self.tasks {
                while task.process_next()? {}
            }
            let routed: Vec<ProducedRecord> =
                self.captured.borrow_mut().to_route.drain(..).collect();
            if routed.is_empty() {
                return Ok(());
            }
            for record in routed {
                self.enqueue(
                    &record.topic,
                    record.key,
                    record.value,
                    record.timestamp,
                    record.headers,
                )?;
            }
        }
    }

    pub(crate) fn is_input_topic(&self, topic: &str) -> bool {
        self.task_of_topic.contains_key(topic) || self.global_stores.of_topic(topic).is_some()
    }

    fn input_topics(&self) -> String {
        let mut topics: Vec<&str> = self
            .task_of_topic
            .keys()
            .map(String::as_str)
            .chain(self.global_stores.writers().map(|store| store.topic()))
            .collect();
        topics.sort();
        topics.join(", ")
    }
}

impl TopologyTestDriver {
    /// A driver with the default [`TestDriverConfig`].
    pub fn new(topology: Topology) -> Result<Self, StreamsError> {
        Self::with_config(topology, TestDriverConfig::default())
    }

    /// A driver with explicit settings.
    pub fn with_config(topology: Topology, config: TestDriverConfig) -> Result<Self, StreamsError> {
        let application_id: Arc<str> = config.application_id.as_str().into();
        let mut task_of_topic = HashMap::new();
        for sub in topology.subtopologies() {
            for topic in topology.source_topics(sub.id(), &application_id) {
                task_of_topic.insert(topic, sub.id() as usize);
            }
        }
        let task_of_topic = Arc::new(task_of_topic);
        let state_dir = tempfile::Builder::new()
            .prefix("rstreams-test-driver-")
            .tempdir()
            .map_err(|e| StreamsError::StateDirectory {
                path: std::env::temp_dir(),
                source: e,
            })?;
        let captured = Rc::new(RefCell::new(Captured::default()));
        // Internal topics whose partition count the topology sets have it, as
        // the runtime creates them.
        let mut topic_partitions = config.topic_partitions.clone();
        for (topic, partitions) in topology.partition_counts(&application_id) {
            topic_partitions.insert(topic, i32::try_from(partitions).unwrap_or(i32::MAX));
        }
        let topic_partitions = Arc::new(topic_partitions);
        let cache = ThreadCache::new(config.cache_max_bytes);
        let metrics = MetricsRegistry::new(config.metrics_recording_level, &application_id);
        let handlers = ErrorHandlers {
            deserialization: config.deserialization_handler.clone(),
            processing: config.processing_handler.clone(),
            production: config.production_handler.clone(),
        };
        let rocksdb = RocksDbShared::bounded(
            config.rocksdb_block_cache_bytes,
            config.rocksdb_write_buffer_bytes,
        );
        let global_stores = GlobalStores::open(
            topology.global_stores(),
            &state_dir.path().join("global"),
            &rocksdb,
        )?;
        let mut tasks = Vec::new();
        for sub in topology.subtopologies() {
            let collector = CapturingCollector {
                captured: captured.clone(),
                topology_inputs: task_of_topic.clone(),
                topic_partitions: topic_partitions.clone(),
                global_stores: global_stores.clone(),
            };
            tasks.push(StreamTask::new(
                &topology,
                TaskId {
                    subtopology: sub.id(),
                    partition: 0,
                },
                TaskConfig {
                    application_id: application_id.clone(),
                    wall_clock_ms: config.wall_clock_start_ms,
                    handlers: handlers.clone(),
                    metrics: metrics.clone(),
                    state_dir: state_dir.path().to_path_buf(),
                    cache: cache.clone(),
                    rocksdb: rocksdb.clone(),
                    global_stores: global_stores.clone(),
                },
                Box::new(collector),
            )?);
        }
        Ok(Self {
            state: Rc::new(RefCell::new(DriverState {
                topology,
                tasks,
                task_of_topic,
                global_stores,
                next_offset: HashMap::new(),
                captured,
                wall_clock_ms: config.wall_clock_start_ms,
                commit_after_each_record: config.commit_after_each_record,
                metrics,
                _state_dir: state_dir,
            })),
        })
    }

    /// A typed handle to pipe records into `topic`, with the topology's default
    /// serdes for `K` and `V`.
    pub fn input_topic<K: 'static, V: 'static>(
        &self,
        topic: &str,
    ) -> Result<TestInputTopic<K, V>, TestDriverError> {
        let (key_serde, value_serde) = self.default_serdes(topic)?;
        self.input_topic_with(topic, key_serde, value_serde)
    }

    /// A typed handle to pipe records into `topic` with explicit serdes.
    pub fn input_topic_with<K, V>(
        &self,
        topic: &str,
        key_serde: SerdeRef<K>,
        value_serde: SerdeRef<V>,
    ) -> Result<TestInputTopic<K, V>, TestDriverError> {
        let state = self.state.borrow();
        if !state.is_input_topic(topic) {
            return Err(TestDriverError::NotAnInputTopic {
                topic: topic.to_string(),
                known: state.input_topics(),
            });
        }
        Ok(TestInputTopic::new(
            self.state.clone(),
            topic,
            key_serde,
            value_serde,
        ))
    }

    /// A typed handle to read what the topology wrote to `topic`, with the
    /// topology's default serdes for `K` and `V`.
    pub fn output_topic<K: 'static, V: 'static>(
        &self,
        topic: &str,
    ) -> Result<TestOutputTopic<K, V>, TestDriverError> {
        let (key_serde, value_serde) = self.default_serdes(topic)?;
        Ok(self.output_topic_with(topic, key_serde, value_serde))
    }

    /// A typed handle to read `topic` with explicit serdes.
    pub fn output_topic_with<K, V>(
        &self,
        topic: &str,
        key_serde: SerdeRef<K>,
        value_serde: SerdeRef<V>,
    ) -> TestOutputTopic<K, V> {
        TestOutputTopic::new(self.state.clone(), topic, key_serde, value_serde)
    }

    fn default_serdes<K: 'static, V: 'static>(
        &self,
        topic: &str,
    ) -> Result<(SerdeRef<K>, SerdeRef<V>), TestDriverError> {
        let state = self.state.borrow();
        let serdes = state.topology.serdes();
        let missing = |type_name| TestDriverError::MissingSerde {
            topic: topic.to_string(),
            type_name,
        };
        Ok((
            serdes
                .get::<K>()
                .ok_or_else(|| missing(std::any::type_name::<K>()))?,
            serdes
                .get::<V>()
                .ok_or_else(|| missing(std::any::type_name::<V>()))?,
        ))
    }

    /// Advances the mocked wall clock and fires due wall-clock punctuators.
    pub fn advance_wall_clock(&self, by: Duration) -> Result<(), StreamsError> {
        let mut state = self.state.borrow_mut();
        state.wall_clock_ms = state
            .wall_clock_ms
            .saturating_add(i64::try_from(by.as_millis()).unwrap_or(i64::MAX));
        let now = state.wall_clock_ms;
        for task in &mut state.tasks {
            task.punctuate_wall_clock(now)?;
        }
        state.run_until_idle()?;
        if state.commit_after_each_record {
            state.commit()?;
        }
        Ok(())
    }

    /// Commits every task: processors forward what their caches hold, stores are
    /// flushed. Happens after every piped record unless
    /// [`TestDriverConfig::commit_after_each_record`] is off.
    pub fn commit(&self) -> Result<(), StreamsError> {
        self.state.borrow_mut().commit()
    }

    /// Runs `read` on the state store `name` (of whichever task has it) as its
    /// concrete type `S`, e.g. `TimestampedKeyValueStore<String, i64>`.
    pub fn with_state_store<S: 'static, R>(
        &self,
        name: &str,
        read: impl FnOnce(&mut S) -> R,
    ) -> Result<R, TestDriverError> {
        let mut state = self.state.borrow_mut();
        for task in &mut state.tasks {
            if let Some(store) = task.state_store::<S>(name) {
                return Ok(read(store));
            }
        }
        Err(TestDriverError::UnknownStore {
            store: name.to_string(),
            type_name: std::any::type_name::<S>(),
        })
    }

    /// Every entry of the key-value store `name`, with the value's timestamp.
    pub fn key_value_store_entries<K: 'static, V: 'static>(
        &self,
        name: &str,
    ) -> Result<Vec<(K, ValueAndTimestamp<V>)>, TestDriverError> {
        self.with_state_store(name, |store: &mut TimestampedKeyValueStore<K, V>| {
            store.all()
        })?
        .map_err(|source| TestDriverError::Store {
            store: name.to_string(),
            source: Box::new(source),
        })
    }

    /// The mocked wall clock, in milliseconds.
    pub fn wall_clock_ms(&self) -> i64 {
        self.state.borrow().wall_clock_ms
    }

    /// Names of the topics records were written to, sorted.
    pub fn produced_topic_names(&self) -> Vec<String> {
        let state = self.state.borrow();
        let captured = state.captured.borrow();
        let mut names: Vec<String> = captured.outputs.keys().cloned().collect();
        names.sort();
        names
    }

    /// Drops every captured output record not yet read and returns how many there
    /// were (long-running tests and benchmarks keep memory flat this way).
    pub fn discard_output(&self) -> usize {
        let state = self.state.borrow();
        let mut captured = state.captured.borrow_mut();
        let discarded = captured.outputs.values().map(|q| q.len()).sum();
        captured.outputs.clear();
        discarded
    }

    /// The counters of all tasks, summed.
    pub fn metrics(&self) -> TaskMetrics {
        let mut total = TaskMetrics::default();
        for task in &self.state.borrow().tasks {
            total += task.metrics();
        }
        total
    }

    /// The metrics of the driven tasks, as a running instance exports them
    /// (labels `task`, `node`, `stage`; `application_id` on every series).
    pub fn metrics_registry(&self) -> MetricsRegistry {
        self.state.borrow().metrics.clone()
    }

    /// The topology being driven.
    pub fn describe(&self) -> String {
        self.state.borrow().topology.describe().to_string()
    }
}

impl Drop for TopologyTestDriver {
    fn drop(&mut self) {
        if let Ok(mut state) = self.state.try_borrow_mut() {
            for task in &mut state.tasks {
                if let Err(error) = task.close() {
                    tracing::error!(task = %task.id(), %error, "closing a task failed");
                }
            }
        }
    }
}
