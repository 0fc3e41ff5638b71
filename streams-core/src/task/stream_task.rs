//! `StreamTask`: runs one sub-topology for one partition number.

use super::{
    CommittedChangelogOffset, CreatedNode, Handled, HoldScope, InputHandle, NodeEntry, RawInput,
    RecordCollector, SharedNode, SourceFailure, TaskContext, TaskId, TaskMetrics, TaskSensors,
};
use crate::error::StreamsError;
use crate::handler::{DeadLetterHeaders, ErrorHandlers, ErrorStage};
use crate::metrics::{MetricsRegistry, StoreSensors};
use crate::processor::{PunctuationQueue, PunctuationType};
use crate::record::{ConsumedRecord, ProducedRecord, Record};
use crate::state::{GlobalStores, StoreInit, TaskStores};
use crate::topology::{NodeKind, Topology, TopologyError, changelog_topic};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use streams_state::{RecordingChangelogSink, RocksDbShared, ThreadCache, TopicPartition};

/// How a task is set up.
#[derive(Debug, Clone)]
pub struct TaskConfig {
    /// The application id: prefix of internal topics.
    pub application_id: Arc<str>,
    /// Wall-clock time (ms) the task starts at.
    pub wall_clock_ms: i64,
    /// What to do with records that fail to deserialize, in a processor, or
    /// on their way out.
    pub handlers: ErrorHandlers,
    /// Where the task's metrics are recorded.
    pub metrics: MetricsRegistry,
    /// The application's state directory (`<state.dir>/<application.id>`); a task
    /// with stores keeps them under `<state_dir>/<task id>`.
    pub state_dir: PathBuf,
    /// The thread's write cache, shared by the caching stores of all its tasks.
    pub cache: ThreadCache,
    /// The instance's RocksDB block cache, write buffer manager and options
    /// setter, shared by the RocksDB stores of all its tasks.
    pub rocksdb: RocksDbShared,
    /// The instance's global stores, which every task reads.
    pub global_stores: GlobalStores,
}

/// A typed entry point into one node of a task, for feeding it records directly
/// (tests and benchmarks of the graph itself).
pub struct NodeHandle<K, V> {
    input: InputHandle<K, V>,
}

/// One sub-topology instantiated for one partition number.
pub struct StreamTask {
    nodes: Vec<(Arc<str>, SharedNode)>,
    entries: Vec<NodeEntry>,
    sources: HashMap<Arc<str>, Rc<RefCell<dyn RawInput>>>,
    queue: super::partition_group::PartitionGroup,
    ctx: TaskContext,
    /// Source records processors keep to retry them (see
    /// [`ProcessorContext::hold_input`](crate::processor::ProcessorContext::hold_input)),
    /// with the node holding each and what the hold stops: the whole task, or
    /// only the held record's partition. Commits stop before the earliest held
    /// offset of each partition.
    held: Vec<(usize, HoldScope, ConsumedRecord)>,
    /// What logged stores wrote since the last drain.
    changelog: Rc<RecordingChangelogSink>,
    /// Changelog topic of each store, by store name.
    changelog_topics: HashMap<String, Arc<str>>,
    /// The stores that are logged, with their changelog topics, by store name.
    logged_stores: Vec<(String, Arc<str>)>,
    /// The source topics that are changelogs of stores of this task.
    source_changelogs: Vec<Arc<str>>,
    /// The stores' metrics, recorded after each commit.
    store_sensors: StoreSensors,
    /// A timestamp extractor's refusal of a buffered record: the next
    /// `process_next` fails the task with it.
    extraction_failure: Option<crate::processor::TimestampExtractionError>,
}

