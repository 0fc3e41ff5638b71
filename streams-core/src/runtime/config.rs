//! `StreamsConfig`: the settings of a broker-backed application, parsed from Kafka
//! Streams-style properties, validated once at construction, and turned into the
//! librdkafka configurations of the clients the runtime creates.

use super::ConfigError;
use super::StreamThreadExceptionResponse;
use crate::handler::{DeserializationHandler, ErrorHandler, ErrorHandlers};
use crate::metrics::RecordingLevel;
use crate::topology::{TopologyOptimization, check_topic_name};
use rdkafka::ClientConfig;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// `application.id`: group id of the consumers and prefix of internal topics.
pub const APPLICATION_ID: &str = "application.id";
/// `bootstrap.servers`: `host:port` pairs of the cluster, comma-separated.
pub const BOOTSTRAP_SERVERS: &str = "bootstrap.servers";
/// `num.stream.threads`: stream threads of this instance (default 1).
pub const NUM_STREAM_THREADS: &str = "num.stream.threads";
/// `state.dir`: where task state lives (default `<tmp>/kafka-streams`).
pub const STATE_DIR: &str = "state.dir";
/// `commit.interval.ms`: how often tasks commit (default 30000; 100 under
/// `exactly_once_v2`, as Kafka Streams).
pub const COMMIT_INTERVAL_MS: &str = "commit.interval.ms";
/// `processing.guarantee`: `at_least_once` (default) or `exactly_once_v2`.
pub const PROCESSING_GUARANTEE: &str = "processing.guarantee";
/// `statestore.cache.max.bytes`: write-cache bytes of the instance, split across
/// its threads (default 10 MiB). `cache.max.bytes.buffering` and
/// `cache.max.bytes` are accepted as aliases.
pub const CACHE_MAX_BYTES: &str = "statestore.cache.max.bytes";
const CACHE_MAX_BYTES_ALIASES: [&str; 2] = ["cache.max.bytes.buffering", "cache.max.bytes"];
/// `replication.factor`: of the internal topics the runtime creates (default -1:
/// the broker's `default.replication.factor`).
pub const REPLICATION_FACTOR: &str = "replication.factor";
/// `max.task.idle.ms`: how long a task waits for data on an empty input partition
/// before processing the others out of timestamp order (default 0; -1: never wait).
pub const MAX_TASK_IDLE_MS: &str = "max.task.idle.ms";
/// `buffered.records.per.partition`: records buffered per input partition before
/// the partition is paused (default 1000).
pub const BUFFERED_RECORDS_PER_PARTITION: &str = "buffered.records.per.partition";
/// `topology.optimization`: `none` (default), `all`, or a list of rewrites
/// (see [`TopologyOptimization`]); read by
/// `StreamsBuilder::build_with` when the DSL writes the topology.
pub const TOPOLOGY_OPTIMIZATION: &str = "topology.optimization";
/// `poll.ms`: longest a stream thread blocks in poll (default 100).
pub const POLL_MS: &str = "poll.ms";
/// `deserialization.exception.handler`: `log_and_fail` (default) or
/// `log_and_continue` (Kafka Streams' class names are accepted too).
/// `default.deserialization.exception.handler` is accepted as an alias.
pub const DESERIALIZATION_EXCEPTION_HANDLER: &str = "deserialization.exception.handler";
const DESERIALIZATION_EXCEPTION_HANDLER_ALIAS: &str = "default.deserialization.exception.handler";
/// `errors.dead.letter.queue.topic.name`: when set, records that fail to
/// deserialize, in a processor or on their way out go to this topic (KIP-1034)
/// and processing continues, whatever the handlers say.
pub const DEAD_LETTER_QUEUE_TOPIC: &str = "errors.dead.letter.queue.topic.name";

// --- error handlers and metrics (operability) ---
/// `processing.exception.handler` (KIP-1033): `log_and_fail` (default) or
/// `log_and_continue` for processors that return an error or panic.
pub const PROCESSING_EXCEPTION_HANDLER: &str = "processing.exception.handler";
/// `production.exception.handler`: `log_and_fail` (default, Kafka's
/// `DefaultProductionExceptionHandler`) or `log_and_continue`, for output that
/// cannot be serialized or sent. `default.production.exception.handler` is
/// accepted as an alias.
pub const PRODUCTION_EXCEPTION_HANDLER: &str = "production.exception.handler";
const PRODUCTION_EXCEPTION_HANDLER_ALIAS: &str = "default.production.exception.handler";
/// `metrics.recording.level`: `INFO` (default), `DEBUG`, `TRACE`, or `OFF`.
pub const METRICS_RECORDING_LEVEL: &str = "metrics.recording.level";
/// How often librdkafka reports the consumers' statistics (consumer lag),
/// unless `statistics.interval.ms` is set.
const DEFAULT_STATISTICS_INTERVAL_MS: &str = "5000";
// --- end error handlers and metrics ---

// Runtime fault handling.
/// `task.timeout.ms`: how long a task may wait for something that should come
/// back (its state directory or stores held elsewhere, changelog end offsets,
/// a retriable transactional call) before the thread fails (default 300000).
pub const TASK_TIMEOUT_MS: &str = "task.timeout.ms";
/// `uncaught.exception.handler`: what follows an error or panic that escapes
/// a stream thread: `shutdown_client` (default), `replace_thread` or
/// `shutdown_application` (Kafka Streams' `StreamThreadExceptionResponse`;
/// [`KafkaStreams::set_uncaught_exception_handler`](super::KafkaStreams::set_uncaught_exception_handler)
/// decides per error instead).
pub const UNCAUGHT_EXCEPTION_HANDLER: &str = "uncaught.exception.handler";

/// Client properties the runtime sets itself; setting them is an error.
const RESERVED_CLIENT_PROPERTIES: [(&str, &str); 5] = [
    (
        "group.id",
        "the consumer group is always application.id; set application.id instead",
    ),
    (
        "enable.auto.commit",
        "the runtime commits offsets itself, after state and output are flushed",
    ),
    (
        "enable.auto.offset.store",
        "the runtime stores and commits offsets itself",
    ),
    (
        "partition.assignment.strategy",
        "the runtime relies on the range assignor to give a task all of its partitions",
    ),
    (
        "transactional.id",
        "under exactly_once_v2 each stream thread gets its own, from application.id, the process id kept in the state directory and the thread number",
    ),
];

/// How records, state and offsets are committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProcessingGuarantee {
    /// Output and state are flushed before offsets are committed: after a failure
    /// some records may be processed again, none is lost.
    #[default]
    AtLeastOnce,
    /// Kafka transactions: output, changelogs and offsets commit atomically.
    ExactlyOnceV2,
}

impl FromStr for ProcessingGuarantee {
    type Err = ConfigError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "at_least_once" => Ok(Self::AtLeastOnce),
            "exactly_once_v2" => Ok(Self::ExactlyOnceV2),
            "exactly_once" | "exactly_once_beta" => Err(invalid(
                PROCESSING_GUARANTEE,
                value,
                "this guarantee was removed from Kafka Streams; use exactly_once_v2",
            )),
            _ => Err(invalid(
                PROCESSING_GUARANTEE,
                value,
                "use at_least_once or exactly_once_v2",
            )),
        }
    }
}

