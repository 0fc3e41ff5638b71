//! The embedding API: start a broker, learn its address, create topics, shut down.

use crate::broker::Broker;
use crate::config::BrokerConfig;
use crate::error::BrokerError;
use crate::server;
use crate::txn::TransactionOutcomeListener;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running broker. Dropping it stops the broker (use [`EmbeddedKafka::shutdown`]
/// to wait until it has stopped).
#[derive(Debug)]
pub struct EmbeddedKafka {
    broker: Arc<Broker>,
    address: SocketAddr,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl EmbeddedKafka {
    /// Binds the listener, replays the data directory (if any) and starts serving on
    /// the current tokio runtime.
    pub async fn start(config: BrokerConfig) -> Result<Self, BrokerError> {
        let listener = TcpListener::bind(config.listen).await?;
        let address = listener.local_addr()?;
        let broker = Arc::new(Broker::open(config, address)?);
        let (shutdown, stopped) = watch::channel(false);
        let accept = tokio::spawn(server::accept_loop(
            broker.clone(),
            listener,
            stopped.clone(),
        ));
        let expiry = tokio::spawn(expire_transactions(broker.clone(), stopped));
        tracing::info!(%address, "embedded Kafka broker listening");
        Ok(Self {
            broker,
            address,
            shutdown,
            tasks: vec![accept, expiry],
            runtime: None,
        })
    }

    /// Starts a broker on its own runtime, for callers that are not async.
    pub fn start_blocking(config: BrokerConfig) -> Result<Self, BrokerError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("embedded-kafka")
            .enable_all()
            .build()
            .map_err(|e| BrokerError::Runtime(e.to_string()))?;
        let mut broker = runtime.block_on(Self::start(config))?;
        broker.runtime = Some(runtime);
        Ok(broker)
    }

    /// The `bootstrap.servers` value for clients.
    pub fn bootstrap_servers(&self) -> String {
        format!("{}:{}", self.broker.host, self.broker.port)
    }

    /// The address the broker listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// The broker's shared state (for wiring coordinators and for tests).
    pub fn broker(&self) -> &Arc<Broker> {
        &self.broker
    }

    /// Registers a listener told about every transaction commit and abort.
    pub fn register_transaction_listener(&self, listener: Arc<dyn TransactionOutcomeListener>) {
        self.broker.transactions.register_listener(listener);
    }

    /// Creates a topic with `partitions` partitions and config overrides.
    pub fn create_topic(
        &self,
        name: &str,
        partitions: i32,
        configs: &[(&str, &str)],
    ) -> Result<(), BrokerError> {
        let configs: BTreeMap<String, String> = configs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.broker
            .create_topic(name, partitions, 1, configs, false)
            .map(|_| ())
            .map_err(|error| BrokerError::Refused {
                operation: format!("creating topic {name}"),
                error,
            })
    }

    /// Stops accepting, closes every connection and waits until the broker stopped.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        for task in std::mem::take(&mut self.tasks) {
            if let Err(error) = task.await {
                tracing::warn!(%error, "broker task ended abnormally");
            }
        }
    }

    /// [`EmbeddedKafka::shutdown`] for brokers started with
    /// [`EmbeddedKafka::start_blocking`] (or from outside any runtime).
    pub fn shutdown_blocking(mut self) {
        let _ = self.shutdown.send(true);
        let tasks = std::mem::take(&mut self.tasks);
        if let Some(runtime) = self.runtime.take() {
            runtime.block_on(async {
                for task in tasks {
                    let _ = task.await;
                }
            });
            runtime.shutdown_background();
        }
    }
}

impl Drop for EmbeddedKafka {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Periodically aborts transactions that outlived their timeout.
async fn expire_transactions(broker: Arc<Broker>, mut stopped: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(broker.config.transaction_check_interval);
    loop {
        tokio::select! {
            _ = ticker.tick() => broker.abort_expired_transactions(),
            _ = stopped.changed() => break,
        }
    }
}