impl StreamTask {
    /// Instantiates the task's nodes from the topology, connects them and runs
    /// every processor's `init`.
    pub fn new(
        topology: &Topology,
        id: TaskId,
        config: TaskConfig,
        collector: Box<dyn RecordCollector>,
    ) -> Result<Self, StreamsError> {
        let subtopology = topology
            .subtopology(id.subtopology)
            .ok_or(TopologyError::UnknownSubtopology { id: id.subtopology })?;
        let global_nodes = subtopology.nodes();
        let mut created: Vec<CreatedNode> = Vec::with_capacity(global_nodes.len());
        for (local, &global) in global_nodes.iter().enumerate() {
            let node = topology.node(global);
            created.push(
                node.factory
                    .create(node.name.clone(), local, &config.application_id),
            );
        }
        let local_of = |global: usize| global_nodes.iter().position(|&g| g == global);
        for (local, &global) in global_nodes.iter().enumerate() {
            for &child in &topology.node(global).children {
                let child_name = topology.node(child).name.clone();
                let connected = match local_of(child).map(|c| &created[c].entry) {
                    Some(NodeEntry::Typed(input)) => created[local]
                        .node
                        .borrow_mut()
                        .connect(child_name.clone(), input.as_ref()),
                    _ => false,
                };
                if !connected {
                    return Err(TopologyError::Internal(format!(
                        "cannot connect '{}' to its child '{child_name}'",
                        topology.node(global).name
                    ))
                    .into());
                }
            }
        }
        let mut sources = HashMap::new();
        for (local, &global) in global_nodes.iter().enumerate() {
            if let (NodeKind::Source { topics }, NodeEntry::Source(input)) =
                (&topology.node(global).kind, &created[local].entry)
            {
                for topic in topics {
                    sources.insert(
                        Arc::from(topic.resolve(&config.application_id)),
                        input.clone(),
                    );
                }
            }
        }
        let changelog = Rc::new(RecordingChangelogSink::default());
        let stores = open_stores(topology, subtopology, id, &config, &changelog)?;
        // A store restoring from its source topic has that topic as changelog.
        let changelog_of = |name: &str| -> Arc<str> {
            match topology.source_changelog(name) {
                Some(topic) => Arc::from(topic),
                None => Arc::from(changelog_topic(&config.application_id, name)),
            }
        };
        let changelog_topics = topology
            .stores_of(subtopology)
            .map(|s| {
                let name = s.builder.name();
                (name.to_string(), changelog_of(name))
            })
            .collect();
        let mut logged_stores: Vec<(String, Arc<str>)> = topology
            .stores_of(subtopology)
            .filter(|s| {
                s.builder.changelog().is_some()
                    || topology.source_changelog(s.builder.name()).is_some()
            })
            .map(|s| {
                let name = s.builder.name();
                (name.to_string(), changelog_of(name))
            })
            .collect();
        logged_stores.sort();
        let source_changelogs = logged_stores
            .iter()
            .filter(|(store, _)| topology.source_changelog(store).is_some())
            .map(|(_, topic)| topic.clone())
            .collect();
        let nodes = global_nodes
            .iter()
            .zip(&created)
            .map(|(&g, c)| (topology.node(g).name.clone(), c.node.clone()))
            .collect();
        let mut task = Self {
            nodes,
            entries: created.into_iter().map(|c| c.entry).collect(),
            sources,
            queue: Default::default(),
            ctx: TaskContext {
                task_id: id,
                application_id: config.application_id,
                current_input: None,
                stream_time: i64::MIN,
                wall_clock_ms: config.wall_clock_ms,
                collector,
                punctuation: PunctuationQueue::default(),
                metrics: TaskMetrics::default(),
                sensors: TaskSensors::new(&config.metrics, id),
                stores,
                global_stores: config.global_stores.clone(),
                handlers: config.handlers,
                hold_requested: Vec::new(),
            },
            held: Vec::new(),
            changelog,
            changelog_topics,
            logged_stores,
            source_changelogs,
            store_sensors: StoreSensors::new(&config.metrics, id),
            extraction_failure: None,
        };
        for (_, node) in &task.nodes {
            node.borrow_mut()
                .init(&mut task.ctx)
                .map_err(|e| e.into_streams_error(None))?;
        }
        Ok(task)
    }

    /// This task's id.
    pub fn id(&self) -> TaskId {
        self.ctx.task_id
    }

    /// The topics (resolved names) this task reads.
    pub fn source_topics(&self) -> impl Iterator<Item = &str> {
        self.sources.keys().map(|t| &**t)
    }

    /// Records buffered for one input partition (backpressure pauses a partition
    /// whose buffer is full).
    pub fn buffered_in(&self, topic: &str, partition: i32) -> usize {
        self.queue.buffered_in(topic, partition)
    }

    /// For each input partition a record was processed from: the offset to
    /// resume from, as committed to the consumer group (last processed + 1, or
    /// the earliest record a processor holds for a retry).
    pub fn next_offsets(&self) -> impl Iterator<Item = (&Arc<str>, i32, i64)> {
        self.queue.next_offsets().map(|(topic, partition, next)| {
            let held = self
                .held
                .iter()
                .filter(|(_, _, r)| r.metadata.partition == partition && r.metadata.topic == *topic)
                .map(|(_, _, r)| r.metadata.offset)
                .min();
            (topic, partition, held.map_or(next, |held| held.min(next)))
        })
    }