fn invalid(setting: &str, value: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        setting: setting.to_string(),
        value: value.to_string(),
        reason: reason.into(),
    }
}

/// librdkafka properties for the clients, by the prefix they were given with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ClientProperties {
    /// No prefix: every client.
    common: BTreeMap<String, String>,
    /// `consumer.`: the main and the restore consumer.
    consumer: BTreeMap<String, String>,
    /// `main.consumer.`: the group consumer only.
    main_consumer: BTreeMap<String, String>,
    /// `restore.consumer.`: the consumer reading changelogs during restoration.
    restore_consumer: BTreeMap<String, String>,
    /// `global.consumer.`: the global thread's consumer of global tables' topics.
    global_consumer: BTreeMap<String, String>,
    /// `producer.`.
    producer: BTreeMap<String, String>,
    /// `admin.`.
    admin: BTreeMap<String, String>,
}

/// The settings of a [`KafkaStreams`](super::KafkaStreams) application.
///
/// Built from Kafka Streams' property names; every property the runtime does not
/// know is a librdkafka property passed to every client it creates (security
/// settings such as `security.protocol`, `ssl.*`, `sasl.*` go this way), and a
/// `consumer.`, `main.consumer.`, `restore.consumer.`, `global.consumer.`,
/// `producer.` or `admin.` prefix sends a property to those clients only,
/// overriding the unprefixed one.
///
/// ```
/// use streams_core::runtime::StreamsConfig;
/// let config = StreamsConfig::builder()
///     .set("application.id", "word-count")
///     .set("bootstrap.servers", "localhost:9092")
///     .set("num.stream.threads", "2")
///     .set("security.protocol", "plaintext")
///     .set("producer.linger.ms", "5")
///     .build()?;
/// assert_eq!(config.num_stream_threads(), 2);
/// assert!(StreamsConfig::builder().set("application.id", "x").build().is_err());
/// # Ok::<(), streams_core::runtime::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct StreamsConfig {
    application_id: String,
    bootstrap_servers: String,
    num_stream_threads: usize,
    state_dir: PathBuf,
    commit_interval: Duration,
    processing_guarantee: ProcessingGuarantee,
    cache_max_bytes: usize,
    replication_factor: i32,
    max_task_idle_ms: i64,
    buffered_records_per_partition: usize,
    poll_interval: Duration,
    topology_optimization: TopologyOptimization,
    deserialization_handler: DeserializationHandler,
    task_timeout: Duration,
    uncaught_exception_handler: StreamThreadExceptionResponse,
    handlers: ErrorHandlers,
    metrics_recording_level: RecordingLevel,
    clients: ClientProperties,
    state_stores: StateStoreConfig,
}

/// Collects properties for a [`StreamsConfig`]; a later value for a setting
/// replaces an earlier one.
#[derive(Clone, Default)]
pub struct StreamsConfigBuilder {
    properties: BTreeMap<String, String>,
    deserialization_handler: Option<DeserializationHandler>,
    processing_handler: Option<ErrorHandler>,
    production_handler: Option<ErrorHandler>,
    rocksdb_config_setter: Option<RocksDbConfigSetterRef>,
}

impl std::fmt::Debug for StreamsConfigBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamsConfigBuilder")
            .field("properties", &self.properties)
            .field("deserialization_handler", &self.deserialization_handler)
            .field("processing_handler", &self.processing_handler)
            .field("production_handler", &self.production_handler)
            .field(
                "rocksdb_config_setter",
                &self.rocksdb_config_setter.is_some(),
            )
            .finish()
    }
}

impl StreamsConfigBuilder {
    /// Sets a property (a Kafka Streams setting or a librdkafka client property).
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.insert(key.into(), value.into());
        self
    }

    /// Sets every property of `properties`.
    pub fn set_all<K: Into<String>, V: Into<String>>(
        mut self,
        properties: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        for (key, value) in properties {
            self.properties.insert(key.into(), value.into());
        }
        self
    }

    /// Sets the deserialization handler directly (overrides the property forms).
    pub fn deserialization_handler(mut self, handler: DeserializationHandler) -> Self {
        self.deserialization_handler = Some(handler);
        self
    }

    /// Sets the processing handler directly (overrides the property forms).
    pub fn processing_handler(mut self, handler: ErrorHandler) -> Self {
        self.processing_handler = Some(handler);
        self
    }

    /// Sets the production handler directly (overrides the property forms).
    pub fn production_handler(mut self, handler: ErrorHandler) -> Self {
        self.production_handler = Some(handler);
        self
    }

    /// Sets RocksDB options per store (Kafka Streams' `rocksdb.config.setter`):
    /// `setter` is called with each store's name and options as a task opens
    /// its RocksDB instance, after the framework's settings and the shared
    /// block cache.
    ///
    /// ```
    /// use streams_core::runtime::StreamsConfig;
    /// let config = StreamsConfig::builder()
    ///     .set("application.id", "app")
    ///     .set("bootstrap.servers", "localhost:9092")
    ///     .rocksdb_config_setter(|store: &str, options: &mut streams_state::rocksdb::Options| {
    ///         if store == "big-table" {
    ///             options.set_max_write_buffer_number(6);
    ///         }
    ///     })
    ///     .build()?;
    /// # Ok::<(), streams_core::runtime::ConfigError>(())
    /// ```
    pub fn rocksdb_config_setter(
        mut self,
        setter: impl streams_state::RocksDbConfigSetter + 'static,
    ) -> Self {
        self.rocksdb_config_setter = Some(std::sync::Arc::new(setter));
        self
    }

    /// Validates the settings and builds the config: a missing or invalid setting,
    /// or a client property librdkafka rejects, is an error naming it.
    pub fn build(self) -> Result<StreamsConfig, ConfigError> {
        let mut config = StreamsConfig::parse(
            self.properties,
            self.deserialization_handler,
            self.rocksdb_config_setter,
        )?;
        if let Some(handler) = self.processing_handler {
            config.handlers.processing = handler;
        }
        if let Some(handler) = self.production_handler {
            config.handlers.production = handler;
        }
        Ok(config)
    }
}

/// Takes a setting out of the properties, parsed, or its default.
fn take<T: FromStr>(
    properties: &mut BTreeMap<String, String>,
    setting: &str,
    default: T,
    accept: impl Fn(&T) -> bool,
    expectation: &str,
) -> Result<T, ConfigError> {
    match properties.remove(setting) {
        None => Ok(default),
        Some(raw) => match raw.trim().parse::<T>() {
            Ok(value) if accept(&value) => Ok(value),
            _ => Err(invalid(setting, &raw, expectation)),
        },
    }
}

fn take_required(
    properties: &mut BTreeMap<String, String>,
    setting: &'static str,
    hint: &'static str,
) -> Result<String, ConfigError> {
    match properties.remove(setting) {
        Some(value) if !value.trim().is_empty() => Ok(value.trim().to_string()),
        _ => Err(ConfigError::Missing { setting, hint }),
    }
}

