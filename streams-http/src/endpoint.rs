//! Starting and stopping the endpoint: its own small tokio runtime on a
//! background thread, so applications without async code need none.

use crate::HttpError;
use crate::routes::{Shared, router};
use crate::stores::{QueryableStore, TypedStore};
use serde::Serialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::thread::JoinHandle;
use streams_core::runtime::KafkaStreams;
use tokio::sync::oneshot;

/// Which stores the endpoint serves; then [`start`](Self::start) it.
#[derive(Default)]
pub struct HttpEndpointBuilder {
    stores: HashMap<String, Box<dyn QueryableStore>>,
}

impl HttpEndpointBuilder {
    /// Serves the key-value store `store` (keys `K` parsed from the path, values
    /// `V` as JSON) under `/stores/{store}/...`.
    pub fn key_value_store<K, V>(self, store: &str) -> Self
    where
        K: FromStr + Serialize + Clone + Send + 'static,
        K::Err: std::fmt::Display,
        V: Serialize + Send + 'static,
    {
        self.key_value_store_as::<K, V>(store, |value| {
            serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
        })
    }

    /// Serves the key-value store `store`, showing each value as `render` says.
    pub fn key_value_store_as<K, V>(
        mut self,
        store: &str,
        render: impl Fn(&V) -> serde_json::Value + Send + Sync + 'static,
    ) -> Self
    where
        K: FromStr + Serialize + Clone + Send + 'static,
        K::Err: std::fmt::Display,
        V: Send + 'static,
    {
        self.stores.insert(
            store.to_string(),
            Box::new(TypedStore::<K, V>::new(store, Arc::new(render))),
        );
        self
    }

    /// Serves a store through any [`QueryableStore`].
    pub fn store(mut self, store: Box<dyn QueryableStore>) -> Self {
        self.stores.insert(store.name().to_string(), store);
        self
    }

    /// Listens on `address` (`host:port`; port 0 picks a free one) and serves
    /// `streams` until [`HttpEndpoint::stop`].
    pub fn start(
        self,
        streams: Arc<KafkaStreams>,
        address: &str,
    ) -> Result<HttpEndpoint, HttpError> {
        let listener = std::net::TcpListener::bind(address).map_err(|source| HttpError::Bind {
            address: address.to_string(),
            source,
        })?;
        let bound = listener.local_addr().map_err(HttpError::Start)?;
        listener.set_nonblocking(true).map_err(HttpError::Start)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(4)
            .thread_name("rstreams-http")
            .enable_all()
            .build()
            .map_err(HttpError::Start)?;
        let app = router(Arc::new(Shared {
            streams,
            stores: self.stores,
        }));
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("rstreams-http".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => listener,
                        Err(error) => {
                            tracing::error!(%error, "the HTTP endpoint cannot use its socket");
                            return;
                        }
                    };
                    let served = axum::serve(listener, app)
                        .with_graceful_shutdown(async move {
                            let _ = stopped.await;
                        })
                        .await;
                    if let Err(error) = served {
                        tracing::error!(%error, "the HTTP endpoint stopped");
                    }
                });
            })
            .map_err(HttpError::Start)?;
        tracing::info!(address = %bound, "HTTP endpoint listening");
        Ok(HttpEndpoint {
            address: bound,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// A running endpoint; stops when [`stop`](Self::stop)ped or dropped.
pub struct HttpEndpoint {
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl HttpEndpoint {
    /// An endpoint with no stores registered yet.
    pub fn builder() -> HttpEndpointBuilder {
        HttpEndpointBuilder::default()
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Stops serving (requests in flight finish) and waits for the server
    /// thread, which releases its reference to the instance.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the HTTP endpoint's thread panicked");
        }
    }
}

impl Drop for HttpEndpoint {
    fn drop(&mut self) {
        self.shutdown();
    }
}