    /// Whether the task would process a record now: it has one buffered in a
    /// partition no held record stops, and no processor holds one for a retry
    /// with the whole task stopped.
    pub fn ready_to_process(&self) -> bool {
        self.extraction_failure.is_some()
            || (!self.holds_task() && self.queue.has_next_outside(&self.held_partitions()))
    }

    /// Whether a held record stops the whole task.
    fn holds_task(&self) -> bool {
        self.held
            .iter()
            .any(|(_, scope, _)| *scope == HoldScope::Task)
    }

    /// The partitions a held record stops on its own.
    fn held_partitions(&self) -> Vec<(Arc<str>, i32)> {
        self.held
            .iter()
            .filter(|(_, scope, _)| *scope == HoldScope::Partition)
            .map(|(_, _, r)| (r.metadata.topic.clone(), r.metadata.partition))
            .collect()
    }

    /// The logged stores of this task and their changelog topics, by store
    /// name; each logs to the partition numbered as the task.
    pub fn changelogs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.logged_stores.iter().map(|(s, t)| (s.as_str(), &**t))
    }

    /// Whether `topic` is a source topic this task's stores restore from (so
    /// its records are raw source records, restored up to the group's
    /// committed offset, and its store's offset is the one processed).
    pub fn is_source_changelog(&self, topic: &str) -> bool {
        self.source_changelogs.iter().any(|t| &**t == topic)
    }

    /// For each source topic that is a changelog of a store of this task:
    /// its partition and the offset of the last record processed from it.
    pub fn source_changelog_offsets(&self) -> Vec<(TopicPartition, i64)> {
        self.next_offsets()
            .filter(|(topic, _, _)| self.is_source_changelog(topic))
            .map(|(topic, partition, next)| (TopicPartition::new(&**topic, partition), next - 1))
            .collect()
    }

    /// Whether the store `store` keeps its contents across restarts (so its
    /// checkpointed changelog offset can be trusted).
    pub fn store_is_persistent(&self, store: &str) -> bool {
        self.ctx.stores.is_persistent(store)
    }

    /// Applies records read from the changelog of `store` (binary keys, `None`
    /// values deleting), before the task processes anything, and commits them
    /// together with `last_offset`, the changelog offset of the last record
    /// read (which may be a record without a key, so not in `records`): the
    /// store's [committed offset](Self::committed_changelog_offsets) then says
    /// exactly how far restoration got.
    pub fn restore_batch(
        &mut self,
        store: &str,
        records: &[streams_state::KeyValueUpdate],
        last_offset: i64,
    ) -> Result<(), StreamsError> {
        self.ctx.stores.restore_batch(store, records, last_offset)
    }

    /// For each logged store: its changelog partition and the offset of the
    /// last changelog record its committed state includes, as stored in the
    /// store by its last commit (see [`CommittedChangelogOffset`]). Read when
    /// the task is created, to know where restoration starts.
    pub fn committed_changelog_offsets(
        &self,
    ) -> Result<Vec<CommittedChangelogOffset>, StreamsError> {
        self.logged_stores
            .iter()
            .map(|(store, topic)| {
                Ok(CommittedChangelogOffset {
                    store: store.clone(),
                    partition: TopicPartition::new(&**topic, self.ctx.task_id.partition),
                    offset: self.ctx.stores.committed_offset(store)?,
                })
            })
            .collect()
    }

    /// Makes every store's writes since the last commit durable, each logged
    /// store's together with the offset `changelog_offsets` gives for its
    /// changelog partition: the offset of the last record written to that
    /// partition, known once the producer acknowledged it (at-least-once) or
    /// the transaction holding it committed (exactly-once). A store whose
    /// partition is absent keeps its committed offset (nothing logged since).
    /// Call after [`flush_caches`](Self::flush_caches) and after the output and
    /// changelog records are committed.
    pub fn commit_state(
        &mut self,
        changelog_offsets: &BTreeMap<TopicPartition, i64>,
    ) -> Result<(), StreamsError> {
        let partition = self.ctx.task_id.partition;
        let topics = &self.changelog_topics;
        let logged = &self.logged_stores;
        self.ctx.stores.commit(|store| {
            if !logged.iter().any(|(name, _)| name == store) {
                return None;
            }
            let topic = topics.get(store)?;
            changelog_offsets
                .get(&TopicPartition::new(&**topic, partition))
                .copied()
        })?;
        self.store_sensors.record(self.ctx.stores.statistics());
        Ok(())
    }

    /// Bytes the task's stores hold for writes since their last commit: the
    /// stream thread commits early when its tasks' total exceeds
    /// `statestore.uncommitted.max.bytes`.
    pub fn uncommitted_bytes(&self) -> usize {
        self.ctx.stores.uncommitted_bytes()
    }

    /// Buffers a consumed record with the timestamp its source's extractor
    /// gives it (which then is its timestamp everywhere in the task); it is
    /// processed by [`process_next`](Self::process_next). A record the
    /// extractor refuses is not buffered, and the next `process_next` fails
    /// with the extractor's error.
    pub fn add_record(&mut self, mut record: ConsumedRecord) {
        if let Some(source) = self.sources.get(&record.metadata.topic) {
            let metadata = &record.metadata;
            let partition_time = self
                .queue
                .partition_time(&metadata.topic, metadata.partition);
            match source.borrow().timestamp_of(&record, partition_time) {
                Ok(timestamp) => record.timestamp = timestamp,
                Err(error) => {
                    tracing::error!(task = %self.ctx.task_id, record = %record.metadata, %error, "the timestamp extractor refused a record");
                    self.extraction_failure.get_or_insert(error);
                    return;
                }
            }
        }
        self.queue.push(record);
    }

    /// Records buffered and not yet processed.
    pub fn buffered(&self) -> usize {
        self.queue.buffered()
    }

    /// Drops the buffered records and those held for a retry (the runtime
    /// fetches them again from the committed offsets, which stop before any
    /// held record, when a suspended task resumes).
    pub fn clear_buffered(&mut self) {
        self.queue.clear();
        self.held.clear();
        self.extraction_failure = None;
    }

    /// The input record being processed, if processing is under way (after a
    /// panic in user code: the record it panicked on).
    pub fn record_in_process(&self) -> Option<&crate::record::RecordMetadata> {
        self.ctx.current_metadata()
    }

    /// Stream time: the largest timestamp processed so far, if any.
    pub fn stream_time(&self) -> Option<i64> {
        self.ctx.stream_time()
    }

    /// The task's counters.
    pub fn metrics(&self) -> TaskMetrics {
        self.ctx.metrics
    }

    /// Processes the buffered record with the smallest timestamp, then fires due
    /// stream-time punctuators. Returns false when nothing was buffered, or
    /// while a processor holds a record for a retry (for a partition hold:
    /// when only that partition has records buffered).
    pub fn process_next(&mut self) -> Result<bool, StreamsError> {
        if let Some(error) = self.extraction_failure.take() {
            return Err(error.into());
        }
        if self.holds_task() {
            return Ok(false);
        }
        let stopped = self.held_partitions();
        let Some(record) = self.queue.pop_next_outside(&stopped) else {
            return Ok(false);
        };
        self.process_record(record)?;
        Ok(true)
    }

    fn process_record(&mut self, record: ConsumedRecord) -> Result<(), StreamsError> {
        if record.timestamp < 0 {
            tracing::warn!(task = %self.ctx.task_id, record = %record.metadata, timestamp = record.timestamp, "dropping a record with a negative timestamp");
            self.ctx.metrics.dropped_records += 1;
            self.ctx.sensors.dropped();
            return Ok(());
        }
        let source = self
            .sources
            .get(&record.metadata.topic)
            .cloned()
            .ok_or_else(|| {
                TopologyError::Internal(format!(
                    "task {} received a record of topic '{}', which it does not read",
                    self.ctx.task_id, record.metadata.topic
                ))
            })?;
        self.ctx.stream_time = self.ctx.stream_time.max(record.timestamp);
        self.ctx.metrics.processed_records += 1;
        self.ctx.sensors.processed();
        let start = self.ctx.sensors.start();
        self.ctx.current_input = Some(record);
        let result = source.borrow_mut().process_raw(&mut self.ctx);
        let outcome = match result {
            Ok(()) => Ok(()),
            Err(SourceFailure::Deserialization(error)) => {
                self.handle_deserialization_failure(*error)
            }
            Err(SourceFailure::Processing(error)) => {
                Err(error.into_streams_error(self.ctx.current_metadata().cloned()))
            }
        };
        let input = self.ctx.current_input.take();
        self.keep_held(input);
        self.ctx.sensors.record_process(start);
        outcome?;
        self.send_changelog()?;
        self.punctuate(PunctuationType::StreamTime, self.ctx.stream_time)
    }

    /// The deserialization handler's turn: the failed record is the current input.
    fn handle_deserialization_failure(&mut self, error: StreamsError) -> Result<(), StreamsError> {
        match self.ctx.handle_failure(
            ErrorStage::Deserialization,
            None,
            "DeserializationError",
            &error,
        )? {
            Handled::Continue => Ok(()),
            Handled::Fail => Err(error),
        }
    }

    /// The production handler's turn for an output record of this task the
    /// broker refused after it was sent: fails with `error` when the handler
    /// says fail, otherwise the record is skipped (or dead-lettered) and
    /// counted. A refused dead letter is not parked again: it fails.
    pub(crate) fn handle_refused(
        &mut self,
        refused: &ProducedRecord,
        error: StreamsError,
    ) -> Result<(), StreamsError> {
        if refused
            .headers
            .iter()
            .any(|h| h.key == DeadLetterHeaders::EXCEPTION)
        {
            return Err(error);
        }
        match self.ctx.handle_refused(refused, &error)? {
            Handled::Continue => Ok(()),
            Handled::Fail => Err(error),
        }
    }

    /// Keeps `input` for every node that asked to hold it while it ran.
    fn keep_held(&mut self, input: Option<ConsumedRecord>) {
        let requested = std::mem::take(&mut self.ctx.hold_requested);
        if let Some(input) = input {
            for (node, scope) in requested {
                self.held.push((node, scope, input.clone()));
            }
        }
    }

    /// Advances the task's wall clock and fires due wall-clock punctuators.
    pub fn punctuate_wall_clock(&mut self, now_ms: i64) -> Result<(), StreamsError> {
        self.ctx.wall_clock_ms = now_ms;
        self.punctuate(PunctuationType::WallClockTime, now_ms)
    }

    fn punctuate(&mut self, kind: PunctuationType, now: i64) -> Result<(), StreamsError> {
        for (punctuator, node) in self.ctx.punctuation.take_due(kind, now) {
            // An earlier punctuator in this round may have cancelled this one.
            if !self.ctx.punctuation.is_scheduled(punctuator) {
                continue;
            }
            let target = self.nodes[node].1.clone();
            let start = self.ctx.sensors.start();
            // A node punctuating to retry a record it holds sees it as its input.
            self.ctx.current_input = self
                .held
                .iter()
                .position(|(holder, _, _)| *holder == node)
                .map(|position| self.held.remove(position).2);
            let result = target
                .borrow_mut()
                .punctuate(punctuator, now, &mut self.ctx);
            let input = self.ctx.current_input.take();
            let metadata = input.as_ref().map(|r| r.metadata.clone());
            self.keep_held(input);
            result.map_err(|e| e.into_streams_error(metadata))?;
            self.ctx.metrics.punctuations += 1;
            self.ctx.sensors.punctuated();
            self.ctx.sensors.record_punctuate(start);
            self.send_changelog()?;
        }
        Ok(())
    }

    /// Sends what logged stores wrote to their changelog topics, in this task's
    /// partition, stamped with the task's stream time.
    fn send_changelog(&mut self) -> Result<(), StreamsError> {
        let written = self.changelog.take();
        if written.is_empty() {
            return Ok(());
        }
        let timestamp = self.ctx.stream_time().unwrap_or(0).max(0);
        for record in written {
            let topic = self
                .changelog_topics
                .get(&record.store)
                .cloned()
                .ok_or_else(|| {
                    TopologyError::Internal(format!(
                        "store '{}' logged a write but has no changelog topic",
                        record.store
                    ))
                })?;
            self.ctx.collector.send(ProducedRecord {
                topic,
                partition: Some(self.ctx.task_id.partition),
                key: Some(record.key),
                value: record.value,
                timestamp,
                headers: Default::default(),
            })?;
            self.ctx.metrics.produced_records += 1;
            self.ctx.sensors.produced();
        }
        Ok(())
    }

    /// A typed entry point to the node named `node`, which must accept `Record<K, V>`.
    pub fn node_handle<K: 'static, V: 'static>(
        &self,
        node: &str,
    ) -> Result<NodeHandle<K, V>, StreamsError> {
        let position = self
            .nodes
            .iter()
            .position(|(name, _)| &**name == node)
            .ok_or_else(|| TopologyError::UnknownNode {
                name: node.to_string(),
            })?;
        match &self.entries[position] {
            NodeEntry::Typed(input) => input
                .downcast_ref::<InputHandle<K, V>>()
                .map(|input| NodeHandle {
                    input: input.clone(),
                })
                .ok_or_else(|| {
                    TopologyError::NodeInputType {
                        node: node.to_string(),
                        key: std::any::type_name::<K>(),
                        value: std::any::type_name::<V>(),
                    }
                    .into()
                }),
            NodeEntry::Source(_) => Err(TopologyError::NodeInputType {
                node: node.to_string(),
                key: std::any::type_name::<K>(),
                value: std::any::type_name::<V>(),
            }
            .into()),
        }
    }

    /// Processes a typed record as if the handle's node had received it from its
    /// parent, then fires due stream-time punctuators.
    pub fn process_at<K, V>(
        &mut self,
        handle: &NodeHandle<K, V>,
        record: Record<K, V>,
    ) -> Result<(), StreamsError> {
        self.ctx.stream_time = self.ctx.stream_time.max(record.timestamp);
        self.ctx.metrics.processed_records += 1;
        self.ctx.sensors.processed();
        handle
            .input
            .borrow_mut()
            .process(record, &mut self.ctx)
            .map_err(|e| e.into_streams_error(None))?;
        self.send_changelog()?;
        self.punctuate(PunctuationType::StreamTime, self.ctx.stream_time)
    }

    /// Lets every processor, in topological order, write down and forward what
    /// it buffers (caches), writes the stores' caches down, sends the resulting
    /// changelog records, then commits every store's writes without new
    /// changelog offsets (each keeps the offset it committed last).
    ///
    /// The commit path that keeps changelog offsets in the task's `.checkpoint`
    /// file calls this before flushing the producer; one that keeps them in the
    /// stores calls [`flush_caches`](Self::flush_caches) instead, then
    /// [`commit_state`](Self::commit_state) with the offsets once the
    /// changelog records are committed.
    pub fn flush(&mut self) -> Result<(), StreamsError> {
        self.flush_caches()?;
        self.commit_state(&BTreeMap::new())
    }

    /// Lets every processor, in topological order, write down and forward what it
    /// buffers, writes the stores' caches down and sends the resulting
    /// changelog records; nothing is made durable (that is
    /// [`commit_state`](Self::commit_state)).
    pub fn flush_caches(&mut self) -> Result<(), StreamsError> {
        for (_, node) in &self.nodes {
            node.borrow_mut()
                .flush(&mut self.ctx)
                .map_err(|e| e.into_streams_error(None))?;
        }
        self.ctx.stores.flush()?;
        self.send_changelog()
    }

    /// This task's instance of the store `name` as `S`, if it has one (for
    /// inspection by tests and the test driver).
    pub fn state_store<S: 'static>(&mut self, name: &str) -> Option<&mut S> {
        self.ctx.stores.find(name)
    }

    /// Closes every processor, then every store (caches written down, writes
    /// since the last commit committed with their offsets unchanged). The task
    /// must not be used afterwards.
    pub fn close(&mut self) -> Result<(), StreamsError> {
        for (_, node) in &self.nodes {
            node.borrow_mut().close();
        }
        self.ctx.stores.close()
    }

    /// Closes every processor, then every store without committing: caches
    /// and writes since the last commit are dropped, so each store stays at
    /// its last commit (what a task whose transaction aborted, or which was
    /// migrated, needs). Tries every store and reports the first failure. The
    /// task must not be used afterwards; reopening it restores from the
    /// stores' committed offsets.
    pub fn close_dirty(&mut self) -> Result<(), StreamsError> {
        for (_, node) in &self.nodes {
            node.borrow_mut().close();
        }
        self.ctx.stores.close_dirty()
    }
}

/// Opens the task's instance of every store its nodes use.
fn open_stores(
    topology: &Topology,
    subtopology: &crate::topology::Subtopology,
    id: TaskId,
    config: &TaskConfig,
    changelog: &Rc<RecordingChangelogSink>,
) -> Result<TaskStores, StreamsError> {
    let mut stores = TaskStores::default();
    let task_dir = config.state_dir.join(id.to_string());
    for store in topology.stores_of(subtopology) {
        let init = StoreInit {
            task_id: id,
            task_dir: &task_dir,
            application_id: &config.application_id,
            changelog: changelog.clone(),
            cache: config.cache.clone(),
            rocksdb: &config.rocksdb,
        };
        let local_nodes = store
            .nodes
            .iter()
            .filter_map(|n| subtopology.nodes().iter().position(|g| g == n))
            .collect();
        stores.add(
            store.builder.name().to_string(),
            store.builder.open(init)?,
            local_nodes,
        );
    }
    Ok(stores)
}