fn parse_handler(setting: &str, value: &str) -> Result<DeserializationHandler, ConfigError> {
    let simple = value.rsplit('.').next().unwrap_or(value);
    match simple {
        "log_and_fail"
        | "LogAndFailExceptionHandler"
        | "LogAndFailProcessingExceptionHandler"
        | "DefaultProductionExceptionHandler"
        | "LogAndFailProductionExceptionHandler" => Ok(ErrorHandler::LogAndFail),
        "log_and_continue"
        | "LogAndContinueExceptionHandler"
        | "LogAndContinueProcessingExceptionHandler"
        | "LogAndContinueProductionExceptionHandler" => Ok(ErrorHandler::LogAndContinue),
        _ => Err(invalid(
            setting,
            value,
            format!(
                "use log_and_fail or log_and_continue (or set {DEAD_LETTER_QUEUE_TOPIC} to send such records to a topic)"
            ),
        )),
    }
}

impl StreamsConfig {
    /// An empty builder.
    pub fn builder() -> StreamsConfigBuilder {
        StreamsConfigBuilder::default()
    }

    /// Builds a config from properties, as [`StreamsConfigBuilder::build`] does.
    pub fn from_properties<K: Into<String>, V: Into<String>>(
        properties: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, ConfigError> {
        Self::builder().set_all(properties).build()
    }

    fn parse(
        mut properties: BTreeMap<String, String>,
        handler_override: Option<DeserializationHandler>,
        rocksdb_config_setter: Option<RocksDbConfigSetterRef>,
    ) -> Result<Self, ConfigError> {
        let application_id = take_required(
            &mut properties,
            APPLICATION_ID,
            "name the application; it is the consumer group id and prefixes internal topics",
        )?;
        check_topic_name(&application_id).map_err(|reason| {
            invalid(
                APPLICATION_ID,
                &application_id,
                format!("it prefixes internal topic names, and {reason}"),
            )
        })?;
        let bootstrap_servers = take_required(
            &mut properties,
            BOOTSTRAP_SERVERS,
            "give the cluster's brokers as host:port[,host:port...]",
        )?;
        let num_stream_threads = take(
            &mut properties,
            NUM_STREAM_THREADS,
            1usize,
            |&n| n >= 1,
            "use a whole number of threads, at least 1",
        )?;
        let state_dir = properties
            .remove(STATE_DIR)
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("kafka-streams"));
        let guarantee_raw = properties.remove(PROCESSING_GUARANTEE);
        let processing_guarantee = match &guarantee_raw {
            Some(raw) => raw.trim().parse()?,
            None => ProcessingGuarantee::AtLeastOnce,
        };
        let exactly_once = processing_guarantee == ProcessingGuarantee::ExactlyOnceV2;
        let commit_interval_ms = take(
            &mut properties,
            COMMIT_INTERVAL_MS,
            if exactly_once {
                EOS_COMMIT_INTERVAL_MS
            } else {
                30_000
            },
            |_| true,
            "use a whole number of milliseconds, 0 or more",
        )?;
        let mut cache_max_bytes = None;
        for setting in std::iter::once(CACHE_MAX_BYTES).chain(CACHE_MAX_BYTES_ALIASES) {
            if properties.contains_key(setting) {
                let value = take(
                    &mut properties,
                    setting,
                    0usize,
                    |_| true,
                    "use a whole number of bytes, 0 or more (0 turns caching off)",
                )?;
                cache_max_bytes.get_or_insert(value);
            }
        }
        let replication_factor = take(
            &mut properties,
            REPLICATION_FACTOR,
            -1i32,
            |&n| n == -1 || n >= 1,
            "use -1 (the broker's default.replication.factor) or a number of replicas, 1 or more",
        )?;
        let max_task_idle_ms = take(
            &mut properties,
            MAX_TASK_IDLE_MS,
            0i64,
            |&n| n >= -1,
            "use -1 (never wait for empty partitions) or a number of milliseconds, 0 or more",
        )?;
        let buffered_records_per_partition = take(
            &mut properties,
            BUFFERED_RECORDS_PER_PARTITION,
            1000usize,
            |&n| n >= 1,
            "use a whole number of records, at least 1",
        )?;
        let topology_optimization = match properties.remove(TOPOLOGY_OPTIMIZATION) {
            Some(raw) => raw
                .parse::<TopologyOptimization>()
                .map_err(|error| invalid(TOPOLOGY_OPTIMIZATION, &raw, error.to_string()))?,
            None => TopologyOptimization::none(),
        };
        let poll_ms = take(
            &mut properties,
            POLL_MS,
            100u64,
            |&n| n >= 1,
            "use a whole number of milliseconds, at least 1",
        )?;
        let mut deserialization_handler = DeserializationHandler::default();
        for setting in [
            DESERIALIZATION_EXCEPTION_HANDLER_ALIAS,
            DESERIALIZATION_EXCEPTION_HANDLER,
        ] {
            if let Some(value) = properties.remove(setting) {
                deserialization_handler = parse_handler(setting, value.trim())?;
            }
        }
        // --- error handlers and metrics (operability) ---
        let mut handlers = ErrorHandlers::default();
        if let Some(value) = properties.remove(PROCESSING_EXCEPTION_HANDLER) {
            handlers.processing = parse_handler(PROCESSING_EXCEPTION_HANDLER, value.trim())?;
        }
        for setting in [
            PRODUCTION_EXCEPTION_HANDLER_ALIAS,
            PRODUCTION_EXCEPTION_HANDLER,
        ] {
            if let Some(value) = properties.remove(setting) {
                handlers.production = match value.trim() {
                    "default" => ErrorHandler::LogAndFail,
                    other => parse_handler(setting, other)?,
                };
            }
        }
        let metrics_recording_level = match properties.remove(METRICS_RECORDING_LEVEL) {
            Some(raw) => raw
                .parse()
                .map_err(|reason: String| invalid(METRICS_RECORDING_LEVEL, &raw, reason))?,
            None => RecordingLevel::default(),
        };
        // --- end error handlers and metrics ---
        if let Some(topic) = properties.remove(DEAD_LETTER_QUEUE_TOPIC) {
            let topic = topic.trim().to_string();
            check_topic_name(&topic).map_err(|reason| {
                invalid(
                    DEAD_LETTER_QUEUE_TOPIC,
                    &topic,
                    format!("not a valid topic name: {reason}"),
                )
            })?;
            deserialization_handler = DeserializationHandler::DeadLetterQueue {
                topic: topic.clone(),
            };
            handlers.processing = ErrorHandler::DeadLetterQueue {
                topic: topic.clone(),
            };
            handlers.production = ErrorHandler::DeadLetterQueue { topic };
        }
        if let Some(handler) = handler_override {
            deserialization_handler = handler;
        }
        let task_timeout_ms = take(
            &mut properties,
            TASK_TIMEOUT_MS,
            300_000u64,
            |_| true,
            "use a whole number of milliseconds, 0 or more",
        )?;
        let uncaught_exception_handler = match properties.remove(UNCAUGHT_EXCEPTION_HANDLER) {
            Some(value) => value.trim().parse()?,
            None => StreamThreadExceptionResponse::default(),
        };
        let state_stores = StateStoreConfig::parse(&mut properties, rocksdb_config_setter)?;
        let clients = split_client_properties(properties)?;
        if exactly_once {
            check_exactly_once_clients(&clients, commit_interval_ms)?;
        }
        let config = Self {
            application_id,
            bootstrap_servers,
            num_stream_threads,
            state_dir,
            commit_interval: Duration::from_millis(commit_interval_ms),
            processing_guarantee,
            cache_max_bytes: cache_max_bytes.unwrap_or(10 * 1024 * 1024),
            replication_factor,
            max_task_idle_ms,
            buffered_records_per_partition,
            poll_interval: Duration::from_millis(poll_ms),
            topology_optimization,
            deserialization_handler,
            task_timeout: Duration::from_millis(task_timeout_ms),
            uncaught_exception_handler,
            handlers,
            metrics_recording_level,
            clients,
            state_stores,
        };
        config.check_client_configs()?;
        Ok(config)
    }

