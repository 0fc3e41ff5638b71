//! A Confluent Schema Registry-compatible server for development and tests:
//! the REST API clients use (subjects, versions, schemas by id, compatibility
//! levels and checks for Avro and JSON Schema), with every change kept in a
//! compacted `_schemas` topic of the broker, so it survives restarts and works
//! against any Kafka-compatible broker. Runs in-process ([`SchemaRegistry::start`])
//! or as the `schema-registry` binary.
//!
//! ```no_run
//! use schema_registry::{SchemaRegistry, SchemaRegistryConfig};
//! let registry = SchemaRegistry::start(SchemaRegistryConfig::new("localhost:9092")).unwrap();
//! println!("schema.registry.url={}", registry.url());
//! registry.shutdown();
//! ```
//!
//! Protobuf schemas are stored and served, but not checked for compatibility.
//! Schemas with references are stored as given and not checked either.

mod api;
mod api_error;
pub mod compatibility;
mod model;
mod schema_log;
mod state;

pub use api_error::ApiError;
pub use compatibility::CompatibilityLevel;
pub use model::SchemaType;
pub use schema_log::SchemaLogError;

use rdkafka::config::ClientConfig;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Where the registry listens and where it keeps its data.
#[derive(Debug, Clone)]
pub struct SchemaRegistryConfig {
    /// The HTTP address (port 0 picks a free one).
    pub listen: SocketAddr,
    /// The broker holding `topic`.
    pub bootstrap_servers: String,
    /// The topic of the registry's data (default `_schemas`).
    pub topic: String,
    /// Bound on broker operations (creating and reading the topic, appends).
    pub timeout: Duration,
    /// More librdkafka properties for its clients (security settings, ...).
    pub client_properties: Vec<(String, String)>,
}

impl SchemaRegistryConfig {
    /// A registry on `127.0.0.1` (a free port) keeping `_schemas` on `bootstrap_servers`.
    pub fn new(bootstrap_servers: impl Into<String>) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            bootstrap_servers: bootstrap_servers.into(),
            topic: "_schemas".to_string(),
            timeout: Duration::from_secs(30),
            client_properties: Vec::new(),
        }
    }

    /// Listens on `listen`.
    pub fn with_listen(mut self, listen: SocketAddr) -> Self {
        self.listen = listen;
        self
    }

    /// Keeps the data in `topic`.
    pub fn with_topic(mut self, topic: impl Into<String>) -> Self {
        self.topic = topic.into();
        self
    }

    /// Adds a librdkafka property for the registry's Kafka clients.
    pub fn with_client_property(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.client_properties.push((key.into(), value.into()));
        self
    }
}

/// Why the registry did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The `_schemas` topic could not be created or read.
    #[error("the schema registry cannot load its data: {0}")]
    Log(#[from] SchemaLogError),
    /// The HTTP address could not be bound, or the runtime not started.
    #[error("the schema registry cannot listen on {listen}: {source}")]
    Listen {
        /// The address.
        listen: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// A running registry; [`shutdown`](Self::shutdown) stops it (as does drop).
pub struct SchemaRegistry {
    url: String,
    runtime: Option<tokio::runtime::Runtime>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl SchemaRegistry {
    /// Loads the data from the broker and starts serving; blocks until it
    /// listens. Call from outside an async runtime (it runs its own).
    pub fn start(config: SchemaRegistryConfig) -> Result<Self, StartError> {
        let mut client_config = ClientConfig::new();
        client_config.set("bootstrap.servers", &config.bootstrap_servers);
        for (key, value) in &config.client_properties {
            client_config.set(key, value);
        }
        let listen_error = |source| StartError::Listen {
            listen: config.listen,
            source,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("schema-registry")
            .enable_all()
            .build()
            .map_err(listen_error)?;
        let (log, state) =
            schema_log::SchemaLog::open(&client_config, &config.topic, config.timeout)?;
        let registry = Arc::new(api::Registry::new(state, log));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(config.listen))
            .map_err(listen_error)?;
        let address = listener.local_addr().map_err(listen_error)?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        runtime.spawn(async move {
            let served = axum::serve(listener, api::router(registry))
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(error) = served {
                tracing::error!(%error, "the schema registry stopped serving");
            }
        });
        tracing::info!(%address, topic = config.topic, "schema registry listening");
        Ok(Self {
            url: format!("http://{address}"),
            runtime: Some(runtime),
            stop: Some(stop),
        })
    }

    /// The URL clients use (`schema.registry.url`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stops serving and releases the port.
    pub fn shutdown(mut self) {
        self.stop_serving();
    }

    fn stop_serving(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(5));
        }
    }
}

impl Drop for SchemaRegistry {
    fn drop(&mut self) {
        self.stop_serving();
    }
}