    /// Lets librdkafka check every client configuration now, so a bad property
    /// fails here rather than when a thread starts.
    fn check_client_configs(&self) -> Result<(), ConfigError> {
        let checks = [
            ("consumer", self.consumer_config("check")),
            ("restore consumer", self.restore_consumer_config("check")),
            ("global consumer", self.global_consumer_config()),
            ("producer", self.producer_config("check")),
            ("admin", self.admin_config()),
        ];
        for (client, config) in checks {
            config
                .create_native_config()
                .map_err(|error| ConfigError::Client {
                    client,
                    reason: error.to_string(),
                })?;
        }
        Ok(())
    }

    /// `application.id`.
    pub fn application_id(&self) -> &str {
        &self.application_id
    }

    /// `bootstrap.servers`.
    pub fn bootstrap_servers(&self) -> &str {
        &self.bootstrap_servers
    }

    /// `num.stream.threads`.
    pub fn num_stream_threads(&self) -> usize {
        self.num_stream_threads
    }

    /// `state.dir`.
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// This application's state directory: `<state.dir>/<application.id>`.
    pub fn application_state_dir(&self) -> PathBuf {
        self.state_dir.join(&self.application_id)
    }

    /// `commit.interval.ms`.
    pub fn commit_interval(&self) -> Duration {
        self.commit_interval
    }

    /// `processing.guarantee`.
    pub fn processing_guarantee(&self) -> ProcessingGuarantee {
        self.processing_guarantee
    }

    /// `statestore.cache.max.bytes` for the whole instance.
    pub fn cache_max_bytes(&self) -> usize {
        self.cache_max_bytes
    }

    /// Each stream thread's share of the write cache.
    pub fn cache_max_bytes_per_thread(&self) -> usize {
        self.cache_max_bytes / self.num_stream_threads
    }

    /// The transactional-store and RocksDB memory settings.
    pub fn state_stores(&self) -> &StateStoreConfig {
        &self.state_stores
    }

    /// Each stream thread's share of `statestore.uncommitted.max.bytes`: a
    /// thread commits early when its tasks hold more uncommitted bytes.
    pub fn uncommitted_max_bytes_per_thread(&self) -> usize {
        self.state_stores.uncommitted_max_bytes / self.num_stream_threads
    }

    /// `replication.factor` of internal topics (-1: the broker's default).
    pub fn replication_factor(&self) -> i32 {
        self.replication_factor
    }

    /// `max.task.idle.ms` (-1: never wait).
    pub fn max_task_idle_ms(&self) -> i64 {
        self.max_task_idle_ms
    }

    /// `buffered.records.per.partition`.
    pub fn buffered_records_per_partition(&self) -> usize {
        self.buffered_records_per_partition
    }

    /// `poll.ms`.
    pub fn poll_interval(&self) -> Duration {
        self.poll_interval
    }

    /// `topology.optimization`: the rewrites the DSL applies when it builds
    /// the topology with this config.
    pub fn topology_optimization(&self) -> TopologyOptimization {
        self.topology_optimization
    }

    /// The deserialization handler.
    pub fn deserialization_handler(&self) -> &DeserializationHandler {
        &self.deserialization_handler
    }

    /// `task.timeout.ms`.
    pub fn task_timeout(&self) -> Duration {
        self.task_timeout
    }

    /// `uncaught.exception.handler`.
    pub fn uncaught_exception_handler(&self) -> StreamThreadExceptionResponse {
        self.uncaught_exception_handler
    }

    /// The deserialization, processing and production handlers.
    pub fn error_handlers(&self) -> ErrorHandlers {
        ErrorHandlers {
            deserialization: self.deserialization_handler.clone(),
            ..self.handlers.clone()
        }
    }

    /// `metrics.recording.level`.
    pub fn metrics_recording_level(&self) -> RecordingLevel {
        self.metrics_recording_level
    }

    fn client_config<'a>(
        &'a self,
        layers: impl IntoIterator<Item = &'a BTreeMap<String, String>>,
    ) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set(BOOTSTRAP_SERVERS, &self.bootstrap_servers);
        for layer in std::iter::once(&self.clients.common).chain(layers) {
            for (key, value) in layer {
                config.set(key, value);
            }
        }
        config
    }

    fn client_id(&self, config: &ClientConfig, suffix: &str) -> String {
        let prefix = config.get("client.id").unwrap_or(&self.application_id);
        format!("{prefix}-{suffix}")
    }

    /// The group consumer of a stream thread: group `application.id`, range
    /// assignor, no automatic commits or offset storing, `earliest` reset unless
    /// overridden, client id `<client.id or application.id>-<thread>-consumer`;
    /// a `group.instance.id` (static membership) gets the thread as a suffix,
    /// so the threads of an instance do not fence each other.
    pub fn consumer_config(&self, thread: &str) -> ClientConfig {
        let mut config = self.client_config([&self.clients.consumer, &self.clients.main_consumer]);
        self.read_committed_under_exactly_once(&mut config);
        fetch_without_backoff(&mut config);
        if let Some(instance) = config.get("group.instance.id").map(str::to_string) {
            config.set("group.instance.id", format!("{instance}-{thread}"));
        }
        let client_id = self.client_id(&config, &format!("{thread}-consumer"));
        config
            .set("client.id", client_id)
            .set("group.id", &self.application_id)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("partition.assignment.strategy", "range");
        if config.get("auto.offset.reset").is_none() {
            config.set("auto.offset.reset", "earliest");
        }
        // Consumer lag comes from librdkafka's statistics.
        if config.get("statistics.interval.ms").is_none()
            && self.metrics_recording_level != RecordingLevel::Off
        {
            config.set("statistics.interval.ms", DEFAULT_STATISTICS_INTERVAL_MS);
        }
        config
    }

    /// The consumer of the global thread, reading every partition of the
    /// global tables' topics (`consumer.` and `global.consumer.` properties):
    /// assigned partitions only, no group, no commits, read_committed under
    /// exactly-once.
    pub fn global_consumer_config(&self) -> ClientConfig {
        let mut config =
            self.client_config([&self.clients.consumer, &self.clients.global_consumer]);
        self.read_committed_under_exactly_once(&mut config);
        fetch_without_backoff(&mut config);
        let client_id = self.client_id(&config, "GlobalStreamThread-global-consumer");
        config
            .set("client.id", client_id)
            .set("group.id", format!("{}-global", self.application_id))
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest");
        config
    }

    /// The consumer a stream thread restores changelogs with: assigned
    /// partitions only, no commits. Its `group.id` is the application's, so
    /// it can read the group's committed offsets (where a store restoring
    /// from its source topic stops); it never subscribes, so it never joins.
    pub fn restore_consumer_config(&self, thread: &str) -> ClientConfig {
        let mut config =
            self.client_config([&self.clients.consumer, &self.clients.restore_consumer]);
        self.read_committed_under_exactly_once(&mut config);
        fetch_without_backoff(&mut config);
        let client_id = self.client_id(&config, &format!("{thread}-restore-consumer"));
        config
            .set("client.id", client_id)
            .set("group.id", self.application_id.clone())
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest");
        config
    }

    /// The producer of a stream thread: idempotent (at-least-once without
    /// duplicates from retries), `linger.ms=5` (Kafka Streams sets 100: 5 ms
    /// measured no slower and cuts end-to-end latency by ~95 ms), and
    /// Kafka's murmur2 partitioner so keys land where Java clients put them,
    /// each unless overridden.
    pub fn producer_config(&self, thread: &str) -> ClientConfig {
        let mut config = self.client_config([&self.clients.producer]);
        let client_id = self.client_id(&config, &format!("{thread}-producer"));
        config.set("client.id", client_id);
        for (key, default) in [
            ("enable.idempotence", "true"),
            ("linger.ms", "5"),
            ("partitioner", "murmur2_random"),
        ] {
            if config.get(key).is_none() {
                config.set(key, default);
            }
        }
        config
    }

    /// The transactional producer of a stream thread under exactly-once:
    /// [`producer_config`](Self::producer_config) with `transactional_id` and
    /// `transaction.timeout.ms` 10000 unless set (Kafka Streams' default: a
    /// transaction left open by a crash blocks `read_committed` readers of
    /// its partitions for at most that long).
    pub fn transactional_producer_config(
        &self,
        thread: &str,
        transactional_id: &str,
    ) -> ClientConfig {
        let mut config = self.producer_config(thread);
        config.set("transactional.id", transactional_id);
        if config.get(TRANSACTION_TIMEOUT_MS).is_none() {
            config.set(
                TRANSACTION_TIMEOUT_MS,
                EOS_TRANSACTION_TIMEOUT_MS.to_string(),
            );
        }
        config
    }

    /// Under exactly-once every consumer of the runtime reads committed
    /// records only (aborted output and open transactions stay invisible).
    fn read_committed_under_exactly_once(&self, config: &mut ClientConfig) {
        if self.processing_guarantee == ProcessingGuarantee::ExactlyOnceV2 {
            config.set(ISOLATION_LEVEL, "read_committed");
        }
    }

    /// The admin client that checks and creates topics.
    pub fn admin_config(&self) -> ClientConfig {
        let mut config = self.client_config([&self.clients.admin]);
        let client_id = self.client_id(&config, "admin");
        config.set("client.id", client_id);
        config
    }
}

// Exactly-once v2 client settings.
/// `commit.interval.ms` under exactly_once_v2 unless set.
const EOS_COMMIT_INTERVAL_MS: u64 = 100;
/// The producer's transaction timeout under exactly_once_v2 unless set.
const EOS_TRANSACTION_TIMEOUT_MS: u64 = 10_000;
/// librdkafka's consumer setting for the pause after a full prefetch queue.
const FETCH_QUEUE_BACKOFF_MS: &str = "fetch.queue.backoff.ms";
const TRANSACTION_TIMEOUT_MS: &str = "transaction.timeout.ms";
const ISOLATION_LEVEL: &str = "isolation.level";

/// Client settings exactly-once cannot run with: a consumer reading
/// uncommitted records, a producer without idempotence, or commits spaced
/// wider than the transaction timeout (every transaction would time out).
fn check_exactly_once_clients(
    clients: &ClientProperties,
    commit_interval_ms: u64,
) -> Result<(), ConfigError> {
    for (prefix, layer) in [
        ("", &clients.common),
        ("consumer.", &clients.consumer),
        ("main.consumer.", &clients.main_consumer),
        ("restore.consumer.", &clients.restore_consumer),
        ("global.consumer.", &clients.global_consumer),
    ] {
        if let Some(level) = layer.get(ISOLATION_LEVEL)
            && level.trim() != "read_committed"
        {
            return Err(invalid(
                &format!("{prefix}{ISOLATION_LEVEL}"),
                level,
                "exactly_once_v2 reads committed records only; remove it",
            ));
        }
    }
    for (prefix, layer) in [("", &clients.common), ("producer.", &clients.producer)] {
        if let Some(idempotence) = layer.get("enable.idempotence")
            && idempotence.trim() == "false"
        {
            return Err(invalid(
                &format!("{prefix}enable.idempotence"),
                idempotence,
                "exactly_once_v2 needs the idempotent producer; remove it",
            ));
        }
    }
    let timeout = clients
        .producer
        .get(TRANSACTION_TIMEOUT_MS)
        .or_else(|| clients.common.get(TRANSACTION_TIMEOUT_MS));
    let timeout_ms = match timeout {
        Some(raw) => raw.trim().parse::<u64>().map_err(|_| {
            invalid(
                TRANSACTION_TIMEOUT_MS,
                raw,
                "use a whole number of milliseconds",
            )
        })?,
        None => EOS_TRANSACTION_TIMEOUT_MS,
    };
    if commit_interval_ms >= timeout_ms {
        return Err(invalid(
            COMMIT_INTERVAL_MS,
            &commit_interval_ms.to_string(),
            format!(
                "under exactly_once_v2 commits must come more often than the producer's transaction.timeout.ms ({timeout_ms}); lower it or raise producer.transaction.timeout.ms"
            ),
        ));
    }
    Ok(())
}

/// Sorts the remaining (non-Streams) properties by client prefix and rejects the
/// ones the runtime owns.
fn split_client_properties(
    properties: BTreeMap<String, String>,
) -> Result<ClientProperties, ConfigError> {
    let mut clients = ClientProperties::default();
    for (key, value) in properties {
        let (layer, property) = [
            ("main.consumer.", &mut clients.main_consumer),
            ("restore.consumer.", &mut clients.restore_consumer),
            ("global.consumer.", &mut clients.global_consumer),
            ("consumer.", &mut clients.consumer),
            ("producer.", &mut clients.producer),
            ("admin.", &mut clients.admin),
        ]
        .into_iter()
        .find_map(|(prefix, layer)| key.strip_prefix(prefix).map(|p| (layer, p.to_string())))
        .unwrap_or_else(|| (&mut clients.common, key.clone()));
        if let Some((_, reason)) = RESERVED_CLIENT_PROPERTIES
            .iter()
            .find(|(reserved, _)| *reserved == property)
        {
            return Err(invalid(&key, &value, format!("remove it: {reason}")));
        }
        layer.insert(property, value);
    }
    Ok(clients)
}

// ---- State stores: transactions and RocksDB memory ----

/// `statestore.uncommitted.max.bytes` (KIP-892): bytes the stores of the
/// instance may hold for writes since their last commit, split across its
/// threads; a thread over its share commits early (default 64 MiB, KIP-892's).
pub const STATESTORE_UNCOMMITTED_MAX_BYTES: &str = "statestore.uncommitted.max.bytes";
/// `rocksdb.block.cache.bytes`: capacity of the one LRU block cache all RocksDB
/// stores of the instance share; memtables are charged to it, so it bounds
/// RocksDB's memory as a whole (default 128 MiB).
pub const ROCKSDB_BLOCK_CACHE_BYTES: &str = "rocksdb.block.cache.bytes";
/// `rocksdb.write.buffer.bytes`: bytes all memtables of the instance's RocksDB
/// stores may take (part of the block cache; default 32 MiB). Stores flush
/// memtables when the total reaches it.
pub const ROCKSDB_WRITE_BUFFER_BYTES: &str = "rocksdb.write.buffer.bytes";
/// Default of [`STATESTORE_UNCOMMITTED_MAX_BYTES`].
pub const DEFAULT_UNCOMMITTED_MAX_BYTES: usize = 64 * 1024 * 1024;
/// Default of [`ROCKSDB_BLOCK_CACHE_BYTES`].
pub const DEFAULT_ROCKSDB_BLOCK_CACHE_BYTES: usize = 128 * 1024 * 1024;
/// Default of [`ROCKSDB_WRITE_BUFFER_BYTES`].
pub const DEFAULT_ROCKSDB_WRITE_BUFFER_BYTES: usize = 32 * 1024 * 1024;

type RocksDbConfigSetterRef = std::sync::Arc<dyn streams_state::RocksDbConfigSetter>;

/// The state-store settings of a [`StreamsConfig`], and the RocksDB resources
/// they size: one block cache and write buffer manager per config, so the
/// RocksDB stores of every task of an instance share them (an instance built
/// from a clone of the config shares them too, like Kafka Streams'
/// bounded-memory recipe shares one static cache).
#[derive(Debug, Clone)]
pub struct StateStoreConfig {
    uncommitted_max_bytes: usize,
    block_cache_bytes: usize,
    write_buffer_bytes: usize,
    rocksdb: streams_state::RocksDbShared,
}

impl StateStoreConfig {
    fn parse(
        properties: &mut BTreeMap<String, String>,
        setter: Option<RocksDbConfigSetterRef>,
    ) -> Result<Self, ConfigError> {
        let uncommitted_max_bytes = take(
            properties,
            STATESTORE_UNCOMMITTED_MAX_BYTES,
            DEFAULT_UNCOMMITTED_MAX_BYTES,
            |&n| n >= 1,
            "use a whole number of bytes, at least 1",
        )?;
        let block_cache_bytes = take(
            properties,
            ROCKSDB_BLOCK_CACHE_BYTES,
            DEFAULT_ROCKSDB_BLOCK_CACHE_BYTES,
            |&n| n >= 1,
            "use a whole number of bytes, at least 1",
        )?;
        let write_buffer_raw = properties.get(ROCKSDB_WRITE_BUFFER_BYTES).cloned();
        let write_buffer_bytes = take(
            properties,
            ROCKSDB_WRITE_BUFFER_BYTES,
            DEFAULT_ROCKSDB_WRITE_BUFFER_BYTES.min(block_cache_bytes),
            |&n| n >= 1,
            "use a whole number of bytes, at least 1",
        )?;
        if write_buffer_bytes > block_cache_bytes {
            return Err(invalid(
                ROCKSDB_WRITE_BUFFER_BYTES,
                &write_buffer_raw.unwrap_or_default(),
                format!(
                    "memtables are charged to the block cache, so use at most {ROCKSDB_BLOCK_CACHE_BYTES} ({block_cache_bytes}), or raise that"
                ),
            ));
        }
        let mut rocksdb =
            streams_state::RocksDbShared::bounded(block_cache_bytes, write_buffer_bytes);
        if let Some(setter) = setter {
            rocksdb = rocksdb.with_shared_config_setter(setter);
        }
        Ok(Self {
            uncommitted_max_bytes,
            block_cache_bytes,
            write_buffer_bytes,
            rocksdb,
        })
    }

    /// `statestore.uncommitted.max.bytes` for the whole instance.
    pub fn uncommitted_max_bytes(&self) -> usize {
        self.uncommitted_max_bytes
    }

    /// `rocksdb.block.cache.bytes`.
    pub fn block_cache_bytes(&self) -> usize {
        self.block_cache_bytes
    }

    /// `rocksdb.write.buffer.bytes`.
    pub fn write_buffer_bytes(&self) -> usize {
        self.write_buffer_bytes
    }

    /// The shared block cache, write buffer manager and options setter, for
    /// every task's [`TaskConfig`](crate::task::TaskConfig).
    pub fn rocksdb(&self) -> &streams_state::RocksDbShared {
        &self.rocksdb
    }
}

/// librdkafka's consumer stops fetching for `fetch.queue.backoff.ms` (1 s by
/// default) whenever its prefetch queue is over `queued.min.messages`; a
/// stream thread drains that queue far faster, so with the default it idles
/// between fetches. 10 ms keeps the queue fed (the copy loop with the
/// runtime's settings went from ~150k to ~550k records/s with it on this
/// machine). Unless set.
fn fetch_without_backoff(config: &mut ClientConfig) {
    if config.get(FETCH_QUEUE_BACKOFF_MS).is_none() {
        config.set(FETCH_QUEUE_BACKOFF_MS, "10");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> StreamsConfigBuilder {
        StreamsConfig::builder()
            .set(APPLICATION_ID, "app-1")
            .set(BOOTSTRAP_SERVERS, "localhost:9092")
    }

    #[test]
    fn defaults_match_kafka_streams() {
        let config = base().build().unwrap();
        assert_eq!(config.application_id(), "app-1");
        assert_eq!(config.num_stream_threads(), 1);
        assert_eq!(config.commit_interval(), Duration::from_secs(30));
        assert_eq!(
            config.processing_guarantee(),
            ProcessingGuarantee::AtLeastOnce
        );
        assert_eq!(config.cache_max_bytes(), 10 * 1024 * 1024);
        assert_eq!(config.replication_factor(), -1);
        assert_eq!(config.max_task_idle_ms(), 0);
        assert_eq!(config.buffered_records_per_partition(), 1000);
        assert_eq!(
            config.state_dir(),
            std::env::temp_dir().join("kafka-streams")
        );
        assert_eq!(
            config.application_state_dir(),
            std::env::temp_dir().join("kafka-streams").join("app-1")
        );
        assert_eq!(
            config.deserialization_handler(),
            &DeserializationHandler::LogAndFail
        );
        assert_eq!(config.task_timeout(), Duration::from_secs(300));
        assert_eq!(
            config.uncaught_exception_handler(),
            StreamThreadExceptionResponse::ShutdownClient
        );
    }

    #[test]
    fn fault_handling_settings() {
        let config = base()
            .set(TASK_TIMEOUT_MS, "2500")
            .set(UNCAUGHT_EXCEPTION_HANDLER, "REPLACE_THREAD")
            .build()
            .unwrap();
        assert_eq!(config.task_timeout(), Duration::from_millis(2500));
        assert_eq!(
            config.uncaught_exception_handler(),
            StreamThreadExceptionResponse::ReplaceThread
        );
    }

    #[test]
    fn a_static_member_id_gets_the_thread_as_suffix() {
        let config = base().set("group.instance.id", "node-7").build().unwrap();
        assert_eq!(
            config
                .consumer_config("StreamThread-1")
                .get("group.instance.id"),
            Some("node-7-StreamThread-1")
        );
        assert_eq!(
            config
                .consumer_config("StreamThread-2")
                .get("group.instance.id"),
            Some("node-7-StreamThread-2")
        );
        assert_eq!(
            base()
                .build()
                .unwrap()
                .consumer_config("StreamThread-1")
                .get("group.instance.id"),
            None
        );
        let producer = config.transactional_producer_config("StreamThread-1", "app-p-1");
        assert_eq!(producer.get("transactional.id"), Some("app-p-1"));
    }

    #[test]
    fn missing_required_settings_name_the_setting() {
        let error = StreamsConfig::builder()
            .set(BOOTSTRAP_SERVERS, "h:1")
            .build()
            .unwrap_err();
        assert!(matches!(error, ConfigError::Missing { setting, .. } if setting == APPLICATION_ID));
        let message = StreamsConfig::builder()
            .set(APPLICATION_ID, "a")
            .build()
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("'bootstrap.servers' is required"),
            "{message}"
        );
    }

    #[test]
    fn invalid_values_name_the_setting_and_what_to_use() {
        for (setting, value, expected) in [
            (NUM_STREAM_THREADS, "0", "at least 1"),
            (NUM_STREAM_THREADS, "two", "at least 1"),
            (COMMIT_INTERVAL_MS, "-5", "0 or more"),
            (REPLICATION_FACTOR, "0", "-1"),
            (MAX_TASK_IDLE_MS, "-2", "-1"),
            (BUFFERED_RECORDS_PER_PARTITION, "0", "at least 1"),
            (TOPOLOGY_OPTIMIZATION, "some", "use none, all"),
            (PROCESSING_GUARANTEE, "exactly_once", "use exactly_once_v2"),
            (
                PROCESSING_GUARANTEE,
                "best_effort",
                "at_least_once or exactly_once_v2",
            ),
            (
                DESERIALIZATION_EXCEPTION_HANDLER,
                "ignore",
                "log_and_continue",
            ),
            (APPLICATION_ID, "my app", "' ' is not allowed"),
            ("group.id", "other", "application.id"),
            (
                "consumer.enable.auto.commit",
                "true",
                "commits offsets itself",
            ),
            (TASK_TIMEOUT_MS, "-1", "0 or more"),
            (UNCAUGHT_EXCEPTION_HANDLER, "ignore", "replace_thread"),
            ("producer.transactional.id", "mine", "its own"),
        ] {
            let message = base().set(setting, value).build().unwrap_err().to_string();
            assert!(
                message.contains(&format!("'{value}' for '{setting}'"))
                    && message.contains(expected),
                "{setting}={value}: {message}"
            );
        }
    }

    #[test]
    fn exactly_once_v2_commits_every_100_ms_and_reads_committed_records_only() {
        assert_eq!(
            "exactly_once_v2".parse::<ProcessingGuarantee>().unwrap(),
            ProcessingGuarantee::ExactlyOnceV2
        );
        let config = base()
            .set(PROCESSING_GUARANTEE, "exactly_once_v2")
            .build()
            .unwrap();
        assert_eq!(
            config.processing_guarantee(),
            ProcessingGuarantee::ExactlyOnceV2
        );
        assert_eq!(config.commit_interval(), Duration::from_millis(100));
        for consumer in [
            config.consumer_config("StreamThread-1"),
            config.restore_consumer_config("StreamThread-1"),
        ] {
            assert_eq!(consumer.get("isolation.level"), Some("read_committed"));
        }
        let producer = config.transactional_producer_config("StreamThread-1", "app-1-p-1");
        assert_eq!(producer.get("transactional.id"), Some("app-1-p-1"));
        assert_eq!(producer.get("transaction.timeout.ms"), Some("10000"));
        assert_eq!(producer.get("enable.idempotence"), Some("true"));
        let config = base()
            .set(PROCESSING_GUARANTEE, "exactly_once_v2")
            .set("commit.interval.ms", "1000")
            .set("producer.transaction.timeout.ms", "60000")
            .build()
            .unwrap();
        assert_eq!(config.commit_interval(), Duration::from_secs(1));
        assert_eq!(
            config
                .transactional_producer_config("t", "id")
                .get("transaction.timeout.ms"),
            Some("60000")
        );
        let at_least_once = base().build().unwrap();
        assert_eq!(
            at_least_once.consumer_config("t").get("isolation.level"),
            None
        );
    }

    #[test]
    fn exactly_once_v2_refuses_client_settings_it_cannot_run_with() {
        for (setting, value, expected) in [
            (
                "consumer.isolation.level",
                "read_uncommitted",
                "committed records only",
            ),
            (
                "isolation.level",
                "read_uncommitted",
                "committed records only",
            ),
            (
                "producer.enable.idempotence",
                "false",
                "idempotent producer",
            ),
            (
                COMMIT_INTERVAL_MS,
                "10000",
                "transaction.timeout.ms (10000)",
            ),
        ] {
            let message = base()
                .set(PROCESSING_GUARANTEE, "exactly_once_v2")
                .set(setting, value)
                .build()
                .unwrap_err()
                .to_string();
            assert!(
                message.contains(&format!("'{value}' for '{setting}'"))
                    && message.contains(expected),
                "{setting}={value}: {message}"
            );
        }
    }

    #[test]
    fn cache_is_split_across_threads_and_aliases_are_accepted() {
        let config = base()
            .set(NUM_STREAM_THREADS, "4")
            .set("cache.max.bytes.buffering", "4000")
            .build()
            .unwrap();
        assert_eq!(config.cache_max_bytes(), 4000);
        assert_eq!(config.cache_max_bytes_per_thread(), 1000);
        let config = base().set(CACHE_MAX_BYTES, "0").build().unwrap();
        assert_eq!(config.cache_max_bytes_per_thread(), 0);
    }

    #[test]
    fn deserialization_handler_forms() {
        let config = base()
            .set(
                DESERIALIZATION_EXCEPTION_HANDLER_ALIAS,
                "org.apache.kafka.streams.errors.LogAndContinueExceptionHandler",
            )
            .build()
            .unwrap();
        assert_eq!(
            config.deserialization_handler(),
            &DeserializationHandler::LogAndContinue
        );
        let config = base().set(DEAD_LETTER_QUEUE_TOPIC, "dlq").build().unwrap();
        assert_eq!(
            config.deserialization_handler(),
            &DeserializationHandler::DeadLetterQueue {
                topic: "dlq".into()
            }
        );
    }

    #[test]
    fn processing_and_production_handlers_and_the_recording_level() {
        let config = base()
            .set(
                PROCESSING_EXCEPTION_HANDLER,
                "org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler",
            )
            .set(PRODUCTION_EXCEPTION_HANDLER_ALIAS, "default")
            .set(METRICS_RECORDING_LEVEL, "DEBUG")
            .build()
            .unwrap();
        let handlers = config.error_handlers();
        assert_eq!(handlers.processing, ErrorHandler::LogAndContinue);
        assert_eq!(handlers.production, ErrorHandler::LogAndFail);
        assert_eq!(config.metrics_recording_level(), RecordingLevel::Debug);
        assert_eq!(
            config
                .consumer_config("StreamThread-1")
                .get("statistics.interval.ms"),
            Some(DEFAULT_STATISTICS_INTERVAL_MS)
        );
        let handlers = base()
            .set(DEAD_LETTER_QUEUE_TOPIC, "dlq")
            .build()
            .unwrap()
            .error_handlers();
        let dlq = ErrorHandler::DeadLetterQueue {
            topic: "dlq".into(),
        };
        assert_eq!(
            (
                handlers.deserialization,
                handlers.processing,
                handlers.production
            ),
            (dlq.clone(), dlq.clone(), dlq)
        );
        for (setting, value) in [
            (PROCESSING_EXCEPTION_HANDLER, "retry"),
            (PRODUCTION_EXCEPTION_HANDLER, "ignore"),
            (METRICS_RECORDING_LEVEL, "LOUD"),
        ] {
            let message = base().set(setting, value).build().unwrap_err().to_string();
            assert!(message.contains(setting), "{message}");
        }
        let custom = ErrorHandler::custom(|_| crate::handler::HandlerResponse::Continue);
        let config = base().processing_handler(custom.clone()).build().unwrap();
        assert_eq!(config.error_handlers().processing, custom);
    }

    #[test]
    fn client_properties_pass_through_with_prefix_overrides() {
        let config = base()
            .set("security.protocol", "ssl")
            .set("ssl.ca.location", "/etc/ca.pem")
            .set("socket.timeout.ms", "10000")
            .set("consumer.socket.timeout.ms", "20000")
            .set("main.consumer.fetch.min.bytes", "10")
            .set("restore.consumer.fetch.queue.backoff.ms", "500")
            .set("global.consumer.fetch.queue.backoff.ms", "250")
            .set("producer.linger.ms", "5")
            .set("admin.socket.timeout.ms", "30000")
            .set("client.id", "svc")
            .build()
            .unwrap();
        let consumer = config.consumer_config("StreamThread-1");
        assert_eq!(consumer.get("security.protocol"), Some("ssl"));
        assert_eq!(consumer.get("ssl.ca.location"), Some("/etc/ca.pem"));
        assert_eq!(consumer.get("socket.timeout.ms"), Some("20000"));
        assert_eq!(consumer.get("fetch.min.bytes"), Some("10"));
        assert_eq!(consumer.get("group.id"), Some("app-1"));
        assert_eq!(consumer.get("enable.auto.commit"), Some("false"));
        assert_eq!(consumer.get("auto.offset.reset"), Some("earliest"));
        assert_eq!(consumer.get("fetch.queue.backoff.ms"), Some("10"));
        assert_eq!(
            consumer.get("client.id"),
            Some("svc-StreamThread-1-consumer")
        );
        let global = config.global_consumer_config();
        assert_eq!(global.get("fetch.min.bytes"), None);
        assert_eq!(global.get("socket.timeout.ms"), Some("20000"));
        assert_eq!(global.get("fetch.queue.backoff.ms"), Some("250"));
        assert_eq!(global.get("auto.offset.reset"), Some("earliest"));
        assert_eq!(
            global.get("client.id"),
            Some("svc-GlobalStreamThread-global-consumer")
        );
        let restore = config.restore_consumer_config("StreamThread-1");
        assert_eq!(restore.get("fetch.min.bytes"), None);
        assert_eq!(restore.get("fetch.queue.backoff.ms"), Some("500"));
        assert_eq!(restore.get("socket.timeout.ms"), Some("20000"));
        let producer = config.producer_config("StreamThread-1");
        assert_eq!(producer.get("security.protocol"), Some("ssl"));
        assert_eq!(producer.get("socket.timeout.ms"), Some("10000"));
        assert_eq!(producer.get("linger.ms"), Some("5"));
        assert_eq!(producer.get("enable.idempotence"), Some("true"));
        assert_eq!(producer.get("partitioner"), Some("murmur2_random"));
        assert_eq!(producer.get("bootstrap.servers"), Some("localhost:9092"));
        let admin = config.admin_config();
        assert_eq!(admin.get("socket.timeout.ms"), Some("30000"));
        assert_eq!(admin.get("client.id"), Some("svc-admin"));
    }

    #[test]
    fn librdkafka_rejects_unknown_or_malformed_client_properties() {
        let error = base().set("no.such.property", "1").build().unwrap_err();
        assert!(matches!(error, ConfigError::Client { .. }), "{error}");
        assert!(error.to_string().contains("no.such.property"), "{error}");
        let error = base()
            .set("producer.linger.ms", "soon")
            .build()
            .unwrap_err();
        assert!(
            matches!(
                &error,
                ConfigError::Client {
                    client: "producer",
                    ..
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn state_store_settings_default_validate_and_size_one_shared_cache() {
        let config = base().build().unwrap();
        let stores = config.state_stores();
        assert_eq!(
            stores.uncommitted_max_bytes(),
            DEFAULT_UNCOMMITTED_MAX_BYTES
        );
        assert_eq!(
            stores.block_cache_bytes(),
            DEFAULT_ROCKSDB_BLOCK_CACHE_BYTES
        );
        assert_eq!(
            stores.write_buffer_bytes(),
            DEFAULT_ROCKSDB_WRITE_BUFFER_BYTES
        );
        assert!(stores.rocksdb().block_cache_usage().is_some());

        let config = base()
            .set("num.stream.threads", "4")
            .set(STATESTORE_UNCOMMITTED_MAX_BYTES, "4000")
            .set(ROCKSDB_BLOCK_CACHE_BYTES, "1000000")
            .set(ROCKSDB_WRITE_BUFFER_BYTES, "500000")
            .build()
            .unwrap();
        assert_eq!(config.uncommitted_max_bytes_per_thread(), 1000);
        assert_eq!(config.state_stores().write_buffer_bytes(), 500_000);
        // A small cache lowers the default memtable share with it.
        let config = base()
            .set(ROCKSDB_BLOCK_CACHE_BYTES, "1000")
            .build()
            .unwrap();
        assert_eq!(config.state_stores().write_buffer_bytes(), 1000);

        for (setting, value) in [
            (STATESTORE_UNCOMMITTED_MAX_BYTES, "0"),
            (ROCKSDB_BLOCK_CACHE_BYTES, "lots"),
            (ROCKSDB_WRITE_BUFFER_BYTES, "-1"),
        ] {
            let message = base().set(setting, value).build().unwrap_err().to_string();
            assert!(message.contains(setting), "{message}");
        }
        let message = base()
            .set(ROCKSDB_BLOCK_CACHE_BYTES, "1000")
            .set(ROCKSDB_WRITE_BUFFER_BYTES, "2000")
            .build()
            .unwrap_err()
            .to_string();
        assert!(
            message.contains(ROCKSDB_WRITE_BUFFER_BYTES)
                && message.contains(ROCKSDB_BLOCK_CACHE_BYTES),
            "{message}"
        );
    }

    #[test]
    fn the_rocksdb_config_setter_reaches_the_shared_resources() {
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = calls.clone();
        let config = base()
            .rocksdb_config_setter(move |_: &str, _: &mut streams_state::rocksdb::Options| {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            })
            .build()
            .unwrap();
        let options = streams_state::RocksDbOptions {
            shared: config.state_stores().rocksdb().clone(),
            ..Default::default()
        };
        let dir = tempfile::tempdir().unwrap();
        streams_state::RocksDbKeyValueStore::open("s", dir.path(), &options).unwrap();
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
